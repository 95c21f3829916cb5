/**
 * commitActions: the only way Floe changes a table. One or more actions are staged in order on the
 * freshest base (each on the metadata the previous ones produce) and committed as one atomic catalog
 * commit through the commit loop: redone on every retry, unknown outcomes resolved by the actions'
 * `landed`, the budget from the table's commit.retry.* properties.
 *
 * `validate` runs first on every attempt (e.g. the sink's exactly-once check: a zombie whose offsets
 * a newer snapshot covers must lose); false drops the commit. Files the actions wrote that no snapshot
 * references are handed to `deleteFiles` once that is certain: after success, those of attempts that
 * did not land; after a drop or a conflict, all of them; after any other error, none (the change
 * may have landed).
 */
import { isFloeError } from "../../errors.js";
import { silentLogger } from "../../log.js";
import {
  applyUpdates,
  checkRequirements,
  stringifyJson,
  type TableMetadata,
  type TableRequirement,
} from "../spec/index.js";
import { type CommitLoopOptions, type CommitLoopResult, commitLoop, type LoopStaged } from "./commit-loop.js";
import type { TableAction, TableOps, TableState } from "./port.js";

export interface CommitOptions<S extends TableState = TableState> extends CommitLoopOptions<S> {
  /** Called with the freshest table before each attempt; false drops the commit. */
  validate?: (base: S) => boolean | Promise<boolean>;
  /** Deletes files the actions wrote that are certainly unreferenced (errors are logged, not thrown). */
  deleteFiles?: (paths: readonly string[]) => Promise<unknown>;
}

export type CommitResult<S extends TableState = TableState> = CommitLoopResult<S>;

function holds(base: TableMetadata, r: TableRequirement): boolean {
  try {
    checkRequirements(base, [r]);
    return true;
  } catch {
    return false;
  }
}

/** Stages `actions` in order on `base`; null when none has anything to commit. */
async function stageAll(
  actions: readonly TableAction[],
  base: TableMetadata,
  attempt: number,
): Promise<LoopStaged | null> {
  let md = base;
  const requirements: TableRequirement[] = [];
  const updates: LoopStaged["updates"][number][] = [];
  const staged: TableAction[] = [];
  for (const action of actions) {
    const change = await action.stage(md, attempt);
    if (change === null) continue;
    // Requirements on what an earlier action produced are met by construction; the rest must hold on base.
    const seen = new Set(requirements.map((r) => stringifyJson(r)));
    for (const r of change.requirements) {
      const key = stringifyJson(r);
      if (seen.has(key) || (staged.length > 0 && !holds(base, r))) continue;
      seen.add(key);
      requirements.push(r);
    }
    updates.push(...change.updates);
    staged.push(action);
    if (staged.length < actions.length) md = applyUpdates(md, change.updates, { nowMs: Date.now() });
  }
  if (staged.length === 0) return null;
  return { requirements, updates, landed: (m) => staged.every((a) => a.landed(m)) };
}

export async function commitActions<S extends TableState>(
  ops: TableOps<S>,
  actions: TableAction | readonly TableAction[],
  options: CommitOptions<S> = {},
): Promise<CommitResult<S>> {
  const list: readonly TableAction[] = Array.isArray(actions) ? actions : [actions as TableAction];
  const log = options.logger ?? silentLogger;
  const cleanup = async (md?: TableMetadata) => {
    if (options.deleteFiles === undefined) return;
    const paths = list.flatMap((a) => a.unreferencedFiles?.(md) ?? []);
    if (paths.length === 0) return;
    await options.deleteFiles(paths).catch((e: unknown) => {
      log.warn("could not delete files of commit attempts that did not land", { error: e });
    });
  };
  let result: CommitResult<S>;
  try {
    result = await commitLoop(
      ops,
      async (base, attempt) => {
        if (options.validate && !(await options.validate(base))) return null;
        return stageAll(list, base.metadata, attempt);
      },
      options,
    );
  } catch (e) {
    // A conflict is final: nothing of ours landed. Other errors may hide a landed commit: keep files.
    if (isFloeError(e, "COMMIT_CONFLICT")) await cleanup(undefined);
    throw e;
  }
  await cleanup(result.committed ? result.table.metadata : undefined);
  return result;
}
