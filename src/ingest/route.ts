/**
 * Routing: which table a record goes to. A route names its topics (a list or one regex) and a table
 * template: `db.events`, `db.{topic}` (topic name, with characters outside [A-Za-z0-9_] turned into
 * `_`), or `db.{field}` with `tableField` (the record's top-level field value).
 */

import { parseIdentifier, type TableIdentifier } from "../catalog/index.js";
import type { TableRouteConfig } from "../config.js";
import { FloeError } from "../errors.js";

export interface Route {
  readonly index: number;
  readonly config: TableRouteConfig;
  matches(topic: string): boolean;
  /** The table for a record of `topic` whose decoded row is `row`. */
  tableFor(topic: string, row: Record<string, unknown>): TableIdentifier;
}

const sanitize = (s: string) => s.replace(/[^A-Za-z0-9_]/g, "_");

export function buildRoutes(configs: readonly TableRouteConfig[]): Route[] {
  return configs.map((config, index) => {
    let pattern: RegExp | undefined;
    if (config.topicPattern !== undefined) {
      try {
        pattern = new RegExp(config.topicPattern);
      } catch (e) {
        throw new FloeError("CONFIG_INVALID", `tables.${index}.topicPattern: ${(e as Error).message}`, {
          context: { key: `tables.${index}.topicPattern` },
        });
      }
    }
    if (config.table.includes("{field}") && config.tableField === undefined) {
      throw new FloeError("CONFIG_INVALID", `tables.${index}.table uses {field} but tableField is not set`, {
        context: { key: `tables.${index}.tableField` },
      });
    }
    const topics = new Set(config.topics ?? []);
    return {
      index,
      config,
      matches: (topic) => (pattern ? pattern.test(topic) : topics.has(topic)),
      tableFor(topic, row) {
        let name = config.table.replaceAll("{topic}", sanitize(topic));
        if (config.tableField !== undefined) {
          const v = row[config.tableField];
          if (
            v === null ||
            v === undefined ||
            (typeof v !== "string" && typeof v !== "number" && typeof v !== "bigint")
          ) {
            throw new FloeError(
              "DECODE_FAILED",
              `routing field '${config.tableField}' is missing or not a string/number`,
              {
                context: { field: config.tableField },
              },
            );
          }
          name = name.replaceAll("{field}", sanitize(String(v)).toLowerCase());
        }
        return parseIdentifier(name);
      },
    };
  });
}

/** The first route whose topics include `topic`. */
export function routeFor(routes: readonly Route[], topic: string): Route | undefined {
  return routes.find((r) => r.matches(topic));
}
