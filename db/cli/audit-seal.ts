import { openAuditDatabase } from "../audit/database";
import { sealAll, sealOver } from "../audit/seal";

/**
 * `npm run audit:seal`: chain every access-log event that has committed and is not sealed yet, as
 * the server's sealer does every AUDIT_SEAL_INTERVAL_MS. Useful when no server runs (after a
 * bulk load, before a checkpoint or an archive). If a server's sealer is running at that moment,
 * this seals nothing and says so: the running sealer carries on.
 */
async function main(): Promise<void> {
  const database = await openAuditDatabase();
  try {
    const sealed = await sealAll(sealOver(database.client));
    const waiting = await database.client.query<{ count: string }>(
      "select count(*)::text as count from audit_events where chain_seq is null",
    );
    process.stdout.write(
      `Sealed ${sealed.toLocaleString("en-GB")} events in ${database.description}; ${Number(waiting.rows[0]?.count ?? 0).toLocaleString("en-GB")} waiting.\n`,
    );
  } finally {
    await database.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
