import { sql, type Kysely } from "kysely";

/**
 * What the auditor's reading of the access log needs (docs/decisions/011-the-auditors-access-log.md).
 * Frozen once landed.
 */
const statements = [
  // A person's home postcode district, optional, recorded by an administrator only so the reports
  // can flag someone opening the record of a young person who shares their surname and district
  // (DOMAIN.md section 6). The district alone (e.g. NB3), never the full postcode.
  `alter table users add column home_postcode_district text
     check (home_postcode_district ~ '^[A-Z]{1,2}[0-9][0-9A-Z]?$')`,
  // Rare events an auditor filters for, newest first: without these, finding the few among
  // millions means reading them all. The predicates match the searches' own, word for word.
  `create index audit_events_emergency_idx on audit_events (partnership_id, occurred_at desc, id desc)
     where action like 'emergency\\_access.%' or details ? 'emergencyAccessId'`,
  `create index audit_events_refused_idx on audit_events (partnership_id, occurred_at desc, id desc)
     where outcome = 'refused'`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) {
    await sql.raw(statement).execute(db);
  }
}
