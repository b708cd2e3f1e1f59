import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import type pg from "pg";
import type { AgencyKind, Role } from "../../policies";
import { hashPassword } from "../password-hash";
import {
  DEMO_AGREEMENT,
  DEMO_AGREEMENT_REVIEW_DATE,
  DEMO_PASSWORD,
  DEMO_TOTP_KEY,
} from "../seed/demo";
import { Random, stableUuid } from "./random";
import { agencyCount, generatedPartnershipName, type Scale } from "./scales";
import { FAMILY_NAMES, GIVEN_NAMES, PLACE, agencyNames, agencySlug } from "./vocabulary";

/**
 * The generated partnership's agencies and people, and the tables the case generator picks them
 * from. Every generated account signs in with the demo password and the demo authenticator key
 * (both published in the README): generated data is as fictional as the demo's, and someone
 * measuring the app must be able to sign in as anyone in it.
 */

/** The order agencies are made in: the hub first, so it is the first local authority. */
const KIND_ORDER: readonly AgencyKind[] = [
  "local_authority",
  "police",
  "childrens_social_care",
  "youth_justice",
  "health",
  "advocacy",
  "voluntary",
  "school",
];

/** How many practitioners an agency of each kind has, relative to the others. */
const STAFF_WEIGHT: Readonly<Record<AgencyKind, number>> = {
  police: 3,
  childrens_social_care: 2,
  youth_justice: 1.5,
  health: 1.5,
  advocacy: 1.5,
  voluntary: 1,
  local_authority: 1,
  school: 0.7,
};

export interface GeneratedAgency {
  id: string;
  name: string;
  kind: AgencyKind;
  contactEmail: string;
}

export interface GeneratedUser {
  id: string;
  agencyId: string;
  email: string;
  displayName: string;
  role: Role;
}

export interface GeneratedPopulation {
  partnershipId: string;
  partnershipName: string;
  agencies: GeneratedAgency[];
  users: GeneratedUser[];
}

/** The well-known accounts of a generated partnership, as the README and PERFORMANCE.md name them. */
export const GENERATED_ACCOUNTS = {
  lead: `lead@${PLACE.domain}`,
  auditor: `auditor@${PLACE.domain}`,
  administrator: `admin@${PLACE.domain}`,
} as const;

/** Split `total` into parts proportional to `weights`, adding up exactly (largest remainders). */
export function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  let before = 0;
  return weights.map((_, index) => {
    const upTo = weights.slice(0, index + 1).reduce((a, b) => a + b, 0);
    const next = Math.floor((total * upTo) / sum + 1e-9);
    const part = next - before;
    before = next;
    return part;
  });
}

/** The agencies and accounts of a generated partnership, the same for the same seed and scale. */
export function buildPopulation(scale: Scale, seed: string): GeneratedPopulation {
  const random = new Random(`${seed}:${scale.name}:people`);
  const partnershipId = stableUuid(seed, "partnership", scale.name);
  const agencies: GeneratedAgency[] = [];
  for (const kind of KIND_ORDER) {
    for (const name of agencyNames(kind, scale.agencies[kind])) {
      agencies.push({
        id: stableUuid(seed, `${scale.name}:agency`, agencies.length),
        name,
        kind,
        contactEmail: `contact@${agencySlug(name)}.${PLACE.domain}`,
      });
    }
  }
  if (agencies.length !== agencyCount(scale)) throw new Error("agency count mismatch");
  const [hub, ...others] = agencies;
  if (!hub || hub.kind !== "local_authority") throw new Error("the hub must be a local authority");

  const users: GeneratedUser[] = [];
  const person = () => {
    const given = random.pick(GIVEN_NAMES).name;
    const family = random.pick(FAMILY_NAMES);
    return { given, family, displayName: `${given} ${family}` };
  };
  const add = (agency: GeneratedAgency, role: Role, email?: string) => {
    const { given, family, displayName } = person();
    const local = `${given}.${family}`.toLowerCase().replace(/[^a-z.]/g, "");
    users.push({
      id: stableUuid(seed, `${scale.name}:user`, users.length),
      agencyId: agency.id,
      email: email ?? `${local}.${users.length}@${agencySlug(agency.name)}.${PLACE.domain}`,
      displayName,
      role,
    });
  };
  const numbered = (base: string, index: number) =>
    `${base}${index === 0 ? "" : String(index + 1)}@${PLACE.domain}`;
  for (let index = 0; index < scale.hub.leads; index += 1) {
    add(hub, "partnership_lead", numbered("lead", index));
  }
  for (let index = 0; index < scale.hub.auditors; index += 1) {
    add(hub, "auditor", numbered("auditor", index));
  }
  for (let index = 0; index < scale.hub.administrators; index += 1) {
    add(hub, "administrator", numbered("admin", index));
  }
  const hubCount = users.length;
  // Every other agency has a lead; the rest of the accounts are practitioners, shared by kind.
  const practitioners = apportion(
    scale.users - hubCount - others.length,
    others.map((agency) => STAFF_WEIGHT[agency.kind]),
  );
  for (const [index, agency] of others.entries()) {
    add(agency, "agency_lead");
    for (let count = 0; count < (practitioners[index] ?? 0); count += 1)
      add(agency, "practitioner");
  }
  if (users.length !== scale.users) throw new Error("user count mismatch");
  return {
    partnershipId,
    partnershipName: generatedPartnershipName(scale.name),
    agencies,
    users,
  };
}

/**
 * Insert the generated partnership, its agencies, accounts (each with the demo password and
 * authenticator key) and sharing agreement, in the caller's transaction with the tenant set.
 */
export async function insertPopulation(
  client: pg.ClientBase,
  population: GeneratedPopulation,
  createdAt: Date,
): Promise<void> {
  const { partnershipId } = population;
  await client.query("insert into partnerships (id, name, created_at) values ($1, $2, $3)", [
    partnershipId,
    population.partnershipName,
    createdAt,
  ]);
  await client.query(
    `insert into agencies (id, partnership_id, name, kind, contact_email, created_at, updated_at)
     select id, $1, name, kind, contact, $6, $6
     from unnest($2::uuid[], $3::text[], $4::text[], $5::text[]) as a (id, name, kind, contact)`,
    [
      partnershipId,
      population.agencies.map((agency) => agency.id),
      population.agencies.map((agency) => agency.name),
      population.agencies.map((agency) => agency.kind),
      population.agencies.map((agency) => agency.contactEmail),
      createdAt,
    ],
  );
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  await client.query(
    `insert into users (id, partnership_id, agency_id, email, display_name, role, password_hash,
       created_at, updated_at)
     select id, $1, agency_id, email, name, role, $7, $8, $8
     from unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[])
       as u (id, agency_id, email, name, role)`,
    [
      partnershipId,
      population.users.map((user) => user.id),
      population.users.map((user) => user.agencyId),
      population.users.map((user) => user.email),
      population.users.map((user) => user.displayName),
      population.users.map((user) => user.role),
      passwordHash,
      createdAt,
    ],
  );
  await client.query(
    `insert into totp_authenticators (user_id, partnership_id, secret, confirmed_at, created_at)
     select id, $1, $2, $3, $3 from users where partnership_id = $1`,
    [
      partnershipId,
      Buffer.from(decodeBase32IgnorePadding(DEMO_TOTP_KEY.replace(/\s+/g, ""))),
      createdAt,
    ],
  );
  await client.query(
    `insert into sharing_agreements (partnership_id, review_date, updated_at) values ($1, $2, $3)`,
    [partnershipId, DEMO_AGREEMENT_REVIEW_DATE, createdAt],
  );
  await client.query(
    `insert into sharing_agreement_permissions (partnership_id, from_kind, to_kind, purpose)
     select $1, from_kind, to_kind, purpose
     from unnest($2::text[], $3::text[], $4::text[]) as p (from_kind, to_kind, purpose)`,
    [
      partnershipId,
      DEMO_AGREEMENT.map((entry) => entry.from),
      DEMO_AGREEMENT.map((entry) => entry.to),
      DEMO_AGREEMENT.map((entry) => entry.purpose),
    ],
  );
}

/** Which of the demo seed's stories a referrer of each kind of agency tells. */
const STORY_GROUP: Readonly<Record<AgencyKind, string>> = {
  school: "school",
  police: "police",
  health: "hospital",
  advocacy: "advocacy",
  voluntary: "advocacy",
  local_authority: "advocacy",
  childrens_social_care: "statutory",
  youth_justice: "statutory",
};
/** How many referrals an agency of each kind makes, per practitioner, relative to the others. */
const REFERRER_WEIGHT: Readonly<Record<AgencyKind, number>> = {
  police: 2.5,
  health: 1.5,
  advocacy: 1.2,
  childrens_social_care: 1.2,
  youth_justice: 1,
  school: 1,
  voluntary: 0.6,
  local_authority: 0.6,
};
/** How often an agency of each kind is asked to take a case on, relative to the others. */
const RECEIVER_WEIGHT: Readonly<Record<AgencyKind, number>> = {
  advocacy: 3,
  voluntary: 2,
  youth_justice: 1.5,
  childrens_social_care: 1.5,
  police: 1.5,
  health: 1,
  local_authority: 1,
  school: 0,
};
/** Slots of a pick table: a choice is one equality join on floor(u * SLOTS). */
export const SLOTS = 1024;

const kindCase = (weights: Readonly<Record<AgencyKind, number>>) =>
  `case a.kind ${Object.entries(weights)
    .map(([kind, weight]) => `when '${kind}' then ${weight}`)
    .join(" ")} else 0 end`;

/**
 * The session's picking tables for one partnership's cases, from its agencies and accounts as
 * they are in the database (the generated partnership's, or the demo's): who refers from where,
 * who takes cases on, who leads, and weighted pick tables over agencies. Only accounts that can
 * sign in (a password and a confirmed authenticator) work on cases, so the demo's new starter
 * does not. The session's tenant must be the partnership.
 */
export async function preparePopulationTables(
  client: pg.ClientBase,
  partnershipId: string,
  schools: readonly string[],
): Promise<{ leads: number }> {
  const active = `u.is_active and u.password_hash is not null and exists (
    select 1 from totp_authenticators t where t.user_id = u.id and t.confirmed_at is not null)`;
  const statements = [
    `drop table if exists gen_agency, gen_referrer, gen_staff, gen_leads, gen_pick, gen_school`,
    `create temp table gen_leads as
     select row_number() over (order by u.email)::int as k, u.id as user_id, u.agency_id
     from users u where u.partnership_id = '${partnershipId}' and u.role = 'partnership_lead'
       and ${active}`,
    `create temp table gen_referrer as
     select u.agency_id, row_number() over (partition by u.agency_id order by u.email)::int as k,
       u.id as user_id
     from users u where u.partnership_id = '${partnershipId}' and u.role = 'practitioner'
       and ${active}`,
    // Practitioners take three cases for each one their agency's lead takes.
    `create temp table gen_staff as
     select agency_id, row_number() over (partition by agency_id order by email, copy)::int as k,
       user_id
     from (select u.agency_id, u.email, u.id as user_id, copy
           from users u cross join generate_series(1, 3) as copy
           where u.partnership_id = '${partnershipId}' and ${active}
             and (u.role = 'practitioner' or (u.role = 'agency_lead' and copy = 1))) s`,
    `create temp table gen_agency as
     select row_number() over (order by a.name)::int as idx, a.id, a.kind, a.name,
       a.id = (select agency_id from gen_leads where k = 1) as is_hub,
       coalesce((select u.id from users u where u.agency_id = a.id and u.role = 'agency_lead'
                   and ${active} order by u.email limit 1),
                (select user_id from gen_leads where k = 1)) as lead_user,
       (select count(*) from gen_referrer r where r.agency_id = a.id)::int as referrers,
       (select count(*) from gen_staff s where s.agency_id = a.id)::int as staff,
       case a.kind ${Object.entries(STORY_GROUP)
         .map(([kind, group]) => `when '${kind}' then '${group}'`)
         .join(" ")} end as story_group,
       ${kindCase(REFERRER_WEIGHT)} as referrer_weight,
       ${kindCase(RECEIVER_WEIGHT)} as receiver_weight
     from agencies a where a.partnership_id = '${partnershipId}' and a.is_active`,
    `create temp table gen_pick (dist text, slot int, agency_id uuid, alt_agency_id uuid,
       primary key (dist, slot))`,
    ...(
      [
        ["referrer", "referrers > 0", "referrer_weight * ln(1 + referrers)"],
        ["receiver", "staff > 0 and not is_hub", "receiver_weight"],
      ] as const
    ).map(
      ([dist, where, weight]) => `insert into gen_pick
       with w as (
         select id, idx, ${weight} as weight from gen_agency where ${where} and ${weight} > 0),
       c as (
         select id, idx, sum(weight) over (order by idx) as upto, sum(weight) over () as total,
           lead(id) over (order by idx) as next_id, first_value(id) over (order by idx) as first_id
         from w)
       select '${dist}', slot, pick.id, coalesce(pick.next_id, pick.first_id)
       from generate_series(0, ${SLOTS - 1}) as slot,
       lateral (select id, next_id, first_id from c where c.upto > (slot + 0.5) / ${SLOTS} * c.total
                order by c.upto limit 1) as pick`,
    ),
    `create temp table gen_school as
     select (ordinality - 1)::int as k, name
     from unnest($1::text[]) with ordinality as s (name, ordinality)`,
    `analyze gen_agency, gen_referrer, gen_staff, gen_leads, gen_pick, gen_school`,
  ];
  for (const statement of statements) {
    await client.query(statement, statement.includes("$1") ? [schools] : []);
  }
  const counts = await client.query<{ leads: number; referrers: number; receivers: number }>(
    `select (select count(*) from gen_leads)::int as leads,
            (select count(*) from gen_pick where dist = 'referrer')::int as referrers,
            (select count(*) from gen_pick where dist = 'receiver')::int as receivers`,
  );
  const row = counts.rows[0];
  if (!row || row.leads === 0) {
    throw new Error("the partnership has no partnership lead who can sign in to screen referrals");
  }
  if (row.referrers === 0 || row.receivers === 0) {
    throw new Error("the partnership has no practitioner to refer, or no agency to take cases on");
  }
  return { leads: row.leads };
}
