import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Namespace, TableIdentifier } from "../../../../src/catalog/index.js";
import { RestCatalog } from "../../../../src/catalog/rest/index.js";
import { parseJson, type Schema } from "../../../../src/iceberg/spec/index.js";
import { failure } from "../../../support/failure.js";
import { stackEnv, uniqueName } from "../../../support/stack.js";

const SCHEMA: Schema = {
  type: "struct",
  "schema-id": 0,
  fields: [
    { id: 1, name: "id", required: true, type: "long" },
    { id: 2, name: "event_time", required: false, type: "timestamptz" },
    { id: 3, name: "payload", required: false, type: "string" },
  ],
};

describe("RestCatalog against the Iceberg REST reference server", () => {
  let catalog: RestCatalog;
  let ns: Namespace;

  beforeAll(() => {
    const env = stackEnv();
    catalog = new RestCatalog({
      uri: env.FLOE_REST_URI,
      warehouse: env.FLOE_REST_WAREHOUSE,
      timeoutMs: 20_000,
    });
    ns = [uniqueName("rest_client")];
  });

  afterAll(async () => {
    // Best effort: leave no namespaces behind for the next run's listings.
    for (const t of await catalog.listTables(ns).catch(() => [])) await catalog.dropTable(t).catch(() => {});
    await catalog.dropNamespace([...ns, "child"]).catch(() => {});
    await catalog.dropNamespace(ns).catch(() => {});
  });

  it("reads /v1/config", async () => {
    const config = await catalog.config();
    expect(config.properties.warehouse).toBe(stackEnv().FLOE_REST_WAREHOUSE);
    expect(config.endpoints).toContain("POST /v1/{prefix}/namespaces/{namespace}/tables/{table}");
  });

  it("creates, lists, loads and drops namespaces, multi-level included", async () => {
    await catalog.createNamespace(ns, { owner: "floe" });
    expect(await catalog.namespaceExists(ns)).toBe(true);
    expect(await catalog.listNamespaces()).toContainEqual(ns);
    expect(await catalog.loadNamespaceProperties(ns)).toMatchObject({ owner: "floe" });
    const again = await failure(catalog.createNamespace(ns));
    expect(again.code).toBe("ALREADY_EXISTS");

    const child = [...ns, "child"];
    await catalog.createNamespace(child);
    expect(await catalog.listNamespaces(ns)).toEqual([child]);
    expect(await catalog.namespaceExists(child)).toBe(true);
    // a table under a two-level namespace: the path segment is `<ns>%1Fchild`
    const nested = { namespace: child, name: "nested table" };
    await catalog.createTable(child, { name: nested.name, schema: SCHEMA });
    expect(await catalog.listTables(child)).toEqual([nested]);
    expect((await catalog.loadTable(nested)).metadata.location).toContain("nested");
    await catalog.dropTable(nested, { purge: true });
    await catalog.dropNamespace(child);
    expect(await catalog.namespaceExists(child)).toBe(false);

    const missing = [uniqueName("missing")];
    expect(await catalog.namespaceExists(missing)).toBe(false);
    expect((await failure(catalog.loadNamespaceProperties(missing))).code).toBe("NOT_FOUND");
    expect((await failure(catalog.dropNamespace(missing))).code).toBe("NOT_FOUND");
  });

  it("creates a partitioned table, loads it and commits with requirements", async () => {
    const id: TableIdentifier = { namespace: ns, name: "events" };
    const created = await catalog.createTable(ns, {
      name: id.name,
      schema: SCHEMA,
      spec: {
        "spec-id": 0,
        fields: [{ "source-id": 2, "field-id": 1000, name: "event_day", transform: "day" }],
      },
      properties: { "floe.test": "yes" },
    });
    expect(created.metadataLocation).toMatch(/^s3:\/\/warehouse\/rest\/.+\.metadata\.json$/);
    expect(created.metadata["format-version"]).toBeGreaterThanOrEqual(2);
    const spec = created.metadata["partition-specs"].find(
      (s) => s["spec-id"] === created.metadata["default-spec-id"],
    );
    expect(spec?.fields).toMatchObject([{ name: "event_day", transform: "day", "source-id": 2 }]);
    expect((await failure(catalog.createTable(ns, { name: id.name, schema: SCHEMA }))).code).toBe(
      "ALREADY_EXISTS",
    );

    expect(await catalog.tableExists(id)).toBe(true);
    expect(await catalog.listTables(ns)).toContainEqual({ namespace: ns, name: "events" });
    const loaded = await catalog.loadTable(id);
    expect(loaded.metadataLocation).toBe(created.metadataLocation);
    expect(loaded.metadata["table-uuid"]).toBe(created.metadata["table-uuid"]);
    expect(loaded.metadata.properties["floe.test"]).toBe("yes");

    const uuid = loaded.metadata["table-uuid"] ?? "";
    const committed = await catalog.commitTable(
      id,
      [{ type: "assert-table-uuid", uuid }],
      [{ action: "set-properties", updates: { "floe.owner": "rest-test" } }],
    );
    expect(committed.metadata.properties["floe.owner"]).toBe("rest-test");
    expect(committed.metadataLocation).not.toBe(loaded.metadataLocation);
    expect((await catalog.loadTable(id)).metadataLocation).toBe(committed.metadataLocation);

    const wrongUuid = await failure(
      catalog.commitTable(
        id,
        [{ type: "assert-table-uuid", uuid: "00000000-0000-4000-8000-000000000000" }],
        [{ action: "set-properties", updates: { x: "y" } }],
      ),
    );
    expect(wrongUuid.code).toBe("COMMIT_CONFLICT");
  });

  it("adds snapshots with ids above 2^53 and rejects a stale ref as COMMIT_CONFLICT", async () => {
    const id: TableIdentifier = { namespace: ns, name: "snapshots" };
    const table = await catalog.createTable(ns, { name: id.name, schema: SCHEMA });
    const first = (1n << 62n) + 12345n;
    const second = first + 2n ** 40n + 7n;
    const snapshot = (snapshotId: bigint, parent: bigint | undefined, seq: bigint) => ({
      "snapshot-id": snapshotId,
      ...(parent === undefined ? {} : { "parent-snapshot-id": parent }),
      "sequence-number": seq,
      "timestamp-ms": Date.now(),
      "manifest-list": `${table.metadata.location}/metadata/snap-${snapshotId}-1-placeholder.avro`,
      summary: { operation: "append", "floe.offsets.g1": '{"topic":{"0":"1234"}}' },
      "schema-id": 0,
    });

    const c1 = await catalog.commitTable(
      id,
      [{ type: "assert-ref-snapshot-id", ref: "main", "snapshot-id": null }],
      [
        { action: "add-snapshot", snapshot: snapshot(first, undefined, 1n) },
        { action: "set-snapshot-ref", "ref-name": "main", "snapshot-id": first, type: "branch" },
      ],
    );
    expect(c1.metadata["current-snapshot-id"]).toBe(first);
    expect(c1.metadata.snapshots[0]?.summary["floe.offsets.g1"]).toBe('{"topic":{"0":"1234"}}');

    const c2 = await catalog.commitTable(
      id,
      [{ type: "assert-ref-snapshot-id", ref: "main", "snapshot-id": first }],
      [
        { action: "add-snapshot", snapshot: snapshot(second, first, 2n) },
        { action: "set-snapshot-ref", "ref-name": "main", "snapshot-id": second, type: "branch" },
      ],
    );
    expect(c2.metadata["current-snapshot-id"]).toBe(second);
    expect(c2.metadata.refs.main?.["snapshot-id"]).toBe(second);
    const reloaded = await catalog.loadTable(id);
    expect(reloaded.metadata.snapshots.map((s) => s["snapshot-id"])).toEqual([first, second]);
    expect(reloaded.metadata.snapshots[1]?.["parent-snapshot-id"]).toBe(first);

    // The server wrote the ids exactly (check the raw JSON, not just our parse of it).
    const raw = await fetch(
      `${stackEnv().FLOE_REST_URI}/v1/namespaces/${encodeURIComponent(ns[0] ?? "")}/tables/snapshots`,
    );
    const text = await raw.text();
    expect(text).toContain(`"current-snapshot-id":${second}`);
    expect(
      (parseJson(text) as { metadata: { "current-snapshot-id": bigint } }).metadata["current-snapshot-id"],
    ).toBe(second);

    // A writer whose base is the first snapshot lost the race.
    const stale = await failure(
      catalog.commitTable(
        id,
        [{ type: "assert-ref-snapshot-id", ref: "main", "snapshot-id": first }],
        [{ action: "set-properties", updates: { zombie: "true" } }],
      ),
    );
    expect(stale.code).toBe("COMMIT_CONFLICT");
    expect(stale.retryable).toBe(true);
    expect((await catalog.loadTable(id)).metadata.properties.zombie).toBeUndefined();
  });

  it("drops tables and reports missing ones", async () => {
    const id: TableIdentifier = { namespace: ns, name: "dropme" };
    await catalog.createTable(ns, { name: id.name, schema: SCHEMA });
    expect(await catalog.tableExists(id)).toBe(true);
    await catalog.dropTable(id);
    expect(await catalog.tableExists(id)).toBe(false);
    expect((await failure(catalog.loadTable(id))).code).toBe("NOT_FOUND");
    expect((await failure(catalog.dropTable(id))).code).toBe("NOT_FOUND");
    const commit = await failure(
      catalog.commitTable(id, [], [{ action: "set-properties", updates: { a: "b" } }]),
    );
    expect(commit.code).toBe("NOT_FOUND");
  });

  it("refuses to drop a namespace that still has tables", async () => {
    const err = await failure(catalog.dropNamespace(ns));
    expect(err.code).toBe("PRECONDITION_FAILED");
    expect(err.message).toContain("NamespaceNotEmptyException");
    expect(await catalog.namespaceExists(ns)).toBe(true);
  });
});
