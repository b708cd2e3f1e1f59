import { sealAll, sealThrough } from "../audit/seal";
import { ConfigurationError, loadDatabaseConfig } from "../config";
import { createKysely, createPool } from "../connection";
import { DEMO_PARTNERSHIP_NAME, seedDemoPartnership } from "../seed/demo";

/**
 * `npm run db:seed -- --demo`: add the fictional demo partnership to the database at
 * DATABASE_OWNER_URL (or DATABASE_URL). Refuses without `--demo`, so real data is never mixed with
 * demo accounts by accident.
 */
async function main(): Promise<void> {
  if (!process.argv.includes("--demo")) {
    throw new Error(
      "Nothing to seed: pass --demo to add the fictional demo partnership (npm run db:seed -- --demo).",
    );
  }
  const config = loadDatabaseConfig();
  const ownerUrl = config.ownerUrl ?? config.appUrl;
  if (!ownerUrl) {
    throw new ConfigurationError(
      "Configuration error: DATABASE_OWNER_URL or DATABASE_URL must be set (the embedded database seeds itself when Crosswalk starts)",
    );
  }
  const db = createKysely(
    createPool(
      ownerUrl,
      { ...config.pool, max: 1 },
      (message, error) => {
        process.stderr.write(`${message}: ${error.message}\n`);
      },
      { role: "crosswalk_owner" },
    ),
  );
  try {
    const created = await seedDemoPartnership(db);
    // Chain whatever the seed recorded, so `npm run audit:verify` passes at once.
    await sealAll(sealThrough(db));
    process.stdout.write(
      created ? `Seeded ${DEMO_PARTNERSHIP_NAME}.\n` : `${DEMO_PARTNERSHIP_NAME} already exists.\n`,
    );
  } finally {
    await db.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
