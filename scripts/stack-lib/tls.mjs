// Certificates for the `kafka-secure` broker, made with openssl and keytool at provision time: a private
// CA, a broker certificate for 127.0.0.1 / localhost (PKCS12 keystore plus a truststore holding the CA),
// and a client certificate whose key is encrypted with a passphrase (for mTLS). Test values only: they
// live in the state dir and are remade when the recipe below changes.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "./proc.mjs";
import { kafkaSecure, paths } from "./settings.mjs";

const RECIPE = "v1 rsa:2048 days:3650 san:DNS:localhost,IP:127.0.0.1";

/** Paths of what `kafkaSecureTls` makes (PEM files for clients, PKCS12 stores for the broker). */
export function tlsFiles(dir = kafkaSecure.tlsDir) {
  return {
    dir,
    ca: join(dir, "ca.pem"),
    caKey: join(dir, "ca.key"),
    brokerCert: join(dir, "broker.pem"),
    brokerKey: join(dir, "broker.key"),
    keystore: join(dir, "broker.p12"),
    truststore: join(dir, "truststore.p12"),
    clientCert: join(dir, "client.pem"),
    clientKey: join(dir, "client.key"),
  };
}

const stampFile = () => join(paths.cache, "kafka-secure-tls.stamp");
const hashOf = (...parts) => createHash("sha256").update(parts.join("\0")).digest("hex");

/** Makes the CA, broker and client certificates unless the stamp says they are current. */
export async function kafkaSecureTls(log) {
  const f = tlsFiles();
  const hash = hashOf(RECIPE, kafkaSecure.storePassword, kafkaSecure.clientKeyPassphrase);
  const present = Object.entries(f).every(([k, p]) => k === "dir" || existsSync(p));
  if (present && existsSync(stampFile()) && readFileSync(stampFile(), "utf8").trim() === hash) return f;
  log("making the kafka-secure certificates (private CA, broker, client) with openssl and keytool");
  rmSync(f.dir, { recursive: true, force: true });
  mkdirSync(f.dir, { recursive: true });
  const openssl = (...args) => run("openssl", args, { cwd: f.dir });
  const days = "3650";
  await openssl(
    ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f.caKey, "-out", f.ca, "-days", days],
    ...["-subj", "/CN=Floe local test CA", "-addext", "basicConstraints=critical,CA:TRUE"],
    ...["-addext", "keyUsage=critical,keyCertSign,cRLSign"],
  );
  const sign = async (name, csr, out, ext) => {
    const extFile = join(f.dir, `${name}.ext`);
    writeFileSync(extFile, ext);
    await openssl(
      ...["x509", "-req", "-in", csr, "-CA", f.ca, "-CAkey", f.caKey, "-set_serial"],
      ...[String(Date.now()), "-days", days, "-sha256", "-extfile", extFile, "-out", out],
    );
    rmSync(extFile);
    rmSync(csr);
  };
  // Broker: server and client auth (the SSL listener is also its inter-broker listener).
  const brokerCsr = join(f.dir, "broker.csr");
  await openssl(
    ...["req", "-newkey", "rsa:2048", "-nodes", "-keyout", f.brokerKey, "-out", brokerCsr],
    ...["-subj", "/CN=localhost"],
  );
  await sign(
    "broker",
    brokerCsr,
    f.brokerCert,
    "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n",
  );
  await openssl(
    ...["pkcs12", "-export", "-in", f.brokerCert, "-inkey", f.brokerKey, "-certfile", f.ca],
    ...["-name", "broker", "-out", f.keystore, "-passout", `pass:${kafkaSecure.storePassword}`],
  );
  await run("keytool", [
    ...["-importcert", "-noprompt", "-alias", "floe-local-ca", "-file", f.ca],
    ...["-keystore", f.truststore, "-storetype", "PKCS12", "-storepass", kafkaSecure.storePassword],
  ]);
  // Client: an encrypted PKCS#8 key, so that mTLS tests also exercise the passphrase.
  const clientCsr = join(f.dir, "client.csr");
  await openssl(
    ...["req", "-newkey", "rsa:2048", "-keyout", f.clientKey, "-out", clientCsr, "-subj", "/CN=floe-client"],
    ...["-passout", `pass:${kafkaSecure.clientKeyPassphrase}`],
  );
  await sign("client", clientCsr, f.clientCert, "extendedKeyUsage=clientAuth\n");
  writeFileSync(stampFile(), `${hash}\n`);
  return f;
}
