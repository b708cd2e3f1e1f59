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

/** A connection the audit commands read the access log through. */
export interface AuditDatabase {
  client: pg.Client;
  /** `owner` reads every chain; `app` (crosswalk_app) one partnership's chain at a time. */
  role: "owner" | "app";
  /** Where it connected, for messages; never includes a password. */
  description: string;
  /** How to open more connections like it (for verifying in parallel). Holds a password. */
  connection: { url: string; role: string | null };
  close(): Promise<void>;
}

/**
 * Connect for reading the access log: DATABASE_OWNER_URL (as crosswalk_owner), else DATABASE_URL
 * (as crosswalk_app), else the embedded database in DATA_DIR, reusing its server when Crosswalk is
 * running and otherwise starting it for the length of the command.
 */
export async function openAuditDatabase(env: Environment = process.env): Promise<AuditDatabase> {
  const config = loadDatabaseConfig(env);
  const url = config.ownerUrl ?? config.appUrl;
  if (url) {
    const client = await connect(url, config.ownerUrl ? OWNER_ROLE : null);
    return {
      client,
      role: config.ownerUrl ? "owner" : "app",
      description: config.ownerUrl ? "DATABASE_OWNER_URL" : "DATABASE_URL",
      connection: { url, role: config.ownerUrl ? OWNER_ROLE : null },
      close: () => client.end(),
    };
  }

  if (!hasEmbeddedCluster(config.dataDir)) {
    throw new ConfigurationError(
      `Configuration error: no embedded database in ${config.dataDir}; set DATABASE_OWNER_URL (or DATABASE_URL), or DATA_DIR to where Crosswalk keeps its data`,
    );
  }
  const port = await runningEmbeddedPort(config.dataDir);
  if (port) {
    const ownerUrl = await embeddedOwnerUrl(config.dataDir, port);
    const client = await connect(ownerUrl, OWNER_ROLE);
    return {
      client,
      role: "owner",
      description: `the running embedded database in ${config.dataDir}`,
      connection: { url: ownerUrl, role: OWNER_ROLE },
      close: () => client.end(),
    };
  }
  const embedded = await startEmbeddedPostgres({
    dataDir: config.dataDir,
    port: config.embeddedPort,
  });
  try {
    const client = await connect(embedded.ownerUrl, OWNER_ROLE);
    return {
      client,
      role: "owner",
      description: `the embedded database in ${config.dataDir}`,
      connection: { url: embedded.ownerUrl, role: OWNER_ROLE },
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

const connect = (url: string, role: string | null) => connectClient(url, role, "crosswalk-audit");
