import { sql, type Kysely } from "kysely";

/**
 * Oversight dashboards (DOMAIN.md section 7): the partnership's small-number suppression threshold
 * for aggregate exports, which its administrator sets, and the indexes the dashboards' counts need
 * on a large partnership (docs/PERFORMANCE.md, "Oversight dashboards"). Frozen once landed.
 */
const statements = [
  // Counts from 1 to threshold - 1 are suppressed in aggregate exports; 5 by default.
  `alter table partnerships add column oversight_suppression_threshold integer not null default 5
     check (oversight_suppression_threshold between 2 and 100)`,
  `grant update (oversight_suppression_threshold) on partnerships to crosswalk_app`,

  // Referrals over a period: by submission, by closure.
  `create index referrals_submitted_idx on referrals (partnership_id, submitted_at)
     where submitted_at is not null`,
  `create index referrals_closed_idx on referrals (partnership_id, closed_at) where closed_at is not null`,
  // Allocations still waiting for an answer, by when the answer is due.
  `create index referral_agencies_awaiting_idx on referral_agencies (partnership_id, response_due_at)
     where status = 'awaiting'`,
  // Open actions by due date per referral, and the first contact on each case.
  `create index case_actions_open_idx on case_actions (referral_id, due_on) where status = 'open'`,
  `create index case_notes_contact_idx on case_notes (referral_id, created_at)
     where kind in ('contact_in_person', 'contact_phone', 'contact_message')`,
  // Decisions not to share and consent withdrawals over a period.
  `create index decisions_to_share_not_share_idx on decisions_to_share (partnership_id, decided_at)
     where decision = 'not_share'`,
  `create index consent_withdrawals_time_idx on consent_withdrawals (partnership_id, withdrawn_at)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) {
    await sql.raw(statement).execute(db);
  }
}
