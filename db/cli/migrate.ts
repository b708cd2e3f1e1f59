import { loadDatabaseConfig, ConfigurationError } from "../config";
import { migrateToLatest } from "../migrate";

/**
 * `npm run db:migrate`: bring the database at DATABASE_OWNER_URL (or DATABASE_URL) to the latest
 * migration. The embedded database migrates itself at start-up and needs no command.
 */
async function main(): Promise<void> {
  const config = loadDatabaseConfig();
  const ownerUrl = config.ownerUrl ?? config.appUrl;
  if (!ownerUrl) {
    throw new ConfigurationError(
      "Configuration error: DATABASE_OWNER_URL or DATABASE_URL must be set (the embedded database migrates itself when Crosswalk starts)",
    );
  }
  const applied = await migrateToLatest(ownerUrl, config.pool, (message, error) => {
    process.stderr.write(`${message}: ${error.message}\n`);
  });
  process.stdout.write(
    applied.length ? `Applied: ${applied.join(", ")}\n` : "Already at the latest migration.\n",
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
