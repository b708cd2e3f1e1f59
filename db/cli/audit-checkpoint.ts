import { loadAuditConfig } from "../audit/config";
import { readSigningKey } from "../audit/checkpoint";
import { sealVerifyAndSign } from "../audit/checkpoint-run";
import { openAuditDatabase } from "../audit/database";
import {
  describeFailure,
  defaultWorkers,
  describeReport,
  parseChainArguments,
  parseChainSeqArguments,
  parseWorkersArgument,
} from "../audit/report";
import { ConfigurationError } from "../config";

/**
 * `npm run audit:checkpoint`: seal the events that have committed, verify the access log (against
 * the checkpoints already signed), then sign the head of every chain with the key in
 * AUDIT_SIGNING_KEY_FILE and write each as `AUDIT_CHECKPOINT_DIR/<chain id>/<seq>.note`. Signs
 * nothing if verification fails: a checkpoint vouches for the history before it. With
 * `--at <chain id>:<seq>` (repeatable) it signs those events instead of the heads: the last event
 * of a month about to be archived, for `audit:verify -- --start`. Publish the notes
 * somewhere the database's operators cannot rewrite them. The server does the same every
 * AUDIT_CHECKPOINT_MINUTES when it is given the key and the folder.
 */
async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const chains = parseChainArguments(args);
  const workers = parseWorkersArgument(args, defaultWorkers());
  const at = parseChainSeqArguments(args, "--at");
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
    const run = await sealVerifyAndSign(database.client, {
      key,
      dir: audit.checkpointDir,
      ...(chains ? { chains } : {}),
      ...(at.length ? { at } : {}),
      parallel: { connection: database.connection, workers },
    });
    if (run.sealed > 0) process.stderr.write(`Sealed ${run.sealed} events first.\n`);
    if (!run.report.ok && run.report.failure) {
      process.stderr.write(`${describeFailure(run.report.failure)}\n`);
      process.stderr.write("No checkpoint signed: the log does not verify.\n");
      return 1;
    }
    process.stderr.write(`${describeReport(run.report, { publicKey: true })}\n`);
    for (const note of run.notes) {
      process.stdout.write(`${note.written ? "signed   " : "unchanged"} ${note.file}\n`);
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
