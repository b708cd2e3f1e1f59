import { setTimeout as sleep } from "node:timers/promises";
import { sql, type Kysely } from "kysely";
import type { Logger } from "pino";
import type { DatabaseConfig } from "../db/config";
import { createKysely, createPool, type PoolErrorReporter } from "../db/connection";
import { EmbeddedStartFailed, startEmbeddedPostgres, type EmbeddedDatabase } from "../db/embedded";
import { migrateToLatest } from "../db/migrate";
import type { Database } from "../db/types";
import { unavailabilityCode } from "../db/unavailable";

/** The database the server uses, reached and brought to the latest migration. */
export interface OpenedDatabase {
  appUrl: string;
  ownerUrl: string | undefined;
  /** The embedded server, when no DATABASE_URL was given. */
  embedded: EmbeddedDatabase | null;
  /** The demo partnership is there (an embedded database is always seeded with it). */
  demo: boolean;
}

/** Waits between attempts to reach the database: 1 s, 2 s, 4 s … never more than 30 s. */
export function retryDelayMs(attempt: number): number {
  return Math.min(30_000, 1_000 * 2 ** Math.min(attempt, 5));
}

/** Thrown out of a wait when the server is told to stop before it has started. */
export class StartAbandoned extends Error {
  override name = "StartAbandoned";
}

/**
 * Reach the database, starting the embedded one when DATABASE_URL is not set, then migrate (with
 * DATABASE_OWNER_URL, or always for the embedded one) and seed the demo partnership (embedded only).
 * While the database cannot be reached the server says so in one line, naming the address and the
 * error's code (never a password), and tries again with backoff rather than starting a service
 * that cannot work. Any other failure (a migration that fails, a bad cluster) is thrown.
 */
export async function openDatabase(
  config: DatabaseConfig,
  options: {
    logger: Logger;
    /** Aborted when the server is told to stop while it is still waiting for the database. */
    signal: AbortSignal;
    /** Seed the demo partnership into an embedded database; true when it was added. */
    seedDemo: (ownerDb: Kysely<Database>) => Promise<boolean>;
  },
): Promise<OpenedDatabase> {
  const { logger, signal } = options;
  const reportPoolError: PoolErrorReporter = (message, error) =>
    logger.warn({ code: errorCode(error) }, message);
  let embedded: EmbeddedDatabase | null = null;
  let lastCode: string | null = null;
  for (let attempt = 0; ; attempt++) {
    try {
      if (!config.appUrl && !embedded) {
        embedded = await startEmbeddedPostgres({
          dataDir: config.dataDir,
          port: config.embeddedPort,
          onLog: (message) => logger.debug({ postgres: message.trim() }, "embedded postgres"),
        });
        logger.info(
          { port: embedded.port, dataDir: config.dataDir, created: embedded.created },
          "embedded PostgreSQL started",
        );
      } else if (embedded && !embedded.isRunning()) {
        await embedded.restart();
      }
      const appUrl = embedded?.appUrl ?? config.appUrl;
      if (!appUrl) throw new Error("no database to reach");
      const ownerUrl = embedded?.ownerUrl ?? config.ownerUrl;
      if (!embedded) await probe(appUrl, config);
      if (ownerUrl) {
        const applied = await migrateToLatest(ownerUrl, config.pool, reportPoolError);
        if (applied.length) logger.info({ migrations: applied }, "migrations applied");
      } else {
        logger.info("DATABASE_OWNER_URL not set: migrations left to `npm run db:migrate`");
      }
      const demo =
        embedded && ownerUrl
          ? await seedDemo(ownerUrl, config, reportPoolError, logger, options.seedDemo)
          : false;
      if (lastCode) logger.info({ attempts: attempt + 1 }, "database reached");
      return { appUrl, ownerUrl, embedded, demo };
    } catch (error) {
      const code =
        unavailabilityCode(error) ??
        (error instanceof EmbeddedStartFailed ? "EMBEDDED_START_FAILED" : null);
      if (!code || signal.aborted) {
        await embedded?.stop();
        throw signal.aborted ? new StartAbandoned("stopped before starting") : error;
      }
      const retryInMs = retryDelayMs(attempt);
      const fields = {
        target:
          embedded || !config.appUrl ? embeddedTarget(config, embedded) : addressOf(config.appUrl),
        code,
        ...(error instanceof EmbeddedStartFailed ? { reason: error.message } : {}),
        retryInMs,
      };
      // One line says what cannot be reached; the same again is only worth a debug line.
      if (code !== lastCode) logger.warn(fields, "database unreachable: retrying");
      else logger.debug({ ...fields, attempt: attempt + 1 }, "database still unreachable");
      lastCode = code;
      try {
        await sleep(retryInMs, undefined, { signal });
      } catch {
        await embedded?.stop();
        throw new StartAbandoned("stopped before starting");
      }
    }
  }
}

/** One query as the application role, so an address that answers but refuses us counts too. */
async function probe(url: string, config: DatabaseConfig): Promise<void> {
  const db = createKysely(
    createPool(url, { ...config.pool, max: 1 }, () => undefined, {
      applicationName: "crosswalk-start",
    }),
  );
  try {
    await sql`select 1`.execute(db);
  } finally {
    await db.destroy();
  }
}

async function seedDemo(
  ownerUrl: string,
  config: DatabaseConfig,
  report: PoolErrorReporter,
  logger: Logger,
  seed: (ownerDb: Kysely<Database>) => Promise<boolean>,
): Promise<boolean> {
  const ownerDb = createKysely(createPool(ownerUrl, { ...config.pool, max: 1 }, report));
  try {
    if (await seed(ownerDb)) logger.info("demo partnership seeded");
    return true;
  } finally {
    await ownerDb.destroy();
  }
}

/** host:port of a database URL, without its user or password. */
export function addressOf(url: string): string {
  try {
    const parsed = new URL(url);
    const host = parsed.hostname || parsed.searchParams.get("host") || "localhost";
    return `${host}:${parsed.port || "5432"}`;
  } catch {
    return "the database in DATABASE_URL";
  }
}

function embeddedTarget(config: DatabaseConfig, embedded: EmbeddedDatabase | null): string {
  const port = embedded?.port ?? config.embeddedPort;
  return `embedded PostgreSQL${port ? ` on 127.0.0.1:${port}` : ""} in ${config.dataDir}`;
}

function errorCode(error: Error): string | undefined {
  const code = unavailabilityCode(error) ?? (error as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

/** What watches the embedded PostgreSQL; stop it before stopping the server. */
export interface EmbeddedSupervisor {
  stop(): void;
}

const WATCH_INTERVAL_MS = 500;

/**
 * Keep the embedded PostgreSQL running: when its postmaster dies (killed, or stopped after a PANIC
 * on a full disk) while the server is not shutting down, say so in one line and start it again,
 * with backoff, until it is back. The application's pool discards the broken connections and opens
 * new ones, so pages work again without restarting Crosswalk.
 */
export function superviseEmbedded(embedded: EmbeddedDatabase, logger: Logger): EmbeddedSupervisor {
  let stopped = false;
  let restarting = false;
  const stopping = new AbortController();
  const restart = async () => {
    restarting = true;
    const downSince = Date.now();
    logger.error({ port: embedded.port }, "embedded PostgreSQL stopped: restarting it");
    let lastReason: string | null = null;
    for (let attempt = 0; !stopped; attempt++) {
      try {
        await embedded.restart();
        logger.info(
          { port: embedded.port, attempts: attempt + 1, downMs: Date.now() - downSince },
          "embedded PostgreSQL restarted",
        );
        break;
      } catch (error) {
        if (stopped) break;
        const reason = error instanceof Error ? error.message : String(error);
        const retryInMs = retryDelayMs(attempt);
        if (reason !== lastReason)
          logger.warn(
            { port: embedded.port, reason, retryInMs },
            "embedded PostgreSQL did not start: retrying",
          );
        lastReason = reason;
        await sleep(retryInMs, undefined, { signal: stopping.signal }).catch(() => undefined);
      }
    }
    restarting = false;
  };
  const timer = setInterval(() => {
    if (!stopped && !restarting && !embedded.isRunning()) void restart();
  }, WATCH_INTERVAL_MS);
  timer.unref();
  return {
    stop: () => {
      stopped = true;
      stopping.abort();
      clearInterval(timer);
    },
  };
}

/**
 * /readyz's own connection to the database (a pool of one, with short timeouts), so that a full or
 * stuck application pool cannot delay the answer: it settles within a second either way.
 */
export function readinessProbe(url: string): {
  check: () => Promise<void>;
  close: () => Promise<void>;
} {
  const db = createKysely(
    createPool(
      url,
      {
        max: 1,
        connectTimeoutMs: 600,
        statementTimeoutMs: 400,
        idleInTransactionTimeoutMs: 1_000,
        lockTimeoutMs: 200,
        queueMax: 4,
      },
      () => undefined,
      { applicationName: "crosswalk-readiness" },
    ),
  );
  return {
    check: () => sql`select 1`.execute(db).then(() => undefined),
    close: () => db.destroy(),
  };
}
