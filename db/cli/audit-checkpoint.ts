import { createPublicKey } from "node:crypto";
import { loadAuditConfig } from "../audit/config";
import {
  checkpointPath,
  readSigningKey,
  signCheckpoint,
  writeCheckpoint,
} from "../audit/checkpoint";
import { openAuditDatabase } from "../audit/database";
import { describeFailure, describeReport, parseChainArguments } from "../audit/report";
import { verifyAuditLog } from "../audit/verify";
import { ConfigurationError } from "../config";

/**
 * `npm run audit:checkpoint`: verify the access log (against the checkpoints already signed), then
 * sign the head of every chain with the key in AUDIT_SIGNING_KEY_FILE and write each as
 * `AUDIT_CHECKPOINT_DIR/<chain id>/<seq>.note`. Signs nothing if verification fails: a checkpoint
 * vouches for the history before it. Publish the notes somewhere the database's operators cannot
 * rewrite them.
 */
async function main(): Promise<number> {
  const chains = parseChainArguments(process.argv.slice(2));
  const audit = loadAuditConfig();
  if (!audit.signingKeyFile) {
    throw new ConfigurationError(
      "Configuration error: AUDIT_SIGNING_KEY_FILE must name the Ed25519 private key (PEM) that signs checkpoints; `npm run audit:keygen` makes one",
    );
  }
  const key = await readSigningKey(audit.signingKeyFile, audit.keyName);
  const database = await openAuditDatabase();
  try {
    if (database.role !== "owner") {
      throw new ConfigurationError(
        "Configuration error: checkpoints need every chain's head: set DATABASE_OWNER_URL",
      );
    }
    const report = await verifyAuditLog(database.client, {
      ...(chains ? { chains } : {}),
      checkpoints: { dir: audit.checkpointDir, publicKey: createPublicKey(key.privateKey) },
    });
    if (!report.ok && report.failure) {
      process.stderr.write(`${describeFailure(report.failure)}\n`);
      process.stderr.write("No checkpoint signed: the log does not verify.\n");
      return 1;
    }
    process.stderr.write(`${describeReport(report, { publicKey: true })}\n`);
    for (const chain of report.chains) {
      if (!chain.head) continue;
      const written = await writeCheckpoint(
        audit.checkpointDir,
        chain.head,
        signCheckpoint(chain.head, key),
      );
      process.stdout.write(
        `${written ? "signed   " : "unchanged"} ${checkpointPath(audit.checkpointDir, chain.head)}\n`,
      );
    }
    return 0;
  } finally {
    await database.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
