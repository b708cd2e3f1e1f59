import { sealAll, sealThrough } from "../../db/audit/seal";
import { ConfigurationError, loadDatabaseConfig } from "../../db/config";
import { createKysely, createPool } from "../../db/connection";
import { DEMO_PARTNERSHIP_NAME } from "../../db/seed/demo";
import { seedDemoPartnership } from "./demo-seed.server";

/**
 * `npm run db:seed -- --demo`: add the fictional demo partnership to the database at
 * DATABASE_OWNER_URL (or DATABASE_URL). Refuses without `--demo`, so real data is never mixed with
 * demo accounts by accident. It lives in app/ because part of the seed runs through the services
 * (app/demo/demo-seed.server.ts), and db/ imports nothing of app/.
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
