import type { OauthbearerProviderResponse, SASLOptions } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Config, parseConfig } from "../../../src/config.js";
import { FloeError } from "../../../src/errors.js";
import { explainKafkaError, kafkaSecurity } from "../../../src/ingest/source/security.js";
import { REDACTED, redact, silentLogger } from "../../../src/log.js";
import { makeCertificates, type TestCertificates } from "../../support/tls-certs.js";

let certs: TestCertificates;
beforeAll(() => {
  certs = makeCertificates();
});
afterAll(() => certs.remove());

const kafka = (k: Record<string, unknown>): Config["kafka"] => parseConfig({ kafka: k }).kafka;

async function providedToken(sasl: SASLOptions | undefined): Promise<OauthbearerProviderResponse> {
  if (sasl?.mechanism !== "oauthbearer") throw new Error(`expected oauthbearer, got ${sasl?.mechanism}`);
  return sasl.oauthBearerProvider();
}

describe("kafka config", () => {
  it("keeps ssl: true | false and accepts TLS settings, SASL mechanisms by name", () => {
    expect(kafka({}).ssl).toBe(false);
    expect(kafka({ ssl: true }).ssl).toBe(true);
    expect(kafka({ ssl: { ca: "/etc/ca.pem" } }).ssl).toEqual({
      ca: "/etc/ca.pem",
      rejectUnauthorized: true,
    });
    expect(
      kafka({ sasl: { mechanism: "scram-sha-512", username: "u", password: "p" } }).sasl?.mechanism,
    ).toBe("scram-sha-512");
  });

  it("rejects incomplete SASL settings with the key and the reason", () => {
    const problem = (k: Record<string, unknown>) => {
      try {
        kafka(k);
      } catch (e) {
        return (e as FloeError).message;
      }
      return "valid";
    };
    expect(problem({ sasl: { mechanism: "oauthbearer" } })).toContain(
      "kafka.sasl: set exactly one of token or tokenEndpoint",
    );
    expect(problem({ sasl: { mechanism: "oauthbearer", tokenEndpoint: "https://idp/token" } })).toContain(
      "kafka.sasl: tokenEndpoint needs clientId and clientSecret",
    );
    expect(problem({ sasl: { mechanism: "aws-msk-iam", region: "us-east-1" } })).toContain(
      "kafka.ssl: sasl aws-msk-iam needs TLS",
    );
    expect(problem({ sasl: { mechanism: "gssapi" } })).toContain("kafka.sasl.mechanism");
    expect(problem({ ssl: { cert: "c.pem" } })).toContain("kafka.ssl: set both cert and key");
  });

  it("redacts passwords, passphrases, client secrets, tokens and inline keys in `floe config` output", () => {
    const config = parseConfig({
      kafka: {
        ssl: {
          ca: "/etc/floe/ca.pem",
          cert: "/etc/floe/client.pem",
          key: certs.read(certs.clientKey),
          passphrase: "key-passphrase-1",
        },
        sasl: {
          mechanism: "oauthbearer",
          tokenEndpoint: "https://idp/token",
          clientId: "floe",
          clientSecret: "client-secret-1",
        },
      },
      schemaRegistry: {
        url: "https://registry:8081",
        password: "registry-password-1",
        tls: { ca: certs.read(certs.ca) },
      },
    });
    const out = redact(config) as {
      kafka: { ssl: Record<string, unknown> };
      schemaRegistry: Record<string, unknown>;
    };
    const text = JSON.stringify(out);
    for (const secret of ["key-passphrase-1", "client-secret-1", "registry-password-1", "PRIVATE KEY"]) {
      expect(text).not.toContain(secret);
    }
    expect(out.kafka.ssl).toEqual({
      ca: "/etc/floe/ca.pem",
      cert: "/etc/floe/client.pem",
      key: REDACTED,
      passphrase: REDACTED,
      rejectUnauthorized: true,
    });
    // A CA certificate is public: it stays readable.
    expect(text).toContain("BEGIN CERTIFICATE");
  });
});

describe("kafkaSecurity", () => {
  it("passes ssl booleans through and loads TLS files into node:tls options", () => {
    expect(kafkaSecurity(kafka({ ssl: true }), silentLogger)).toEqual({ ssl: true });
    const s = kafkaSecurity(
      kafka({
        ssl: {
          ca: certs.ca,
          cert: certs.clientCert,
          key: certs.clientKey,
          passphrase: certs.passphrase,
          servername: "b1",
        },
      }),
      silentLogger,
    );
    expect(s.ssl).toEqual({
      ca: certs.read(certs.ca),
      cert: certs.read(certs.clientCert),
      key: certs.read(certs.clientKey),
      passphrase: certs.passphrase,
      servername: "b1",
      rejectUnauthorized: true,
    });
    expect(s.sasl).toBeUndefined();
  });

  it("maps password mechanisms onto kafkajs as they are", () => {
    for (const mechanism of ["plain", "scram-sha-256", "scram-sha-512"] as const) {
      const s = kafkaSecurity(
        kafka({ ssl: true, sasl: { mechanism, username: "u", password: "p" } }),
        silentLogger,
      );
      expect(s.sasl).toEqual({ mechanism, username: "u", password: "p" });
    }
  });

  it("OAUTHBEARER with a static token sends it with the SASL extensions", async () => {
    const s = kafkaSecurity(
      kafka({
        sasl: { mechanism: "oauthbearer", token: "static-token", extensions: { logicalCluster: "lkc-1" } },
      }),
      silentLogger,
    );
    expect(await providedToken(s.sasl)).toEqual({
      value: "static-token",
      extensions: { logicalCluster: "lkc-1" },
    });
  });

  it("OAUTHBEARER with client credentials fetches a token and refreshes it before it expires", async () => {
    let now = 0;
    let issued = 0;
    const fetcher = (async () =>
      new Response(
        JSON.stringify({ access_token: `cc-${++issued}`, expires_in: 100 }),
      )) as unknown as typeof fetch;
    const s = kafkaSecurity(
      kafka({
        sasl: {
          mechanism: "oauthbearer",
          tokenEndpoint: "https://idp/token",
          clientId: "c",
          clientSecret: "x",
        },
      }),
      silentLogger,
      { fetch: fetcher, now: () => now },
    );
    expect((await providedToken(s.sasl)).value).toBe("cc-1");
    now = 50_000;
    expect((await providedToken(s.sasl)).value).toBe("cc-1");
    now = 85_000;
    expect((await providedToken(s.sasl)).value).toBe("cc-2");
  });

  it("AWS MSK IAM is OAUTHBEARER with a signed token for the region", async () => {
    const asked: [string, string | undefined][] = [];
    const s = kafkaSecurity(
      kafka({
        ssl: true,
        sasl: { mechanism: "aws-msk-iam", region: "eu-central-1", roleArn: "arn:aws:iam::1:role/r" },
      }),
      silentLogger,
      {
        mskToken: async (region, roleArn) => {
          asked.push([region, roleArn]);
          return { value: "signed", expiresAt: Date.now() + 900_000 };
        },
      },
    );
    expect(s.ssl).toBe(true);
    expect(await providedToken(s.sasl)).toEqual({ value: "signed" });
    expect(asked).toEqual([["eu-central-1", "arn:aws:iam::1:role/r"]]);
  });
});

describe("explainKafkaError", () => {
  const scram = kafka({
    brokers: ["b1:9093", "b2:9093"],
    ssl: true,
    sasl: { mechanism: "scram-sha-256", username: "floe", password: "hunter2-secret" },
  });

  it("says which settings to check when SASL authentication fails, without the password", () => {
    const cause = Object.assign(
      new Error(
        "SASL SCRAM SHA256 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256",
      ),
      { name: "KafkaJSSASLAuthenticationError" },
    );
    const e = explainKafkaError(cause, scram) as FloeError;
    expect(e).toBeInstanceOf(FloeError);
    expect(e.code).toBe("UNAUTHORIZED");
    expect(e.retryable).toBe(false);
    expect(e.message).toMatch(
      /^Kafka b1:9093,b2:9093 refused authentication \(over TLS, SASL SCRAM-SHA-256 as 'floe'\): SASL SCRAM SHA256 authentication failed: .*; check kafka\.sasl\.username and kafka\.sasl\.password$/,
    );
    expect(e.message).not.toContain("hunter2");
  });

  it("names kafka.ssl.ca when the broker's certificate is not trusted", () => {
    const cause = Object.assign(new Error("Connection error: self-signed certificate in certificate chain"), {
      name: "KafkaJSNumberOfRetriesExceeded",
    });
    const e = explainKafkaError(cause, scram) as FloeError;
    expect(e.code).toBe("UNAUTHORIZED");
    expect(e.message).toBe(
      "Kafka b1:9093,b2:9093: the broker's TLS certificate is not trusted (self-signed certificate in certificate chain); set kafka.ssl.ca to the CA that signed it (a file path or inline PEM)",
    );
  });

  it("states the TLS reason once when the client wrapped the connection error", () => {
    const cause = new Error("Connection error: self-signed certificate in certificate chain");
    const wrapped = new FloeError("SERVICE_UNAVAILABLE", "self-signed certificate in certificate chain", {
      cause,
    });
    const e = explainKafkaError(wrapped, scram) as FloeError;
    expect(e.code).toBe("UNAUTHORIZED");
    expect(e.message).toContain(
      "is not trusted (self-signed certificate in certificate chain); set kafka.ssl.ca",
    );
  });

  it("names the client certificate when the broker rejects the handshake", () => {
    const cause = new Error(
      "Connection error: 80FC:error:0A000412:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate:../rec_layer_s3.c:1601:SSL alert number 42",
    );
    const e = explainKafkaError(cause, kafka({ ssl: { ca: certs.ca } })) as FloeError;
    expect(e.message).toContain(
      "requires a client certificate it trusts; check kafka.ssl.cert and kafka.ssl.key",
    );
  });

  it("leaves other errors alone", () => {
    const other = new Error("Connection timeout");
    expect(explainKafkaError(other, scram)).toBe(other);
    const floe = new FloeError("CONFIG_INVALID", "x");
    expect(explainKafkaError(floe, scram)).toBe(floe);
  });
});
