import type { Action } from "../policies";

/**
 * Every route module in app/routes, by file name, with the access decision it stands on: public
 * (and why that is safe), or behind sign-in with the policy actions its loader and action perform.
 * A test reads the folder and fails when a route is missing here (or listed here but gone), and
 * checks that every role the policies refuse all of a route's actions is refused by the route.
 */
export type RouteAccess =
  { kind: "public"; why: string } | { kind: "signed_in"; actions: readonly Action[]; why?: string };

const publicRoute = (why: string): RouteAccess => ({ kind: "public", why });
const signedIn = (...actions: Action[]): RouteAccess => ({ kind: "signed_in", actions });

export const ROUTE_MANIFEST: Record<string, RouteAccess> = {
  "_index.tsx": publicRoute("Only redirects: home when signed in, sign-in otherwise."),
  "$.tsx": publicRoute("Any address no other route matches is a 404."),
  "sign-in.tsx": publicRoute("Signing in must be possible before anyone is signed in."),
  "sign-out.tsx": publicRoute(
    "Ends the caller's own session, if any; a POST checked for same origin.",
  ),
  "signed-out.tsx": publicRoute("Confirms sign-out; shows nothing about anyone."),
  "sign-in_.second-factor.tsx": publicRoute(
    "Only for a session whose password was right (any other is sent to sign in); that session opens no other page.",
  ),
  "sign-in_.organisation.tsx": publicRoute(
    "Starts single sign-on for an email typed before anyone is signed in; the answer does not say whether an account exists.",
  ),
  "sign-in_.oidc.callback.tsx": publicRoute(
    "An identity provider's answer to a sign-in this browser started (bound by state and a cookie); it opens only the account the provider verified, in the agency that started it.",
  ),
  "sign-in_.enrol.tsx": publicRoute(
    "Only for a session whose password was right and whose account has no second factor yet.",
  ),
  "continue.tsx": {
    kind: "signed_in",
    actions: [],
    why: "Gives the signed-in person back a form of their own, kept when their session ended, in the browser that sent it.",
  },
  "step-up.tsx": {
    kind: "signed_in",
    actions: [],
    why: "The signed-in person gives a fresh code of their own second factor.",
  },
  "account.recovery-codes.tsx": {
    kind: "signed_in",
    actions: [],
    why: "Shows the signed-in person their own recovery codes (once) and makes new ones.",
  },
  "account.passkeys.tsx": {
    kind: "signed_in",
    actions: [],
    why: "Lists, adds and removes the signed-in person's own passkeys; removing one asks for a fresh second factor.",
  },
  "passkeys.registration-options.tsx": {
    kind: "signed_in",
    actions: [],
    why: "Starts adding a passkey to the signed-in person's own account (a challenge on their session).",
  },
  "passkeys.register.tsx": {
    kind: "signed_in",
    actions: [],
    why: "Adds a passkey to the signed-in person's own account, checked against their session's challenge.",
  },
  "passkeys.authentication-options.tsx": publicRoute(
    "Only for the caller's own session: a half sign-in asking for its passkey, or a signed-in person stepping up; anyone else is sent to sign in.",
  ),
  "admin.notification-emails.tsx": signedIn("partnership.configure"),
  "notifications.tsx": {
    kind: "signed_in",
    actions: [],
    why: "The signed-in person's own notifications (row-level security shows no one else's): kinds, references and agency names, never case content; marking them read changes only their own.",
  },
  "account.sessions.tsx": {
    kind: "signed_in",
    actions: [],
    why: "Lists and ends the signed-in person's own sessions; anyone else's is a logged 404.",
  },
  "account.password.tsx": {
    kind: "signed_in",
    actions: [],
    why: "The signed-in person changes their own password, giving the current one first.",
  },
  "account.stay-signed-in.tsx": {
    kind: "signed_in",
    actions: [],
    why: "Restarts the signed-in person's own idle clock; answers with no content.",
  },
  "set-password.$token.tsx": publicRoute(
    "The holder of a one-time link sets their own password; the token is the credential.",
  ),
  "home.tsx": {
    kind: "signed_in",
    actions: [],
    why: "Shows the signed-in person their own account.",
  },
  "access-matrix.tsx": signedIn("access_matrix.view"),
  "audit._index.tsx": signedIn("audit.read"),
  "audit.export.tsx": signedIn("audit.export"),
  "audit.young-people.tsx": signedIn("audit.read"),
  "audit.reports._index.tsx": signedIn("audit.read"),
  "audit.reports.export.tsx": signedIn("audit.export"),
  "cases._index.tsx": signedIn(
    "caseload.view_own",
    "caseload.view_agency",
    "caseload.view_partnership",
  ),
  "young-people.$youngPersonId._index.tsx": signedIn("young_person.view"),
  "young-people.$youngPersonId.edit.tsx": signedIn("young_person.edit"),
  "emergency-access._index.tsx": signedIn("emergency_access.open", "young_person.search"),
  "emergency-access.reviews.tsx": signedIn("emergency_access.review"),
  "admin._index.tsx": signedIn("agency.manage", "user.manage", "agreement.manage"),
  "admin.agencies._index.tsx": signedIn("agency.manage"),
  "admin.agencies.new.tsx": signedIn("agency.manage"),
  "admin.agencies.$agencyId.tsx": signedIn("agency.manage"),
  "admin.agencies.$agencyId_.sign-in.tsx": signedIn("agency.manage"),
  "admin.users._index.tsx": signedIn("user.manage"),
  "admin.users.new.tsx": signedIn("user.manage"),
  "admin.users.$userId.tsx": signedIn("user.manage"),
  "admin.sharing-agreement.tsx": signedIn("agreement.manage"),
  "admin.response-targets.tsx": signedIn("partnership.configure"),
  "admin.emergency-access.tsx": signedIn("partnership.configure"),
  "admin.oversight.tsx": signedIn("partnership.configure"),
  "oversight._index.tsx": signedIn("oversight.view"),
  "oversight.agencies.$agencyId.tsx": signedIn("oversight.view"),
  "oversight.referrals._index.tsx": signedIn("oversight.view"),
  "oversight.referrals.export.tsx": signedIn("export.identifiable"),
  "oversight.download.$table.tsx": signedIn("oversight.view"),
  "referrals.new.tsx": signedIn("referral.create"),
  "referrals.$referralId._index.tsx": signedIn("referral.view"),
  "referrals.$referralId.print.tsx": signedIn("referral.view"),
  "referrals.$referralId.draft.young-person.tsx": signedIn(
    "referral.edit_draft",
    "young_person.search",
    "young_person.create",
  ),
  "referrals.$referralId.draft.$step.tsx": signedIn("referral.edit_draft"),
  "referrals.$referralId.draft.check.tsx": signedIn("referral.edit_draft", "referral.submit"),
  "referrals.$referralId.steps.$transition.tsx": signedIn(
    "referral.screen",
    "referral.route",
    "referral.accept",
    "referral.decline",
    "referral.refer_to_panel",
    "referral.close",
    "referral.escalate",
    "referral.withdraw",
  ),
  "referrals.$referralId.notes.new.tsx": signedIn("note.add"),
  "referrals.$referralId.notes.$noteId.correct.tsx": signedIn("note.correct"),
  "referrals.$referralId.actions.new.tsx": signedIn("case_action.add"),
  "referrals.$referralId.actions.$actionId.tsx": signedIn("case_action.update"),
  "referrals.$referralId.sharing._index.tsx": signedIn("referral.view"),
  "referrals.$referralId.sharing.new.tsx": signedIn("sharing.record_decision"),
  "referrals.$referralId.sharing.$decisionId.withdraw.tsx": signedIn("consent.withdraw"),
};
