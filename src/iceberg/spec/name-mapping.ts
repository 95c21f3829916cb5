/**
 * Column name mapping (table property `schema.name-mapping.default`): how readers give Iceberg field
 * ids to the columns of data files written without them, as in tables migrated from Hive or Spark
 * (`migrate`, `snapshot`, `add_files`). A list of `{field-id, names, fields}`; nested fields of a
 * struct, list (`element`) or map (`key`, `value`) sit in `fields`.
 */
import { z } from "zod";
import { FloeError } from "../../errors.js";
import { NAME_MAPPING_DEFAULT } from "./properties.js";

export interface MappedField {
  "field-id"?: number | undefined;
  names: string[];
  fields?: MappedField[] | undefined;
}

export type NameMapping = MappedField[];

const MappedFieldSchema: z.ZodType<MappedField> = z.lazy(() =>
  z.object({
    "field-id": z.number().int().nonnegative().optional(),
    names: z.array(z.string()),
    fields: z.array(MappedFieldSchema).optional(),
  }),
);

export const NAME_MAPPING_PROPERTY = NAME_MAPPING_DEFAULT;

/** Parses a name mapping's JSON; throws INVALID_ARGUMENT naming what is wrong. */
export function parseNameMapping(json: string): NameMapping {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (cause) {
    throw new FloeError("INVALID_ARGUMENT", `${NAME_MAPPING_PROPERTY} is not JSON`, { cause });
  }
  const parsed = z.array(MappedFieldSchema).safeParse(raw);
  if (!parsed.success) {
    throw new FloeError("INVALID_ARGUMENT", `${NAME_MAPPING_PROPERTY} is invalid: ${parsed.error.message}`);
  }
  return parsed.data;
}

/** The table's default name mapping, or undefined when it has none. */
export function nameMappingOf(properties: Readonly<Record<string, string>>): NameMapping | undefined {
  const json = properties[NAME_MAPPING_PROPERTY];
  return json === undefined ? undefined : parseNameMapping(json);
}

/** The mapped field with this name among `fields`, or undefined. */
export function mappedField(
  fields: readonly MappedField[] | undefined,
  name: string,
): MappedField | undefined {
  return fields?.find((f) => f.names.includes(name));
}
