// Floe's public API: named re-exports only.
export type { ErrorCode, ErrorContext, FloeErrorOptions } from "./errors.js";
export { ERROR_CODES, FloeError, isFloeError, toFloeError } from "./errors.js";
export type { LogFields, Logger, LogLevel } from "./log.js";
export { createLogger, silentLogger } from "./log.js";
