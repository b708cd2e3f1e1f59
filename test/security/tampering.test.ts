import { sql, type Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Database } from "../../db/types";
import { decide } from "../../policies";
import { refusalLogged } from "./support/access-log";
import { everyone, policyActor, type Actor } from "./support/actors";
import { methodsOf } from "./support/expectations";
import { referralFacts, referralRecord } from "./support/facts";
import { anotherAgencysCase, secondPartnershipCase, type CaseIds } from "./support/foreign";
import { baselineOf } from "./support/forms";
import { request, type FormFields, type Reply } from "./support/http";
import { formsOf, govukPageProblems, withoutRequestParts } from "./support/pages";
import { pathOf, routeFiles, type RouteFile } from "./support/routes";
import { demoSamples, randomId, segmentValues, type DemoSamples } from "./support/samples";
import { connectTo } from "./support/server";

/**
 * Identifier tampering: every record id an address names swapped for one of a case the person's
 * agency is not involved in, and for one of another partnership. Each must be the 404 a random id
 * gets (the same page), and the attempt must be in the access log against the person.
 */

const { server, second } = inject("security");
let db: Kysely<Database>;
let actors: Actor[];
let samples: DemoSamples;

const byEmail = (email: string) => {
  const actor = actors.find((candidate) => candidate.email === email);
  if (!actor) throw new Error(`No actor ${email}`);
  return actor;
};
const CASE_WORKERS = [
  "officer@police.northbridge.example",
  "inspector@police.northbridge.example",
  "dsl@school.northbridge.example",
  "youthworker@hospital.northbridge.example",
  "advocate@advocacy.northbridge.example",
  "advocacy.lead@advocacy.northbridge.example",
  "lead@northbridge.example",
];

/** For each person, the ids they must not reach: another agency's case, another partnership's. */
const foreignCases = new Map<Actor, { label: string; ids: CaseIds }[]>();
/** A form each POST route serves for the demo sample, as someone who may use it saw it. */
const sampleForms = new Map<string, FormFields>();

beforeAll(async () => {
  db = await connectTo(server, "superuser");
  actors = await everyone(server.baseUrl, db, second);
  samples = await demoSamples(db, server.baseUrl, byEmail("lead@northbridge.example").cookie ?? "");
  for (const email of CASE_WORKERS) {
    const actor = byEmail(email);
    const cases = [{ label: "another partnership's", ids: secondPartnershipCase(second) }];
    const other = await anotherAgencysCase(db, actor);
    if (other) cases.unshift({ label: "another agency's", ids: other });
    foreignCases.set(actor, cases);
  }
  foreignCases.set(actors.at(-1) as Actor, [
    {
      label: "another partnership's",
      ids: {
        referralId: samples.referral,
        youngPersonId: samples.youngPerson,
        noteId: samples.sharedNote,
        actionId: samples.action,
        decisionId: samples.decision,
      },
    },
  ]);
});
afterAll(async () => {
  await db?.destroy();
});

const CASE_SEGMENTS = ["referralId", "youngPersonId", "noteId", "actionId", "decisionId"] as const;
const caseRoutes = routeFiles().filter((route) =>
  route.params.some((param) => (CASE_SEGMENTS as readonly string[]).includes(param)),
);

/** The route's address for the sample, with `ids` put in place of the case's own. */
function addressWith(route: RouteFile, ids: Partial<CaseIds>): string {
  const values: Record<string, string> = {};
  for (const [param, choices] of Object.entries(segmentValues(route, samples))) {
    values[param] = choices[0] as string;
  }
  return pathOf(route.pattern, { ...values, ...ids });
}

const idsIn = (path: string) =>
  path.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g) ?? [];

/** What is wrong with the answer to a tampered request: must be a logged 404, like a random id's. */
async function problemsWith(
  actor: Actor,
  method: "GET" | "POST",
  path: string,
  randomPath: string,
  form: FormFields | undefined,
): Promise<string[]> {
  const send = (address: string): Promise<Reply> =>
    request(server.baseUrl, {
      method,
      path: address,
      cookie: actor.cookie,
      form: method === "POST" ? (form ?? []) : undefined,
    });
  const reply = await send(path);
  const label = `${actor.name} ${method} ${path}`;
  if (reply.status !== 404) return [`${label}: ${reply.status}, expected 404`];
  const problems = govukPageProblems(reply).map((problem) => `${label}: the 404 is ${problem}`);
  if (!(await refusalLogged(db, reply, actor)))
    problems.push(`${label}: no refusal in the access log`);
  const random = await send(randomPath);
  if (random.status !== 404) problems.push(`${label}: a random id answers ${random.status}`);
  else if (
    withoutRequestParts(reply.body, idsIn(path)) !==
    withoutRequestParts(random.body, idsIn(randomPath))
  )
    problems.push(`${label}: the page differs from a random id's 404`);
  return problems;
}

/** As problemsWith, for a form whose fields (not its address) carry the id. */
async function problemsWithForm(
  actor: Actor,
  path: string,
  form: FormFields,
  randomForm: FormFields,
): Promise<string[]> {
  const reply = await request(server.baseUrl, { path, cookie: actor.cookie, form });
  const label = `${actor.name} POST ${path} ${JSON.stringify(form.slice(0, 3))}`;
  if (reply.status !== 404) return [`${label}: ${reply.status}, expected 404`];
  const problems = govukPageProblems(reply).map((problem) => `${label}: the 404 is ${problem}`);
  if (!(await refusalLogged(db, reply, actor)))
    problems.push(`${label}: no refusal in the access log`);
  const random = await request(server.baseUrl, { path, cookie: actor.cookie, form: randomForm });
  if (random.status !== 404) problems.push(`${label}: a random id answers ${random.status}`);
  else if (withoutRequestParts(reply.body, []) !== withoutRequestParts(random.body, []))
    problems.push(`${label}: the page differs from a random id's 404`);
  return problems;
}

/** The sample's own form for a route that takes POSTs, as someone allowed to use it sees it. */
async function sampleForm(route: RouteFile): Promise<FormFields | undefined> {
  if (sampleForms.has(route.file)) return sampleForms.get(route.file);
  const path = addressWith(route, {});
  for (const actor of actors.filter((candidate) => candidate.role)) {
    const page = await request(server.baseUrl, { path, cookie: actor.cookie });
    if (page.status !== 200) continue;
    const form = formsOf(page.body).find(
      (candidate) =>
        candidate.method === "post" && (candidate.action === null || candidate.action === path),
    );
    if (!form) continue;
    const fields = baselineOf(form);
    sampleForms.set(route.file, fields);
    return fields;
  }
  return undefined;
}

describe("an id of a case one may not see, in an address", () => {
  it("covers every route about a case", () => {
    expect(caseRoutes.length).toBeGreaterThanOrEqual(14);
  });

  it.each(caseRoutes.map((route) => [route.file, route] as const))(
    "%s answers 404, logged",
    async (_file, route) => {
      const problems: string[] = [];
      const methods = methodsOf(route);
      const form = methods.post ? await sampleForm(route) : undefined;
      const random = {
        referralId: randomId(),
        youngPersonId: randomId(),
        noteId: randomId(),
        actionId: randomId(),
        decisionId: randomId(),
      };
      let attempts = 0;
      for (const [actor, cases] of foreignCases) {
        for (const { label, ids } of cases) {
          const path = addressWith(route, ids);
          const randomPath = addressWith(route, random);
          if (methods.get)
            problems.push(...(await problemsWith(actor, "GET", path, randomPath, undefined)));
          if (methods.post && form)
            problems.push(...(await problemsWith(actor, "POST", path, randomPath, form)));
          attempts += 1;
          void label;
        }
      }
      expect(attempts).toBeGreaterThan(0);
      expect(problems, problems.join("\n")).toEqual([]);
    },
  );
});

describe("an id of another case's record, beside a case one may see", () => {
  // An action's page is checked on its own below: a POST there by someone who may see the case but
  // not update its actions is refused (403, with the reason) before any action is read.
  const subRoutes = caseRoutes.filter((route) =>
    route.params.some((param) => param === "noteId" || param === "decisionId"),
  );

  it.each(subRoutes.map((route) => [route.file, route] as const))(
    "%s answers 404, logged",
    async (_file, route) => {
      const problems: string[] = [];
      const methods = methodsOf(route);
      const form = methods.post ? await sampleForm(route) : undefined;
      let attempts = 0;
      for (const [actor, cases] of foreignCases) {
        if (
          !actor.userId ||
          actor.partnershipId !== (await referralRecord(db, samples.referral))?.partnershipId
        )
          continue;
        const sample = await referralRecord(db, samples.referral);
        if (
          !sample ||
          !decide(policyActor(actor), "referral.view", await referralFacts(db, sample, actor))
            .allowed
        )
          continue;
        for (const { ids } of cases) {
          const swapped = {
            noteId: ids.noteId,
            actionId: ids.actionId,
            decisionId: ids.decisionId,
          };
          const path = addressWith(route, swapped);
          const randomPath = addressWith(route, {
            noteId: randomId(),
            actionId: randomId(),
            decisionId: randomId(),
          });
          if (methods.get)
            problems.push(...(await problemsWith(actor, "GET", path, randomPath, undefined)));
          if (methods.post && form)
            problems.push(...(await problemsWith(actor, "POST", path, randomPath, form)));
          attempts += 1;
        }
      }
      expect(attempts).toBeGreaterThan(0);
      expect(problems, problems.join("\n")).toEqual([]);
    },
  );

  it("an action of another case, on the page of a case one may see, is a logged 404 like a random id's", async () => {
    const problems: string[] = [];
    for (const email of [
      "officer@police.northbridge.example",
      "dsl@school.northbridge.example",
      "advocate@advocacy.northbridge.example",
    ]) {
      const actor = byEmail(email);
      const actions = (foreignCases.get(actor) ?? []).map(({ ids }) => ids.actionId);
      expect(actions.length).toBeGreaterThan(0);
      for (const action of actions) {
        problems.push(
          ...(await problemsWith(
            actor,
            "GET",
            `/referrals/${samples.referral}/actions/${action}`,
            `/referrals/${samples.referral}/actions/${randomId()}`,
            undefined,
          )),
        );
      }
    }
    expect(problems, problems.join("\n")).toEqual([]);
  });
});

/** The page's form that is sent with this field (never the header's sign-out form). */
async function formWith(actor: Actor, page: string, field: string) {
  const reply = await request(server.baseUrl, { path: page, cookie: actor.cookie });
  const form = formsOf(reply.body).find(
    (candidate) =>
      candidate.method === "post" &&
      candidate.action !== "/sign-out" &&
      candidate.controls.some((control) => control.name === field),
  );
  if (!form) throw new Error(`${actor.name}: no form with ${field} on ${page} (${reply.status})`);
  return { form, path: form.action ?? page };
}

/** The fields with `id` everywhere `from` was: in values, and in names that carry an id. */
function swapped(fields: FormFields, from: string, id: string): FormFields {
  return fields.map(
    ([name, value]) => [name.split(from).join(id), value.split(from).join(id)] as const,
  );
}

describe("an id of a record one may not see, in a form field", () => {
  it("an emergency access of another partnership, to review, is a logged 404 like a random id's", async () => {
    const lead = byEmail("lead@northbridge.example");
    const { form, path } = await formWith(lead, "/emergency-access/reviews", "accessId");
    const own = form.controls.find((control) => control.name === "accessId")?.value ?? "";
    const fields = baselineOf(form);
    const problems = await problemsWithForm(
      lead,
      path,
      swapped(fields, own, second.ids.emergencyAccess),
      swapped(fields, own, randomId()),
    );
    expect(problems, problems.join("\n")).toEqual([]);
  });

  it("a young person of another agency or partnership, chosen for a draft, is a logged 404 like a random id's", async () => {
    const dsl = byEmail("dsl@school.northbridge.example");
    const other = foreignCases.get(dsl)?.find(({ label }) => label === "another agency's")?.ids;
    expect(other).toBeDefined();
    const path = `/referrals/${samples.draft}/draft/young-person`;
    const choose = (id: string): FormFields => [
      ["intent", "choose"],
      ["youngPersonId", id],
    ];
    const problems: string[] = [];
    for (const id of [other?.youngPersonId ?? "", second.ids.youngPerson]) {
      problems.push(...(await problemsWithForm(dsl, path, choose(id), choose(randomId()))));
    }
    expect(problems, problems.join("\n")).toEqual([]);
  });

  it("a young person of another partnership, to open emergency access to, is a logged 404 like a random id's", async () => {
    const officer = byEmail("officer@police.northbridge.example");
    const open = (id: string): FormFields => [
      ["intent", "open"],
      ["handle", id],
      ["match", "1"],
      ["reason-1", "missing_child"],
      ["reasonDetail-1", "Reported missing tonight."],
      ["givenName", "Kofi"],
      ["familyName", "Second-Partnership"],
      ["dateOfBirth-day", "14"],
      ["dateOfBirth-month", "3"],
      ["dateOfBirth-year", "2010"],
      ["postcodeDistrict", "NG7"],
    ];
    const problems = await problemsWithForm(
      officer,
      "/emergency-access",
      open(second.ids.youngPerson),
      open(randomId()),
    );
    expect(problems, problems.join("\n")).toEqual([]);
  });
});

describe("a decision to share one may not replace, in a form field", () => {
  it("a decision of another case or partnership, named as the one a new decision replaces, is a logged 404 like a random id's", async () => {
    const lead = byEmail("lead@northbridge.example");
    const { form, path } = await formWith(
      lead,
      `/referrals/${samples.referral}/sharing/new?decision=share`,
      "supersedesId",
    );
    const fields = baselineOf(form);
    const replacing = (id: string): FormFields =>
      fields.map(([name, value]) => [name, name === "supersedesId" ? id : value] as const);
    const otherCase = await db
      .selectFrom("decisions_to_share")
      .select("id")
      .where("partnership_id", "=", lead.partnershipId as string)
      .where("referral_id", "<>", samples.referral)
      .orderBy("id")
      .executeTakeFirstOrThrow();
    const problems: string[] = [];
    for (const id of [otherCase.id, second.ids.decision]) {
      problems.push(...(await problemsWithForm(lead, path, replacing(id), replacing(randomId()))));
    }
    expect(problems, problems.join("\n")).toEqual([]);
  });
});

describe("an agency of another partnership, chosen in a form", () => {
  const choices: { who: string; page: () => string; field: string }[] = [
    {
      who: "lead@northbridge.example",
      page: () => `/referrals/${samples.referral}/actions/new`,
      field: "assignedAgencyId",
    },
    {
      who: "lead@northbridge.example",
      page: () => `/referrals/${samples.referral}/sharing/new?decision=share`,
      field: "recipientAgencyIds",
    },
    { who: "admin@northbridge.example", page: () => "/admin/users/new", field: "agencyId" },
    {
      who: "dsl@school.northbridge.example",
      page: () => `/referrals/${samples.draft}/draft/destination`,
      field: "destinationAgencyId",
    },
  ];

  it.each(choices.map((choice) => [choice.field, choice] as const))(
    "%s: answered as a random id is, and never saved",
    async (_field, choice) => {
      const actor = byEmail(choice.who);
      const { form, path } = await formWith(actor, choice.page(), choice.field);
      const fields = baselineOf(form);
      const send = (id: string) =>
        request(server.baseUrl, {
          path,
          cookie: actor.cookie,
          form: fields.map(([name, value]) => [name, name === choice.field ? id : value] as const),
        });
      const foreign = await send(second.ids.agency);
      const random = await send(randomId());
      expect(foreign.status).toBeLessThan(500);
      expect(foreign.status).toBe(random.status);
      expect(foreign.location?.replace(/[0-9a-f-]{36}/g, "[id]") ?? null).toBe(
        random.location?.replace(/[0-9a-f-]{36}/g, "[id]") ?? null,
      );
      const saved = await sql<{ count: string }>`
        select (select count(*) from case_actions where assigned_agency_id = ${second.ids.agency} and partnership_id <> ${second.partnershipId})
          + (select count(*) from decisions_to_share where ${second.ids.agency} = any(recipient_agency_ids) and partnership_id <> ${second.partnershipId})
          + (select count(*) from users where agency_id = ${second.ids.agency} and partnership_id <> ${second.partnershipId})
          + (select count(*) from referrals where destination_agency_id = ${second.ids.agency} and partnership_id <> ${second.partnershipId})
          as count`.execute(db);
      expect(Number(saved.rows[0]?.count)).toBe(0);
    },
  );
});

describe("an agency in a dashboard's address", () => {
  it("another agency's, for an agency lead, is a logged 404 like a random id's", async () => {
    const inspector = byEmail("inspector@police.northbridge.example");
    const { police, advocacy } = samples.agencies;
    const query = samples.drillDowns.police.slice(samples.drillDowns.police.indexOf("?"));
    const problems: string[] = [];
    for (const path of [
      `/oversight/agencies/${police}`,
      `/oversight/download/open-by-status?within=${police}`,
      `/oversight/referrals${query}`,
    ]) {
      problems.push(
        ...(await problemsWith(
          inspector,
          "GET",
          path.split(police).join(advocacy),
          path.split(police).join(randomId()),
          undefined,
        )),
      );
    }
    expect(problems, problems.join("\n")).toEqual([]);
  });
});
