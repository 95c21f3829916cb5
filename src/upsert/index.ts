// Upsert tables: key hashing, the key index (key -> data file and row position of the key's live row),
// its checkpoints and its catch-up from the table (other writers, compaction, restarts).
// May import: errors, log, config, iceberg/*, catalog, compaction. Never ingest.

export {
  type CatchUpResult,
  catchUp,
  type LoadResult,
  loadKeyIndex,
  rebuild,
} from "./catch-up.js";
export { readCheckpoint, writeCheckpoint } from "./checkpoint.js";
export { checkKeyColumns, hashCanonical, KEY_HASH_VERSION, keyHashes, keyVectors } from "./key-hash.js";
export { type IndexedFile, KeyIndex, type KeyIndexOptions, type RowLocation } from "./key-index.js";
