import { createPublicKey } from "node:crypto";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import {
  SIGNING_KEY_FILE_NAME,
  generateSigningKeyPair,
  publicKeyFileFor,
  verifierKey,
} from "../audit/checkpoint";
import { defaultKeyDir, loadAuditConfig } from "../audit/config";
import { loadDatabaseConfig } from "../config";

/**
 * `npm run audit:keygen [-- --out <dir>]`: make the Ed25519 key pair that signs access-log
 * checkpoints: `audit-signing-key.pem` (private, mode 0600) and `audit-signing-key.pub.pem`, in
 * `<DATA_DIR>/audit-keys` (where the server makes one at its first start when it has none) unless
 * told otherwise. Never replaces an existing key. Keep the private key away from the database and
 * its operators; give the public key to whoever verifies.
 */
async function main(): Promise<void> {
  const outIndex = process.argv.indexOf("--out");
  const dir = path.resolve(
    outIndex >= 0
      ? (process.argv[outIndex + 1] ?? "")
      : defaultKeyDir(loadDatabaseConfig().dataDir),
  );
  const { keyName } = loadAuditConfig();
  const privateFile = path.join(dir, SIGNING_KEY_FILE_NAME);
  const publicFile = publicKeyFileFor(privateFile);
  for (const file of [privateFile, publicFile]) {
    if (existsSync(file))
      throw new Error(`${file} already exists: a signing key is never replaced in place`);
  }
  const { privateKeyPem, publicKeyPem } = generateSigningKeyPair();
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  await fs.writeFile(privateFile, privateKeyPem, { mode: 0o600, flag: "wx" });
  await fs.writeFile(publicFile, publicKeyPem, { mode: 0o644, flag: "wx" });
  process.stdout.write(
    [
      `Private key: ${privateFile}`,
      `Public key:  ${publicFile}`,
      `Verifier key (C2SP note format): ${verifierKey(keyName, createPublicKey(publicKeyPem))}`,
      "",
      "To sign checkpoints:  AUDIT_SIGNING_KEY_FILE=" + privateFile + " npm run audit:checkpoint",
      "To check them:        AUDIT_PUBLIC_KEY_FILE=" + publicFile + " npm run audit:verify",
      "",
    ].join("\n"),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
