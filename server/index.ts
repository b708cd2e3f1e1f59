import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Server } from "node:http";
import type { ServerBuild } from "@remix-run/node";
import { broadcastDevReady } from "@remix-run/node";
import type { Logger } from "pino";
import { ConfigurationError } from "../db/config";
import { createKysely, createPool } from "../db/connection";
import { unavailabilityCode } from "../db/unavailable";
import { seedDemoPartnership } from "../app/demo/demo-seed.server";
import { DEMO_ACCOUNTS, DEMO_PARTNERSHIP_NAME, DEMO_PASSWORD } from "../db/seed/demo";
import { createApp } from "./app";
import {
  openDatabase,
  readinessProbe,
  StartAbandoned,
  superviseEmbedded,
  type OpenedDatabase,
} from "./database";
import { prepareAuditJobs, startAuditJobs } from "./audit-jobs";
import { startNotificationMailer } from "./notification-mailer";
import { loadClientSecretKey } from "./client-secret-key";
import { startLeaderLease } from "./leader";
import { listeningUrl, loadServerConfig, type ServerConfig } from "./config";
import { createLogger } from "./logger";

const BUILD_PATH = path.resolve("build/server/index.js");

async function main(): Promise<void> {
  let config: ServerConfig;
  try {
    config = loadServerConfig();
  } catch (error) {
    if (error instanceof ConfigurationError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  // A connection lost or refused is logged by its code: its stack says nothing an operator can use.
  const reportPoolError = (message: string, error: Error) =>
    logger.warn({ code: unavailabilityCode(error) ?? (error as { code?: string }).code }, message);
  // The key that seals single sign-on client secrets, before anything starts: a missing or bad
  // key stops the start (decision 016).
  const clientSecretKey = await loadClientSecretKey(
    config.singleSignOn.secretKeyFile,
    config.singleSignOn.createKey,
  );

  // Until it serves, a signal stops the start (and any embedded database) at once.
  const startAbandoned = new AbortController();
  const abandonStart = () => startAbandoned.abort();
  process.once("SIGTERM", abandonStart);
  process.once("SIGINT", abandonStart);

  let opened: OpenedDatabase;
  try {
    opened = await openDatabase(config.database, {
      logger,
      signal: startAbandoned.signal,
      seedDemo: seedDemoPartnership,
    });
  } catch (error) {
    if (!(error instanceof StartAbandoned)) throw error;
    logger.info("stopped before starting");
    process.exit(0);
  }
  const { appUrl, ownerUrl, embedded, demo } = opened;
  // The embedded PostgreSQL is started again if it dies while Crosswalk runs.
  const supervisor = embedded ? superviseEmbedded(embedded, logger) : null;
  const readiness = readinessProbe(appUrl);

  const pool = createPool(appUrl, config.database.pool, reportPoolError);
  const db = createKysely(pool);
  // Dashboards and audit searches read from the replica, when there is one (docs/SCALING.md).
  const replicaUrl = config.database.replicaUrl;
  const replicaDb = replicaUrl
    ? createKysely(
        createPool(replicaUrl, config.database.pool, reportPoolError, {
          applicationName: "crosswalk-replica-reads",
        }),
      )
    : undefined;
  if (replicaDb) logger.info("dashboards and audit searches read from DATABASE_REPLICA_URL");
  const build = (await import(pathToFileURL(BUILD_PATH).href)) as ServerBuild;

  let shuttingDown = false;
  let publicUrl = config.publicUrl;
  // The access log's sealer, partitions ahead and scheduled checkpoints, and notification emails
  // from the outbox when SMTP_URL is set (decision 017), run on one process at a time: whichever
  // holds the leader lease (docs/SCALING.md).
  await prepareAuditJobs(config.audit, logger);
  const leader = startLeaderLease({
    connectionString: appUrl,
    logger,
    lead: async () => {
      const auditJobs = await startAuditJobs({ db, ownerUrl, settings: config.audit, logger });
      const mail = config.mail;
      const mailer = mail
        ? startNotificationMailer({ db, settings: mail, publicUrl: () => publicUrl, logger })
        : null;
      return {
        stop: async () => {
          await mailer?.stop();
          mailer?.close();
          await auditJobs.stop();
        },
      };
    },
  });
  if (!config.mail)
    logger.info("no SMTP_URL: notifications are shown in the app only, not emailed");
  const app = createApp({
    db,
    logger,
    sessions: config.auth,
    build,
    mode: config.env,
    trustProxy: config.trustProxy,
    publicUrl: () => publicUrl,
    maxBodyBytes: config.maxFormBytes,
    clientSecretKey,
    ...(replicaDb ? { replicaDb } : {}),
    isShuttingDown: () => shuttingDown,
    readiness: readiness.check,
  });

  const server: Server = app.listen(config.port, config.host, () => {
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : config.port;
    if (!config.publicUrlConfigured) publicUrl = listeningUrl(config.host, port);
    logger.info({ host: config.host, port }, "listening");
    printBanner(`http://${config.host === "0.0.0.0" ? "localhost" : config.host}:${port}`, demo);
    if (config.env === "development") void broadcastDevReady(build);
  });

  let firstSignalAt = 0;
  const shutdown = async (signal: string) => {
    if (shuttingDown) {
      // `npm start` in a terminal: Ctrl-C reaches both npm (which passes it on) and this process,
      // so one keypress arrives twice. Only a signal well after the first means "stop now".
      if (Date.now() - firstSignalAt < 2_000) return;
      logger.warn({ signal }, "second signal: exiting at once");
      supervisor?.stop();
      if (embedded) await embedded.stop().catch(() => undefined);
      process.exit(1);
    }
    shuttingDown = true;
    firstSignalAt = Date.now();
    // From here a crashed embedded database stays down: it is about to be stopped anyway.
    supervisor?.stop();
    logger.info({ signal }, "shutting down: finishing requests in flight");
    // First stop looking ready (load balancers stop sending work) while still accepting: a
    // connection already queued by the kernel but not yet accepted would be reset by closing now.
    await new Promise((resolve) => setTimeout(resolve, config.shutdownDrainMs));
    // Requests already running finish; a deadline stops a stuck one from holding the process.
    const deadline = setTimeout(() => server.closeAllConnections(), config.shutdownGraceMs);
    deadline.unref();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
    });
    clearTimeout(deadline);
    // A crashed database must not hold the exit: each step that may wait for it has a deadline.
    // The background work, when this process leads, finishes what it is doing and seals the last
    // requests' events; then the lease is given up for another process to take.
    await within(leader.stop(), 1_500, "background work", logger);
    await within(
      Promise.all([db.destroy(), readiness.close()]),
      500,
      "database connections",
      logger,
    );
    await replicaDb?.destroy();
    if (embedded) await embedded.stop();
    logger.info("stopped");
    process.exit(0);
  };
  process.removeListener("SIGTERM", abandonStart);
  process.removeListener("SIGINT", abandonStart);
  process.on("SIGTERM", (signal) => void shutdown(signal));
  process.on("SIGINT", (signal) => void shutdown(signal));
  if (startAbandoned.signal.aborted) void shutdown("SIGTERM");
}

/** Wait for a step of the shutdown, but no longer than `ms`: then say so and go on. */
async function within(
  step: Promise<unknown>,
  ms: number,
  what: string,
  logger: Logger,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    step.then(
      () => false,
      () => false,
    ),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), ms);
    }),
  ]);
  clearTimeout(timer);
  if (timedOut) logger.warn({ step: what, waitedMs: ms }, "shutdown step did not finish in time");
}

function printBanner(url: string, demo: boolean): void {
  const lines = [``, `  Crosswalk is running at ${url}`];
  if (demo) {
    lines.push(
      ``,
      `  Demo data: ${DEMO_PARTNERSHIP_NAME} (fictional).`,
      `  Every demo account's password is "${DEMO_PASSWORD}" — demo seed only, never for real data.`,
      ...DEMO_ACCOUNTS.map((account) => `    ${account.email.padEnd(44)} ${account.role}`),
    );
  }
  process.stderr.write(`${lines.join("\n")}\n\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `Crosswalk could not start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
