import { describe, expect, it } from "vitest";
import * as applyUpdates from "../../../src/iceberg/spec/apply-updates.js";
import * as bytes from "../../../src/iceberg/spec/bytes.js";
import * as spec from "../../../src/iceberg/spec/index.js";
import * as json from "../../../src/iceberg/spec/json.js";
import * as manifest from "../../../src/iceberg/spec/manifest.js";
import * as murmur3 from "../../../src/iceberg/spec/murmur3.js";
import * as nameMapping from "../../../src/iceberg/spec/name-mapping.js";
import * as names from "../../../src/iceberg/spec/names.js";
import * as newTable from "../../../src/iceberg/spec/new-table.js";
import * as partition from "../../../src/iceberg/spec/partition.js";
import * as properties from "../../../src/iceberg/spec/properties.js";
import * as schema from "../../../src/iceberg/spec/schema.js";
import * as singleValue from "../../../src/iceberg/spec/single-value.js";
import * as snapshot from "../../../src/iceberg/spec/snapshot.js";
import * as sortOrder from "../../../src/iceberg/spec/sort-order.js";
import * as tableMetadata from "../../../src/iceberg/spec/table-metadata.js";
import * as transforms from "../../../src/iceberg/spec/transforms.js";
import * as types from "../../../src/iceberg/spec/types.js";
import * as updates from "../../../src/iceberg/spec/updates.js";
import * as validateMetadata from "../../../src/iceberg/spec/validate-metadata.js";
import * as values from "../../../src/iceberg/spec/values.js";

const modules = {
  applyUpdates,
  bytes,
  json,
  manifest,
  murmur3,
  nameMapping,
  names,
  newTable,
  partition,
  properties,
  schema,
  singleValue,
  snapshot,
  sortOrder,
  tableMetadata,
  transforms,
  types,
  updates,
  validateMetadata,
  values,
};

describe("iceberg/spec index", () => {
  it.each(Object.entries(modules))("re-exports everything from %s", (_name, mod) => {
    for (const [key, value] of Object.entries(mod)) {
      expect(spec, key).toHaveProperty(key);
      expect((spec as Record<string, unknown>)[key], key).toBe(value);
    }
  });

  it("exports nothing that no module defines", () => {
    const defined = new Set(Object.values(modules).flatMap((m) => Object.keys(m)));
    expect(Object.keys(spec).filter((k) => !defined.has(k))).toEqual([]);
  });
});
