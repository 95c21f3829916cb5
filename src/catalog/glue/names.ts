/** Glue naming: a namespace is one database; Glue folds names to lower case, so we refuse others. */
import type { Database } from "@aws-sdk/client-glue";
import { FloeError } from "../../errors.js";
import { checkName, type Namespace } from "../catalog.js";

/** The Glue database for a namespace: exactly one level. */
export function database(namespace: Namespace): string {
  if (namespace.length !== 1 || namespace[0] === undefined) {
    throw new FloeError(
      "INVALID_ARGUMENT",
      `Glue namespaces have exactly one level (a database), got ${namespace.length}: ${JSON.stringify(namespace.join("."))}`,
      { context: { namespace: namespace.join(".") } },
    );
  }
  return glueName("namespace", namespace[0]);
}

/** Glue folds names to lower case when it stores them; we refuse names it would change. */
export function glueName(kind: "namespace" | "table", name: string): string {
  checkName(kind, name);
  if (name !== name.toLowerCase()) {
    throw new FloeError(
      "INVALID_ARGUMENT",
      `invalid ${kind} name ${JSON.stringify(name)}: Glue stores names in lower case, use ${JSON.stringify(name.toLowerCase())}`,
      { context: { [kind]: name } },
    );
  }
  return name;
}

/** `<database LocationUri>/<table>`, else `<warehouse>/<db>.db/<table>` (the Hive layout Java and PyIceberg use). */
export function defaultTableLocation(db: Database, table: string, warehouse: string | undefined): string {
  if (db.LocationUri) return `${db.LocationUri.replace(/\/+$/, "")}/${table}`;
  if (warehouse) return `${warehouse.replace(/\/+$/, "")}/${db.Name}.db/${table}`;
  throw new FloeError(
    "INVALID_ARGUMENT",
    `no location for table ${db.Name}.${table}: the Glue database has no LocationUri and no warehouse is configured`,
    { context: { namespace: db.Name, table } },
  );
}
