import { describe, expect, it } from "vitest";
import { createLogger, REDACTED, redact } from "../src/log.js";

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
});
