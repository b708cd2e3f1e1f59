import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import type { Kysely } from "kysely";
import { AGENCY_KINDS, type AgencyKind, type Role, type SharingPurpose } from "../../policies";
import { hashPassword } from "../password-hash";
import { setTenant } from "../tenant";
import type { Database } from "../types";
import { seedDemoCases } from "./demo-cases";

/** The demo password. Demo seed only: never used outside the fictional Northbridge partnership. */
export const DEMO_PASSWORD = "crosswalk-demo";
/**
 * The authenticator key every demo account (but the new starter) is enrolled with, published in
 * the README beside the password so that anyone can sign in with any authenticator app. Demo seed
 * only: a real account's key is made at enrolment and never shown again.
 */
export const DEMO_TOTP_KEY = "CROS SWAL KDEM OKEY NORT HBRI DGEV RP23";
/** A demo account with a password but no second factor yet: it shows enrolment at first sign-in. */
export const DEMO_NEW_STARTER = {
  email: "newstarter@school.northbridge.example",
  name: "Priya Shah",
  role: "practitioner",
  agency: "school",
} as const;
export const DEMO_PARTNERSHIP_ID = "00000000-0000-4000-8000-000000000001";
export const DEMO_PARTNERSHIP_NAME = "Northbridge Violence Reduction Partnership";

const DEMO_AGENCIES: { key: string; name: string; kind: AgencyKind; contact: string }[] = [
  {
    key: "council",
    name: "Northbridge Council",
    kind: "local_authority",
    contact: "community.safety@council.northbridge.example",
  },
  {
    key: "vru",
    name: "Northbridge Violence Reduction Unit",
    kind: "local_authority",
    contact: "hub@northbridge.example",
  },
  {
    key: "police",
    name: "Northbridge Police",
    kind: "police",
    contact: "safeguarding.hub@police.northbridge.example",
  },
  {
    key: "school",
    name: "Northbridge Academy",
    kind: "school",
    contact: "safeguarding@school.northbridge.example",
  },
  {
    key: "hospital",
    name: "Northbridge General Hospital (A&E youth work)",
    kind: "health",
    contact: "youthwork@hospital.northbridge.example",
  },
  {
    key: "advocacy",
    name: "Northbridge Young People's Advocates",
    kind: "advocacy",
    contact: "referrals@advocacy.northbridge.example",
  },
  {
    key: "yjs",
    name: "Northbridge Youth Justice Service",
    kind: "youth_justice",
    contact: "yjs@council.northbridge.example",
  },
  {
    key: "csc",
    name: "Northbridge Children's Social Care",
    kind: "childrens_social_care",
    contact: "front.door@council.northbridge.example",
  },
  {
    key: "mentors",
    name: "Northbridge Street Mentors",
    kind: "voluntary",
    contact: "hello@mentors.northbridge.example",
  },
];

/** The demo accounts, as the README lists them. */
export const DEMO_ACCOUNTS: { email: string; name: string; role: Role; agency: string }[] = [
  {
    email: "admin@northbridge.example",
    name: "Sam Okafor",
    role: "administrator",
    agency: "council",
  },
  {
    email: "lead@northbridge.example",
    name: "Priya Shah",
    role: "partnership_lead",
    agency: "vru",
  },
  {
    email: "auditor@northbridge.example",
    name: "Morgan Ellis",
    role: "auditor",
    agency: "council",
  },
  {
    email: "officer@police.northbridge.example",
    name: "Dan Hughes",
    role: "practitioner",
    agency: "police",
  },
  {
    email: "inspector@police.northbridge.example",
    name: "Claire Moss",
    role: "agency_lead",
    agency: "police",
  },
  {
    email: "dsl@school.northbridge.example",
    name: "Aisha Rahman",
    role: "practitioner",
    agency: "school",
  },
  {
    email: "youthworker@hospital.northbridge.example",
    name: "Jordan Blake",
    role: "practitioner",
    agency: "hospital",
  },
  {
    email: "advocate@advocacy.northbridge.example",
    name: "Tomasz Nowak",
    role: "practitioner",
    agency: "advocacy",
  },
  {
    email: "advocacy.lead@advocacy.northbridge.example",
    name: "Grace Mensah",
    role: "agency_lead",
    agency: "advocacy",
  },
];

const SUPPORT_KINDS: AgencyKind[] = [
  "school",
  "advocacy",
  "youth_justice",
  "local_authority",
  "voluntary",
];

/**
 * Northbridge's information sharing agreement: every member may share to safeguard a child; crime
 * prevention between police, youth justice and the council; health information only towards
 * advocacy, social care and the council; early intervention and education among support services.
 */
export const DEMO_AGREEMENT: { from: AgencyKind; to: AgencyKind; purpose: SharingPurpose }[] = [
  ...AGENCY_KINDS.flatMap((from) =>
    AGENCY_KINDS.filter((to) => to !== from).map((to) => ({
      from,
      to,
      purpose: "safeguarding" as const,
    })),
  ),
  ...pairs(["police", "youth_justice", "local_authority"], "preventing_crime"),
  ...(["advocacy", "childrens_social_care", "local_authority"] as const).map((to) => ({
    from: "health" as const,
    to,
    purpose: "health_and_wellbeing" as const,
  })),
  ...pairs(SUPPORT_KINDS, "early_intervention"),
  ...pairs(["school", "local_authority", "advocacy"], "education"),
];
export const DEMO_AGREEMENT_REVIEW_DATE = "2027-04-01";

function pairs(kinds: AgencyKind[], purpose: SharingPurpose) {
  return kinds.flatMap((from) =>
    kinds.filter((to) => to !== from).map((to) => ({ from, to, purpose })),
  );
}

/**
 * Create the fictional Northbridge partnership's records: its agencies, demo accounts, sharing
 * agreement and case data, in one transaction of plain inserts. The morning's work done through
 * the services, and what people were told of it, follow in app/demo/demo-seed.server.ts, which is
 * what the seed command and the server call. Idempotent: does nothing when the partnership already
 * exists. Returns whether it created anything.
 */
export async function seedDemoRecords(db: Kysely<Database>): Promise<boolean> {
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  const created = await db.transaction().execute(async (trx) => {
    await setTenant(trx, DEMO_PARTNERSHIP_ID);
    const existing = await trx
      .selectFrom("partnerships")
      .select("id")
      .where("id", "=", DEMO_PARTNERSHIP_ID)
      .executeTakeFirst();
    if (existing) return false;

    await trx
      .insertInto("partnerships")
      .values({ id: DEMO_PARTNERSHIP_ID, name: DEMO_PARTNERSHIP_NAME })
      .execute();
    const agencies = await trx
      .insertInto("agencies")
      .values(
        DEMO_AGENCIES.map((agency) => ({
          partnership_id: DEMO_PARTNERSHIP_ID,
          name: agency.name,
          kind: agency.kind,
          contact_email: agency.contact,
        })),
      )
      .returning(["id", "name"])
      .execute();
    const agencyId = (key: string) => {
      const name = DEMO_AGENCIES.find((agency) => agency.key === key)?.name;
      const id = agencies.find((agency) => agency.name === name)?.id;
      if (!id) throw new Error(`demo agency ${key} missing`);
      return id;
    };
    const users = await trx
      .insertInto("users")
      .values(
        DEMO_ACCOUNTS.map((account) => ({
          partnership_id: DEMO_PARTNERSHIP_ID,
          agency_id: agencyId(account.agency),
          email: account.email,
          display_name: account.name,
          role: account.role,
          password_hash: passwordHash,
        })),
      )
      .returning(["id", "email", "agency_id"])
      .execute();
    await trx
      .insertInto("totp_authenticators")
      .values(
        users.map((user) => ({
          user_id: user.id,
          partnership_id: DEMO_PARTNERSHIP_ID,
          secret: Buffer.from(decodeBase32IgnorePadding(DEMO_TOTP_KEY.replace(/\s+/g, ""))),
          confirmed_at: new Date(),
        })),
      )
      .execute();
    await trx
      .insertInto("users")
      .values({
        partnership_id: DEMO_PARTNERSHIP_ID,
        agency_id: agencyId(DEMO_NEW_STARTER.agency),
        email: DEMO_NEW_STARTER.email,
        display_name: DEMO_NEW_STARTER.name,
        role: DEMO_NEW_STARTER.role,
        password_hash: passwordHash,
      })
      .execute();
    await trx
      .insertInto("sharing_agreements")
      .values({
        partnership_id: DEMO_PARTNERSHIP_ID,
        review_date: DEMO_AGREEMENT_REVIEW_DATE,
        updated_by: null,
      })
      .execute();
    await trx
      .insertInto("sharing_agreement_permissions")
      .values(
        DEMO_AGREEMENT.map(({ from, to, purpose }) => ({
          partnership_id: DEMO_PARTNERSHIP_ID,
          from_kind: from,
          to_kind: to,
          purpose,
        })),
      )
      .execute();
    await seedDemoCases(
      trx,
      {
        partnershipId: DEMO_PARTNERSHIP_ID,
        agencies: Object.fromEntries(DEMO_AGENCIES.map(({ key }) => [key, agencyId(key)])),
        agencyKinds: Object.fromEntries(DEMO_AGENCIES.map(({ key, kind }) => [key, kind])),
        users: Object.fromEntries(
          users.map((user) => [user.email, { id: user.id, agencyId: user.agency_id }]),
        ),
      },
      new Date(),
    );
    return true;
  });
  return created;
}
