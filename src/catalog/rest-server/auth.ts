/**
 * Optional bearer-token auth for the REST catalog server: one static token, compared in constant time
 * (both sides hashed to SHA-256 first, so neither the length nor a common prefix leaks through timing).
 * The token is never logged and never echoed back.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { FloeError } from "../../errors.js";
import { RestError } from "./errors.js";

const REALM = 'Bearer realm="floe"';

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** Validates a configured token: 16-4096 visible ASCII characters (RFC 6750 token68 plus a few). */
export function checkToken(token: string): string {
  if (!/^[\x21-\x7e]{16,4096}$/.test(token)) {
    throw new FloeError(
      "CONFIG_INVALID",
      "the REST catalog server token must be 16 to 4096 visible ASCII characters (no spaces)",
    );
  }
  return token;
}

/** Returns a check for the Authorization header; throws RestError 401 unless it carries `token`. */
export function bearerAuth(token: string): (authorization: string | undefined) => void {
  const expected = digest(checkToken(token));
  return (authorization) => {
    const m = authorization === undefined ? null : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    if (m?.[1] === undefined) {
      throw new RestError(401, "NotAuthorizedException", "a bearer token is required", {
        "WWW-Authenticate": REALM,
      });
    }
    if (!timingSafeEqual(digest(m[1]), expected)) {
      throw new RestError(401, "NotAuthorizedException", "the bearer token is not valid", {
        "WWW-Authenticate": `${REALM}, error="invalid_token"`,
      });
    }
  };
}
