/**
 * Packages loaded on first use rather than at start: the AWS SDK clients and parquet-wasm each add
 * 15-25 MB to a process that imports them, and most processes need none of them (a sink on a local
 * warehouse with the embedded catalog encodes Parquet on its worker thread). Loaded through `require`
 * (their CommonJS builds), so callers stay synchronous.
 */
import { createRequire } from "node:module";

const load = createRequire(import.meta.url);

/** A getter that requires `name` the first time it is called. */
export function lazyModule<T>(name: string): () => T {
  let mod: T | undefined;
  return () => {
    mod ??= load(name) as T;
    return mod;
  };
}
