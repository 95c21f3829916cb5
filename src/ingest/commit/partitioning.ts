/**
 * Partition specs from config text: `day(event_time)`, `bucket(16, device_id)`, `truncate(4, name)`,
 * `identity(x)` or just `x`, `year(ts)`, `month(ts)`, `hour(ts)`, `void(x)`. Nested sources use dots.
 */
import { FloeError } from "../../errors.js";
import {
  buildPartitionSpec,
  indexByName,
  type PartitionSpec,
  type Schema,
} from "../../iceberg/spec/index.js";

const FORM =
  /^\s*(?:(identity|year|month|day|hour|void)\(\s*([^,()\s]+)\s*\)|(bucket|truncate)\(\s*(\d+)\s*,\s*([^,()\s]+)\s*\)|([^,()\s]+))\s*$/;

export function parsePartitionBy(
  schema: Schema,
  items: readonly string[],
  where = "partitionBy",
): PartitionSpec {
  const byName = indexByName(schema);
  const fields = items.map((text, i) => {
    const m = FORM.exec(text);
    if (m === null) {
      throw new FloeError(
        "CONFIG_INVALID",
        `${where}.${i}: cannot parse '${text}' (e.g. day(ts), bucket(16, id), name)`,
        {
          context: { key: `${where}.${i}` },
        },
      );
    }
    const source = m[2] ?? m[5] ?? m[6] ?? "";
    const transform = m[1] ?? (m[3] ? `${m[3]}[${m[4]}]` : "identity");
    const id = byName.get(source);
    if (id === undefined) {
      throw new FloeError("CONFIG_INVALID", `${where}.${i}: no column named '${source}' in the table`, {
        context: { key: `${where}.${i}` },
      });
    }
    return { source: id, transform };
  });
  return buildPartitionSpec(schema, fields);
}
