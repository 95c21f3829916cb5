import { describe, expect, it } from "vitest";
import { createLogger, REDACTED, redact, redactText } from "../src/log.js";

describe("log", () => {
  it("writes one JSON line per record with bindings and fields, bigint as text", () => {
    const lines: string[] = [];
    const log = createLogger({ write: (l) => lines.push(l), now: () => new Date(0) }).child({
      table: "db.t",
    });
    log.info("committed", { snapshotId: 9007199254740993n, attempt: 1 });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? "")).toEqual({
      time: "1970-01-01T00:00:00.000Z",
      level: "info",
      msg: "committed",
      table: "db.t",
      snapshotId: "9007199254740993",
      attempt: 1,
    });
  });

  it("drops records below the level", () => {
    const lines: string[] = [];
    const log = createLogger({ level: "warn", write: (l) => lines.push(l) });
    log.info("quiet");
    log.error("loud");
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(["loud"]);
  });

  it("never writes secrets, at any depth", () => {
    const out = redact({
      catalog: { uri: "http://x", token: "abc", headers: { Authorization: "Bearer abc" } },
      kafka: { sasl: { username: "u", password: "p" } },
      secretAccessKey: "s",
    });
    const text = JSON.stringify(out);
    expect(text).not.toMatch(/abc|"p"|"s"/);
    expect(out).toMatchObject({ catalog: { token: REDACTED, headers: { Authorization: REDACTED } } });
  });

  it("redacts secrets by their shape in any value: URL credentials, secret parameters, tokens", () => {
    const out = JSON.stringify(
      redact({
        catalog: { uri: "https://alice:hunter2@catalog.example.com/api?warehouse=w" },
        schemaRegistry: { url: "https://sr-key:sr-pass@registry.example.com,https://tok3n@r2.example.com" },
        endpoint: "http://10.0.0.1:9000/b/k?X-Amz-Credential=AKIAX%2Fus&X-Amz-Signature=deadbeef&part=1",
        jdbc: "jdbc:postgresql://db/x?user=floe&password=pa55;sslpassword=other",
        note: ["sasl.password = s3cr3t-v4l and more"],
        header: "Bearer abcdefghijklmnop",
        jwt: "got eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",
        error: new Error("fetch https://bob:pw-in-url@h.example.com failed"),
      }),
    );
    for (const secret of [
      "hunter2",
      "alice",
      "sr-pass",
      "sr-key",
      "tok3n",
      "deadbeef",
      "AKIAX",
      "pa55",
      "other",
      "s3cr3t-v4l",
      "abcdefghijklmnop",
      "eyJzdWIiOiJ4In0",
      "pw-in-url",
    ]) {
      expect(out).not.toContain(secret);
    }
    // What is not a secret stays readable.
    expect(out).toContain(`https://${REDACTED}@catalog.example.com/api?warehouse=w`);
    expect(out).toContain("part=1");
    expect(out).toContain("and more");
    expect(redactText("http://127.0.0.1:8181/v1/config?warehouse=w")).toBe(
      "http://127.0.0.1:8181/v1/config?warehouse=w",
    );
  });

  it("redacts URL credentials in log messages too", () => {
    const lines: string[] = [];
    createLogger({ write: (l) => lines.push(l) }).warn("cannot reach https://u:p4ssw0rd@x.example.com");
    expect(lines.join("")).not.toContain("p4ssw0rd");
  });
});
