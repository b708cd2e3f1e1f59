import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Server } from "node:http";
import type { ServerBuild } from "@remix-run/node";
import { broadcastDevReady } from "@remix-run/node";
import { ConfigurationError } from "../db/config";
import { createKysely, createPool } from "../db/connection";
import { startEmbeddedPostgres, type EmbeddedDatabase } from "../db/embedded";
import { migrateToLatest } from "../db/migrate";
import { seedDemoPartnership } from "../app/demo/demo-seed.server";
import { DEMO_ACCOUNTS, DEMO_PARTNERSHIP_NAME, DEMO_PASSWORD } from "../db/seed/demo";
import { createApp } from "./app";
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
  const reportPoolError = (message: string, error: Error) => logger.warn({ err: error }, message);
  // The key that seals single sign-on client secrets, before anything starts: a missing or bad
  // key stops the start (decision 016).
  const clientSecretKey = await loadClientSecretKey(
    config.singleSignOn.secretKeyFile,
    config.singleSignOn.createKey,
  );

  let embedded: EmbeddedDatabase | null = null;
  let appUrl = config.database.appUrl;
  let ownerUrl = config.database.ownerUrl;
  if (!appUrl) {
    embedded = await startEmbeddedPostgres({
      dataDir: config.database.dataDir,
      port: config.database.embeddedPort,
      onLog: (message) => logger.debug({ postgres: message.trim() }, "embedded postgres"),
    });
    appUrl = embedded.appUrl;
    ownerUrl = embedded.ownerUrl;
    logger.info(
      { port: embedded.port, dataDir: config.database.dataDir, created: embedded.created },
      "embedded PostgreSQL started",
    );
  }

  if (ownerUrl) {
    const applied = await migrateToLatest(ownerUrl, config.database.pool, reportPoolError);
    if (applied.length) logger.info({ migrations: applied }, "migrations applied");
  } else {
    logger.info("DATABASE_OWNER_URL not set: migrations left to `npm run db:migrate`");
  }

  let demo = false;
  if (embedded && ownerUrl) {
    const ownerDb = createKysely(
      createPool(ownerUrl, { ...config.database.pool, max: 1 }, reportPoolError),
    );
    try {
      if (await seedDemoPartnership(ownerDb)) logger.info("demo partnership seeded");
      demo = true;
    } finally {
      await ownerDb.destroy();
    }
  }

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
      if (embedded) await embedded.stop().catch(() => undefined);
      process.exit(1);
    }
    shuttingDown = true;
    firstSignalAt = Date.now();
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
    // The background work, when this process leads, finishes what it is doing and seals the last
    // requests' events; then the lease is given up for another process to take.
    await leader.stop();
    await db.destroy();
    await replicaDb?.destroy();
    if (embedded) await embedded.stop();
    logger.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", (signal) => void shutdown(signal));
  process.on("SIGINT", (signal) => void shutdown(signal));
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
