import { randomBytes, randomUUID } from "node:crypto";
import { sql, type Kysely } from "kysely";
import { DEMO_PARTNERSHIP_ID } from "../../../db/seed/demo";
import type { Database } from "../../../db/types";
import { OVERSIGHT_TABLE_IDS } from "../../../app/services/oversight";
import { QUESTION_STEPS } from "../../../app/ui/referral-questions";
import { STEP_PAGES } from "../../../app/ui/referral-step-forms";
import { ACCESS_REPORT_NAMES } from "../../../app/services/access-log-vocabulary";
import { request } from "./http";
import { linksWithQueries } from "./pages";
import type { RouteFile } from "./routes";

/**
 * Records of the demo partnership to put in addresses: chosen by what they are (an open case
 * several agencies work, with every kind of record below it), never by hard-coded ids, which the
 * demo seed makes afresh each time.
 */
export interface DemoSamples {
  /** An active referral with a consent-based decision to share, notes of both kinds and actions. */
  referral: string;
  youngPerson: string;
  sharedNote: string;
  agencyOnlyNote: string;
  action: string;
  decision: string;
  /** A draft of the school's designated safeguarding lead. */
  draft: string;
  agencies: { police: string; advocacy: string };
  /** An account and an agency whose administration pages are attacked (the officer's, the police). */
  user: string;
  agency: string;
  /**
   * Addresses of the referrals behind a number, as the dashboards link to them: on the
   * partnership's dashboard and on the police's (read from the pages by the partnership lead).
   */
  drillDowns: { partnership: string; police: string };
}

async function one(
  db: Kysely<Database>,
  what: string,
  query: ReturnType<typeof sql<{ id: string }>>,
) {
  const { rows } = await query.execute(db);
  const id = rows[0]?.id;
  if (!id) throw new Error(`The demo partnership has no ${what}`);
  return id;
}

/** The first link from a dashboard to the referrals behind one of its numbers. */
async function drillDownFrom(baseUrl: string, cookie: string, dashboard: string): Promise<string> {
  const page = await request(baseUrl, { path: dashboard, cookie });
  const link = linksWithQueries(page.body).find((href) => href.startsWith("/oversight/referrals?"));
  if (!link) throw new Error(`${dashboard} (${page.status}) links to no referrals behind a number`);
  return link;
}

export async function demoSamples(
  db: Kysely<Database>,
  baseUrl: string,
  leadCookie: string,
): Promise<DemoSamples> {
  const referral = await one(
    db,
    "active referral with every kind of record",
    sql<{ id: string }>`
      select r.id from referrals r
      where r.partnership_id = ${DEMO_PARTNERSHIP_ID} and r.state = 'active'
        and exists (select 1 from case_notes n where n.referral_id = r.id and n.visibility = 'agency_only')
        and exists (select 1 from case_notes n where n.referral_id = r.id and n.visibility = 'shared')
        and exists (select 1 from case_actions a where a.referral_id = r.id)
        and exists (
          select 1 from decisions_to_share d
          where d.referral_id = r.id and d.consent_relied_on
            and not exists (select 1 from decisions_to_share later where later.supersedes_id = d.id)
            and not exists (select 1 from consent_withdrawals w where w.decision_id = d.id))
      order by (select count(*) from referral_agencies ra
                where ra.referral_id = r.id and ra.status is distinct from 'declined') desc, r.id
      limit 1`,
  );
  const of = (table: "case_notes" | "case_actions", extra: ReturnType<typeof sql>) =>
    one(
      db,
      `${table} of the sample referral`,
      sql<{ id: string }>`
      select id from ${sql.table(table)} where referral_id = ${referral} ${extra} order by id limit 1`,
    );
  const police = await one(
    db,
    "police",
    sql<{
      id: string;
    }>`select id from agencies where partnership_id = ${DEMO_PARTNERSHIP_ID} and name = 'Northbridge Police'`,
  );
  return {
    referral,
    youngPerson: await one(
      db,
      "young person",
      sql<{ id: string }>`select young_person_id as id from referrals where id = ${referral}`,
    ),
    sharedNote: await of("case_notes", sql`and visibility = 'shared'`),
    agencyOnlyNote: await of("case_notes", sql`and visibility = 'agency_only'`),
    action: await of("case_actions", sql``),
    decision: await one(
      db,
      "consent decision",
      sql<{ id: string }>`
        select d.id from decisions_to_share d
        where d.referral_id = ${referral} and d.consent_relied_on
          and not exists (select 1 from decisions_to_share later where later.supersedes_id = d.id)
        order by d.id limit 1`,
    ),
    draft: await one(
      db,
      "draft of the school's lead",
      sql<{ id: string }>`
        select r.id from referrals r join users u on u.id = r.referrer_user_id
        where u.email = 'dsl@school.northbridge.example' and r.state = 'draft'
        order by r.id limit 1`,
    ),
    agency: police,
    agencies: {
      police,
      advocacy: await one(
        db,
        "advocates",
        sql<{
          id: string;
        }>`select id from agencies where partnership_id = ${DEMO_PARTNERSHIP_ID} and kind = 'advocacy'`,
      ),
    },
    user: await one(
      db,
      "officer",
      sql<{ id: string }>`select id from users where email = 'officer@police.northbridge.example'`,
    ),
    drillDowns: {
      // A table's own page: the dashboard itself is a summary, each table a link away.
      partnership: await drillDownFrom(baseUrl, leadCookie, "/oversight?table=open-by-status"),
      police: await drillDownFrom(
        baseUrl,
        leadCookie,
        `/oversight/agencies/${police}?table=open-by-status`,
      ),
    },
  };
}

/** A set-password token in the links' format that no link was ever given. */
export const unknownToken = () => randomBytes(32).toString("base64url");

/**
 * The values each dynamic segment takes in the route table: every record kind from the samples,
 * every step of a draft and of the lifecycle, both kinds of note, one's own and another agency's
 * dashboard. Keyed by segment name, so a new route with a known segment needs nothing new here.
 */
export function segmentValues(route: RouteFile, samples: DemoSamples): Record<string, string[]> {
  const draftPage = route.file.includes(".draft.");
  return {
    referralId: [draftPage ? samples.draft : samples.referral],
    youngPersonId: [samples.youngPerson],
    noteId: [samples.sharedNote, samples.agencyOnlyNote],
    actionId: [samples.action],
    decisionId: [samples.decision],
    agencyId: route.file.startsWith("oversight.")
      ? [samples.agencies.police, samples.agencies.advocacy]
      : [samples.agency],
    userId: [samples.user],
    step: [...QUESTION_STEPS],
    transition: Object.keys(STEP_PAGES),
    table: OVERSIGHT_TABLE_IDS.slice(0, 2),
    token: [unknownToken()],
  };
}

/**
 * The query strings a route is asked with: none, but for pages that show nothing without one
 * (the referrals behind a dashboard's number, on the partnership's and on an agency's dashboard;
 * one report's export).
 */
export function queriesOf(route: RouteFile, samples: DemoSamples): string[] {
  if (route.file === "oversight.referrals._index.tsx") {
    return [samples.drillDowns.partnership, samples.drillDowns.police].map((href) =>
      href.slice(href.indexOf("?")),
    );
  }
  if (route.file === "audit.reports.export.tsx") return [`?report=${ACCESS_REPORT_NAMES[0]}`];
  return [""];
}

/** Every combination of the route's segment values. */
export function instancesOf(route: RouteFile, samples: DemoSamples): Record<string, string>[] {
  const values = segmentValues(route, samples);
  let combinations: Record<string, string>[] = [{}];
  for (const param of route.params) {
    const choices = values[param];
    if (!choices)
      throw new Error(`No sample values for :${param} (${route.file}): add them to segmentValues`);
    combinations = combinations.flatMap((partial) =>
      choices.map((value) => ({ ...partial, [param]: value })),
    );
  }
  return combinations;
}

export const randomId = () => randomUUID();
