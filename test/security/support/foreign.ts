import { sql, type Kysely } from "kysely";
import { DEMO_PARTNERSHIP_ID } from "../../../db/seed/demo";
import type { Database } from "../../../db/types";
import { decide } from "../../../policies";
import { policyActor, type Actor } from "./actors";
import { referralFacts, referralRecord, youngPersonFacts } from "./facts";
import type { SecondPartnership } from "./second-partnership";

/** A case and the records under it, by the URL segment that names each. */
export interface CaseIds {
  referralId: string;
  youngPersonId: string;
  noteId: string;
  actionId: string;
  decisionId: string;
}

export function secondPartnershipCase(second: SecondPartnership): CaseIds {
  return {
    referralId: second.ids.referral,
    youngPersonId: second.ids.youngPerson,
    noteId: second.ids.note,
    actionId: second.ids.action,
    decisionId: second.ids.decision,
  };
}

/**
 * A case of the demo partnership that this person's agency is not involved in: the policies refuse
 * them both the referral and its young person. Null for someone who may see every case.
 */
export async function anotherAgencysCase(
  db: Kysely<Database>,
  actor: Actor,
): Promise<CaseIds | null> {
  const { rows } = await sql<CaseIds>`
    select r.id as "referralId", r.young_person_id as "youngPersonId",
      (select id from case_notes n where n.referral_id = r.id and n.visibility = 'shared' order by id limit 1) as "noteId",
      (select id from case_actions a where a.referral_id = r.id order by id limit 1) as "actionId",
      (select id from decisions_to_share d where d.referral_id = r.id order by id limit 1) as "decisionId"
    from referrals r
    where r.partnership_id = ${DEMO_PARTNERSHIP_ID} and r.state not in ('draft', 'discarded')
      and exists (select 1 from case_notes n where n.referral_id = r.id and n.visibility = 'shared')
      and exists (select 1 from case_actions a where a.referral_id = r.id)
      and exists (select 1 from decisions_to_share d where d.referral_id = r.id)
    order by r.id
  `.execute(db);
  const who = policyActor(actor);
  for (const candidate of rows) {
    const referral = await referralRecord(db, candidate.referralId);
    if (!referral) continue;
    const facts = await referralFacts(db, referral, actor);
    const person = await youngPersonFacts(db, candidate.youngPersonId, actor);
    if (decide(who, "referral.view", facts).allowed) continue;
    if (person && decide(who, "young_person.view", person).allowed) continue;
    return candidate;
  }
  return null;
}
