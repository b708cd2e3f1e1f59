import { randomBytes } from "node:crypto";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, inject } from "vitest";
import { createDatabase, withCredentials } from "../../db/bootstrap";
import { createKysely, createPool } from "../../db/connection";
import type { Database } from "../../db/types";

export interface TestDatabase {
  name: string;
  /** The application role: what the app connects as, subject to row-level security. */
  app: Kysely<Database>;
  /** The owner role: sets up data for a test (still subject to forced row-level security). */
  owner: Kysely<Database>;
  /** A superuser on this database, for what only an attacker with full access could do. */
  superuser: Kysely<Database>;
  appUrl: string;
  ownerUrl: string;
  superuserUrl: string;
}

const POOL = {
  max: 4,
  connectTimeoutMs: 10_000,
  statementTimeoutMs: 30_000,
  idleInTransactionTimeoutMs: 30_000,
};
const failOnPoolError = (message: string, error: Error) => {
  throw new Error(`${message}: ${error.message}`);
};

/**
 * Give this test file a database of its own, cloned from the migrated template, and drop it after.
 * Call at the top level of a test file; the returned object is filled in before the first test.
 */
export function useTestDatabase(): TestDatabase {
  const handle = {} as TestDatabase;
  beforeAll(async () => {
    const cluster = inject("testCluster");
    const name = `crosswalk_test_${randomBytes(6).toString("hex")}`;
    const admin = new pg.Client({ connectionString: cluster.superuserUrl });
    await admin.connect();
    try {
      await createDatabase(admin, name, cluster.template);
    } finally {
      await admin.end();
    }
    const appUrl = withCredentials(cluster.appUrl, { database: name });
    const ownerUrl = withCredentials(cluster.ownerUrl, { database: name });
    const superuserUrl = withCredentials(cluster.superuserUrl, { database: name });
    Object.assign(handle, {
      name,
      appUrl,
      ownerUrl,
      superuserUrl,
      app: createKysely(createPool(appUrl, POOL, failOnPoolError)),
      owner: createKysely(createPool(ownerUrl, POOL, failOnPoolError)),
      superuser: new Kysely<Database>({
        dialect: new PostgresDialect({
          pool: new pg.Pool({ connectionString: superuserUrl, max: 2 }),
        }),
      }),
    } satisfies TestDatabase);
  });
  afterAll(async () => {
    await Promise.all([
      handle.app?.destroy(),
      handle.owner?.destroy(),
      handle.superuser?.destroy(),
    ]);
    if (!handle.name) return;
    const admin = new pg.Client({ connectionString: inject("testCluster").superuserUrl });
    await admin.connect();
    try {
      await admin.query(`drop database if exists ${pg.escapeIdentifier(handle.name)} with (force)`);
    } finally {
      await admin.end();
    }
  });
  return handle;
}
