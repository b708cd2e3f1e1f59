import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { APP_ROLE, OWNER_ROLE, bootstrapCluster, withCredentials } from "../../db/bootstrap";
import { startEmbeddedPostgres } from "../../db/embedded";
import { migrateToLatest } from "../../db/migrate";

export interface TestCluster {
  superuserUrl: string;
  ownerUrl: string;
  appUrl: string;
  template: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    testCluster: TestCluster;
  }
}

const POOL = {
  max: 2,
  connectTimeoutMs: 10_000,
  statementTimeoutMs: 30_000,
  idleInTransactionTimeoutMs: 30_000,
};

/**
 * One PostgreSQL for the whole run: an embedded server in a temporary directory, or the cluster at
 * TEST_DATABASE_URL (a superuser URL). A template database is migrated once; every test file then
 * clones it into a database of its own (test/support/database.ts).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const template = `crosswalk_template_${randomBytes(4).toString("hex")}`;
  const external = process.env.TEST_DATABASE_URL;
  let cluster: TestCluster;
  let stop: () => Promise<void>;

  if (external) {
    const ownerPassword = randomBytes(18).toString("base64url");
    const appPassword = randomBytes(18).toString("base64url");
    await bootstrapCluster(external, { database: template, ownerPassword, appPassword });
    cluster = {
      superuserUrl: external,
      ownerUrl: withCredentials(external, { user: OWNER_ROLE, password: ownerPassword }),
      appUrl: withCredentials(external, { user: APP_ROLE, password: appPassword }),
      template,
    };
    stop = () => Promise.resolve();
  } else {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "crosswalk-test-"));
    const embedded = await startEmbeddedPostgres({ dataDir, port: 0, database: template });
    cluster = {
      superuserUrl: embedded.superuserUrl,
      ownerUrl: embedded.ownerUrl,
      appUrl: embedded.appUrl,
      template,
    };
    stop = async () => {
      await embedded.stop();
      await fs.rm(dataDir, { recursive: true, force: true });
    };
  }

  await migrateToLatest(
    withCredentials(cluster.ownerUrl, { database: template }),
    POOL,
    (message, error) => {
      throw new Error(`${message}: ${error.message}`);
    },
  );
  // A template is cloned, never connected to: mark it so.
  await superuserQuery(
    cluster.superuserUrl,
    `alter database ${pg.escapeIdentifier(template)} with is_template true`,
  );
  project.provide("testCluster", cluster);

  return async () => {
    await superuserQuery(
      cluster.superuserUrl,
      `alter database ${pg.escapeIdentifier(template)} with is_template false`,
    );
    await superuserQuery(
      cluster.superuserUrl,
      `drop database if exists ${pg.escapeIdentifier(template)} with (force)`,
    );
    await stop();
  };
}

async function superuserQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
