import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmbeddedCatalog } from "../../../src/catalog/index.js";
import { parseConfig } from "../../../src/config.js";
import { createLogger } from "../../../src/log.js";
import { runSink } from "../../../src/service/index.js";
import { createTopics } from "../../support/kafka.js";
import { type StackEnv, stackEnv, uniqueName } from "../../support/stack.js";
import { freshWarehouse } from "../../support/warehouse.js";
import { SinkProcess, sinkConfig, tableOffsets, waitFor, writeConfig } from "./support.js";

// The sink against the stack's `kafka-secure` broker: it consumes, and its dead-letter producer
// writes, over SASL_SSL with a private CA (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER with
// tokens from an OAuth2 client-credentials endpoint) and over mutual TLS with an encrypted client key.
// A wrong password and an untrusted CA stop `floe run` with an error naming the problem and no secret.

const RECORDS = 20;
const BAD = new Set([5, 13]); // not JSON: dead letters

const unsignedJwt = (claims: Record<string, unknown>) => {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${b64({ alg: "none" })}.${b64(claims)}.`;
};

/** An OAuth2 token endpoint (client credentials) issuing the unsigned JWTs the broker's test validator accepts. */
function tokenEndpoint(clientId: string, clientSecret: string) {
  const issued: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      const basic = Buffer.from(
        (req.headers.authorization ?? "").replace(/^Basic /, ""),
        "base64",
      ).toString();
      const form = new URLSearchParams(body);
      if (basic !== `${clientId}:${clientSecret}` || form.get("grant_type") !== "client_credentials") {
        res.writeHead(401, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: "invalid_client" }));
        return;
      }
      const now = Math.floor(Date.now() / 1000);
      issued.push(clientId);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          access_token: unsignedJwt({ sub: clientId, iat: now, exp: now + 600, scope: form.get("scope") }),
          token_type: "Bearer",
          expires_in: 600,
        }),
      );
    });
  });
  return { server, issued };
}

/** An admin/producer client over the mTLS listener (setup and checks). */
function mtlsKafka(env: StackEnv): Kafka {
  return new Kafka({
    clientId: "floe-secure-test",
    brokers: [env.FLOE_KAFKA_SECURE_MTLS_BROKERS],
    ssl: {
      ca: readFileSync(env.FLOE_KAFKA_SECURE_CA, "utf8"),
      cert: readFileSync(env.FLOE_KAFKA_SECURE_CLIENT_CERT, "utf8"),
      key: readFileSync(env.FLOE_KAFKA_SECURE_CLIENT_KEY, "utf8"),
      passphrase: env.FLOE_KAFKA_SECURE_CLIENT_KEY_PASSPHRASE,
    },
    logLevel: logLevel.NOTHING,
  });
}

interface Case {
  name: string;
  kafka: (env: StackEnv, oauth: string) => Record<string, unknown>;
}

const CASES: Case[] = [
  {
    name: "plain",
    // The CA inline, as PEM text.
    kafka: (env) => ({
      brokers: [env.FLOE_KAFKA_SECURE_SASL_BROKERS],
      ssl: { ca: readFileSync(env.FLOE_KAFKA_SECURE_CA, "utf8") },
      sasl: {
        mechanism: "plain",
        username: env.FLOE_KAFKA_SECURE_PLAIN_USER,
        password: env.FLOE_KAFKA_SECURE_PLAIN_PASSWORD,
      },
    }),
  },
  ...(["scram-sha-256", "scram-sha-512"] as const).map((mechanism) => ({
    name: mechanism.replace(/-/g, "_"),
    kafka: (env: StackEnv) => ({
      brokers: [env.FLOE_KAFKA_SECURE_SASL_BROKERS],
      ssl: { ca: env.FLOE_KAFKA_SECURE_CA },
      sasl: {
        mechanism,
        username: env.FLOE_KAFKA_SECURE_SCRAM_USER,
        password: env.FLOE_KAFKA_SECURE_SCRAM_PASSWORD,
      },
    }),
  })),
  {
    name: "oauthbearer",
    kafka: (env, oauth) => ({
      brokers: [env.FLOE_KAFKA_SECURE_SASL_BROKERS],
      ssl: { ca: env.FLOE_KAFKA_SECURE_CA },
      sasl: {
        mechanism: "oauthbearer",
        tokenEndpoint: oauth,
        clientId: "floe-sink",
        clientSecret: "oauth-client-secret-value",
        scope: "kafka",
      },
    }),
  },
  {
    name: "mtls",
    kafka: (env) => ({
      brokers: [env.FLOE_KAFKA_SECURE_MTLS_BROKERS],
      ssl: {
        ca: env.FLOE_KAFKA_SECURE_CA,
        cert: env.FLOE_KAFKA_SECURE_CLIENT_CERT,
        key: env.FLOE_KAFKA_SECURE_CLIENT_KEY,
        passphrase: env.FLOE_KAFKA_SECURE_CLIENT_KEY_PASSPHRASE,
      },
    }),
  },
];

describe("sink on a secured Kafka (kafka-secure: SASL_SSL and mTLS)", () => {
  const env = stackEnv();
  const run = uniqueName("secure");
  const topic = (c: string) => `${run}_${c}`;
  const dlq = (c: string) => `${run}_${c}_dlq`;
  const secrets = [
    env.FLOE_KAFKA_SECURE_PLAIN_PASSWORD,
    env.FLOE_KAFKA_SECURE_SCRAM_PASSWORD,
    env.FLOE_KAFKA_SECURE_CLIENT_KEY_PASSPHRASE,
    "oauth-client-secret-value",
    "wrong-password-for-the-test",
  ];
  let wh: { warehouse: string; catalog: EmbeddedCatalog };
  let oauth: ReturnType<typeof tokenEndpoint>;
  let oauthUrl: string;
  const admin = mtlsKafka(env).admin();

  beforeAll(async () => {
    wh = await freshWarehouse("local");
    oauth = tokenEndpoint("floe-sink", "oauth-client-secret-value");
    await new Promise<void>((r) => oauth.server.listen(0, "127.0.0.1", r));
    oauthUrl = `http://127.0.0.1:${(oauth.server.address() as AddressInfo).port}/oauth2/token`;
    await admin.connect();
    await createTopics(
      admin,
      CASES.flatMap((c) => [
        { topic: topic(c.name), partitions: 1 },
        { topic: dlq(c.name), partitions: 1 },
      ]),
    );
    const producer = mtlsKafka(env).producer({ allowAutoTopicCreation: false });
    await producer.connect();
    for (const c of CASES) {
      await producer.send({
        topic: topic(c.name),
        acks: -1,
        messages: Array.from({ length: RECORDS }, (_, i) => ({
          key: `k${i}`,
          value: BAD.has(i) ? `not json ${i}` : JSON.stringify({ id: i, via: c.name }),
        })),
      });
    }
    await producer.disconnect();
  });

  afterAll(async () => {
    await admin.disconnect();
    await new Promise<void>((r) => oauth.server.close(() => r()));
  });

  it("consumes and dead-letters through PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER and mTLS", async () => {
    const logs: string[] = [];
    const logger = createLogger({ level: "info", write: (l) => logs.push(l) });
    const sinks = CASES.map((c) => {
      const config = parseConfig({
        ...sinkConfig({
          brokers: "unused",
          group: `${run}_${c.name}`,
          warehouse: wh.warehouse,
          dlqTopic: dlq(c.name),
          tables: [{ topics: [topic(c.name)], table: `secure.${c.name}`, format: "json", onError: "dlq" }],
        }),
        kafka: { ...c.kafka(env, oauthUrl), groupId: `${run}_${c.name}`, clientId: `floe-it-${c.name}` },
      });
      let stop: () => void = () => {};
      const exit = runSink(config, {
        logger: logger.child({ case: c.name }),
        onStopSignal: (s) => (stop = s),
      });
      return { c, exit, stop: () => stop() };
    });
    try {
      for (const { c, exit } of sinks) {
        const id = { namespace: ["secure"], name: c.name };
        const failed = exit.then((code) => {
          throw new Error(`sink ${c.name} exited with ${code}:\n${logs.slice(-10).join("")}`);
        });
        await Promise.race([
          failed,
          waitFor(
            async () =>
              (await tableOffsets(wh.catalog, id, `${run}_${c.name}`, topic(c.name))).get(0) ===
              BigInt(RECORDS),
            60_000,
            `${c.name}: all ${RECORDS} offsets committed`,
          ),
        ]);
        const summary = (await wh.catalog.loadTable(id)).metadata;
        const current = summary.snapshots?.find((s) => s["snapshot-id"] === summary["current-snapshot-id"]);
        expect(current?.summary["total-records"], c.name).toBe(String(RECORDS - BAD.size));
        const dead = await admin.fetchTopicOffsets(dlq(c.name));
        expect(
          dead.map((p) => p.high),
          `${c.name} dead letters`,
        ).toEqual([String(BAD.size)]);
      }
    } finally {
      for (const s of sinks) s.stop();
      const codes = await Promise.all(sinks.map((s) => s.exit));
      expect(codes).toEqual(CASES.map(() => 0));
    }
    // Tokens came from the endpoint, and no secret reached a log line.
    expect(oauth.issued.length).toBeGreaterThanOrEqual(1);
    const text = logs.join("");
    for (const secret of secrets) expect(text).not.toContain(secret);
  });

  it("stops `floe run` with an error naming the problem, and no secret, on a wrong password or an untrusted CA", async () => {
    const attempt = async (kafka: Record<string, unknown>) => {
      const file = await writeConfig({
        ...sinkConfig({
          brokers: "unused",
          group: uniqueName("g"),
          warehouse: wh.warehouse,
          tables: [{ topics: [topic("plain")], table: "secure.refused", format: "json" }],
        }),
        kafka: { ...kafka, groupId: uniqueName("g") },
      });
      const sink = SinkProcess.start(file);
      const { code } = await sink.exited;
      return { code, output: sink.raw.join("\n") };
    };
    const [wrongPassword, untrusted] = await Promise.all([
      attempt({
        brokers: [env.FLOE_KAFKA_SECURE_SASL_BROKERS],
        ssl: { ca: env.FLOE_KAFKA_SECURE_CA },
        sasl: {
          mechanism: "scram-sha-512",
          username: env.FLOE_KAFKA_SECURE_SCRAM_USER,
          password: "wrong-password-for-the-test",
        },
      }),
      attempt({
        brokers: [env.FLOE_KAFKA_SECURE_SASL_BROKERS],
        ssl: true, // the system CAs: the stack's private CA is not among them
        sasl: {
          mechanism: "plain",
          username: env.FLOE_KAFKA_SECURE_PLAIN_USER,
          password: env.FLOE_KAFKA_SECURE_PLAIN_PASSWORD,
        },
      }),
    ]);
    expect(wrongPassword.code, wrongPassword.output).toBe(1);
    expect(wrongPassword.output).toContain(
      `floe run: Kafka ${env.FLOE_KAFKA_SECURE_SASL_BROKERS} refused authentication (over TLS, SASL SCRAM-SHA-512 as '${env.FLOE_KAFKA_SECURE_SCRAM_USER}')`,
    );
    expect(wrongPassword.output).toContain("check kafka.sasl.username and kafka.sasl.password");
    expect(untrusted.code, untrusted.output).toBe(1);
    expect(untrusted.output).toContain(
      `floe run: Kafka ${env.FLOE_KAFKA_SECURE_SASL_BROKERS}: the broker's TLS certificate is not trusted (self-signed certificate in certificate chain); set kafka.ssl.ca`,
    );
    for (const secret of secrets) {
      expect(wrongPassword.output).not.toContain(secret);
      expect(untrusted.output).not.toContain(secret);
    }
  });
});
