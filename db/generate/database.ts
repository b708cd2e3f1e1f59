import type pg from "pg";
import { OWNER_ROLE } from "../bootstrap";
import { connectClient } from "../connection";
import { ConfigurationError, loadDatabaseConfig, type Environment } from "../config";
import {
  embeddedOwnerUrl,
  hasEmbeddedCluster,
  runningEmbeddedPort,
  startEmbeddedPostgres,
} from "../embedded";
import { migrateToLatest } from "../migrate";

/** Where `npm run db:generate` writes: a connection as the owner role, and how to reach it again. */
export interface GenerateDatabase {
  client: pg.Client;
  /** The owner's URL and the role to set on it, for more connections (verifying in parallel). */
  connection: { url: string; role: string | null };
  /** Where it connected, for messages; never includes a password. */
  description: string;
  /** The embedded data directory, when it is the embedded database. */
  dataDir: string | null;
  /** Another connection like `client`, which the caller ends. */
  connect(): Promise<pg.Client>;
  close(): Promise<void>;
}

const POOL = {
  max: 1,
  connectTimeoutMs: 10_000,
  statementTimeoutMs: 600_000,
  idleInTransactionTimeoutMs: 600_000,
};

/**
 * Open the database the app serves: DATABASE_OWNER_URL (or DATABASE_URL) when set, otherwise the
 * embedded one in DATA_DIR, reusing its server when Crosswalk is running there and otherwise
 * starting it for the length of the command. Migrates it first, as the server would at start.
 */
export async function openGenerateDatabase(
  env: Environment = process.env,
): Promise<GenerateDatabase> {
  const config = loadDatabaseConfig(env);
  const report = (message: string, error: Error) => {
    process.stderr.write(`${message}: ${error.message}\n`);
  };
  const url = config.ownerUrl ?? config.appUrl;
  if (url) {
    const role = config.ownerUrl ? OWNER_ROLE : null;
    await migrateToLatest(url, POOL, report);
    const client = await connect(url, role);
    return {
      client,
      connection: { url, role },
      description: config.ownerUrl ? "DATABASE_OWNER_URL" : "DATABASE_URL",
      dataDir: null,
      connect: () => connect(url, role),
      close: () => client.end(),
    };
  }

  const port = hasEmbeddedCluster(config.dataDir)
    ? await runningEmbeddedPort(config.dataDir)
    : null;
  if (port) {
    const ownerUrl = await embeddedOwnerUrl(config.dataDir, port);
    await migrateToLatest(ownerUrl, POOL, report);
    const client = await connect(ownerUrl, OWNER_ROLE);
    return {
      client,
      connection: { url: ownerUrl, role: OWNER_ROLE },
      description: `the running embedded database in ${config.dataDir}`,
      dataDir: config.dataDir,
      connect: () => connect(ownerUrl, OWNER_ROLE),
      close: () => client.end(),
    };
  }
  const embedded = await startEmbeddedPostgres({
    dataDir: config.dataDir,
    port: config.embeddedPort,
  });
  try {
    await migrateToLatest(embedded.ownerUrl, POOL, report);
    const client = await connect(embedded.ownerUrl, OWNER_ROLE);
    return {
      client,
      connection: { url: embedded.ownerUrl, role: OWNER_ROLE },
      description: `the embedded database in ${config.dataDir}`,
      dataDir: config.dataDir,
      connect: () => connect(embedded.ownerUrl, OWNER_ROLE),
      close: async () => {
        await client.end();
        await embedded.stop();
      },
    };
  } catch (error) {
    await embedded.stop();
    throw error;
  }
}

const connect = (url: string, role: string | null) =>
  connectClient(url, role, "crosswalk-generate");

export { ConfigurationError };
