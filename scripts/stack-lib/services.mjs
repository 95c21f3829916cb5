// The services of the local stack: how each starts and how we know it is healthy.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { httpStatus, kafkaApiVersions, s3Request, tcpOpen } from "./health.mjs";
import { run, StackError } from "./proc.mjs";
import { HOST, KAFKA_CLUSTER_ID, kafkaSecure, LIB_DIR, paths, ports, s3 } from "./settings.mjs";
import { tlsFiles } from "./tls.mjs";

const conf = (file) => join(LIB_DIR, "conf", file);

function kafkaProperties() {
  const dir = join(paths.data, "kafka");
  mkdirSync(dir, { recursive: true });
  const file = join(paths.cache, "kafka-server.properties");
  writeFileSync(
    file,
    [
      "process.roles=broker,controller",
      "node.id=1",
      `controller.quorum.voters=1@${HOST}:${ports.kafkaController}`,
      `listeners=PLAINTEXT://${HOST}:${ports.kafka},CONTROLLER://${HOST}:${ports.kafkaController}`,
      `advertised.listeners=PLAINTEXT://${HOST}:${ports.kafka}`,
      "controller.listener.names=CONTROLLER",
      "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
      "inter.broker.listener.name=PLAINTEXT",
      `log.dirs=${dir}`,
      "num.partitions=1",
      "auto.create.topics.enable=true",
      "offsets.topic.replication.factor=1",
      "offsets.topic.num.partitions=10",
      "transaction.state.log.replication.factor=1",
      "transaction.state.log.min.isr=1",
      "group.initial.rebalance.delay.ms=0",
      "log.retention.hours=24",
      "",
    ].join("\n"),
  );
  return { file, dir };
}

const javaLog4j = `-Dlog4j.configuration=file:${conf("kafka-log4j.properties")}`;

/**
 * The secured broker's config: SASL_SSL (PLAIN users from the inline JAAS config, SCRAM users added at
 * format time, OAUTHBEARER checked by Kafka's unsecured JWT validator: unsigned tokens with a `sub`) and
 * SSL with client certificates required, which is also its inter-broker listener.
 */
function kafkaSecureProperties() {
  const dir = join(paths.data, "kafka-secure");
  mkdirSync(dir, { recursive: true });
  const tls = tlsFiles();
  const file = join(paths.cache, "kafka-secure-server.properties");
  const { plain, storePassword } = kafkaSecure;
  const sasl = "listener.name.sasl_ssl";
  const scramModule = "org.apache.kafka.common.security.scram.ScramLoginModule required;";
  writeFileSync(
    file,
    [
      "process.roles=broker,controller",
      "node.id=1",
      `controller.quorum.voters=1@${HOST}:${ports.kafkaSecureController}`,
      `listeners=SASL_SSL://${HOST}:${ports.kafkaSecureSasl},SSL://${HOST}:${ports.kafkaSecureMtls},CONTROLLER://${HOST}:${ports.kafkaSecureController}`,
      `advertised.listeners=SASL_SSL://${HOST}:${ports.kafkaSecureSasl},SSL://${HOST}:${ports.kafkaSecureMtls}`,
      "controller.listener.names=CONTROLLER",
      "listener.security.protocol.map=CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL,SSL:SSL",
      "inter.broker.listener.name=SSL",
      "ssl.keystore.type=PKCS12",
      `ssl.keystore.location=${tls.keystore}`,
      `ssl.keystore.password=${storePassword}`,
      `ssl.key.password=${storePassword}`,
      "ssl.truststore.type=PKCS12",
      `ssl.truststore.location=${tls.truststore}`,
      `ssl.truststore.password=${storePassword}`,
      "listener.name.ssl.ssl.client.auth=required",
      "sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER",
      `${sasl}.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_${plain.username}="${plain.password}";`,
      `${sasl}.scram-sha-256.sasl.jaas.config=${scramModule}`,
      `${sasl}.scram-sha-512.sasl.jaas.config=${scramModule}`,
      `${sasl}.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;`,
      `${sasl}.oauthbearer.sasl.server.callback.handler.class=org.apache.kafka.common.security.oauthbearer.internals.unsecured.OAuthBearerUnsecuredValidatorCallbackHandler`,
      `log.dirs=${dir}`,
      "num.partitions=1",
      "auto.create.topics.enable=true",
      "offsets.topic.replication.factor=1",
      "offsets.topic.num.partitions=3",
      "transaction.state.log.replication.factor=1",
      "transaction.state.log.min.isr=1",
      "group.initial.rebalance.delay.ms=0",
      "log.retention.hours=24",
      "",
    ].join("\n"),
  );
  return { file, dir };
}

/** node:tls options that trust the stack's CA and present its client certificate. */
function kafkaSecureClientTls() {
  const tls = tlsFiles();
  if (![tls.ca, tls.clientCert, tls.clientKey].every((f) => existsSync(f))) return undefined;
  return {
    ca: readFileSync(tls.ca),
    cert: readFileSync(tls.clientCert),
    key: readFileSync(tls.clientKey),
    passphrase: kafkaSecure.clientKeyPassphrase,
  };
}

/** Healthy = both secured listeners answer ApiVersions over verified TLS (the SSL one with mTLS). */
async function kafkaSecureHealthy() {
  const tls = kafkaSecureClientTls();
  if (tls === undefined) return false;
  const { cert: _c, key: _k, passphrase: _p, ...serverOnly } = tls;
  return (
    (await kafkaApiVersions(HOST, ports.kafkaSecureSasl, 3000, serverOnly)) &&
    (await kafkaApiVersions(HOST, ports.kafkaSecureMtls, 3000, tls))
  );
}

/** @typedef {{ kafkaClasspath: string, s3proxyClasspath: string, restServerJar: string, registryJar: string, python: string }} Provisioned */

export const services = [
  {
    name: "s3",
    describe: () => `S3Proxy (filesystem) on ${s3.endpoint}, bucket '${s3.bucket}'`,
    /** @param {Provisioned} p */
    async start(p, startDetached) {
      const dataDir = join(paths.data, "s3");
      mkdirSync(dataDir, { recursive: true });
      const props = join(paths.cache, "s3proxy.properties");
      writeFileSync(
        props,
        [
          `s3proxy.endpoint=${s3.endpoint}`,
          "s3proxy.authorization=aws-v2-or-v4",
          `s3proxy.identity=${s3.accessKeyId}`,
          `s3proxy.credential=${s3.secretAccessKey}`,
          "jclouds.provider=filesystem-nio2",
          `jclouds.filesystem.basedir=${dataDir}`,
          "",
        ].join("\n"),
      );
      return startDetached(
        "java",
        [
          "-Xmx512m",
          `-Dlogback.configurationFile=${conf("s3proxy-logback.xml")}`,
          "org.gaul.s3proxy.Main",
          "--properties",
          props,
        ],
        { env: { CLASSPATH: p.s3proxyClasspath } },
      );
    },
    // Healthy = a signed ListBuckets succeeds; afterStart then makes sure the bucket exists.
    healthy: async () => (await s3Request("GET", "/")).status === 200,
    async afterStart() {
      if ((await s3Request("HEAD", `/${s3.bucket}`)).status === 200) return;
      const res = await s3Request("PUT", `/${s3.bucket}`);
      if (res.status !== 200 && res.status !== 409) {
        throw new StackError(
          `could not create bucket '${s3.bucket}' on ${s3.endpoint}: HTTP ${res.status} ${res.text}`,
        );
      }
    },
    async reachable() {
      return (await httpStatus(`${s3.endpoint}/`)) !== 0;
    },
  },
  {
    name: "kafka",
    describe: () => `Apache Kafka (KRaft) on ${HOST}:${ports.kafka}`,
    async start(p, startDetached) {
      const { file, dir } = kafkaProperties();
      if (!existsSync(join(dir, "meta.properties"))) {
        await run(
          "java",
          [javaLog4j, "kafka.tools.StorageTool", "format", "-t", KAFKA_CLUSTER_ID, "-c", file],
          {
            env: { CLASSPATH: p.kafkaClasspath },
          },
        );
      }
      return startDetached(
        "java",
        ["-Xms256m", "-Xmx1g", "-XX:+UseG1GC", "-Djava.awt.headless=true", javaLog4j, "kafka.Kafka", file],
        { env: { CLASSPATH: p.kafkaClasspath } },
      );
    },
    healthy: () => kafkaApiVersions(HOST, ports.kafka),
    reachable: () => kafkaApiVersions(HOST, ports.kafka),
  },
  {
    name: "kafka-secure",
    describe: () =>
      `Apache Kafka (KRaft) with SASL_SSL on ${HOST}:${ports.kafkaSecureSasl} and mTLS on ${HOST}:${ports.kafkaSecureMtls}`,
    async start(p, startDetached) {
      const { file, dir } = kafkaSecureProperties();
      if (!existsSync(join(dir, "meta.properties"))) {
        const { username, password } = kafkaSecure.scram;
        const scram = (m) => ["--add-scram", `${m}=[name=${username},password=${password}]`];
        await run(
          "java",
          [
            javaLog4j,
            "kafka.tools.StorageTool",
            "format",
            ...["-t", kafkaSecure.clusterId, "-c", file],
            ...scram("SCRAM-SHA-256"),
            ...scram("SCRAM-SHA-512"),
          ],
          { env: { CLASSPATH: p.kafkaClasspath } },
        );
      }
      // A small heap: this broker carries a few small test topics next to several other JVMs.
      return startDetached(
        "java",
        [
          "-Xms64m",
          "-Xmx384m",
          "-XX:+UseSerialGC",
          "-Djava.awt.headless=true",
          javaLog4j,
          "kafka.Kafka",
          file,
        ],
        { env: { CLASSPATH: p.kafkaClasspath } },
      );
    },
    healthy: kafkaSecureHealthy,
    reachable: async () =>
      (await tcpOpen(HOST, ports.kafkaSecureSasl)) || (await tcpOpen(HOST, ports.kafkaSecureMtls)),
  },
  {
    name: "rest",
    describe: () =>
      `Iceberg REST reference server on http://${HOST}:${ports.rest} (warehouse s3://${s3.bucket}/rest)`,
    dependsOn: ["s3"],
    async start(p, startDetached) {
      const dir = join(paths.data, "rest");
      mkdirSync(dir, { recursive: true });
      // RESTCatalogServer reads CATALOG_* variables as catalog properties ('__' -> '-', '_' -> '.').
      // Its port is the `rest.port` property (CATALOG_REST_PORT); it binds all interfaces with SO_REUSEPORT,
      // so `up` refuses to start when something already answers on the port.
      // One JDBC connection (CATALOG_CLIENTS): with the default two, SQLite's file lock made concurrent commits
      // fail with SQLITE_BUSY under load, and a connection left inside the failed transaction then kept the
      // database locked, so every later write answered 500. One connection serialises the catalog's writes.
      return startDetached("java", ["-Xmx512m", "-jar", p.restServerJar], {
        env: {
          CATALOG_REST_PORT: String(ports.rest),
          CATALOG_URI: `jdbc:sqlite:file:${join(dir, "catalog.db")}`,
          CATALOG_CLIENTS: "1",
          CATALOG_JDBC_USER: "floe",
          CATALOG_JDBC_PASSWORD: "floe",
          CATALOG_WAREHOUSE: `s3://${s3.bucket}/rest`,
          CATALOG_IO__IMPL: "org.apache.iceberg.aws.s3.S3FileIO",
          CATALOG_S3_ENDPOINT: s3.endpoint,
          CATALOG_S3_PATH__STYLE__ACCESS: "true",
          AWS_ACCESS_KEY_ID: s3.accessKeyId,
          AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
          AWS_REGION: s3.region,
        },
      });
    },
    healthy: async () => (await httpStatus(`http://${HOST}:${ports.rest}/v1/config`)) === 200,
    reachable: async () => (await httpStatus(`http://${HOST}:${ports.rest}/v1/config`)) !== 0,
  },
  {
    name: "registry",
    describe: () =>
      `Apicurio Registry (Confluent Schema Registry API) on http://${HOST}:${ports.registry}/apis/ccompat/v7`,
    async start(p, startDetached) {
      // In-memory storage: schemas last as long as the process; tests register what they use.
      return startDetached("java", ["-Xmx384m", "-XX:+UseSerialGC", "-jar", p.registryJar], {
        env: { QUARKUS_HTTP_HOST: HOST, QUARKUS_HTTP_PORT: String(ports.registry) },
      });
    },
    healthy: async () =>
      (await httpStatus(`http://${HOST}:${ports.registry}/health/ready`)) === 200 &&
      (await httpStatus(`http://${HOST}:${ports.registry}/apis/ccompat/v7/subjects`)) === 200,
    reachable: async () => (await httpStatus(`http://${HOST}:${ports.registry}/health/ready`)) !== 0,
  },
  {
    name: "moto",
    describe: () => `moto (AWS Glue) on http://${HOST}:${ports.moto}`,
    async start(p, startDetached) {
      return startDetached(join(p.python, "..", "moto_server"), ["-H", HOST, "-p", String(ports.moto)]);
    },
    healthy: async () => (await httpStatus(`http://${HOST}:${ports.moto}/moto-api/`)) === 200,
    reachable: async () => (await httpStatus(`http://${HOST}:${ports.moto}/moto-api/`)) !== 0,
  },
];
