import { loadAuditConfig, publicKeyFileOf } from "../audit/config";
import { readPublicKey } from "../audit/checkpoint";
import { openAuditDatabase } from "../audit/database";
import {
  describeFailure,
  defaultWorkers,
  describeReport,
  parseChainArguments,
  parseChainSeqArguments,
  parseWorkersArgument,
} from "../audit/report";
import { verifyAuditLog } from "../audit/verify";
import { ConfigurationError } from "../config";

/**
 * `npm run audit:verify [-- --chain <partnership id>] [--workers <n>] [--start <chain id>:<seq>]`:
 * recompute every hash of the access log's sealed events and check every chain end to end, and
 * against the signed checkpoints: those in AUDIT_CHECKPOINT_DIR, the database's copy and the
 * witness's (AUDIT_WITNESS_DIR), which must agree and run without gaps, checked with
 * AUDIT_PUBLIC_KEY_FILE or else the default key's public key. Every chain's newest checkpoint must
 * be younger than AUDIT_MAX_CHECKPOINT_AGE_MINUTES: older means checkpoints have stopped or the
 * newest were removed, and a truncated chain would pass. Events not sealed yet are counted; the
 * oldest of them waiting longer than AUDIT_MAX_UNSEALED_MINUTES means the sealer has stalled,
 * which fails the run. A large log is verified in stretches on
 * `--workers` threads (half the machine's cores by default). `--start` verifies a chain from one of its
 * signed checkpoints, after the months before it were archived. Only reads. Exit code 0 when all
 * is well, 1 at the first problem, which is printed with its chain, seq and event id.
 */
async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const chains = parseChainArguments(args);
  const starts = parseChainSeqArguments(args, "--start");
  const workers = parseWorkersArgument(args, defaultWorkers());
  const audit = loadAuditConfig();
  const database = await openAuditDatabase();
  try {
    if (database.role === "app" && chains?.length !== 1) {
      throw new ConfigurationError(
        "Configuration error: as crosswalk_app (DATABASE_URL) the log can be read one partnership at a time: pass --chain <partnership id>, or set DATABASE_OWNER_URL",
      );
    }
    const publicKeyFile = publicKeyFileOf(audit);
    const publicKey = publicKeyFile ? await readPublicKey(publicKeyFile) : null;
    if (starts.length && !publicKey) {
      throw new ConfigurationError(
        "Configuration error: --start needs AUDIT_PUBLIC_KEY_FILE, to check the checkpoint it starts from",
      );
    }
    process.stderr.write(`Verifying the access log in ${database.description}\n`);
    const report = await verifyAuditLog(database.client, {
      ...(chains ? { chains } : {}),
      ...(publicKey
        ? { checkpoints: { dir: audit.checkpointDir, witnessDir: audit.witnessDir, publicKey } }
        : {}),
      maxCheckpointAgeMs: audit.maxCheckpointAgeMs,
      starts,
      maxUnsealedAgeMs: audit.maxUnsealedAgeMs,
      parallel: { connection: database.connection, workers },
      onProgress: (progress) => {
        const rate = Math.round(progress.events / (progress.elapsedMs / 1000));
        process.stderr.write(
          `  ${progress.events.toLocaleString("en-GB")} events (chain ${progress.chainId} at seq ${progress.seq}), ${rate.toLocaleString("en-GB")} events/s\n`,
        );
      },
    });
    if (args.includes("--verbose")) {
      for (const chain of report.chains) {
        process.stdout.write(
          `  chain ${chain.chainId}: ${chain.events} events, ${chain.checkpoints} checkpoints matched\n`,
        );
      }
    }
    if (!report.ok && report.failure) {
      process.stderr.write(`${describeFailure(report.failure)}\n`);
      process.stderr.write(`${describeReport(report, { publicKey: publicKey !== null })}\n`);
      return 1;
    }
    process.stdout.write(`${describeReport(report, { publicKey: publicKey !== null })}\n`);
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
