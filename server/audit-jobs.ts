import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { sql, type Kysely } from "kysely";
import pg from "pg";
import type { Logger } from "pino";
import { OWNER_ROLE } from "../db/bootstrap";
import { createPublicKey } from "node:crypto";
import { ensureSigningKey, readSigningKey, verifierKey } from "../db/audit/checkpoint";
import { sealVerifyAndSign } from "../db/audit/checkpoint-run";
import { describeFailure } from "../db/audit/report";
import { SEAL_BATCH, sealAll, sealThrough, type SealCall } from "../db/audit/seal";
import type { Database } from "../db/types";
import { unavailabilityCode } from "../db/unavailable";
import type { AuditJobSettings } from "./config";

/**
 * The access log's background work in the server (docs/decisions/009-audit-sealer-and-partitions.md):
 *
 * - the sealer, every AUDIT_SEAL_INTERVAL_MS: audit_seal() until a call seals less than a batch;
 * - the partitions, at start and daily: audit_ensure_partitions(AUDIT_PARTITION_MONTHS_AHEAD),
 *   and then the expiry of week-old one-time submission ids;
 * - checkpoints, every AUDIT_CHECKPOINT_MINUTES (10), with AUDIT_SIGNING_KEY_FILE or else the
 *   default key that the first start makes in DATA_DIR/audit-keys: seal, verify, sign each
 *   chain's head into the folder, the database's copy and the witness (what
 *   `npm run audit:checkpoint` does; docs/decisions/014-default-signed-checkpoints.md).
 *
 * None of them can stop the server: a failure is logged and tried again, sooner at first and then
 * less often. They stop cleanly on shutdown, finishing the run in progress.
 */

/** Time and timers, injectable so that tests drive the schedule themselves. */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => {
    const timer = setTimeout(callback, ms);
    // Background work never keeps the process alive on its own.
    timer.unref();
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface RepeatingJob {
  /** Stop scheduling runs, and wait for the one in progress (if any) to finish. */
  stop(): Promise<void>;
  /** Resolves when no run is in progress (for tests). */
  whenIdle(): Promise<void>;
}

/** What a run can ask of its job: whether the server is stopping, to end a long run early. */
export interface JobRun {
  readonly stopping: boolean;
}

export interface RepeatingJobOptions {
  name: string;
  run: (job: JobRun) => Promise<void>;
  /** Wait before the first run. */
  firstDelayMs: number;
  /** Wait after each run that succeeded, before the next. */
  intervalMs: number;
  /** Wait after a first failure (default intervalMs); doubles with each failure in a row... */
  retryMs?: number;
  /** ...up to this (default the longer of intervalMs and 30 s). */
  maxRetryMs?: number;
  logger: Logger;
  clock?: Clock;
}

/** Run `run` again and again: each run starts `intervalMs` after the previous one ended. */
export function startRepeatingJob(options: RepeatingJobOptions): RepeatingJob {
  const clock = options.clock ?? systemClock;
  const retryMs = options.retryMs ?? options.intervalMs;
  const maxRetryMs = options.maxRetryMs ?? Math.max(options.intervalMs, 30_000);
  const state = { stopping: false };
  let timer: unknown = null;
  let running: Promise<void> | null = null;
  let failures = 0;

  const schedule = (ms: number) => {
    if (state.stopping) return;
    timer = clock.setTimeout(tick, ms);
  };
  const tick = () => {
    timer = null;
    running = (async () => {
      try {
        await options.run(state);
        failures = 0;
      } catch (error) {
        failures += 1;
        // The database away is an outage the host already reports: one line, no stack.
        const code = unavailabilityCode(error);
        if (code) {
          options.logger.warn(
            { code, job: options.name, failuresInARow: failures },
            `${options.name} could not reach the database; it will be tried again`,
          );
        } else {
          options.logger.error(
            { err: error, job: options.name, failuresInARow: failures },
            `${options.name} failed; it will be tried again`,
          );
        }
      }
    })().finally(() => {
      running = null;
      schedule(
        failures === 0 ? options.intervalMs : Math.min(retryMs * 2 ** (failures - 1), maxRetryMs),
      );
    });
  };
  schedule(options.firstDelayMs);

  return {
    async stop() {
      state.stopping = true;
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
      await running;
    },
    async whenIdle() {
      while (running) await running;
    },
  };
}

/** The sealer: every `intervalMs`, audit_seal() until a call seals less than a batch. */
export function startSealer(options: {
  seal: SealCall;
  intervalMs: number;
  batch?: number;
  logger: Logger;
  clock?: Clock;
}): RepeatingJob {
  const batch = options.batch ?? SEAL_BATCH;
  return startRepeatingJob({
    name: "access log sealer",
    firstDelayMs: 0,
    intervalMs: options.intervalMs,
    logger: options.logger,
    ...(options.clock ? { clock: options.clock } : {}),
    run: async (job) => {
      let sealed = 0;
      // A backlog is worked through a batch at a time, stopping between batches on shutdown.
      for (;;) {
        const count = await options.seal(batch);
        sealed += count;
        if (count < batch || job.stopping) break;
      }
      if (sealed > 0) options.logger.debug({ sealed }, "access log events sealed");
    },
  });
}

/** When the newest checkpoint note in `dir` was written, or null when there is none. */
export async function newestCheckpointTime(dir: string): Promise<number | null> {
  if (!existsSync(dir)) return null;
  let newest: number | null = null;
  for (const chain of await fs.readdir(dir, { withFileTypes: true })) {
    if (!chain.isDirectory()) continue;
    for (const note of await fs.readdir(path.join(dir, chain.name))) {
      if (!note.endsWith(".note")) continue;
      const { mtimeMs } = await fs.stat(path.join(dir, chain.name, note));
      newest = newest === null ? mtimeMs : Math.max(newest, mtimeMs);
    }
  }
  return newest;
}

/**
 * How long until the next checkpoint is due: an interval after the newest note, so that a server
 * restarted more often than the interval still signs on time; at once when there is none.
 */
export function checkpointDelayMs(newest: number | null, now: number, intervalMs: number): number {
  if (newest === null) return 0;
  return Math.min(intervalMs, Math.max(0, newest + intervalMs - now));
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Start the sealer, the partition upkeep and (when configured) scheduled checkpoints. */
export async function startAuditJobs(options: {
  /** The application's pool: sealing and partitions run as crosswalk_app, through SECURITY DEFINER functions. */
  db: Kysely<Database>;
  /** Checkpoints read every chain and its head: they connect as the owner. */
  ownerUrl: string | undefined;
  settings: AuditJobSettings;
  logger: Logger;
  clock?: Clock;
}): Promise<{ jobs: RepeatingJob[]; stop(): Promise<void> }> {
  const { db, settings, logger } = options;
  const clock = options.clock ?? systemClock;
  // First, so that a key that cannot be made stops the jobs before any runs.
  await prepareAuditJobs(settings, logger);
  const jobs: RepeatingJob[] = [
    startSealer({
      seal: sealThrough(db),
      intervalMs: settings.sealIntervalMs,
      logger,
      clock,
    }),
    startRepeatingJob({
      name: "access log partitions",
      firstDelayMs: 0,
      intervalMs: DAY_MS,
      retryMs: 10 * 60_000,
      maxRetryMs: 60 * 60_000,
      logger,
      clock,
      run: async () => {
        const result = await sql<{
          created: number;
        }>`select audit_ensure_partitions(${settings.partitionMonthsAhead}) as created`.execute(db);
        const created = result.rows[0]?.created ?? 0;
        if (created > 0) logger.info({ created }, "access log partitions created");
        // One-time submission ids answer a form sent again within days, not for ever
        // (docs/decisions/018-one-time-submission-ids.md).
        await sql`select form_submissions_expire(7)`.execute(db);
      },
    }),
  ];

  const checkpoints = settings.checkpoints;
  if (checkpoints && !options.ownerUrl) {
    logger.warn(
      "scheduled access-log checkpoints need DATABASE_OWNER_URL (they read every chain's head): not scheduled; run `npm run audit:checkpoint` instead",
    );
  } else if (checkpoints && options.ownerUrl) {
    const ownerUrl = options.ownerUrl;
    const newest = await newestCheckpointTime(checkpoints.dir);
    jobs.push(
      startRepeatingJob({
        name: "access log checkpoint",
        firstDelayMs: checkpointDelayMs(newest, clock.now(), checkpoints.intervalMs),
        intervalMs: checkpoints.intervalMs,
        retryMs: Math.min(5 * 60_000, checkpoints.intervalMs),
        maxRetryMs: checkpoints.intervalMs,
        logger,
        clock,
        run: () => writeScheduledCheckpoint(ownerUrl, checkpoints, logger, clock),
      }),
    );
    logger.info(
      {
        everyMinutes: checkpoints.intervalMs / 60_000,
        dir: checkpoints.dir,
        witness: checkpoints.witnessDir,
      },
      "access log checkpoints scheduled",
    );
    if (!checkpoints.witnessDir) {
      logger.info(
        "no AUDIT_WITNESS_DIR: checkpoints are kept on this host and in the database only, so whoever controls both can remove the newest unseen",
      );
    }
  }
  return {
    jobs,
    stop: async () => {
      await Promise.all(jobs.map((job) => job.stop()));
      // Seal what the last requests wrote, rather than leave it for the next start.
      await sealAll(sealThrough(db)).catch((error: unknown) => {
        const code = unavailabilityCode(error);
        logger.warn(
          code ? { code } : { err: error },
          "access log events left unsealed at shutdown",
        );
      });
    },
  };
}

/**
 * What the jobs need before any process runs them: the default signing key, made at the first
 * start when no AUDIT_SIGNING_KEY_FILE is set. The server calls this at start, whether or not it
 * holds the leader lease, so that a key that cannot be made stops the start.
 */
export async function prepareAuditJobs(settings: AuditJobSettings, logger: Logger): Promise<void> {
  if (!settings.checkpoints?.createKey) return;
  await ensureDefaultKey(settings.checkpoints.signingKeyFile, settings.checkpoints.keyName, logger);
}

/**
 * Make the default signing key if it is not there yet (the first start), and say where it is and
 * what its verifier key is, so that it can be published beside the checkpoints.
 */
async function ensureDefaultKey(file: string, keyName: string, logger: Logger): Promise<void> {
  const { created, publicKeyFile } = await ensureSigningKey(file).catch((error: unknown) => {
    throw new Error(
      `the access log's signing key could not be made at ${file} (${error instanceof Error ? error.message : String(error)}); set AUDIT_SIGNING_KEY_FILE to a key made by \`npm run audit:keygen\``,
    );
  });
  if (!created) return;
  const key = await readSigningKey(file, keyName);
  logger.info(
    {
      privateKeyFile: file,
      publicKeyFile,
      verifierKey: verifierKey(keyName, createPublicKey(key.privateKey)),
    },
    "access log signing key created: keep it away from the database and its operators",
  );
}

/** One scheduled checkpoint: seal, verify, sign, over a connection of its own as the owner. */
async function writeScheduledCheckpoint(
  ownerUrl: string,
  settings: NonNullable<AuditJobSettings["checkpoints"]>,
  logger: Logger,
  clock: Clock,
): Promise<void> {
  const key = await readSigningKey(settings.signingKeyFile, settings.keyName);
  const client = new pg.Client({
    connectionString: ownerUrl,
    application_name: "crosswalk-audit-checkpoint",
  });
  await client.connect();
  try {
    await client.query(`set role ${pg.escapeIdentifier(OWNER_ROLE)}`);
    const run = await sealVerifyAndSign(client, {
      key,
      dir: settings.dir,
      witnessDir: settings.witnessDir,
      now: () => clock.now(),
    });
    // A checkpoint missing from the folder or the database was removed by someone (or a write
    // failed half-way): a finding. The witness lagging is only a delivery to catch up.
    const witnessed = run.restored.filter((entry) => entry.into === "witness" && !entry.error);
    if (witnessed.length) {
      logger.info({ checkpoints: witnessed.length }, "checkpoints copied to the witness");
    }
    for (const entry of run.restored.filter((candidate) => candidate.into !== "witness")) {
      logger.error(
        {
          chainId: entry.chainId,
          number: entry.number,
          missingFrom: entry.into,
          copiedFrom: entry.from,
          error: entry.error,
        },
        "a checkpoint was missing from a copy: put back",
      );
    }
    for (const problem of new Set(run.witnessErrors)) {
      logger.error(
        { problem },
        "the witness could not be given the checkpoints; it will be caught up",
      );
    }
    if (!run.report.ok && run.report.failure) {
      // A finding, not a fault: it will not go away by trying again sooner.
      logger.error(
        { problem: describeFailure(run.report.failure) },
        "the access log does not verify: no checkpoint signed",
      );
      return;
    }
    logger.info(
      {
        events: run.report.events,
        chains: run.report.chains.length,
        signed: run.notes.filter((note) => note.written).length,
        seconds: Math.round(run.report.elapsedMs) / 1000,
      },
      "access log verified and checkpoints signed",
    );
  } finally {
    await client.end();
  }
}
