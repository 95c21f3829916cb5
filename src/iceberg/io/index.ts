// FileIO port {read, write(ifNoneMatch), delete, list} and its local, S3 and in-memory implementations.
// May import: errors, log, iceberg/spec.

export type { FileInfo, FileIO, WriteOptions, WriteStream } from "./file-io.js";
export { concatBytes, deleteFiles, listAll, openWriteStream, readFileRange, schemeOf } from "./file-io.js";
export { lazyModule } from "./lazy-module.js";
export { LocalFileIO, type LocalFileIOOptions, localPathOf } from "./local.js";
export { MemoryFileIO, type MemoryFileIOOptions } from "./memory.js";
export { backoffDelayMs, DEFAULT_RETRY_POLICY, type RetryPolicy, withRetry } from "./retry.js";
export {
  type FileIOOptions,
  RoutingFileIO,
  resolveFileIO,
  type StorageKind,
  storageKindOf,
} from "./router.js";
export {
  DEFAULT_MULTIPART_THRESHOLD_BYTES,
  DEFAULT_PART_SIZE_BYTES,
  type S3Credentials,
  S3FileIO,
  type S3FileIOOptions,
} from "./s3.js";
export { classifyS3Error } from "./s3-errors.js";
export { formatS3Uri, parseS3Uri, type S3Location } from "./s3-uri.js";
