import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import { hashPassword } from "../../db/password-hash";
import { setTenant } from "../../db/tenant";
import type { Agency, Database, User } from "../../db/types";
import {
  AGENCY_KINDS,
  SHARING_PURPOSES,
  type AgencyKind,
  type DecisionToShareInput,
  type RagRating,
  type Role,
} from "../../policies";
import { recordDecisionToShare } from "../../app/services/decisions-to-share.server";
import type { ServiceContext } from "../../app/services/context.server";
import type { DraftAnswers } from "../../app/services/referral-draft";
import {
  acceptReferral,
  routeReferral,
  screenReferral,
} from "../../app/services/referral-steps.server";
import {
  recordYoungPersonForDraft,
  saveDraft,
  startReferral,
  submitReferral,
} from "../../app/services/referrals.server";
import type { YoungPersonDetails } from "../../app/services/young-people.server";
import type { TestDatabase } from "./database";
import { TEST_TOTP_KEY, totpKeyBytes } from "./totp";

/** The password every factory-made user has unless a test says otherwise. */
export const TEST_PASSWORD = "correct horse battery staple";
export { TEST_TOTP_KEY } from "./totp";
let testPasswordHash: Promise<string> | undefined;

function unique(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** A partnership with nothing in it. */
export async function createPartnership(db: Kysely<Database>, name = unique("Partnership")) {
  const id = randomUUID();
  await db.transaction().execute(async (trx) => {
    await setTenant(trx, id);
    await trx.insertInto("partnerships").values({ id, name }).execute();
  });
  return { id, name };
}

/** An agency in a partnership. */
export async function createAgency(
  db: Kysely<Database>,
  partnershipId: string,
  overrides: Partial<{ name: string; kind: AgencyKind; isActive: boolean }> = {},
): Promise<Agency> {
  return db.transaction().execute(async (trx) => {
    await setTenant(trx, partnershipId);
    return trx
      .insertInto("agencies")
      .values({
        partnership_id: partnershipId,
        name: overrides.name ?? unique("Agency"),
        kind: overrides.kind ?? "police",
        is_active: overrides.isActive ?? true,
        contact_name: null,
        contact_email: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  });
}

/** A user in an agency, with TEST_PASSWORD unless `password` is given (null: no password set yet). */
export async function createUser(
  db: Kysely<Database>,
  agency: Pick<Agency, "id" | "partnership_id">,
  overrides: Partial<{
    email: string;
    name: string;
    role: Role;
    isActive: boolean;
    password: string | null;
    /** Enrolled with TEST_TOTP_KEY unless false (then the person sets up an app at sign-in). */
    secondFactor: boolean;
  }> = {},
): Promise<User> {
  const passwordHash =
    overrides.password === null
      ? null
      : overrides.password !== undefined
        ? await hashPassword(overrides.password)
        : await (testPasswordHash ??= hashPassword(TEST_PASSWORD));
  return db.transaction().execute(async (trx) => {
    await setTenant(trx, agency.partnership_id);
    const user = await trx
      .insertInto("users")
      .values({
        partnership_id: agency.partnership_id,
        agency_id: agency.id,
        email: overrides.email ?? `${unique("user")}@example.test`,
        display_name: overrides.name ?? unique("Person"),
        role: overrides.role ?? "practitioner",
        is_active: overrides.isActive ?? true,
        password_hash: passwordHash,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    if (overrides.secondFactor !== false) {
      await trx
        .insertInto("totp_authenticators")
        .values({
          user_id: user.id,
          partnership_id: agency.partnership_id,
          secret: totpKeyBytes(TEST_TOTP_KEY),
          confirmed_at: new Date(),
        })
        .execute();
    }
    return user;
  });
}

/** A partnership with one agency and one user in it: the smallest world most tests need. */
export async function createWorld(db: Kysely<Database>, role: Role = "practitioner") {
  const partnership = await createPartnership(db);
  const agency = await createAgency(db, partnership.id);
  const user = await createUser(db, agency, { role });
  return { partnership, agency, user };
}

/** The context a service receives when this user is signed in. */
export function contextFor(
  db: Kysely<Database>,
  user: Pick<User, "id" | "partnership_id" | "agency_id" | "role" | "display_name" | "email">,
): ServiceContext {
  return {
    db,
    requestId: randomUUID(),
    clientAddress: "192.0.2.20",
    actor: {
      userId: user.id,
      partnershipId: user.partnership_id,
      partnershipName: "Test partnership",
      agencyId: user.agency_id,
      agencyName: "Test agency",
      role: user.role,
      displayName: user.display_name,
      email: user.email,
    },
  };
}

/** A young person's details as the referral form records them; Jayden Okafor unless overridden. */
export function youngPersonDetails(
  overrides: Partial<YoungPersonDetails> = {},
): YoungPersonDetails {
  return {
    givenName: "Jayden",
    familyName: "Okafor",
    knownAs: null,
    dateOfBirth: "2010-03-14",
    gender: "male",
    postcodeDistrict: "NG7",
    school: "Northfield Academy",
    nhsNumber: null,
    uniquePupilNumber: null,
    policeReference: null,
    ...overrides,
  };
}

/** Every answer a referral to the hub needs besides its young person. */
export const COMPLETE_ANSWERS = {
  themes: ["early_intervention", "county_lines_drugs"],
  concernRoles: ["at_risk"],
  concern: "Seen getting into cars with older men after school; new phone and trainers.",
  riskIndicators: [
    { code: "missing_episode", severity: "significant" },
    { code: "multiple_phones", severity: "emerging" },
  ],
  youngPersonKnows: "He knows we are worried and that I am asking for help.",
  familyKnows: "His mother asked the school for help.",
  immediateDanger: "no",
  urgency: "routine",
  destination: "hub",
} satisfies Partial<Omit<DraftAnswers, "youngPersonId">>;

/**
 * An information sharing agreement that lets every kind of agency share with every other for
 * every purpose: tests of other rules are not refused by the agreement. Made as the owner.
 */
export async function createOpenAgreement(db: Kysely<Database>, partnershipId: string) {
  await db.transaction().execute(async (trx) => {
    await setTenant(trx, partnershipId);
    await trx
      .insertInto("sharing_agreements")
      .values({ partnership_id: partnershipId, review_date: null, updated_by: null })
      .execute();
    await trx
      .insertInto("sharing_agreement_permissions")
      .values(
        AGENCY_KINDS.flatMap((from) =>
          AGENCY_KINDS.filter((to) => to !== from).flatMap((to) =>
            SHARING_PURPOSES.map((purpose) => ({
              partnership_id: partnershipId,
              from_kind: from,
              to_kind: to,
              purpose,
            })),
          ),
        ),
      )
      .execute();
  });
}

/**
 * A decision to share with these agencies to safeguard the child, under public task, without
 * consent because asking would increase the risk; override any field.
 */
export function shareDecision(
  recipientAgencyIds: string[],
  overrides: Partial<DecisionToShareInput> = {},
): DecisionToShareInput & { supersedesId: string | null } {
  return {
    decision: "share",
    recipientAgencyIds,
    purposes: ["safeguarding"],
    dataItems: [],
    adviceFrom: null,
    article6: "public_task",
    article9: "safeguarding",
    gateway: "none",
    consentReliedOn: false,
    consentGivenBy: null,
    competenceAssessment: null,
    consentScopeAgencyIds: [],
    consentScopePurposes: [],
    consentForm: null,
    consentExpiresOn: null,
    consentNotSoughtReason: "would_increase_risk",
    youngPersonViews: null,
    rationale: "Exploitation indicators: the advocates need to know to keep him safe.",
    supersedesId: null,
    ...overrides,
  };
}

/**
 * A partnership with the agencies a referral passes through (the hub, a school, the police, a
 * hospital's youth work and an advocacy service) and the people in them. Made as the owner.
 */
export async function createReferralWorld(db: Kysely<Database>) {
  const partnership = await createPartnership(db);
  await createOpenAgreement(db, partnership.id);
  const agency = (kind: AgencyKind, name: string) =>
    createAgency(db, partnership.id, { kind, name });
  const hub = await agency("local_authority", "Violence Reduction Hub");
  const school = await agency("school", "Northfield Academy");
  const police = await agency("police", "City Police");
  const health = await agency("health", "Queen's Medical Centre Youth Work");
  const advocacy = await agency("advocacy", "Youth Advocates");
  const person = (home: Agency, role: Role, name: string) =>
    createUser(db, home, { role, name: `${name} ${randomUUID().slice(0, 4)}` });
  return {
    partnership,
    agencies: { hub, school, police, health, advocacy },
    people: {
      lead: await person(hub, "partnership_lead", "Lena Lead"),
      administrator: await person(hub, "administrator", "Ada Admin"),
      schoolPractitioner: await person(school, "practitioner", "Sam School"),
      policePractitioner: await person(police, "practitioner", "Pat Police"),
      policeLead: await person(police, "agency_lead", "Paula Police-Lead"),
      healthPractitioner: await person(health, "practitioner", "Hana Health"),
      advocacyLead: await person(advocacy, "agency_lead", "Ava Advocacy-Lead"),
      advocacyPractitioner: await person(advocacy, "practitioner", "Alex Advocate"),
    },
  };
}

export type ReferralWorld = Awaited<ReturnType<typeof createReferralWorld>>;

/** A referral's current version, read past row-level security. */
export async function referralVersion(db: TestDatabase, id: string): Promise<number> {
  const row = await db.superuser
    .selectFrom("referrals")
    .select("version")
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
  return row.version;
}

/**
 * A referral taken through the services to `state`: submitted by `referrer` (the school
 * practitioner unless given) about a new young person, screened by the partnership lead, routed to
 * the advocacy agency and accepted by its lead, allocating the advocacy practitioner.
 */
export async function referralAt(
  db: TestDatabase,
  world: ReferralWorld,
  state: "submitted" | "screened" | "allocated" | "active",
  options: { referrer?: User; youngPerson?: Partial<YoungPersonDetails>; rag?: RagRating } = {},
): Promise<{ id: string; youngPersonId: string }> {
  const { people, agencies } = world;
  const as = (user: User) => contextFor(db.app, user);
  const referrer = as(options.referrer ?? people.schoolPractitioner);
  const { id } = await startReferral(referrer);
  const recorded = await recordYoungPersonForDraft(
    referrer,
    id,
    youngPersonDetails(options.youngPerson),
    { confirmedNotAMatch: true },
  );
  if (!("created" in recorded)) throw new Error("the young person was not recorded");
  await saveDraft(referrer, id, COMPLETE_ANSWERS);
  await recordDecisionToShare(referrer, id, shareDecision([agencies.advocacy.id]));
  await submitReferral(referrer, id, await referralVersion(db, id));
  const result = { id, youngPersonId: recorded.created };
  if (state === "submitted") return result;
  await screenReferral(as(people.lead), id, {
    version: await referralVersion(db, id),
    rag: options.rag ?? "amber",
    rationale: "Exploitation indicators; needs an advocate this week.",
  });
  if (state === "screened") return result;
  await routeReferral(as(people.lead), id, {
    version: await referralVersion(db, id),
    agencyIds: [agencies.advocacy.id],
  });
  if (state === "allocated") return result;
  await acceptReferral(as(people.advocacyLead), id, {
    version: await referralVersion(db, id),
    allocatedUserId: people.advocacyPractitioner.id,
  });
  return result;
}
