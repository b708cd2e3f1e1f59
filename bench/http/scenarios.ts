import pg from "pg";
import { DEMO_PASSWORD, DEMO_TOTP_KEY } from "../../db/seed/demo";
import { browserHeaders, send, signIn, type Account, type PageRequest } from "./client";
import type { BenchDatabase } from "./database";

/** The pages driven, one at a time, each as the role that uses it. */
export const SCENARIO_NAMES = [
  "caseload",
  "referral",
  "add-note",
  "dashboard",
  "audit-search",
  "access-history",
] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export interface Scenario {
  name: ScenarioName;
  /** How the table names it. */
  label: string;
  request: PageRequest;
  /** The status every answer must have: 200, or the redirect after a form. */
  expected: number;
  /** A read page (the 70% throughput target applies), or a write. */
  read: boolean;
}

export interface BenchAccounts {
  practitioner: Account;
  lead: Account;
  auditor: Account;
}

/**
 * Who each page is measured as: in the partnership with the most referrals (a generated one, or
 * the demo's), the practitioner with the most open cases allocated to them, the first partnership
 * lead and the first auditor (by email), unless named. Demo and generated accounts alike sign in
 * with the published demo password and authenticator key.
 */
export async function chooseAccounts(
  database: BenchDatabase,
  named: Partial<Record<keyof BenchAccounts, string>>,
): Promise<BenchAccounts> {
  const account = (email: string): Account => ({
    email,
    password: process.env.BENCH_PASSWORD ?? DEMO_PASSWORD,
    totpKey: process.env.BENCH_TOTP_KEY ?? DEMO_TOTP_KEY,
  });
  const [partnership] = await superuserQuery<{ partnership_id: string }>(
    database,
    `select partnership_id from referrals group by partnership_id order by count(*) desc limit 1`,
    [],
  );
  if (!partnership) throw new Error("the database holds no referrals to measure");
  const first = async (role: string) => {
    const [user] = await superuserQuery<{ email: string }>(
      database,
      `select email from users where partnership_id = $1 and role = $2 and is_active
       order by email limit 1`,
      [partnership.partnership_id, role],
    );
    if (!user) throw new Error(`the busiest partnership has no active ${role}`);
    return user.email;
  };
  const busiest = async () => {
    const [user] = await superuserQuery<{ email: string }>(
      database,
      `select u.email from users u
         join referral_agencies ra on ra.allocated_user_id = u.id
         join referrals r on r.id = ra.referral_id
        where u.partnership_id = $1 and u.role = 'practitioner' and u.is_active
          and r.state in ('submitted', 'screened', 'allocated', 'active', 'panel')
        group by u.email order by count(*) desc, u.email limit 1`,
      [partnership.partnership_id],
    );
    return user?.email ?? first("practitioner");
  };
  return {
    practitioner: account(named.practitioner ?? (await busiest())),
    lead: account(named.lead ?? (await first("partnership_lead"))),
    auditor: account(named.auditor ?? (await first("auditor"))),
  };
}

export interface Sessions {
  practitioner: string;
  lead: string;
  auditor: string;
}

export async function signInAll(
  baseUrl: string,
  accounts: BenchAccounts,
  dataDir: string,
): Promise<Sessions> {
  return {
    practitioner: await signIn(baseUrl, accounts.practitioner, dataDir),
    lead: await signIn(baseUrl, accounts.lead, dataDir),
    auditor: await signIn(baseUrl, accounts.auditor, dataDir),
  };
}

const REFERRAL_LINK = /href="\/referrals\/([0-9a-f-]{36})"/g;

/** A note as a practitioner writes one after a phone call. */
export function noteForm(): string {
  const today = new Date();
  return new URLSearchParams({
    kind: "contact_phone",
    "occurredOn-day": String(today.getUTCDate()),
    "occurredOn-month": String(today.getUTCMonth() + 1),
    "occurredOn-year": String(today.getUTCFullYear()),
    body: "Spoke with the young person's parent by phone; a home visit is booked for next week.",
    visibility: "shared",
  }).toString();
}

async function superuserQuery<T extends pg.QueryResultRow>(
  database: BenchDatabase,
  text: string,
  params: unknown[],
): Promise<T[]> {
  const url = new URL(database.superuserUrl);
  url.pathname = new URL(database.appUrl).pathname;
  const client = new pg.Client({ connectionString: url.href });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

/**
 * The six scenarios on this data set: the practitioner's caseload as it opens; the first case on
 * it (an audited read); a note added to another case on it (so the read page does not grow with
 * the notes the write adds); the partnership dashboard as its lead; the auditor's search of the
 * practitioner's agency's case views; and the access history of the first case's young person.
 */
export async function discoverScenarios(
  baseUrl: string,
  database: BenchDatabase,
  accounts: BenchAccounts,
  sessions: Sessions,
  names: readonly ScenarioName[] = SCENARIO_NAMES,
): Promise<Scenario[]> {
  const get = (path: string, cookie: string): PageRequest => ({
    method: "GET",
    path,
    headers: browserHeaders(baseUrl, cookie, false),
  });
  const caseload = get("/cases", sessions.practitioner);
  const caseloadPage = await send(baseUrl, caseload);
  if (caseloadPage.status !== 200) throw new Error(`the caseload answered ${caseloadPage.status}`);
  const referrals = [
    ...new Set([...caseloadPage.body.matchAll(REFERRAL_LINK)].map((m) => m[1] ?? "")),
  ];
  const [referralId, ...others] = referrals;
  if (!referralId) {
    throw new Error(`${accounts.practitioner.email} has no case on their caseload to open`);
  }
  let noteTarget: string | null = null;
  if (names.includes("add-note")) {
    for (const candidate of others.length ? others : [referralId]) {
      const reply = await send(baseUrl, {
        method: "POST",
        path: `/referrals/${candidate}/notes/new`,
        headers: browserHeaders(baseUrl, sessions.practitioner, true),
        body: noteForm(),
      });
      if (reply.status === 302 || reply.status === 303) {
        noteTarget = candidate;
        break;
      }
    }
    if (!noteTarget) throw new Error("no case on the caseload takes a note");
  }
  const [referral] = await superuserQuery<{ young_person_id: string }>(
    database,
    "select young_person_id from referrals where id = $1",
    [referralId],
  );
  const [practitioner] = await superuserQuery<{ agency_id: string }>(
    database,
    "select agency_id from users where email = $1",
    [accounts.practitioner.email],
  );
  if (!referral || !practitioner) throw new Error("the first case or its practitioner is missing");

  const all: Scenario[] = [
    { name: "caseload", label: "caseload /cases", request: caseload, expected: 200, read: true },
    {
      name: "referral",
      label: "referral page",
      request: get(`/referrals/${referralId}`, sessions.practitioner),
      expected: 200,
      read: true,
    },
    {
      name: "add-note",
      label: "add a note (POST)",
      request: {
        method: "POST",
        path: `/referrals/${noteTarget ?? referralId}/notes/new`,
        headers: browserHeaders(baseUrl, sessions.practitioner, true),
        body: noteForm(),
      },
      expected: 302,
      read: false,
    },
    {
      name: "dashboard",
      label: "dashboard /oversight",
      request: get("/oversight", sessions.lead),
      expected: 200,
      read: true,
    },
    {
      name: "audit-search",
      label: "auditor's search",
      request: get(
        `/audit?agency=${practitioner.agency_id}&action=referral.view`,
        sessions.auditor,
      ),
      expected: 200,
      read: true,
    },
    {
      name: "access-history",
      label: "access history",
      request: get(`/audit?youngPerson=${referral.young_person_id}`, sessions.auditor),
      expected: 200,
      read: true,
    },
  ];
  return all.filter((scenario) => names.includes(scenario.name));
}
