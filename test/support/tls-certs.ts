import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** PEM files of a throw-away private CA, a server certificate for 127.0.0.1 and a client certificate. */
export interface TestCertificates {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  /** Encrypted with `passphrase`. */
  clientKey: string;
  passphrase: string;
  /** A second CA that signed nothing here: trusting it alone must fail. */
  otherCa: string;
  read(file: string): string;
  remove(): void;
}

/** Makes fresh certificates with openssl (EC P-256, quick) in a temp directory. */
export function makeCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), "floe-tls-"));
  const at = (f: string) => join(dir, f);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];
  for (const name of ["ca", "other-ca"]) {
    openssl(
      ...["req", "-x509", ...ec, "-nodes", "-keyout", at(`${name}.key`), "-out", at(`${name}.pem`)],
      ...["-days", "2", "-subj", `/CN=Floe test ${name}`, "-addext", "basicConstraints=critical,CA:TRUE"],
    );
  }
  const passphrase = "test-client-key-passphrase";
  const issue = (name: string, ext: string, keyArgs: string[]) => {
    openssl(
      "req",
      ...ec,
      ...keyArgs,
      "-keyout",
      at(`${name}.key`),
      "-out",
      at(`${name}.csr`),
      "-subj",
      `/CN=${name}`,
    );
    writeFileSync(at(`${name}.ext`), ext);
    openssl(
      ...["x509", "-req", "-in", at(`${name}.csr`), "-CA", at("ca.pem"), "-CAkey", at("ca.key")],
      ...[
        "-set_serial",
        String(Date.now()),
        "-days",
        "2",
        "-extfile",
        at(`${name}.ext`),
        "-out",
        at(`${name}.pem`),
      ],
    );
  };
  issue("server", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n", ["-nodes"]);
  issue("client", "extendedKeyUsage=clientAuth\n", ["-passout", `pass:${passphrase}`]);
  return {
    dir,
    ca: at("ca.pem"),
    serverCert: at("server.pem"),
    serverKey: at("server.key"),
    clientCert: at("client.pem"),
    clientKey: at("client.key"),
    passphrase,
    otherCa: at("other-ca.pem"),
    read: (file) => readFileSync(file, "utf8"),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
