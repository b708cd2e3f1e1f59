import type { LoaderFunctionArgs } from "@remix-run/node";
import { describe, expect, it } from "vitest";
import * as referralPage from "../../app/routes/referrals.$referralId._index";
import * as printPage from "../../app/routes/referrals.$referralId.print";
import { addAction, addNote } from "../../app/services/case-work.server";
import type { ReferralView } from "../../app/services/referrals.server";
import { formatDateTime, todayInLondon } from "../../app/ui/dates";
import type { User } from "../../db/types";
import { useTestDatabase } from "../support/database";
import {
  contextFor,
  createReferralWorld,
  referralAt,
  type ReferralWorld,
} from "../support/factories";
import { getRequest, loadContext, settle, statusOf } from "../support/remix";
import { renderPage } from "../support/render";
import { signInCookie } from "../support/session";

/**
 * The case summary to print: what the viewer may see of a case, with the reference and the time it
 * was printed on every page; and the same door, read and access-log record as the referral page.
 */

const db = useTestDatabase();
const MISSING = "00000000-0000-4000-8000-00000000dead";

type Loader = (args: LoaderFunctionArgs) => unknown;

async function visit(loader: Loader, page: "" | "/print", user: User, referralId: string) {
  const cookie = await signInCookie(db.app, user.email);
  const requestId = crypto.randomUUID();
  const result = await settle(() =>
    loader({
      request: getRequest(`/referrals/${referralId}${page}`, cookie),
      params: { referralId },
      context: loadContext(db.app, { requestId }),
    }),
  );
  const events = await db.superuser
    .selectFrom("audit_events")
    .select(["action", "outcome", "record_type", "record_id", "young_person_id", "actor_user_id"])
    .where("request_id", "=", requestId)
    .orderBy("chain_seq")
    .execute();
  return { result, events };
}

async function caseWithWork(world: ReferralWorld) {
  const referral = await referralAt(db, world, "active");
  const asAdvocate = contextFor(db.app, world.people.advocacyPractitioner);
  await addNote(asAdvocate, referral.id, {
    kind: "contact_in_person",
    visibility: "shared",
    occurredOn: todayInLondon(),
    body: "Met at the youth centre; talked about the older boys at the station.",
  });
  await addNote(asAdvocate, referral.id, {
    kind: "case_note",
    visibility: "agency_only",
    occurredOn: todayInLondon(),
    body: "Advocacy only: supervision discussion about safety planning.",
  });
  await addAction(asAdvocate, referral.id, {
    description: "Arrange a return home interview",
    assignedAgencyId: world.agencies.advocacy.id,
    dueOn: todayInLondon(new Date(Date.now() + 7 * 86_400_000)),
  });
  return referral;
}

describe("the case summary to print", () => {
  it("holds the summary, the decisions, the notes and the actions, under a running head with the reference and print time", async () => {
    const world = await createReferralWorld(db.owner);
    const referral = await caseWithWork(world);
    const { result } = await visit(
      printPage.loader,
      "/print",
      world.people.advocacyPractitioner,
      referral.id,
    );
    expect(statusOf(result)).toBe(200);
    const page = result as { referral: ReferralView; printedAt: string };
    const path = `/referrals/${referral.id}/print`;
    const html = renderPage(printPage.default, { loaderData: page, path });

    const head = /<thead class="app-print__running-head">(.*?)<\/thead>/.exec(html)?.[1] ?? "";
    expect(head).toContain(`Referral ${page.referral.reference}`);
    expect(head).toContain(`Printed ${formatDateTime(new Date(page.printedAt))}`);
    // The running head comes first, before anything else of the case, so it heads every page.
    expect(html.indexOf("app-print__running-head")).toBeLessThan(html.indexOf("<h1"));
    for (const section of ["Summary", "The young person", "The referral", "Decisions to share"])
      expect(html, section).toContain(`>${section}</h2>`);
    expect(html).toContain("Met at the youth centre");
    expect(html).toContain("Advocacy only: supervision discussion");
    expect(html).toContain("Arrange a return home interview");
    expect(html).toContain(page.referral.youngPerson?.name ?? "no name");
    // Nothing to press on paper: no forms, and the way back is hidden when printed.
    expect(html).not.toContain("<form");
    expect(html).toMatch(/<div class="app-print-hide"><a[^>]*govuk-back-link/);
  });

  it("leaves out what the viewer may not see, as the referral page does", async () => {
    const world = await createReferralWorld(db.owner);
    const referral = await caseWithWork(world);
    const { result } = await visit(
      printPage.loader,
      "/print",
      world.people.schoolPractitioner,
      referral.id,
    );
    const html = renderPage(printPage.default, {
      loaderData: result,
      path: `/referrals/${referral.id}/print`,
    });
    expect(html).toContain("Met at the youth centre");
    // Another agency's own note stays in that agency.
    expect(html).not.toContain("Advocacy only");
  });

  it.each([
    ["the referrer", "schoolPractitioner", 200],
    ["the partnership lead", "lead", 200],
    ["the allocated practitioner", "advocacyPractitioner", 200],
    ["a practitioner whose agency is not involved", "policePractitioner", 404],
    ["an administrator", "administrator", 404],
  ] as const)(
    "records the view of %s (%s) exactly as the referral page does: status %i",
    async (_who, person, status) => {
      const world = await createReferralWorld(db.owner);
      const referral = await referralAt(db, world, "active");
      const user = world.people[person];
      const onPage = await visit(referralPage.loader, "", user, referral.id);
      const printed = await visit(printPage.loader, "/print", user, referral.id);
      expect(statusOf(onPage.result)).toBe(status);
      expect(statusOf(printed.result)).toBe(status);
      expect(printed.events).toHaveLength(1);
      expect(printed.events).toEqual(onPage.events);
      expect(printed.events[0]).toMatchObject({
        action: "referral.view",
        outcome: status === 200 ? "allowed" : "refused",
        record_id: referral.id,
        actor_user_id: user.id,
      });
    },
  );

  it("answers a referral that does not exist with a 404, recorded as the referral page records it", async () => {
    const world = await createReferralWorld(db.owner);
    const onPage = await visit(referralPage.loader, "", world.people.lead, MISSING);
    const printed = await visit(printPage.loader, "/print", world.people.lead, MISSING);
    expect(statusOf(printed.result)).toBe(404);
    expect(printed.events).toEqual(onPage.events);
    expect(printed.events).toMatchObject([
      { action: "referral.view", outcome: "refused", record_id: MISSING },
    ]);
  });
});
