import type { Kysely } from "kysely";
import { DEMO_PARTNERSHIP_ID, DEMO_PARTNERSHIP_NAME, seedDemoRecords } from "../../db/seed/demo";
import type { Database } from "../../db/types";
import { replayDemoActivity } from "./demo-activity.server";
import { notifyDemoHistory } from "./demo-notifications.server";

/**
 * The fictional Northbridge partnership, whole: its records (db/seed/demo.ts, plain inserts), then
 * a morning's work replayed through the services and what everyone was told of the seeded
 * history, through the notifications service. The services live in app/ and db/ imports nothing
 * of app/, so this part is here. Idempotent: does nothing when the partnership already exists.
 * Returns whether it created anything.
 */
export async function seedDemoPartnership(db: Kysely<Database>): Promise<boolean> {
  const created = await seedDemoRecords(db);
  if (!created) return false;
  // The access log starts with a morning's real work, so an auditor has something to find.
  await replayDemoActivity(db, DEMO_PARTNERSHIP_ID, DEMO_PARTNERSHIP_NAME);
  await notifyDemoHistory(db, DEMO_PARTNERSHIP_ID, DEMO_PARTNERSHIP_NAME);
  return true;
}
