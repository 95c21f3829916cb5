import { describe, expect, it } from "vitest";
import { isFloeError } from "../../../src/errors.js";
import { applyUpdates } from "../../../src/iceberg/spec/apply-updates.js";
import { newTableMetadata } from "../../../src/iceberg/spec/new-table.js";
import { makeSchema, type Schema } from "../../../src/iceberg/spec/schema.js";
import type { TableMetadata } from "../../../src/iceberg/spec/table-metadata.js";
import type { NestedField } from "../../../src/iceberg/spec/types.js";
import type { TableUpdate } from "../../../src/iceberg/spec/updates.js";
import { metadataProblems, schemaChangeProblem } from "../../../src/iceberg/spec/validate-metadata.js";

// Issue 13, finding 5: metadata that readers cannot use was accepted and written (add-schema with
// duplicate names, a field changed long -> string, a new required column without a default,
// set-statistics for a snapshot that does not exist). Each is refused by applyUpdates, which every
// catalog's commit and the REST endpoint go through.

const NOW = 1_700_000_100_000;
const FIELDS: NestedField[] = [
  { id: 1, name: "id", required: true, type: "long" },
  { id: 2, name: "data", required: false, type: "string" },
  { id: 3, name: "n", required: false, type: "int" },
];
const base = newTableMetadata({
  location: "s3://b/t",
  uuid: "5b1b5bd1-6a8b-4f5f-9a54-2b1c0e3a7d10",
  schema: makeSchema(FIELDS),
  nowMs: 1_700_000_000_000,
});

function addSchema(md: TableMetadata, fields: NestedField[], v3 = false): TableMetadata {
  const updates: TableUpdate[] = [
    ...(v3 ? [{ action: "upgrade-format-version" as const, "format-version": 3 }] : []),
    { action: "add-schema", schema: makeSchema(fields, 1) },
    { action: "set-current-schema", "schema-id": -1 },
  ];
  return applyUpdates(md, updates, { nowMs: NOW });
}

function refused(fn: () => unknown, re: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(isFloeError(e, "INVALID_ARGUMENT"), String(e)).toBe(true);
    expect((e as Error).message).toMatch(re);
    return;
  }
  expect.unreachable(`accepted; expected ${re}`);
}

describe("applyUpdates refuses metadata readers cannot use (issue 13, finding 5)", () => {
  it("add-schema with duplicate names", () => {
    refused(
      () => addSchema(base, [...FIELDS, { id: 4, name: "data", required: false, type: "long" }]),
      /duplicate field name "data" in the schema/,
    );
  });

  it("add-schema with an empty or control-character name", () => {
    refused(
      () => addSchema(base, [...FIELDS, { id: 4, name: "", required: false, type: "long" }]),
      /is empty/,
    );
    refused(
      () => addSchema(base, [...FIELDS, { id: 4, name: "a\u0001", required: false, type: "long" }]),
      /control character U\+0001/,
    );
  });

  it("a field changed long -> string (and other non-promotions)", () => {
    const changed = FIELDS.map((f) => (f.id === 1 ? { ...f, type: "string" as const } : f));
    refused(() => addSchema(base, changed), /cannot change field id \(id 1\) from long to string/);
    const struct = FIELDS.map((f) =>
      f.id === 2 ? { ...f, type: { type: "struct" as const, fields: [] } } : f,
    );
    refused(() => addSchema(base, struct), /a string cannot become a struct|from string to struct/);
    const narrowed = FIELDS.map((f) => (f.id === 3 ? { ...f, type: "long" as const } : f));
    const widened = addSchema(base, narrowed);
    // int -> long was fine; back to int is not (data files now hold longs).
    const extra: NestedField = { id: 4, name: "e", required: false, type: "long" };
    refused(() => addSchema(widened, [...FIELDS, extra]), /from long to int/);
  });

  it("a new required column without a default (v2: never; v3: only with initial-default)", () => {
    const required: NestedField = { id: 4, name: "must", required: true, type: "long" };
    refused(
      () => addSchema(base, [...FIELDS, required]),
      /cannot add required field must \(id 4\): format v2/,
    );
    refused(() => addSchema(base, [...FIELDS, required], true), /without an initial-default/);
    const v3 = addSchema(base, [...FIELDS, { ...required, "initial-default": 0 }], true);
    expect(v3.schemas.at(-1)?.fields.at(-1)?.name).toBe("must");
    // A required field inside a new optional struct is fine: old rows have no struct at all.
    const nested = addSchema(base, [
      ...FIELDS,
      {
        id: 4,
        name: "s",
        required: false,
        type: { type: "struct", fields: [{ id: 5, name: "x", required: true, type: "int" }] },
      },
    ]);
    expect(nested["current-schema-id"]).toBe(1);
    // Optional -> required is refused; required -> optional is fine.
    refused(
      () =>
        addSchema(
          base,
          FIELDS.map((f) => (f.id === 2 ? { ...f, required: true } : f)),
        ),
      /cannot make optional field data \(id 2\) required/,
    );
    const relaxed = addSchema(
      base,
      FIELDS.map((f) => (f.id === 1 ? { ...f, required: false } : f)),
    );
    expect(relaxed.schemas.at(-1)?.fields[0]?.required).toBe(false);
  });

  it("set-statistics for a snapshot that does not exist", () => {
    refused(
      () =>
        applyUpdates(
          base,
          [
            {
              action: "set-statistics",
              statistics: { "snapshot-id": 42n, "statistics-path": "s3://b/t/s.puffin" },
            },
          ],
          { nowMs: NOW },
        ),
      /snapshot 42 does not exist/,
    );
  });

  it("a partition spec that breaks the metadata (duplicate names) is refused by the final check", () => {
    refused(
      () =>
        applyUpdates(
          base,
          [
            {
              action: "add-spec",
              spec: {
                "spec-id": 1,
                fields: [
                  { "source-id": 1, "field-id": 1000, name: "p", transform: "identity" },
                  { "source-id": 2, "field-id": 1001, name: "p", transform: "identity" },
                ],
              },
            },
          ],
          { nowMs: NOW },
        ),
      /duplicate partition field name "p"/,
    );
  });

  it("problems a table already had do not block its commits", () => {
    const broken: TableMetadata = {
      ...base,
      statistics: [{ "snapshot-id": 7n, "statistics-path": "s3://b/t/old.puffin" }],
    };
    expect(metadataProblems(broken)).toEqual(["statistics for snapshot 7, which does not exist"]);
    const next = applyUpdates(broken, [{ action: "set-properties", updates: { a: "1" } }], { nowMs: NOW });
    expect(next.properties.a).toBe("1");
  });

  it("schemaChangeProblem allows the promotions Iceberg allows", () => {
    const schema = (type: NestedField["type"]): Schema =>
      makeSchema(FIELDS.map((f) => (f.id === 3 ? { ...f, type } : f)));
    expect(schemaChangeProblem(base, schema("long"))).toBeUndefined();
    expect(schemaChangeProblem(base, schema("string"))).toMatch(/not an allowed type promotion/);
    const dec = newTableMetadata({
      location: "s3://b/d",
      uuid: "5b1b5bd1-6a8b-4f5f-9a54-2b1c0e3a7d11",
      schema: makeSchema([{ id: 1, name: "d", required: false, type: "decimal(9, 2)" }]),
      nowMs: NOW,
    });
    const to = (type: NestedField["type"]) => makeSchema([{ id: 1, name: "d", required: false, type }]);
    expect(schemaChangeProblem(dec, to("decimal(18, 2)"))).toBeUndefined();
    expect(schemaChangeProblem(dec, to("decimal(8, 2)"))).toMatch(/not an allowed/);
    expect(schemaChangeProblem(dec, to("decimal(18, 3)"))).toMatch(/not an allowed/);
  });
});

describe("newTableMetadata", () => {
  it("refuses a schema with an empty column name", () => {
    refused(
      () =>
        newTableMetadata({
          location: "s3://b/x",
          uuid: "5b1b5bd1-6a8b-4f5f-9a54-2b1c0e3a7d12",
          schema: makeSchema([{ id: 1, name: "", required: false, type: "long" }]),
          nowMs: NOW,
        }),
      /field name "" is empty/,
    );
  });
});
