import { existsSync } from "node:fs";
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
 * the checkpoints already signed), then sign the head of every chain as its next numbered
 * checkpoint with AUDIT_SIGNING_KEY_FILE (or the default key the server made at its first start)
 * and write each as `AUDIT_CHECKPOINT_DIR/<chain id>/<number>-<seq>.note`, into the database's copy
 * and into AUDIT_WITNESS_DIR. Signs nothing if verification fails: a checkpoint vouches for the
 * history before it. With `--at <chain id>:<seq>` (repeatable) it signs those events instead of
 * the heads: the last event of a month about to be archived, for `audit:verify -- --start`. The
 * server does the same every AUDIT_CHECKPOINT_MINUTES.
 */
async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const chains = parseChainArguments(args);
  const workers = parseWorkersArgument(args, defaultWorkers());
  const at = parseChainSeqArguments(args, "--at");
  const audit = loadAuditConfig();
  if (!existsSync(audit.signingKeyFile)) {
    throw new ConfigurationError(
      `Configuration error: no signing key at ${audit.signingKeyFile}: ${audit.defaultKey ? "the server makes it at its first start, or `npm run audit:keygen` does; or set AUDIT_SIGNING_KEY_FILE" : "AUDIT_SIGNING_KEY_FILE must name the Ed25519 private key (PEM) that signs checkpoints"}`,
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
      witnessDir: audit.witnessDir,
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
    for (const entry of run.restored) {
      process.stderr.write(
        `${entry.error ? "Could not put back" : "Put back"} checkpoint ${entry.number} of chain ${entry.chainId}, missing from the ${entry.into === "database" ? "database's copy" : entry.into}, from the ${entry.from === "database" ? "database's copy" : entry.from}${entry.error ? `: ${entry.error}` : ""}\n`,
      );
    }
    process.stderr.write(`${describeReport(run.report, { publicKey: true })}\n`);
    for (const note of run.notes) {
      process.stdout.write(
        note.written
          ? `signed    ${note.file} (checkpoint ${note.number})\n`
          : `skipped   ${note.file}: another signer wrote checkpoint ${note.number} first\n`,
      );
    }
    for (const problem of new Set(run.witnessErrors)) {
      process.stderr.write(`The witness was not given the checkpoints: ${problem}\n`);
    }
    return run.witnessErrors.length ? 1 : 0;
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
