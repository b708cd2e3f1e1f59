import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { blankSessionCookie, endOwnSession, listOwnSessions } from "~/auth/account-sessions.server";
import { requireStepUpSession } from "~/auth/session.server";
import { readForm } from "~/forms.server";
import { serviceCall } from "~/http.server";
import { BackLink } from "~/ui/back-link";
import { formatDateTime } from "~/ui/dates";
import { ActionButton } from "~/ui/form";
import { SuccessBanner } from "~/ui/success-banner";
import { SummaryList } from "~/ui/summary-list";
import { PostForm } from "~/ui/post-form";

export const meta: MetaFunction = () => [{ title: "Your sign-ins – Crosswalk" }];

const DONE = { "session-ended": "That sign-in has ended: the browser must sign in again" };

const EndSessionSchema = z.object({ session: z.uuid() });

export async function loader({ request, context }: LoaderFunctionArgs) {
  // The session's own id marks "this browser"; it never leaves the server.
  const { ctx, session } = await requireStepUpSession(request, context);
  const sessions = await serviceCall(() =>
    listOwnSessions(ctx, {
      currentSessionId: session.sessionId,
      absoluteLifetimeMs: context.sessions.absoluteLifetimeMs,
    }),
  );
  return {
    sessions: sessions.map((signIn) => ({
      ...signIn,
      signedInAt: formatDateTime(signIn.signedInAt),
      lastActiveAt: formatDateTime(signIn.lastActiveAt),
    })),
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { ctx, session } = await requireStepUpSession(request, context);
  const parsed = EndSessionSchema.safeParse(Object.fromEntries(await readForm(request)));
  // A session is named only by the page's own form: anything else names none (a 404).
  if (!parsed.success) throw data(null, { status: 404 });
  const { endedCurrent } = await serviceCall(() =>
    endOwnSession(ctx, { publicId: parsed.data.session, currentSessionId: session.sessionId }),
  );
  if (endedCurrent) {
    return redirect("/signed-out", {
      headers: {
        "Set-Cookie": blankSessionCookie(context.db, {
          idleTimeoutMs: context.sessions.idleTimeoutMs,
          secure: context.secure,
        }),
      },
    });
  }
  return redirect("/account/sessions?done=session-ended");
}

export default function YourSignIns() {
  const { sessions } = useLoaderData<typeof loader>();
  return (
    <>
      <BackLink to="/home">Back to home</BackLink>
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-two-thirds">
          <SuccessBanner messages={DONE} />
          <h1 className="govuk-heading-l">Your sign-ins</h1>
          <p className="govuk-body">
            These are the browsers signed in to your account now. If you do not recognise one, sign
            out of it and{" "}
            <Link to="/account/password" className="govuk-link">
              change your password
            </Link>
            , which signs out every other browser too.
          </p>
          {sessions.map((signIn) => (
            <div className="govuk-summary-card" key={signIn.publicId}>
              <div className="govuk-summary-card__title-wrapper">
                <h2 className="govuk-summary-card__title">
                  {signIn.browser}
                  {signIn.current ? (
                    <>
                      {" "}
                      <strong className="govuk-tag govuk-tag--green">This browser</strong>
                    </>
                  ) : null}
                </h2>
              </div>
              <div className="govuk-summary-card__content">
                <SummaryList
                  rows={[
                    { key: "Address", value: signIn.address ?? "Not known" },
                    { key: "Signed in", value: signIn.signedInAt },
                    { key: "Last active", value: signIn.lastActiveAt },
                    { key: "How", value: signIn.method },
                  ]}
                />
                <PostForm action="/account/sessions">
                  <input type="hidden" name="session" value={signIn.publicId} />
                  <ActionButton
                    variant={signIn.current ? "secondary" : "warning"}
                    hiddenContext={
                      signIn.current
                        ? undefined
                        : ` (${signIn.browser}, last active ${signIn.lastActiveAt})`
                    }
                  >
                    {signIn.current ? "Sign out of this browser" : "End this sign-in"}
                  </ActionButton>
                </PostForm>
              </div>
            </div>
          ))}
        </div>
      </div>
    </>
  );
}
