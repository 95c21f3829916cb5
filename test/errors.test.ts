import { describe, expect, it } from "vitest";
import { FloeError, isFloeError, toFloeError } from "../src/errors.js";

describe("errors", () => {
  it("carries a code, context and a retryable default per code", () => {
    const conflict = new FloeError("COMMIT_CONFLICT", "base moved", { context: { table: "db.t" } });
    expect(conflict.retryable).toBe(true);
    expect(conflict.context.table).toBe("db.t");
    expect(new FloeError("CONFIG_INVALID", "x").retryable).toBe(false);
    expect(new FloeError("IO_ERROR", "x", { retryable: true }).retryable).toBe(true);
    expect(isFloeError(conflict, "COMMIT_CONFLICT")).toBe(true);
    expect(isFloeError(conflict, "NOT_FOUND")).toBe(false);
  });

  it("wraps foreign errors and keeps the cause", () => {
    const cause = new Error("boom");
    const wrapped = toFloeError(cause, "IO_ERROR");
    expect(wrapped.code).toBe("IO_ERROR");
    expect(wrapped.message).toBe("boom");
    expect(wrapped.cause).toBe(cause);
    expect(toFloeError(wrapped)).toBe(wrapped);
  });
});
