import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
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

/** Pool settings for test connections; `max` is raised where a test runs many writers. */
export const TEST_POOL = {
  max: 4,
  connectTimeoutMs: 10_000,
  statementTimeoutMs: 30_000,
  idleInTransactionTimeoutMs: 30_000,
};
export const failOnPoolError = (message: string, error: Error & { code?: string }) => {
  // 57P01 (admin shutdown): the database is dropped with (force) after the file's tests, and
  // pg-pool's end() resolves before its clients' connections have closed, so one still closing
  // may be told so (dropDatabase waits for them, but not for ever). Nothing else in the tests
  // terminates a connection; any other error fails.
  if (error.code === "57P01") return;
  throw new Error(`${message}: ${error.message}`);
};

/**
 * Wait until no connection is open to a database (up to 5 s). pg-pool's end() resolves before the
 * connections it is closing have gone: a database is not dropped, or copied as a template, under
 * them.
 */
export async function waitUntilUnused(admin: pg.Client, name: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const open = await admin.query<{ count: string }>(
      "select count(*) as count from pg_stat_activity where datname = $1",
      [name],
    );
    if (Number(open.rows[0]?.count) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Drop a test database once the connections its pools were closing have gone; a forced drop
 * terminates any still open, and a terminated idle client would report an error after its test
 * file has finished.
 */
export async function dropDatabase(name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: inject("testCluster").superuserUrl });
  await admin.connect();
  try {
    await waitUntilUnused(admin, name);
    await admin.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`);
  } finally {
    await admin.end();
  }
}

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
      app: createKysely(createPool(appUrl, TEST_POOL, failOnPoolError)),
      owner: createKysely(createPool(ownerUrl, TEST_POOL, failOnPoolError)),
      superuser: createKysely(createPool(superuserUrl, { ...TEST_POOL, max: 2 }, failOnPoolError)),
    } satisfies TestDatabase);
  });
  afterAll(async () => {
    await Promise.all([
      handle.app?.destroy(),
      handle.owner?.destroy(),
      handle.superuser?.destroy(),
    ]);
    if (handle.name) await dropDatabase(handle.name);
  });
  return handle;
}
