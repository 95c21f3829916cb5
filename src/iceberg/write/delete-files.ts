/**
 * Delete files for row-level changes (format v2): position deletes (`file_path`, `pos` with the spec's
 * reserved field ids, sorted by path then position) and equality deletes (the table's columns named
 * by `equality_ids`). Both are written in the partition of the rows they delete.
 */
import { FloeError } from "../../errors.js";
import {
  type DataFile,
  findFieldById,
  isPrimitiveType,
  makeSchema,
  type NestedField,
  type PrimitiveValue,
  type Schema,
} from "../spec/index.js";
import { DataFileWriter, type DataFileWriterOptions, type Row } from "./data-file-writer.js";

/** Reserved field ids of position delete files (Iceberg spec, "Position Delete Files"). */
export const DELETE_FILE_PATH_ID = 2147483546;
export const DELETE_POS_ID = 2147483545;

export const POSITION_DELETE_SCHEMA: Schema = makeSchema([
  { id: DELETE_FILE_PATH_ID, name: "file_path", required: true, type: "string" },
  { id: DELETE_POS_ID, name: "pos", required: true, type: "long" },
]);

export type DeleteWriterOptions = Omit<DataFileWriterOptions, "content" | "fileSchema" | "equalityIds">;

export interface PositionDelete {
  path: string;
  /** 0-based row position in the data file. */
  pos: bigint;
}

/** Writes position deletes for data files of one partition; `referenced_data_file` is set when they all hit one file. */
export async function writePositionDeletes(
  opts: DeleteWriterOptions,
  deletes: readonly PositionDelete[],
  partition: (PrimitiveValue | null)[] = [],
): Promise<DataFile[]> {
  const sorted = [...deletes].sort((a, b) =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : a.pos < b.pos ? -1 : a.pos > b.pos ? 1 : 0,
  );
  const writer = new DataFileWriter({
    ...opts,
    content: 1,
    fileSchema: POSITION_DELETE_SCHEMA,
    properties: {},
  });
  const files = await writer.writeRowsIn(
    sorted.map((d) => ({ file_path: d.path, pos: d.pos })),
    partition,
  );
  const targets = new Set(sorted.map((d) => d.path));
  const [only] = targets;
  return targets.size === 1 && only !== undefined
    ? files.map((f) => ({ ...f, referenced_data_file: only }))
    : files;
}

/**
 * Writes equality deletes: every table row whose `equalityIds` columns equal one of `rows` is deleted
 * (for rows with a lower data sequence number). The ids must name top-level primitive columns.
 */
export async function writeEqualityDeletes(
  opts: DeleteWriterOptions,
  equalityIds: readonly number[],
  rows: readonly Row[],
  partition: (PrimitiveValue | null)[] = [],
): Promise<DataFile[]> {
  if (equalityIds.length === 0)
    throw new FloeError("INVALID_ARGUMENT", "equality deletes need at least one column");
  const fields: NestedField[] = equalityIds.map((id) => {
    const field = findFieldById(opts.schema, id);
    if (field === undefined || !isPrimitiveType(field.type) || !opts.schema.fields.includes(field)) {
      throw new FloeError(
        "INVALID_ARGUMENT",
        `equality delete column ${id} must be a top-level primitive column`,
        {
          context: { fieldId: id },
        },
      );
    }
    return field;
  });
  const writer = new DataFileWriter({
    ...opts,
    content: 2,
    fileSchema: makeSchema(fields),
    equalityIds: [...equalityIds],
  });
  return writer.writeRowsIn(rows, partition);
}
