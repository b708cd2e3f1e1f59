import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Database } from "../../db/types";
import { refusalLogged } from "./support/access-log";
import { everyone, type Actor } from "./support/actors";
import { anotherAgencysCase } from "./support/foreign";
import { baselineOf } from "./support/forms";
import { fuzzEverything, startFuzzedServer, type FuzzedServer } from "./support/fuzz";
import { request, type FormFields } from "./support/http";
import { formsOf, govukPageProblems, withoutRequestParts } from "./support/pages";
import { demoSamples, randomId, type DemoSamples } from "./support/samples";
import { connectTo } from "./support/server";

/**
 * NOT COMMITTED. The security suite's cases that fail until other work lands (see the suite's
 * report): commit each into its file once it passes.
 */

const { server, second, appDir } = inject("security");
let db: Kysely<Database>;
let actors: Actor[];
let samples: DemoSamples;
const byEmail = (email: string) => actors.find((actor) => actor.email === email) as Actor;

beforeAll(async () => {
  db = await connectTo(server, "superuser");
  actors = await everyone(server.baseUrl, db, second);
  samples = await demoSamples(db, server.baseUrl, byEmail("lead@northbridge.example").cookie ?? "");
});
afterAll(async () => {
  await db?.destroy();
});

async function loggedNotFound(
  actor: Actor,
  path: string,
  form?: FormFields,
  randomForm?: FormFields,
) {
  const reply = await request(server.baseUrl, { path, cookie: actor.cookie, form });
  expect(reply.status, `${actor.name} ${path}`).toBe(404);
  expect(govukPageProblems(reply)).toEqual([]);
  expect(await refusalLogged(db, reply, actor), `${actor.name} ${path}: refusal logged`).toBe(true);
  if (randomForm) {
    const random = await request(server.baseUrl, { path, cookie: actor.cookie, form: randomForm });
    expect(random.status).toBe(404);
    expect(withoutRequestParts(reply.body, [])).toBe(withoutRequestParts(random.body, []));
  }
}

describe("pending: tampering (tampering.test.ts)", () => {
  it("an action of another case, on the page of a case one may see, is a logged 404", async () => {
    for (const email of [
      "officer@police.northbridge.example",
      "dsl@school.northbridge.example",
      "advocate@advocacy.northbridge.example",
    ]) {
      const actor = byEmail(email);
      const other = await anotherAgencysCase(db, actor);
      for (const action of [other?.actionId ?? randomId(), second.ids.action]) {
        await loggedNotFound(actor, `/referrals/${samples.referral}/actions/${action}`);
      }
    }
  });

  it("a decision of another partnership, named as the one a new decision replaces, is a logged 404", async () => {
    const lead = byEmail("lead@northbridge.example");
    const path = `/referrals/${samples.referral}/sharing/new`;
    const page = await request(server.baseUrl, { path, cookie: lead.cookie });
    const form = formsOf(page.body).find((candidate) =>
      candidate.controls.some((control) => control.name === "supersedesId"),
    );
    expect(form).toBeDefined();
    const fields = baselineOf(form as NonNullable<typeof form>);
    const withDecision = (id: string): FormFields =>
      fields.map(([name, value]) => [name, name === "supersedesId" ? id : value] as const);
    await loggedNotFound(lead, path, withDecision(second.ids.decision), withDecision(randomId()));
  });
});

describe("pending: fuzzing (fuzzing.test.ts)", () => {
  let fuzzed: FuzzedServer;
  beforeAll(async () => {
    fuzzed = await startFuzzedServer(appDir);
  }, 300_000);
  afterAll(async () => {
    await fuzzed?.db.destroy();
    await fuzzed?.server.stop();
  });

  it("an over-long answer (100,000 characters) never comes back whole", async () => {
    const { problems } = await fuzzEverything(
      fuzzed,
      new Set(["overlong"]),
      Number(process.env.CROSSWALK_FUZZ_RUNS ?? 6),
    );
    expect(problems, problems.join("\n")).toEqual([]);
  }, 900_000);
});
