import { parseWithZod } from "@conform-to/zod/v4";
import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { ROLE_DESCRIPTIONS } from "../../policies";
import {
  endAllSessions,
  resetSecondFactor,
  signInSecurity,
  type SignInSecurity,
} from "~/auth/account-sessions.server";
import { requireActorFor, requireStepUp } from "~/auth/session.server";
import { setPasswordUrl } from "~/auth/set-password-links.server";
import { fieldErrors, readForm, uuidParam } from "~/forms.server";
import { serviceCall } from "~/http.server";
import { InvalidInput } from "~/services/errors";
import {
  agencyChoices,
  deactivateUser,
  getUser,
  reactivateUser,
  resetUser,
  updateUser,
} from "~/services/users.server";
import { AccountStatusTag, accountStatus } from "~/ui/account-status";
import { BackLink } from "~/ui/back-link";
import { formatDateTime } from "~/ui/dates";
import { ActionButton, Button, ErrorSummary, type FieldError } from "~/ui/form";
import { OneTimeLink, type OneTimeLinkView } from "~/ui/one-time-link";
import { SuccessBanner } from "~/ui/success-banner";
import { SummaryList } from "~/ui/summary-list";
import { WarningText } from "~/ui/warning-text";
import {
  USER_CHANGE_FIELDS,
  UserChangeSchema,
  UserFields,
  userAnswers,
  type UserAnswers,
} from "~/ui/user-form";
import { PostForm } from "~/ui/post-form";

export const meta: MetaFunction<typeof loader> = ({ data: page }) => [
  { title: `${page ? page.user.displayName : "User account"} – Crosswalk` },
];

const DONE = {
  "user-deactivated": "Account deactivated",
  "user-reactivated": "Account reactivated",
  "sessions-ended":
    "Their sessions have ended: every browser they were signed in on must sign in again",
  "second-factor-reset":
    "Second factor reset: they will set up an authenticator app when they next sign in",
};

/** "Authenticator app and 1 passkey (8 recovery codes left)", or that there is none. */
function secondFactorText(security: SignInSecurity): string {
  const kinds = [
    ...(security.authenticatorApp ? ["Authenticator app"] : []),
    ...(security.passkeys > 0
      ? [`${security.passkeys} ${security.passkeys === 1 ? "passkey" : "passkeys"}`]
      : []),
  ];
  if (kinds.length === 0) return "Not set up: they will set one up when they next sign in";
  const codes = `${security.recoveryCodesLeft} recovery ${security.recoveryCodesLeft === 1 ? "code" : "codes"} left`;
  return `${kinds.join(" and ")} (${codes})`;
}

const UserActionSchema = z.discriminatedUnion("intent", [
  UserChangeSchema.extend({ intent: z.literal("update") }),
  z.object({
    intent: z.enum(["deactivate", "reactivate", "reset", "end-sessions", "reset-second-factor"]),
  }),
]);

interface ActionResult {
  answers: UserAnswers | null;
  errors: FieldError[];
  link: OneTimeLinkView | null;
}

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const ctx = await requireActorFor(request, context, "user.manage");
  const userId = uuidParam(params, "userId");
  const user = await serviceCall(() => getUser(ctx, userId));
  const security = await serviceCall(() =>
    signInSecurity(ctx, { userId, absoluteLifetimeMs: context.sessions.absoluteLifetimeMs }),
  );
  const isSelf = user.id === ctx.actor.userId;
  // No one may change their own account, so their own page needs no agencies to choose from.
  const agencies = isSelf ? [] : await serviceCall(() => agencyChoices(ctx));
  if (!isSelf && !agencies.some((agency) => agency.id === user.agencyId)) {
    // A deactivated agency is not offered for new choices, but stays selectable as the current one.
    agencies.unshift({ id: user.agencyId, name: `${user.agencyName} (deactivated)` });
  }
  return {
    user: { ...user, roleLabel: ROLE_DESCRIPTIONS[user.role].label, status: accountStatus(user) },
    secondFactor: secondFactorText(security),
    activeSessions: security.activeSessions,
    isSelf,
    agencies,
  };
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const ctx = await requireActorFor(request, context, "user.manage");
  const userId = uuidParam(params, "userId");
  await requireStepUp(request, context, ctx);
  const form = await readForm(request);
  const submission = parseWithZod(form, { schema: UserActionSchema });
  if (submission.status !== "success") {
    if (form.get("intent") !== "update") throw data(null, { status: 400 });
    const errors = fieldErrors(submission.reply(), USER_CHANGE_FIELDS);
    return data<ActionResult>({ answers: userAnswers(form), errors, link: null }, { status: 400 });
  }
  const { intent } = submission.value;
  try {
    switch (submission.value.intent) {
      case "update": {
        const { intent: _intent, ...change } = submission.value;
        await serviceCall(() => updateUser(ctx, userId, change));
        throw redirect("/admin/users?done=user-updated");
      }
      case "deactivate":
        await serviceCall(() => deactivateUser(ctx, userId));
        throw redirect(`/admin/users/${userId}?done=user-deactivated`);
      case "reactivate":
        await serviceCall(() => reactivateUser(ctx, userId));
        throw redirect(`/admin/users/${userId}?done=user-reactivated`);
      case "end-sessions":
        await serviceCall(() => endAllSessions(ctx, { userId }));
        throw redirect(`/admin/users/${userId}?done=sessions-ended`);
      case "reset-second-factor":
        await serviceCall(() => resetSecondFactor(ctx, { userId }));
        throw redirect(`/admin/users/${userId}?done=second-factor-reset`);
      case "reset": {
        const issued = await serviceCall(() => resetUser(ctx, userId));
        // Shown once, in this response: never in a URL, never stored, never cached.
        const link = {
          url: setPasswordUrl(context.publicUrl, issued.token),
          expires: formatDateTime(issued.expiresAt),
        };
        return data<ActionResult>(
          { answers: null, errors: [], link },
          { headers: { "Cache-Control": "no-store" } },
        );
      }
    }
  } catch (error) {
    if (!(error instanceof InvalidInput)) throw error;
    const answers = intent === "update" ? userAnswers(form) : null;
    return data<ActionResult>({ answers, errors: error.errors, link: null }, { status: 400 });
  }
}

export default function UserAccount() {
  const { user, secondFactor, activeSessions, isSelf, agencies } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const errors = result?.errors ?? [];
  const path = `/admin/users/${user.id}`;
  if (result?.link) {
    return (
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-two-thirds">
          <OneTimeLink
            title={`New set-password link for ${user.displayName}`}
            displayName={user.displayName}
            link={result.link}
          >
            <ul className="govuk-list">
              <li>
                <Link to={path} className="govuk-link">
                  Back to {user.displayName}&apos;s account
                </Link>
              </li>
              <li>
                <Link to="/admin/users" className="govuk-link">
                  Go to user accounts
                </Link>
              </li>
            </ul>
          </OneTimeLink>
        </div>
      </div>
    );
  }
  return (
    <>
      <BackLink to="/admin/users">Back to user accounts</BackLink>
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-two-thirds">
          <ErrorSummary errors={errors} />
          <SuccessBanner messages={DONE} />
          <span className="govuk-caption-l">User accounts</span>
          <h1 className="govuk-heading-l">{user.displayName}</h1>
          <SummaryList
            rows={[
              { key: "Email address", value: user.email },
              { key: "Agency", value: user.agencyName },
              { key: "Role", value: user.roleLabel },
              { key: "Status", value: <AccountStatusTag status={user.status} /> },
              { key: "Second factor", value: secondFactor },
              {
                key: "Signed in now",
                value:
                  activeSessions === 0
                    ? "No"
                    : `Yes, ${activeSessions} ${activeSessions === 1 ? "browser" : "browsers"}`,
              },
            ]}
          />
          {isSelf ? (
            <div className="govuk-inset-text">
              This is your own account. You cannot change your own role or deactivate yourself. Ask
              another administrator to change your account.
            </div>
          ) : (
            <>
              <h2 className="govuk-heading-m">Change their details</h2>
              <PostForm action={path} noValidate key={user.id}>
                <input type="hidden" name="intent" value="update" />
                <UserFields
                  answers={
                    result?.answers ?? {
                      displayName: user.displayName,
                      email: user.email,
                      agencyId: user.agencyId,
                      role: user.role,
                      homePostcodeDistrict: user.homePostcodeDistrict ?? "",
                    }
                  }
                  errors={errors}
                  agencies={agencies}
                  withEmail={false}
                />
                <p className="govuk-body">The change takes effect on their very next request.</p>
                <Button>Save changes</Button>
              </PostForm>
              {user.isActive ? (
                <>
                  <h2 className="govuk-heading-m">Set-password link</h2>
                  <p className="govuk-body">
                    If they have forgotten their password, or their link has expired, create a new
                    one-time link for them. Any earlier link stops working.
                  </p>
                  <WarningText>
                    Their current password stops working at once and every session they have open
                    ends.
                  </WarningText>
                  <PostForm action={path}>
                    <input type="hidden" name="intent" value="reset" />
                    <ActionButton variant="secondary" id="reset">
                      Create a new set-password link
                    </ActionButton>
                  </PostForm>
                  {activeSessions > 0 ? (
                    <>
                      <h2 className="govuk-heading-m">End their sessions</h2>
                      <p className="govuk-body">
                        If a device of theirs may be lost or in someone else&apos;s hands, end every
                        session they have open. They can sign in again with their password and
                        second factor.
                      </p>
                      <PostForm action={path}>
                        <input type="hidden" name="intent" value="end-sessions" />
                        <ActionButton variant="secondary">
                          End all of this person&apos;s sessions
                        </ActionButton>
                      </PostForm>
                    </>
                  ) : null}
                  <h2 className="govuk-heading-m">Reset their second factor</h2>
                  <p className="govuk-body">
                    If they have lost the phone with their authenticator app and their recovery
                    codes, reset their second factor. Their authenticator app, recovery codes and
                    passkeys stop working, and they set up an authenticator app again when they next
                    sign in with their password. Make sure it is them who asked: whoever next signs
                    in with their password sets it up.
                  </p>
                  <WarningText>Every session they have open ends at once.</WarningText>
                  <PostForm action={path}>
                    <input type="hidden" name="intent" value="reset-second-factor" />
                    <ActionButton variant="warning">Reset second factor</ActionButton>
                  </PostForm>
                  <h2 className="govuk-heading-m">Deactivate the account</h2>
                  <p className="govuk-body">
                    They will not be able to sign in until the account is reactivated, and any
                    unused set-password link stops working. The access log keeps everything they
                    did.
                  </p>
                  <WarningText>Every session they have open ends at once.</WarningText>
                  <PostForm action={path}>
                    <input type="hidden" name="intent" value="deactivate" />
                    <ActionButton variant="warning">Deactivate account</ActionButton>
                  </PostForm>
                </>
              ) : (
                <>
                  <h2 className="govuk-heading-m">Reactivate the account</h2>
                  <p className="govuk-body">
                    They can sign in again with their existing password. If they never set one or
                    have forgotten it, create a new set-password link after reactivating.
                  </p>
                  <PostForm action={path}>
                    <input type="hidden" name="intent" value="reactivate" />
                    <ActionButton variant="secondary">Reactivate account</ActionButton>
                  </PostForm>
                </>
              )}
            </>
          )}
        </div>
      </div>
    </>
  );
}
