import { Migrator, type MigrationResultSet } from "kysely/migration";
import type { PoolSettings } from "./config";
import { createKysely, createPool, type PoolErrorReporter } from "./connection";
import { OWNER_ROLE } from "./bootstrap";
import { migrations } from "./migrations";
import { isDatabaseUnavailable } from "./unavailable";

/** Thrown when a migration fails; names the migration that did. */
export class MigrationFailed extends Error {
  override name = "MigrationFailed";
}

/**
 * Bring the database to the latest migration, as the owner role. Each run is one transaction per
 * migration; a failure leaves the database at the last migration that succeeded.
 */
export async function migrateToLatest(
  ownerUrl: string,
  settings: PoolSettings,
  report: PoolErrorReporter,
): Promise<string[]> {
  // A migration waits for its locks as long as a statement may, not the app's short lock timeout.
  const pool = createPool(ownerUrl, { ...settings, max: 1, lockTimeoutMs: 0 }, report, {
    applicationName: "crosswalk-migrate",
    role: OWNER_ROLE,
  });
  const db = createKysely(pool);
  try {
    const migrator = new Migrator({
      db,
      provider: { getMigrations: () => Promise.resolve(migrations) },
    });
    const result: MigrationResultSet = await migrator.migrateToLatest();
    const failed = result.results?.find((outcome) => outcome.status === "Error");
    // Not reaching the database is not a migration's fault: say so with the connection's own error.
    if (isDatabaseUnavailable(result.error)) throw result.error;
    if (result.error || failed) {
      const cause = result.error instanceof Error ? result.error.message : String(result.error);
      throw new MigrationFailed(
        `Migration ${failed?.migrationName ?? "(unknown)"} failed: ${cause}`,
      );
    }
    return (result.results ?? []).map((outcome) => outcome.migrationName);
  } finally {
    await db.destroy();
  }
}
