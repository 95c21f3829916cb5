/**
 * Kafka connection security from `kafka.ssl` and `kafka.sasl`: node:tls options (private CA, client
 * certificate, passphrase, server name) and the kafkajs SASL settings for PLAIN, SCRAM-SHA-256/512,
 * OAUTHBEARER (static token or OAuth2 client credentials) and AWS MSK IAM (OAUTHBEARER with a signed
 * token). `explainKafkaError` turns the client's authentication and TLS failures into errors that say
 * which setting to look at, without any secret.
 */
import type { SASLOptions } from "kafkajs";
import type { Config } from "../../config.js";
import { FloeError, isFloeError } from "../../errors.js";
import type { Logger } from "../../log.js";
import { loadTls, type TlsOptions } from "../../tls.js";
import {
  type BearerToken,
  clientCredentialsToken,
  mskIamToken,
  RefreshingToken,
  staticToken,
} from "./bearer-token.js";

type KafkaConfig = Config["kafka"];

export interface KafkaSecurity {
  ssl: boolean | TlsOptions;
  sasl?: SASLOptions;
}

export interface KafkaSecurityDeps {
  /** For the OAuth2 token endpoint (tests). */
  fetch?: typeof fetch;
  now?: () => number;
  /** Replaces the MSK IAM signer (tests). */
  mskToken?: (region: string, roleArn?: string) => Promise<BearerToken>;
  cwd?: string;
}

/** The kafkajs `ssl` and `sasl` options for a validated `kafka` section. */
export function kafkaSecurity(k: KafkaConfig, logger: Logger, deps: KafkaSecurityDeps = {}): KafkaSecurity {
  const ssl = typeof k.ssl === "boolean" ? k.ssl : loadTls(k.ssl, "kafka.ssl", deps.cwd);
  const s = k.sasl;
  if (s === undefined) return { ssl };
  const log = logger.child({ component: "kafka-auth", mechanism: s.mechanism });
  const bearer = (
    fetchToken: () => Promise<BearerToken>,
    extensions?: Record<string, string>,
  ): SASLOptions => {
    const token = new RefreshingToken(fetchToken, { logger: log, ...(deps.now ? { now: deps.now } : {}) });
    return {
      mechanism: "oauthbearer",
      oauthBearerProvider: async () => ({ value: await token.get(), ...(extensions ? { extensions } : {}) }),
    };
  };
  switch (s.mechanism) {
    case "plain":
    case "scram-sha-256":
    case "scram-sha-512":
      return {
        ssl,
        sasl: { mechanism: s.mechanism, username: s.username, password: s.password } as SASLOptions,
      };
    case "oauthbearer": {
      if (s.token !== undefined) {
        const value = s.token;
        return { ssl, sasl: bearer(async () => staticToken(value), s.extensions) };
      }
      const credentials = {
        tokenEndpoint: s.tokenEndpoint ?? "",
        clientId: s.clientId ?? "",
        clientSecret: s.clientSecret ?? "",
        ...(s.scope === undefined ? {} : { scope: s.scope }),
        ...(s.audience === undefined ? {} : { audience: s.audience }),
      };
      return {
        ssl,
        sasl: bearer(() => clientCredentialsToken(credentials, deps.fetch, deps.now), s.extensions),
      };
    }
    case "aws-msk-iam": {
      const sign = deps.mskToken ?? mskIamToken;
      return { ssl, sasl: bearer(() => sign(s.region, s.roleArn)) };
    }
  }
}

/** What was configured, for messages: TLS on or off, mechanism and user (never a secret). */
function describe(k: KafkaConfig): string {
  const tls = k.ssl === false ? "without TLS" : "over TLS";
  const s = k.sasl;
  if (s === undefined) return `${tls}, no SASL`;
  const who = "username" in s ? ` as '${s.username}'` : "";
  return `${tls}, SASL ${s.mechanism.toUpperCase()}${who}`;
}

const TLS_TRUST =
  /self[- ]signed certificate|unable to (get local issuer|verify the first) certificate|certificate has expired|CERT_|unknown ca/i;

/**
 * Names the problem when connecting to Kafka failed on authentication or TLS: which setting to check.
 * Other errors come back as they are. Messages carry brokers, mechanism and user, never a secret.
 */
export function explainKafkaError(e: unknown, k: KafkaConfig): unknown {
  if (isFloeError(e) && e.code !== "SERVICE_UNAVAILABLE") return e;
  const err = e as { name?: string; message?: string; cause?: { message?: string } };
  const outer = err.message ?? "";
  const inner = err.cause?.message ?? "";
  const message = (
    inner === "" || outer.includes(inner) ? outer : inner.includes(outer) ? inner : `${outer}: ${inner}`
  ).replace(/^Connection error: /, "");
  const brokers = k.brokers.join(",");
  const context = { brokers, mechanism: k.sasl?.mechanism };
  if (err.name === "KafkaJSSASLAuthenticationError" || /SASL .*authentication failed/i.test(message)) {
    const check =
      k.sasl && "username" in k.sasl
        ? "kafka.sasl.username and kafka.sasl.password"
        : "the token settings in kafka.sasl";
    return new FloeError(
      "UNAUTHORIZED",
      `Kafka ${brokers} refused authentication (${describe(k)}): ${err.message}; check ${check}`,
      { cause: e, context, retryable: false },
    );
  }
  if (TLS_TRUST.test(message)) {
    return new FloeError(
      "UNAUTHORIZED",
      `Kafka ${brokers}: the broker's TLS certificate is not trusted (${message}); set kafka.ssl.ca to the CA that signed it (a file path or inline PEM)`,
      { cause: e, context, retryable: false },
    );
  }
  if (
    /alert (bad certificate|certificate required|unknown ca|handshake failure)|alert number (42|46|48|116)/i.test(
      message,
    )
  ) {
    return new FloeError(
      "UNAUTHORIZED",
      `Kafka ${brokers} rejected the TLS handshake (${describe(k)}): it requires a client certificate it trusts; check kafka.ssl.cert and kafka.ssl.key`,
      { cause: e, context, retryable: false },
    );
  }
  if (/Hostname\/IP does not match|ERR_TLS_CERT_ALTNAME_INVALID/i.test(message)) {
    return new FloeError(
      "UNAUTHORIZED",
      `Kafka ${brokers}: the broker's certificate does not name this host (${message}); set kafka.ssl.servername to the name it was issued for`,
      { cause: e, context, retryable: false },
    );
  }
  return e;
}
