import fs from "node:fs/promises";
import path from "node:path";
import type { Kysely } from "kysely";
import { APP_ROLE, OWNER_ROLE, withCredentials } from "../../../db/bootstrap";
import { createKysely, createPool } from "../../../db/connection";
import type { Database } from "../../../db/types";
import { startCrosswalk, type CrosswalkServer } from "../../e2e/support/server";

/** Where a security test server listens and keeps its embedded database. */
export interface ServerAddress {
  baseUrl: string;
  dataDir: string;
  databasePort: number;
}

/**
 * A production Crosswalk server with its own embedded PostgreSQL and demo partnership (as the
 * end-to-end tests start one), behind no proxy but trusting one on loopback: a request that says
 * `X-Forwarded-Proto: https` counts as HTTPS, as it would behind a TLS-terminating proxy, and any
 * other request is plain HTTP as usual.
 */
export async function startSecurityServer(appDir: string): Promise<CrosswalkServer> {
  const previous = process.env.TRUST_PROXY;
  // startCrosswalk passes this process's environment to the server it spawns.
  process.env.TRUST_PROXY = "loopback";
  try {
    return await startCrosswalk({ appDir });
  } finally {
    if (previous === undefined) delete process.env.TRUST_PROXY;
    else process.env.TRUST_PROXY = previous;
  }
}

export function addressOf(server: CrosswalkServer): ServerAddress {
  return { baseUrl: server.baseUrl, dataDir: server.dataDir, databasePort: server.databasePort };
}

interface Credentials {
  superuser: string;
  owner: string;
  app: string;
}

const POOL = {
  max: 3,
  connectTimeoutMs: 10_000,
  statementTimeoutMs: 30_000,
  idleInTransactionTimeoutMs: 30_000,
};

/** The server's database as `superuser` (past row-level security), the owner or the app role. */
export async function connectTo(
  address: ServerAddress,
  as: "superuser" | "owner" | "app",
): Promise<Kysely<Database>> {
  const credentials = JSON.parse(
    await fs.readFile(path.join(address.dataDir, "credentials.json"), "utf8"),
  ) as Credentials;
  const user = { superuser: "postgres", owner: OWNER_ROLE, app: APP_ROLE }[as];
  const url = withCredentials(`postgres://127.0.0.1:${address.databasePort}/postgres`, {
    user,
    password: credentials[as],
    database: "crosswalk",
  });
  return createKysely(
    createPool(url, POOL, (message, error) => {
      throw new Error(`${message}: ${error.message}`);
    }),
  );
}
