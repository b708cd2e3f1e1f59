import { sql, type Transaction } from "kysely";
import type { Database, YoungPeopleTable } from "../../db/types";
import { decide, type Facts, type Gender, type SharingState } from "../../policies";
import { record } from "./audit.server";
import {
  authorize,
  authorizeInPartnership,
  concealedByRowSecurity,
  refusedAsMissing,
} from "./authorize.server";
import { inActorTransaction, type ServiceContext } from "./context.server";
import { ConflictError } from "./errors";
import {
  bestSharing,
  loadDecisions,
  loadEmergencyAccesses,
  openEmergencyAccess,
  sharingFor,
} from "./sharing-state.server";

/** What a person types to look for a young person before recording a new one. */
export interface YoungPersonSearch {
  givenName: string;
  familyName: string;
  /** ISO date, when known. */
  dateOfBirth: string | null;
  postcodeDistrict: string | null;
}

/** The details of a young person DOMAIN.md section 2 lists. */
export interface YoungPersonDetails {
  givenName: string;
  familyName: string;
  knownAs: string | null;
  dateOfBirth: string | null;
  gender: Gender | null;
  postcodeDistrict: string | null;
  school: string | null;
  nhsNumber: string | null;
  uniquePupilNumber: string | null;
  policeReference: string | null;
}

export interface YoungPersonView extends YoungPersonDetails {
  id: string;
  version: number;
  createdAt: string;
}

/** A possible match: in full for someone who may see the record, otherwise only who knows them. */
export type Candidate =
  | {
      kind: "visible";
      id: string;
      givenName: string;
      familyName: string;
      knownAs: string | null;
      dateOfBirth: string | null;
      postcodeDistrict: string | null;
      school: string | null;
      matchedOn: string[];
    }
  | { kind: "known"; knownToAgencies: string[] };

/** Agencies that know a young person: who recorded them, and every agency involved in a referral. */
async function involvementOf(
  trx: Transaction<Database>,
  youngPersonIds: readonly string[],
): Promise<Map<string, { id: string; name: string }[]>> {
  const result = new Map<string, { id: string; name: string }[]>();
  if (youngPersonIds.length === 0) return result;
  // Search and signpost: which agencies know a young person is not case content, and the person
  // asking may not see the referrals it comes from (migration 0011's app_young_person_agencies).
  const rows = await sql<{ young_person_id: string; agency_id: string; agency_name: string }>`
    select distinct known.young_person_id, agencies.id as agency_id, agencies.name as agency_name
    from app_young_person_agencies(${[...youngPersonIds]}::uuid[]) known
    join agencies on agencies.id = known.agency_id
    order by agencies.name
  `.execute(trx);
  for (const row of rows.rows) {
    const agencies = result.get(row.young_person_id) ?? [];
    agencies.push({ id: row.agency_id, name: row.agency_name });
    result.set(row.young_person_id, agencies);
  }
  return result;
}

/** The young person's row, as much as their facts need. */
export interface YoungPersonKey {
  id: string;
  partnership_id: string;
  created_by_agency_id: string;
}

/**
 * The facts the policies need about each young person, for the asking person: the agencies that
 * know them, and the best the asking agency's sharing state is across their referrals (the agency
 * that recorded them always reads its own record), and any emergency access open now.
 */
export async function youngPersonFactsFor(
  trx: Transaction<Database>,
  ctx: ServiceContext,
  people: readonly YoungPersonKey[],
): Promise<
  Map<
    string,
    { facts: Facts; agencies: { id: string; name: string }[]; emergencyAccessId: string | null }
  >
> {
  const ids = people.map((person) => person.id);
  const involvement = await involvementOf(trx, ids);
  const referrals =
    ids.length === 0
      ? []
      : await trx
          .selectFrom("referrals")
          .innerJoin("referral_agencies", "referral_agencies.referral_id", "referrals.id")
          .select(["referrals.id", "referrals.young_person_id", "referrals.referrer_agency_id"])
          .where("referrals.young_person_id", "in", ids)
          .where("referrals.state", "not in", ["draft", "discarded"])
          .where("referral_agencies.agency_id", "=", ctx.actor.agencyId)
          .where("referral_agencies.status", "is distinct from", "declined")
          .execute();
  const decisions = await loadDecisions(
    trx,
    referrals.map((referral) => referral.id),
  );
  const emergencies = await loadEmergencyAccesses(trx, ids);
  const result = new Map<
    string,
    { facts: Facts; agencies: { id: string; name: string }[]; emergencyAccessId: string | null }
  >();
  for (const person of people) {
    const agencies = involvement.get(person.id) ?? [];
    let sharing: SharingState =
      person.created_by_agency_id === ctx.actor.agencyId ? "covered" : "not_covered";
    for (const referral of referrals.filter((row) => row.young_person_id === person.id)) {
      const state = sharingFor(
        ctx,
        referral.referrer_agency_id,
        decisions.get(referral.id) ?? [],
      ).state;
      sharing = bestSharing(sharing, state);
    }
    const emergency = openEmergencyAccess(ctx, emergencies, person.id);
    result.set(person.id, {
      agencies,
      emergencyAccessId: emergency?.id ?? null,
      facts: {
        partnershipId: person.partnership_id,
        involvedAgencyIds: agencies.map((agency) => agency.id),
        sharing,
        emergencyAccess: emergency !== null,
      },
    });
  }
  return result;
}

/** What the person may see of a matching young person: read under row-level security. */
export interface MatchDetails {
  given_name: string;
  family_name: string;
  known_as: string | null;
  date_of_birth: string | null;
  postcode_district: string | null;
  school: string | null;
}

/**
 * A likely match: its key and how it matched, for every match; its details only where row-level
 * security lets the person read the record (null otherwise).
 */
export interface MatchRow extends YoungPersonKey {
  name_score: number;
  same_birth_date: boolean;
  same_district: boolean;
  details: MatchDetails | null;
}

/**
 * Likely matches for a young person about to be recorded: similar names (trigram similarity in
 * either order, so transposed names match; sound-alike family names by double metaphone; a
 * nickname that begins the given name or equals "known as"), the same date of birth (or with day
 * and month swapped), and the same postcode district. Best first, at most ten.
 *
 * The matching runs over every young person of the partnership (app_young_person_matches, which
 * returns ids and scores only); what the person may see of each is then read under row-level
 * security, so a record they may not see arrives with no details at all.
 */
export async function findMatches(
  trx: Transaction<Database>,
  search: YoungPersonSearch,
): Promise<MatchRow[]> {
  const given = search.givenName.trim().toLowerCase();
  const family = search.familyName.trim().toLowerCase();
  const dob = search.dateOfBirth;
  const swapped = dob ? `${dob.slice(0, 4)}-${dob.slice(8, 10)}-${dob.slice(5, 7)}` : null;
  const validSwapped = swapped && !Number.isNaN(Date.parse(swapped)) ? swapped : null;
  const matches = await sql<Omit<MatchRow, "details">>`
    select id, partnership_id, created_by_agency_id, name_score, same_birth_date, same_district
    from app_young_person_matches(${given}, ${family}, ${dob}::date, ${validSwapped}::date,
      ${search.postcodeDistrict})
  `.execute(trx);
  const ids = matches.rows.map((row) => row.id);
  const visible =
    ids.length === 0
      ? []
      : await trx
          .selectFrom("young_people")
          .select([
            "id",
            "given_name",
            "family_name",
            "known_as",
            "date_of_birth",
            "postcode_district",
            "school",
          ])
          .where("id", "in", ids)
          .execute();
  return matches.rows.map((row) => {
    const found = visible.find((person) => person.id === row.id);
    return { ...row, details: found ?? null };
  });
}

/**
 * The duplicate check ("search and signpost"): likely matches for a young person, each shown in
 * full to someone who may see that record and otherwise only as "known to the partnership" with the
 * agencies involved. The search is recorded with what was looked for and which records came back.
 */
export function searchYoungPeople(
  ctx: ServiceContext,
  search: YoungPersonSearch,
): Promise<Candidate[]> {
  return inActorTransaction(ctx, (trx) => searchWithin(trx, ctx, search));
}

async function searchWithin(
  trx: Transaction<Database>,
  ctx: ServiceContext,
  search: YoungPersonSearch,
): Promise<Candidate[]> {
  await authorizeInPartnership(trx, ctx, "young_person.search");
  const matches = await findMatches(trx, search);
  const known = await youngPersonFactsFor(trx, ctx, matches);
  const candidates: Candidate[] = [];
  const shown: string[] = [];
  const signposted: string[] = [];
  for (const match of matches) {
    const { facts, agencies } = known.get(match.id) as NonNullable<ReturnType<typeof known.get>>;
    // Both locks must agree: the policies allow the view, and row-level security returned it.
    if (decide(ctx.actor, "young_person.view", facts).allowed && match.details) {
      shown.push(match.id);
      candidates.push({
        kind: "visible",
        id: match.id,
        givenName: match.details.given_name,
        familyName: match.details.family_name,
        knownAs: match.details.known_as,
        dateOfBirth: match.details.date_of_birth,
        postcodeDistrict: match.details.postcode_district,
        school: match.details.school,
        matchedOn: [
          match.name_score >= 0.25 ? "similar name" : null,
          match.same_birth_date ? "same date of birth" : null,
          match.same_district ? "same postcode district" : null,
        ].filter((reason): reason is string => reason !== null),
      });
    } else {
      signposted.push(match.id);
      candidates.push({ kind: "known", knownToAgencies: agencies.map((agency) => agency.name) });
    }
  }
  await record(trx, { actor: ctx.actor }, ctx, {
    action: "young_person.search",
    outcome: "allowed",
    recordType: "young_person",
    details: {
      lookedFor: {
        givenName: search.givenName,
        familyName: search.familyName,
        dateOfBirth: search.dateOfBirth,
        postcodeDistrict: search.postcodeDistrict,
      },
      shown,
      signposted,
    },
  });
  return candidates;
}

function toRow(details: YoungPersonDetails) {
  return {
    given_name: details.givenName,
    family_name: details.familyName,
    known_as: details.knownAs,
    date_of_birth: details.dateOfBirth,
    gender: details.gender,
    postcode_district: details.postcodeDistrict,
    school: details.school,
    nhs_number: details.nhsNumber,
    unique_pupil_number: details.uniquePupilNumber,
    police_reference: details.policeReference,
  } satisfies Partial<Record<keyof YoungPeopleTable, unknown>>;
}

type YoungPersonRow = Awaited<ReturnType<typeof loadYoungPerson>>;

function loadYoungPerson(trx: Transaction<Database>, id: string, forUpdate = false) {
  const query = trx.selectFrom("young_people").selectAll().where("id", "=", id);
  return (forUpdate ? query.forUpdate() : query).executeTakeFirst();
}

function toView(row: NonNullable<YoungPersonRow>): YoungPersonView {
  return {
    id: row.id,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    givenName: row.given_name,
    familyName: row.family_name,
    knownAs: row.known_as,
    dateOfBirth: row.date_of_birth,
    gender: row.gender,
    postcodeDistrict: row.postcode_district,
    school: row.school,
    nhsNumber: row.nhs_number,
    uniquePupilNumber: row.unique_pupil_number,
    policeReference: row.police_reference,
  };
}

/**
 * Record a new young person, after the duplicate check: unless the person has seen the possible
 * matches and said this is someone else, any match is returned instead and nothing is created.
 */
export function createYoungPerson(
  ctx: ServiceContext,
  details: YoungPersonDetails,
  options: { confirmedNotAMatch: boolean },
): Promise<{ created: string } | { candidates: Candidate[] }> {
  return inActorTransaction(ctx, (trx) => createYoungPersonWithin(trx, ctx, details, options));
}

/** createYoungPerson within a caller's transaction (a referral recording its young person). */
export async function createYoungPersonWithin(
  trx: Transaction<Database>,
  ctx: ServiceContext,
  details: YoungPersonDetails,
  options: { confirmedNotAMatch: boolean },
): Promise<{ created: string } | { candidates: Candidate[] }> {
  await authorizeInPartnership(trx, ctx, "young_person.create");
  if (!options.confirmedNotAMatch) {
    const candidates = await searchWithin(trx, ctx, details);
    if (candidates.length > 0) return { candidates };
  }
  const { id } = await trx
    .insertInto("young_people")
    .values({
      ...toRow(details),
      partnership_id: ctx.actor.partnershipId,
      created_by: ctx.actor.userId,
      created_by_agency_id: ctx.actor.agencyId,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  await record(trx, { actor: ctx.actor }, ctx, {
    action: "young_person.create",
    outcome: "allowed",
    recordType: "young_person",
    recordId: id,
    youngPersonId: id,
    details: { confirmedNotAMatch: options.confirmedNotAMatch },
  });
  return { created: id };
}

/** Authorize access to one young person (a refusal is a 404) and return the record. */
export async function authorizeYoungPerson(
  trx: Transaction<Database>,
  ctx: ServiceContext,
  id: string,
  action: "young_person.view" | "young_person.edit",
  options: { recordAllowed: boolean; forUpdate?: boolean },
): Promise<NonNullable<YoungPersonRow>> {
  const row = await loadYoungPerson(trx, id, options.forUpdate);
  // Row-level security hid it, or it does not exist: decide (and record the refusal) on its key.
  const key = row ?? (await youngPersonKey(trx, id));
  if (!key) throw refusedAsMissing(action, "young_person", id);
  const known = (await youngPersonFactsFor(trx, ctx, [key])).get(id);
  const emergencyAccessId = known?.emergencyAccessId ?? null;
  await authorize(trx, ctx, action, known?.facts ?? { partnershipId: key.partnership_id }, {
    refusal: "hide",
    recordAllowed: options.recordAllowed,
    audit: {
      recordType: "young_person",
      recordId: id,
      youngPersonId: id,
      // Every view while emergency access is open is marked with it, as referral views are.
      ...(emergencyAccessId ? { details: { emergencyAccessId } } : {}),
    },
  });
  if (!row) throw concealedByRowSecurity(action, "young_person", id, id);
  return row;
}

/**
 * A young person's key (id, partnership, recording agency) whether or not the person may read the
 * record, so a refusal is decided on real facts and recorded against the record.
 */
export async function youngPersonKey(
  trx: Transaction<Database>,
  id: string,
): Promise<YoungPersonKey | undefined> {
  const { rows } = await sql<YoungPersonKey>`
    select id, partnership_id, created_by_agency_id from app_young_person_key(${id}::uuid)
  `.execute(trx);
  return rows[0];
}

/** Whether the actor may take `action` on a young person they have already been allowed to see. */
export async function mayActOnYoungPerson(
  trx: Transaction<Database>,
  ctx: ServiceContext,
  row: YoungPersonKey,
  action: "young_person.view" | "young_person.edit",
): Promise<boolean> {
  const known = (await youngPersonFactsFor(trx, ctx, [row])).get(row.id);
  return known ? decide(ctx.actor, action, known.facts).allowed : false;
}

/** One young person's record, for someone whose agency is involved (or a partnership lead). */
export function getYoungPerson(ctx: ServiceContext, id: string): Promise<YoungPersonView> {
  return inActorTransaction(ctx, async (trx) => {
    const row = await authorizeYoungPerson(trx, ctx, id, "young_person.view", {
      recordAllowed: true,
    });
    return toView(row);
  });
}

/** A young person's details for the person correcting them (a refusal is a 404; the read is recorded). */
export function getYoungPersonForCorrection(
  ctx: ServiceContext,
  id: string,
): Promise<YoungPersonView> {
  return inActorTransaction(ctx, async (trx) => {
    const row = await authorizeYoungPerson(trx, ctx, id, "young_person.edit", {
      recordAllowed: true,
    });
    return toView(row);
  });
}

/**
 * Correct a young person's details. The previous values are kept with the reason; a change made
 * since the person opened the record (another version) is refused rather than overwritten.
 */
export function updateYoungPerson(
  ctx: ServiceContext,
  id: string,
  change: { details: YoungPersonDetails; version: number; reason: string },
): Promise<void> {
  return inActorTransaction(ctx, async (trx) => {
    const row = await authorizeYoungPerson(trx, ctx, id, "young_person.edit", {
      recordAllowed: false,
      forUpdate: true,
    });
    if (row.version !== change.version) {
      throw new ConflictError(
        "This young person's details changed since you opened them. Open them again to see the change.",
      );
    }
    const before = toRow(toView(row));
    const after = toRow(change.details);
    const changed = (Object.keys(after) as (keyof typeof after)[]).filter(
      (key) => before[key] !== after[key],
    );
    if (changed.length === 0) return;
    await trx
      .insertInto("young_person_revisions")
      .values({
        partnership_id: row.partnership_id,
        young_person_id: id,
        version: row.version,
        previous: JSON.stringify(before),
        reason: change.reason,
        changed_by: ctx.actor.userId,
      })
      .execute();
    await trx
      .updateTable("young_people")
      .set({ ...after, version: row.version + 1, updated_at: new Date() })
      .where("id", "=", id)
      .execute();
    await record(trx, { actor: ctx.actor }, ctx, {
      action: "young_person.edit",
      outcome: "allowed",
      recordType: "young_person",
      recordId: id,
      youngPersonId: id,
      details: { fieldsChanged: changed, version: row.version + 1 },
    });
  });
}
