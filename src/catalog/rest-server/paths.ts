/**
 * Request paths for the REST catalog server: split the raw path on '/' BEFORE percent-decoding (so an
 * encoded slash can never add a path level), refuse '.', '..' and empty segments, decode each parameter
 * segment once, split namespaces on the unit separator (%1F) and validate every level with checkName.
 * '+' decodes to a space in path parameters, as Java's RESTUtil (URLEncoder) encodes spaces.
 */
import { checkName, checkNamespace, type Namespace, type TableIdentifier } from "../catalog.js";
import { badRequest, RestError } from "./errors.js";

/** The namespace separator: unit separator 0x1F, `%1F` in a URL. */
export const NAMESPACE_SEPARATOR = "\u001f";

/** Longest request target accepted (path + query), in characters. */
export const MAX_TARGET_LENGTH = 8192;

export interface RequestTarget {
  /** Raw (still percent-encoded) path segments after the leading '/'. */
  segments: string[];
  query: URLSearchParams;
}

/** Splits `req.url` into raw path segments and query parameters; throws 400 on anything odd. */
export function parseTarget(url: string | undefined): RequestTarget {
  if (url === undefined || !url.startsWith("/")) throw badRequest("request target must be an absolute path");
  if (url.length > MAX_TARGET_LENGTH) {
    throw new RestError(
      414,
      "BadRequestException",
      `request target longer than ${MAX_TARGET_LENGTH} characters`,
    );
  }
  const q = url.indexOf("?");
  const path = q < 0 ? url : url.slice(0, q);
  const search = q < 0 ? "" : url.slice(q + 1);
  if (hasControlOrBackslash(path)) throw badRequest("control characters or '\\' in the request path");
  const segments = path.slice(1).split("/");
  for (const s of segments) {
    if (s === "") throw badRequest("empty segment in the request path");
    if (s === "." || s === "..") throw badRequest("'.' and '..' are not allowed in the request path");
  }
  return { segments, query: new URLSearchParams(search) };
}

function hasControlOrBackslash(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c === 0x5c) return true;
  }
  return false;
}

/** Decodes one raw path segment (percent-encoding, '+' as space). */
export function decodeSegment(raw: string): string {
  let text: string;
  try {
    text = decodeURIComponent(raw.replace(/\+/g, " "));
  } catch {
    throw badRequest("malformed percent-encoding in the request path");
  }
  return checkControls(text);
}

/** Refuses C0 controls (except the namespace separator), DEL and C1 controls in a decoded parameter. */
function checkControls(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x1f) || (c >= 0x7f && c <= 0x9f)) {
      throw badRequest("control characters in a namespace or table name");
    }
  }
  return text;
}

/** A namespace from its decoded text (`a\x1Fb`), validated level by level. */
export function parseNamespace(text: string): Namespace {
  return checkNamespace(checkControls(text).split(NAMESPACE_SEPARATOR));
}

/** The `{namespace}` path parameter. */
export function namespaceParam(raw: string): Namespace {
  return parseNamespace(decodeSegment(raw));
}

/** The `{table}` path parameter. */
export function tableParam(namespace: Namespace, raw: string): TableIdentifier {
  return { namespace, name: checkName("table", decodeSegment(raw)) };
}

/** `a\x1Fb`: how a namespace appears in paths and the `parent` query parameter (before URL encoding). */
export function joinNamespace(namespace: Namespace): string {
  return namespace.join(NAMESPACE_SEPARATOR);
}

/** `a.b.t` for logs. */
export function describeNamespace(namespace: Namespace): string {
  return namespace.join(".");
}
