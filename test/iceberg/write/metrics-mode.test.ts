import { describe, expect, it } from "vitest";
import {
  DEFAULT_METRICS_MODE,
  formatMetricsMode,
  METRICS_COUNTS,
  METRICS_FULL,
  METRICS_NONE,
  metricsTruncate,
  parseMetricsMode,
  recordsBounds,
} from "../../../src/iceberg/write/metrics-mode.js";

describe("metrics modes", () => {
  it("parses and formats Iceberg's property syntax", () => {
    expect(parseMetricsMode("none")).toEqual(METRICS_NONE);
    expect(parseMetricsMode(" Counts ")).toEqual(METRICS_COUNTS);
    expect(parseMetricsMode("FULL")).toEqual(METRICS_FULL);
    expect(parseMetricsMode("truncate(8)")).toEqual({ kind: "truncate", length: 8 });
    for (const s of ["none", "counts", "full", "truncate(16)"])
      expect(formatMetricsMode(parseMetricsMode(s))).toBe(s);
    expect(formatMetricsMode(DEFAULT_METRICS_MODE)).toBe("truncate(16)");
  });

  it("rejects unknown modes and non-positive lengths", () => {
    expect(() => parseMetricsMode("truncate(0)")).toThrow(/positive integer/);
    expect(() => parseMetricsMode("truncate(x)")).toThrow(/unknown metrics mode/);
    expect(() => parseMetricsMode("some")).toThrow(/unknown metrics mode "some"/);
    expect(() => metricsTruncate(1.5)).toThrow(/positive integer/);
  });

  it("says which modes keep bounds", () => {
    expect([METRICS_NONE, METRICS_COUNTS, metricsTruncate(4), METRICS_FULL].map(recordsBounds)).toEqual([
      false,
      false,
      true,
      true,
    ]);
  });
});
