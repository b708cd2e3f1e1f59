import type { Kysely } from "kysely";
import { setTenant } from "../../db/tenant";
import type { Database } from "../../db/types";
import { auditedTransaction } from "../services/audit.server";
import { listCaseload } from "../services/caseloads.server";
import type { Actor, ServiceContext } from "../services/context.server";
import { AccessRefused, RecordNotFound } from "../services/errors";
import { getReferral } from "../services/referrals.server";
import { getYoungPersonRecord } from "../services/young-person-record.server";

/**
 * A morning's work in the demo partnership, done through the services as the demo people, so the
 * access log an auditor opens holds real events rather than invented ones: each practitioner and
 * lead lists their cases and opens some of them; the police officer opens Olek Kowalski's record
 * under the emergency access the seed gave them, and is refused a referral the police have no part
 * in. The log's times are when this ran (the database sets them; history cannot be backdated).
 */
export async function replayDemoActivity(
  db: Kysely<Database>,
  partnershipId: string,
  partnershipName: string,
): Promise<number> {
  const people = await auditedTransaction(db, async (trx) => {
    await setTenant(trx, partnershipId);
    return trx
      .selectFrom("users as u")
      .innerJoin("agencies as a", "a.id", "u.agency_id")
      .select(["u.id", "u.email", "u.display_name", "u.role", "u.agency_id", "a.name as agency"])
      .where("u.partnership_id", "=", partnershipId)
      .where("u.role", "in", ["practitioner", "agency_lead", "partnership_lead"])
      .orderBy("u.email")
      .execute();
  });
  let requests = 0;
  const contextOf = (person: (typeof people)[number]): ServiceContext => {
    requests += 1;
    const actor: Actor = {
      userId: person.id,
      partnershipId,
      partnershipName,
      agencyId: person.agency_id,
      agencyName: person.agency,
      role: person.role,
      displayName: person.display_name,
      email: person.email,
    };
    return {
      db,
      actor,
      requestId: `demo-${String(requests).padStart(4, "0")}`,
      clientAddress: "198.51.100.20",
    };
  };
  // What a person may not open is refused and recorded, as it would be for them in the browser.
  const attempt = async (work: () => Promise<unknown>): Promise<void> => {
    try {
      await work();
    } catch (error) {
      if (!(error instanceof AccessRefused || error instanceof RecordNotFound)) throw error;
    }
  };

  for (const person of people) {
    const caseload =
      person.role === "partnership_lead"
        ? "all"
        : person.role === "agency_lead"
          ? "agency"
          : "mine";
    const page = await listCaseload(contextOf(person), caseload, { sort: "due", page: 1 });
    for (const row of page.rows.slice(0, 4)) {
      await attempt(() => getReferral(contextOf(person), row.id));
    }
  }

  const officer = people.find((person) => person.email === "officer@police.northbridge.example");
  if (officer) {
    const olek = await auditedTransaction(db, async (trx) => {
      await setTenant(trx, partnershipId);
      const access = await trx
        .selectFrom("emergency_accesses")
        .select("young_person_id")
        .where("partnership_id", "=", partnershipId)
        .where("user_id", "=", officer.id)
        .where("reviewed_at", "is", null)
        .executeTakeFirst();
      const elsewhere = await trx
        .selectFrom("referrals as r")
        .select("r.id")
        .where("r.partnership_id", "=", partnershipId)
        .where("r.state", "not in", ["draft", "discarded"])
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom("referral_agencies as ra")
                .select("ra.agency_id")
                .whereRef("ra.referral_id", "=", "r.id")
                .where("ra.agency_id", "=", officer.agency_id),
            ),
          ),
        )
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom("emergency_accesses as ea")
                .select("ea.id")
                .whereRef("ea.young_person_id", "=", "r.young_person_id")
                .where("ea.user_id", "=", officer.id),
            ),
          ),
        )
        .orderBy("r.submitted_at")
        .limit(1)
        .executeTakeFirst();
      return { youngPersonId: access?.young_person_id, refusedReferralId: elsewhere?.id };
    });
    if (olek.youngPersonId) {
      const youngPersonId = olek.youngPersonId;
      const record = await getYoungPersonRecord(contextOf(officer), youngPersonId).catch(
        () => null,
      );
      for (const referral of record?.referrals ?? []) {
        await attempt(() => getReferral(contextOf(officer), referral.id));
      }
    }
    if (olek.refusedReferralId) {
      const referralId = olek.refusedReferralId;
      await attempt(() => getReferral(contextOf(officer), referralId));
    }
  }
  return requests;
}
