import type { LoaderFunctionArgs } from "@remix-run/node";
import { describe, expect, it } from "vitest";
import * as referralPage from "../../app/routes/referrals.$referralId._index";
import * as draftCheck from "../../app/routes/referrals.$referralId.draft.check";
import * as draftStep from "../../app/routes/referrals.$referralId.draft.$step";
import * as stepPage from "../../app/routes/referrals.$referralId.steps.$transition";
import * as notePage from "../../app/routes/referrals.$referralId.notes.new";
import * as actionPage from "../../app/routes/referrals.$referralId.actions.new";
import * as youngPersonPage from "../../app/routes/young-people.$youngPersonId._index";
import type { User } from "../../db/types";
import { useTestDatabase } from "../support/database";
import { createReferralWorld, createUser, referralAt } from "../support/factories";
import { getRequest, loadContext, settle, statusOf } from "../support/remix";
import { signInCookie } from "../support/session";

const db = useTestDatabase();

type Loader = (args: LoaderFunctionArgs) => unknown;

async function open(loader: Loader, path: string, user: User, params: Record<string, string>) {
  const cookie = await signInCookie(db.app, user.email);
  return settle(() =>
    loader({ request: getRequest(path, cookie), params, context: loadContext(db.app) }),
  );
}

/** Every page about one case, with the path and route parameters for a referral and its subject. */
function casePages(
  referralId: string,
  youngPersonId: string,
): { loader: unknown; path: string; params: Record<string, string> }[] {
  return [
    { loader: referralPage.loader, path: `/referrals/${referralId}`, params: { referralId } },
    {
      loader: stepPage.loader,
      path: `/referrals/${referralId}/steps/close`,
      params: { referralId, transition: "close" },
    },
    {
      loader: notePage.loader,
      path: `/referrals/${referralId}/notes/new`,
      params: { referralId },
    },
    {
      loader: actionPage.loader,
      path: `/referrals/${referralId}/actions/new`,
      params: { referralId },
    },
    {
      loader: draftCheck.loader,
      path: `/referrals/${referralId}/draft/check`,
      params: { referralId },
    },
    {
      loader: draftStep.loader,
      path: `/referrals/${referralId}/draft/concern`,
      params: { referralId, step: "concern" },
    },
    {
      loader: youngPersonPage.loader,
      path: `/young-people/${youngPersonId}`,
      params: { youngPersonId },
    },
  ];
}

describe("case pages for people who never see case data", () => {
  it.each(["administrator", "auditor"] as const)(
    "are a 404 for an %s, as if the case did not exist, and each refusal is recorded against the record",
    async (role) => {
      const world = await createReferralWorld(db.owner);
      const { id, youngPersonId } = await referralAt(db, world, "active");
      const user =
        role === "administrator"
          ? world.people.administrator
          : await createUser(db.owner, world.agencies.hub, { role: "auditor" });

      const pages = casePages(id, youngPersonId);
      for (const page of pages) {
        const result = await open(page.loader as Loader, page.path, user, page.params);
        expect(statusOf(result), `${role} on ${page.path}`).toBe(404);
      }

      const refusals = await db.superuser
        .selectFrom("audit_events")
        .select(["action", "record_type", "record_id", "outcome", "actor_role"])
        .where("actor_user_id", "=", user.id)
        .where("outcome", "=", "refused")
        .execute();
      expect(refusals).toHaveLength(pages.length);
      const referralRefusals = refusals.filter((event) => event.record_type === "referral");
      expect(referralRefusals).toHaveLength(pages.length - 1);
      expect(referralRefusals.every((event) => event.record_id === id)).toBe(true);
      expect(refusals.find((event) => event.record_type === "young_person")).toMatchObject({
        record_id: youngPersonId,
        action: "young_person.view",
        actor_role: role,
      });
    },
  );

  it("are the same 404 for a case that does not exist", async () => {
    const world = await createReferralWorld(db.owner);
    const missing = "00000000-0000-4000-8000-00000000dead";
    const result = await open(
      referralPage.loader,
      `/referrals/${missing}`,
      world.people.administrator,
      { referralId: missing },
    );
    expect(statusOf(result)).toBe(404);
  });
});
