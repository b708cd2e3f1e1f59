import {
  data,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { issueRecoveryCodes, type RecoveryCodesView } from "~/auth/second-factor.server";
import {
  requestMeta,
  requireStepUp,
  requireStepUpSession,
  safeReturnPath,
} from "~/auth/session.server";
import { Button } from "~/ui/form";
import { NotificationBanner } from "~/ui/notification-banner";
import { WarningText } from "~/ui/warning-text";
import { PostForm } from "~/ui/post-form";

export const meta: MetaFunction = () => [{ title: "Your recovery codes – Crosswalk" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { session } = await requireStepUpSession(request, context);
  const view = await issueRecoveryCodes(context.db, requestMeta(context), session, {
    replace: false,
  });
  const next = safeReturnPath(new URL(request.url).searchParams.get("returnTo"), context.publicUrl);
  // Codes shown once must not be kept by the browser or anything between.
  return data({ view, next }, { headers: { "Cache-Control": "no-store" } });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { ctx, session } = await requireStepUpSession(request, context);
  await requireStepUp(request, context, ctx);
  const view = await issueRecoveryCodes(context.db, requestMeta(context), session, {
    replace: true,
  });
  return data({ view }, { headers: { "Cache-Control": "no-store" } });
}

function NewCodes({ codes, next }: { codes: string[]; next: string }) {
  return (
    <>
      <h1 className="govuk-heading-l">Save your recovery codes</h1>
      <p className="govuk-body">
        If you lose your phone or your authenticator app, each of these codes lets you sign in once
        instead of a code from the app. This is the only time they are shown: print them or write
        them down now, and keep them somewhere safe, away from your password.
      </p>
      <ul className="govuk-list crosswalk-recovery-codes" aria-label="Your recovery codes">
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ul>
      <Link className="govuk-button" to={next}>
        I have saved my recovery codes – continue
      </Link>
    </>
  );
}

export default function RecoveryCodes() {
  const page = useLoaderData<typeof loader>();
  const replaced = useActionData<typeof action>();
  const view: RecoveryCodesView = replaced?.view ?? page.view;
  return (
    <div className="govuk-grid-row">
      <div className="govuk-grid-column-two-thirds">
        {view.shown === "new" ? (
          <>
            <NotificationBanner title="Success" variant="success">
              <p className="govuk-notification-banner__heading">
                {replaced
                  ? "You have new recovery codes. Your earlier codes no longer work."
                  : "Your authenticator app is set up and you are signed in."}
              </p>
            </NotificationBanner>
            <NewCodes codes={view.codes} next={page.next} />
          </>
        ) : (
          <>
            <h1 className="govuk-heading-l">Your recovery codes</h1>
            <p className="govuk-body">
              You have {view.left} of {view.total} recovery code{view.total === 1 ? "" : "s"} left.
              They were shown once, when they were made; Crosswalk keeps only a one-way hash of each
              and cannot show them again.
            </p>
            {view.left <= 3 ? (
              <WarningText>
                Make new recovery codes before you run out, or you may need your administrator to
                reset your second factor.
              </WarningText>
            ) : null}
            <PostForm>
              <Button>Make new recovery codes</Button>
            </PostForm>
            <p className="govuk-body">
              <Link className="govuk-link" to={page.next}>
                Continue
              </Link>
            </p>
          </>
        )}
      </div>
    </div>
  );
}
