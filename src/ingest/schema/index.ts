// Iceberg schemas for ingested records: inference from JSON, evolution of the table schema by field
// name, and conversion of decoded rows into the table's value representation.
// May import: errors, iceberg/spec (through its index.ts).

export { conformJson, conformJsonValues, conformRow, setOwn } from "./conform.js";
export { type ConvertMode, decimalFromText } from "./convert.js";
export { type EvolveResult, evolveSchema, typeName } from "./evolve.js";
export { fitsDirectly } from "./fits.js";
export { inferFields, inferJsonSchema, numberFields, shapeKey } from "./infer.js";
export { checkRecordNames, METADATA_COLUMN_PREFIX, recordNameError } from "./names.js";
export { checkNesting, MAX_NESTING } from "./nesting.js";
