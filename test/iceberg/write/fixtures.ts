// Shared fixtures: one schema touching every write type and nesting kind, with hand-checked rows.
import type * as arrow from "apache-arrow";
import { buildTable } from "../../../src/iceberg/write/arrow-table.js";
import type { WriteField } from "../../../src/iceberg/write/arrow-types.js";

export const NESTED_FIELDS: WriteField[] = [
  { id: 1, name: "id", required: true, type: { kind: "long" } },
  { id: 2, name: "name", required: false, type: { kind: "string" } },
  {
    id: 3,
    name: "tags",
    required: false,
    type: { kind: "list", elementId: 4, elementRequired: false, element: { kind: "string" } },
  },
  {
    id: 5,
    name: "attrs",
    required: false,
    type: {
      kind: "map",
      keyId: 6,
      key: { kind: "string" },
      valueId: 7,
      valueRequired: false,
      value: { kind: "double" },
    },
  },
  {
    id: 8,
    name: "payload",
    required: false,
    type: {
      kind: "struct",
      fields: [
        { id: 9, name: "a", required: true, type: { kind: "int" } },
        { id: 10, name: "b", required: false, type: { kind: "string" } },
        {
          id: 11,
          name: "inner",
          required: false,
          type: {
            kind: "struct",
            fields: [
              { id: 12, name: "x", required: false, type: { kind: "decimal", precision: 9, scale: 2 } },
            ],
          },
        },
        {
          id: 13,
          name: "nums",
          required: false,
          type: { kind: "list", elementId: 14, elementRequired: true, element: { kind: "long" } },
        },
      ],
    },
  },
  { id: 15, name: "ts", required: false, type: { kind: "timestamptz" } },
  { id: 16, name: "tsn", required: false, type: { kind: "timestamp" } },
  { id: 17, name: "d", required: false, type: { kind: "date" } },
  { id: 18, name: "t", required: false, type: { kind: "time" } },
  { id: 19, name: "dec9", required: false, type: { kind: "decimal", precision: 9, scale: 2 } },
  { id: 20, name: "dec18", required: false, type: { kind: "decimal", precision: 18, scale: 4 } },
  { id: 21, name: "dec38", required: false, type: { kind: "decimal", precision: 38, scale: 10 } },
  { id: 22, name: "u", required: false, type: { kind: "uuid" } },
  { id: 23, name: "f", required: false, type: { kind: "fixed", length: 4 } },
  { id: 24, name: "bin", required: false, type: { kind: "binary" } },
  { id: 25, name: "flag", required: false, type: { kind: "boolean" } },
  { id: 26, name: "fl", required: false, type: { kind: "float" } },
  { id: 27, name: "db", required: false, type: { kind: "double" } },
  {
    id: 28,
    name: "events",
    required: false,
    type: {
      kind: "list",
      elementId: 29,
      elementRequired: false,
      element: {
        kind: "struct",
        fields: [
          { id: 30, name: "kind", required: true, type: { kind: "string" } },
          { id: 31, name: "at", required: false, type: { kind: "timestamptz" } },
        ],
      },
    },
  },
];

/** Parquet schema elements in depth-first order as [name, field id]; null for the root and repeated groups. */
export const NESTED_PARQUET_IDS: [string, number | null][] = [
  ["arrow_schema", null],
  ["id", 1],
  ["name", 2],
  ["tags", 3],
  ["list", null],
  ["element", 4],
  ["attrs", 5],
  ["entries", null],
  ["key", 6],
  ["value", 7],
  ["payload", 8],
  ["a", 9],
  ["b", 10],
  ["inner", 11],
  ["x", 12],
  ["nums", 13],
  ["list", null],
  ["element", 14],
  ["ts", 15],
  ["tsn", 16],
  ["d", 17],
  ["t", 18],
  ["dec9", 19],
  ["dec18", 20],
  ["dec38", 21],
  ["u", 22],
  ["f", 23],
  ["bin", 24],
  ["flag", 25],
  ["fl", 26],
  ["db", 27],
  ["events", 28],
  ["list", null],
  ["element", 29],
  ["kind", 30],
  ["at", 31],
];

export const UUID_A = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
// 2024-03-01T12:34:56.789012Z in micros
export const TS_MICROS = 1_709_296_496_789_012n;

export const NESTED_ROWS = {
  id: [1n, 2n, 9_007_199_254_740_993n],
  name: ["alpha", null, "ünïcødé ✓"],
  tags: [["x", null, "y"], [], null],
  attrs: [new Map([["k1", 1.5]]), { k2: null }, null],
  payload: [
    { a: 7, b: "in", inner: { x: 12345n }, nums: [1n, 2n] },
    null,
    { a: -1, b: null, inner: null, nums: null },
  ],
  ts: [TS_MICROS, null, -1n],
  tsn: [TS_MICROS, 0n, null],
  d: [19_783, null, -1],
  t: [45_296_000_001n, null, 0n],
  dec9: [-12_345n, 9_999_999n, null],
  dec18: [123_456_789_012_345_678n, -1n, null],
  dec38: [-(10n ** 37n) - 5n, 10n ** 30n, null],
  u: [UUID_A, null, new Uint8Array(16).fill(0xff)],
  f: [new Uint8Array([1, 2, 3, 4]), null, new Uint8Array([255, 0, 0, 0])],
  bin: [new Uint8Array([0, 1]), new Uint8Array([]), null],
  flag: [true, false, null],
  fl: [1.25, Number.NaN, null],
  db: [-0, 2.5, Number.NaN],
  events: [[{ kind: "open", at: TS_MICROS }, null], null, [{ kind: "close", at: null }]],
};

export function nestedTable(): arrow.Table {
  return buildTable({ fields: NESTED_FIELDS, columns: NESTED_ROWS });
}
