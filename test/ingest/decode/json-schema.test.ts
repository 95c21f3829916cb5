import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  compileJsonSchema,
  createDecoder,
  type Decoder,
  SchemaRegistryClient,
  wireHeader,
} from "../../../src/ingest/decode/index.js";
import { failure } from "../../support/failure.js";
import { type FakeRegistry, startRegistry } from "./registry-server.js";

function framed(id: number, json: string): Uint8Array {
  return Buffer.concat([wireHeader(id), Buffer.from(json)]);
}

function input(value: Uint8Array) {
  return { topic: "events", partition: 1, offset: 5n, value, key: null };
}

const EVENT = {
  $schema: "http://json-schema.org/draft-07/schema#",
  title: "Event",
  type: "object",
  required: ["id", "at", "kind"],
  properties: {
    id: { type: "integer" },
    at: { type: "string", format: "date-time" },
    day: { type: ["string", "null"], format: "date" },
    uid: { type: "string", format: "uuid" },
    kind: { enum: ["a", "b"] },
    score: { type: "number", description: "how good" },
    small: { type: "integer", "connect.type": "int32" },
    ok: { type: "boolean" },
    tags: { type: "array", items: { type: "string" } },
    where: { $ref: "#/definitions/Place" },
    maybe: { oneOf: [{ type: "null" }, { $ref: "#/definitions/Place" }] },
    counts: { type: "object", additionalProperties: { type: "integer" } },
    extra: { type: "object" },
    blob: { type: "string", contentEncoding: "base64" },
  },
  definitions: {
    Place: {
      type: "object",
      required: ["city"],
      properties: { city: { type: "string" }, lat: { type: "number" } },
    },
  },
};

describe("JSON Schema -> Iceberg", () => {
  it("maps types, formats, required, nullability, $ref, maps and free-form values", () => {
    const { struct, wrapped } = compileJsonSchema(EVENT);
    expect(wrapped).toBe(false);
    const byName = Object.fromEntries(struct.fields.map((f) => [f.name, f]));
    expect(byName.id).toMatchObject({ required: true, type: "long" });
    expect(byName.at).toMatchObject({ required: true, type: "timestamptz" });
    expect(byName.day).toMatchObject({ required: false, type: "date" });
    expect(byName.uid).toMatchObject({ required: false, type: "uuid" });
    expect(byName.kind).toMatchObject({ required: true, type: "string" });
    expect(byName.score).toMatchObject({ type: "double", doc: "how good" });
    expect(byName.small?.type).toBe("int");
    expect(byName.ok?.type).toBe("boolean");
    expect(byName.tags?.type).toMatchObject({ type: "list", element: "string", "element-required": true });
    expect(byName.where?.type).toMatchObject({
      type: "struct",
      fields: [
        { name: "city", required: true, type: "string" },
        { name: "lat", required: false, type: "double" },
      ],
    });
    expect(byName.maybe).toMatchObject({ required: false, type: { type: "struct" } });
    expect(byName.counts?.type).toMatchObject({
      type: "map",
      key: "string",
      value: "long",
      "value-required": true,
    });
    expect(byName.extra?.type).toBe("string");
    expect(byName.blob?.type).toBe("binary");
  });

  it("rejects what Iceberg cannot hold, naming the path", () => {
    expect(() =>
      compileJsonSchema({ type: "object", properties: { a: { type: ["string", "integer"] } } }),
    ).toThrow(/field "a": a value of types string \| integer/);
    expect(() =>
      compileJsonSchema({
        type: "object",
        properties: { a: { anyOf: [{ type: "string" }, { type: "integer" }] } },
      }),
    ).toThrow(/field "a": anyOf with 2 non-null schemas/);
    expect(() =>
      compileJsonSchema({
        type: "object",
        properties: { n: { $ref: "#/definitions/N" } },
        definitions: { N: { type: "object", properties: { next: { $ref: "#/definitions/N" } } } },
      }),
    ).toThrow(/field "n\.next": recursive \$ref/);
    expect(() => compileJsonSchema({ type: "object", properties: { a: { $ref: "other.json" } } })).toThrow(
      /outside this schema/,
    );
  });

  it("wraps a non-object root as {value}", () => {
    expect(compileJsonSchema({ type: "integer" })).toEqual({
      struct: { type: "struct", fields: [{ id: 1, name: "value", required: true, type: "long" }] },
      wrapped: true,
    });
  });
});

describe("json-schema decoder", () => {
  let registry: FakeRegistry;
  let decoder: Decoder;

  beforeEach(async () => {
    registry = await startRegistry();
    registry.byId.set(9, { schemaType: "JSON", schema: JSON.stringify(EVENT) });
    decoder = createDecoder({
      format: "json-schema",
      registry: new SchemaRegistryClient({ url: registry.url }),
    });
  });
  afterEach(() => registry.close());

  it("decodes payloads into the registered schema's representation", async () => {
    const payload = JSON.stringify({
      id: 1,
      at: "2024-01-01T00:00:00.5Z",
      kind: "a",
      day: null,
      small: 3,
      where: { city: "Oslo" },
      counts: { x: 2 },
      extra: { anything: [true] },
      blob: "AQID",
      ignored: 1,
    }).replace('"id":1', '"id":9223372036854775807');
    const { row, schema } = await decoder.decode(input(framed(9, payload)));
    expect(row).toMatchObject({
      id: 9223372036854775807n,
      at: 1704067200500000n,
      day: null,
      kind: "a",
      small: 3,
      where: { city: "Oslo", lat: null },
      counts: new Map([["x", 2n]]),
      extra: '{"anything":[true]}',
      blob: Uint8Array.of(1, 2, 3),
      maybe: null,
    });
    expect(row).not.toHaveProperty("ignored");
    const again = await decoder.decode(
      input(framed(9, '{"id": 2, "at": "2024-01-01T00:00:00Z", "kind": "b"}')),
    );
    expect(again.schema).toBe(schema);
    expect(registry.requests).toEqual(["/schemas/ids/9"]);
  });

  it("fails with DECODE_FAILED naming the field for values that do not fit", async () => {
    const bad = await failure(decoder.decode(input(framed(9, '{"id": 1, "at": "yesterday", "kind": "a"}'))));
    expect(bad.code).toBe("DECODE_FAILED");
    expect(bad.message).toContain('field "at": cannot convert "yesterday" to timestamptz');
    const missing = await failure(decoder.decode(input(framed(9, '{"id": 1, "kind": "a"}'))));
    expect(missing.message).toContain('field "at" is required');
    const nan = await failure(decoder.decode(input(framed(9, '{"id": NaN}'))));
    expect(nan.message).toContain("invalid JSON");
    const utf8 = await failure(
      decoder.decode(input(Buffer.concat([wireHeader(9), Buffer.from([0x22, 0xff, 0x22])]))),
    );
    expect(utf8.message).toContain("not valid UTF-8");
  });

  it("refuses a schema id that is not JSON Schema", async () => {
    registry.byId.set(10, { schema: '"string"' });
    const e = await failure(decoder.decode(input(framed(10, "{}"))));
    expect(e.message).toContain("schema id 10 has schemaType AVRO, expected JSON");
  });
});
