/**
 * Iceberg metrics modes (table properties `write.metadata.metrics.default` and
 * `write.metadata.metrics.column.<name>`): what a data file records per column.
 * - none: nothing
 * - counts: value, null and NaN counts
 * - truncate(N): counts plus lower/upper bounds, strings and binary truncated to N (by the spec layer)
 * - full: counts plus untruncated bounds
 */
import { FloeError } from "../../errors.js";

export type MetricsMode =
  | { readonly kind: "none" }
  | { readonly kind: "counts" }
  | { readonly kind: "truncate"; readonly length: number }
  | { readonly kind: "full" };

export const METRICS_NONE: MetricsMode = Object.freeze({ kind: "none" });
export const METRICS_COUNTS: MetricsMode = Object.freeze({ kind: "counts" });
export const METRICS_FULL: MetricsMode = Object.freeze({ kind: "full" });

export function metricsTruncate(length: number): MetricsMode {
  if (!Number.isSafeInteger(length) || length <= 0) {
    throw new FloeError("INVALID_ARGUMENT", `truncate length must be a positive integer, got ${length}`);
  }
  return Object.freeze({ kind: "truncate", length });
}

/** Iceberg's default: `truncate(16)`. */
export const DEFAULT_METRICS_MODE: MetricsMode = metricsTruncate(16);

/** Parses Iceberg's property syntax: `none`, `counts`, `truncate(16)`, `full` (case-insensitive). */
export function parseMetricsMode(text: string): MetricsMode {
  const s = text.trim().toLowerCase();
  if (s === "none") return METRICS_NONE;
  if (s === "counts") return METRICS_COUNTS;
  if (s === "full") return METRICS_FULL;
  const m = /^truncate\((\d+)\)$/.exec(s);
  if (m) return metricsTruncate(Number(m[1]));
  throw new FloeError("INVALID_ARGUMENT", `unknown metrics mode "${text}" (none, counts, truncate(N), full)`);
}

/** The property form of a mode, e.g. `truncate(16)`. */
export function formatMetricsMode(mode: MetricsMode): string {
  return mode.kind === "truncate" ? `truncate(${mode.length})` : mode.kind;
}

/** True when the mode records lower/upper bounds. */
export function recordsBounds(mode: MetricsMode): boolean {
  return mode.kind === "truncate" || mode.kind === "full";
}
