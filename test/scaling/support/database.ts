import { randomBytes } from "node:crypto";
import { APP_ROLE, OWNER_ROLE, bootstrapCluster, withCredentials } from "../../../db/bootstrap";
import { createKysely, createPool } from "../../../db/connection";
import { migrateToLatest } from "../../../db/migrate";
import { TEST_POOL, failOnPoolError, type TestDatabase } from "../../support/database";

/**
 * Crosswalk's database on a cluster the test started: the two roles (db/bootstrap.ts), the
 * migrations (db/migrate.ts), and pools as each role, in the shape the factories take.
 */
export async function prepareCrosswalkDatabase(
  clusterSuperuserUrl: string,
  name = "crosswalk",
): Promise<TestDatabase & { close(): Promise<void> }> {
  const ownerPassword = randomBytes(18).toString("base64url");
  const appPassword = randomBytes(18).toString("base64url");
  await bootstrapCluster(clusterSuperuserUrl, { database: name, ownerPassword, appPassword });
  const appUrl = withCredentials(clusterSuperuserUrl, {
    user: APP_ROLE,
    password: appPassword,
    database: name,
  });
  const ownerUrl = withCredentials(clusterSuperuserUrl, {
    user: OWNER_ROLE,
    password: ownerPassword,
    database: name,
  });
  const superuserUrl = withCredentials(clusterSuperuserUrl, { database: name });
  await migrateToLatest(ownerUrl, TEST_POOL, failOnPoolError);
  const database = {
    name,
    appUrl,
    ownerUrl,
    superuserUrl,
    app: createKysely(createPool(appUrl, TEST_POOL, failOnPoolError)),
    owner: createKysely(createPool(ownerUrl, TEST_POOL, failOnPoolError)),
    superuser: createKysely(createPool(superuserUrl, { ...TEST_POOL, max: 2 }, failOnPoolError)),
  };
  return {
    ...database,
    close: async () => {
      await Promise.all([
        database.app.destroy(),
        database.owner.destroy(),
        database.superuser.destroy(),
      ]);
    },
  };
}

/** Wait until `condition` holds, checking every `everyMs`, for at most `timeoutMs`. */
export async function until<T>(
  what: string,
  condition: () => Promise<T | null | undefined | false>,
  timeoutMs = 30_000,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await condition();
    if (result) return result;
    if (Date.now() > deadline) throw new Error(`Not within ${timeoutMs / 1000} s: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
