import {
  decide,
  GENDERS,
  REFERRAL_STATE_LABELS,
  type Outcome,
  type RagRating,
  type ReferralState,
} from "../../policies";
import { inActorTransaction, type ServiceContext } from "./context.server";
import { emergencyBannerForYoungPerson, type EmergencyBanner } from "./emergency-access.server";
import { loadReferral, referralFacts, referralReference } from "./referral-access.server";
import { authorizeYoungPerson, mayActOnYoungPerson } from "./young-people.server";

/** One referral about the young person, as their record lists it. */
export interface YoungPersonReferral {
  id: string;
  reference: string;
  state: ReferralState;
  stateLabel: string;
  rag: RagRating | null;
  submittedAt: string | null;
  referrerAgencyName: string;
  outcome: Outcome | null;
}

/** A young person's record page: who they are, and the referrals about them this person may see. */
export interface YoungPersonRecord {
  id: string;
  name: string;
  givenName: string;
  familyName: string;
  knownAs: string | null;
  dateOfBirth: string | null;
  /** Whole years today, in UK time; null without a date of birth. */
  ageInYears: number | null;
  genderLabel: string | null;
  postcodeDistrict: string | null;
  school: string | null;
  nhsNumber: string | null;
  uniquePupilNumber: string | null;
  policeReference: string | null;
  referrals: YoungPersonReferral[];
  /** The person may correct these details. */
  mayCorrect: boolean;
  /** The person's emergency access to this young person, while it is open (the page says so). */
  emergencyAccess: EmergencyBanner | null;
}

/** Today's date in the UK as YYYY-MM-DD: an age changes on the UK birthday, not the UTC one. */
function todayInUk(now: Date): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/London" }).format(now);
}

/** Whole years between an ISO date of birth and an ISO date. */
export function ageOn(dateOfBirth: string, today: string): number {
  const [birthYear, birthMonthDay] = [Number(dateOfBirth.slice(0, 4)), dateOfBirth.slice(5)];
  const [year, monthDay] = [Number(today.slice(0, 4)), today.slice(5)];
  return year - birthYear - (monthDay < birthMonthDay ? 1 : 0);
}

/**
 * A young person's record, for someone who may view it (anyone else gets the same 404 as a record
 * that does not exist, and the refusal is recorded), with the referrals about them that this
 * person may also view. Drafts and discarded drafts are never listed.
 */
export function getYoungPersonRecord(ctx: ServiceContext, id: string): Promise<YoungPersonRecord> {
  return inActorTransaction(ctx, async (trx) => {
    const person = await authorizeYoungPerson(trx, ctx, id, "young_person.view", {
      recordAllowed: true,
    });
    const candidates = await trx
      .selectFrom("referrals as r")
      .innerJoin("agencies as a", "a.id", "r.referrer_agency_id")
      .select(["r.id", "a.name as referrer_agency_name"])
      .where("r.young_person_id", "=", id)
      .where("r.state", "not in", ["draft", "discarded"])
      .orderBy("r.submitted_at", "desc")
      .orderBy("r.id")
      .execute();
    const referrals: YoungPersonReferral[] = [];
    for (const candidate of candidates) {
      // Each referral is decided on its own facts: seeing the person is not seeing every referral.
      const loaded = await loadReferral(trx, candidate.id);
      if (!decide(ctx.actor, "referral.view", referralFacts(ctx, loaded)).allowed) continue;
      const { referral } = loaded;
      referrals.push({
        id: referral.id,
        reference: referralReference(referral.id),
        state: referral.state,
        stateLabel: REFERRAL_STATE_LABELS[referral.state],
        rag: referral.rag,
        submittedAt: referral.submitted_at?.toISOString() ?? null,
        referrerAgencyName: candidate.referrer_agency_name,
        outcome: referral.outcome,
      });
    }
    return {
      mayCorrect: await mayActOnYoungPerson(trx, ctx, person, "young_person.edit"),
      emergencyAccess: await emergencyBannerForYoungPerson(trx, ctx, person.id),
      id: person.id,
      name: `${person.given_name} ${person.family_name}`,
      givenName: person.given_name,
      familyName: person.family_name,
      knownAs: person.known_as,
      dateOfBirth: person.date_of_birth,
      ageInYears: person.date_of_birth ? ageOn(person.date_of_birth, todayInUk(new Date())) : null,
      genderLabel: person.gender ? GENDERS[person.gender] : null,
      postcodeDistrict: person.postcode_district,
      school: person.school,
      nhsNumber: person.nhs_number,
      uniquePupilNumber: person.unique_pupil_number,
      policeReference: person.police_reference,
      referrals,
    };
  });
}
