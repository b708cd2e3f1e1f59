import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { confirmEnrolment, startEnrolment } from "~/auth/second-factor.server";
import {
  requestMeta,
  requirePendingSignIn,
  safeReturnPath,
  signInSettings,
} from "~/auth/session.server";
import { readForm } from "~/forms.server";
import { Button, ErrorSummary, TextInput } from "~/ui/form";
import { codeProblemMessage } from "~/ui/second-factor-form";
import { PostForm } from "~/ui/post-form";

export const meta: MetaFunction = () => [{ title: "Set up your authenticator app – Crosswalk" }];

const ConfirmSchema = z.object({
  code: z
    .string()
    .catch("")
    .transform((code) => code.trim().slice(0, 64)),
  returnTo: z.string().optional(),
});

export async function loader({ request, context }: LoaderFunctionArgs) {
  const pending = await requirePendingSignIn(request, context);
  const enrolment = await startEnrolment(context.db, pending);
  const returnTo = new URL(request.url).searchParams.get("returnTo") ?? "";
  if (!enrolment) {
    throw redirect(
      `/sign-in/second-factor${returnTo ? `?returnTo=${encodeURIComponent(returnTo)}` : ""}`,
    );
  }
  return { ...enrolment, returnTo };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const pending = await requirePendingSignIn(request, context);
  const { code, returnTo } = ConfirmSchema.parse(Object.fromEntries(await readForm(request)));
  if (code === "") {
    return data(
      { errors: [{ field: "code", message: codeProblemMessage("empty", "totp") }] },
      { status: 400 },
    );
  }
  const result = await confirmEnrolment(
    context.db,
    requestMeta(context),
    signInSettings(request, context),
    pending,
    code,
  );
  if (!result.ok) {
    if (result.problem === "enrolled") throw redirect("/sign-in/second-factor");
    return data(
      {
        errors: [
          {
            field: "code",
            message: codeProblemMessage(result.problem, "totp", result.retryAfterSeconds),
          },
        ],
      },
      { status: result.problem === "throttled" ? 429 : 401 },
    );
  }
  // Signed in. The recovery codes come next, made and shown once on their own page.
  const back = safeReturnPath(returnTo, context.publicUrl);
  throw redirect(
    `/account/recovery-codes${back === "/home" ? "" : `?returnTo=${encodeURIComponent(back)}`}`,
    { headers: { "Set-Cookie": result.setCookie } },
  );
}

export default function Enrol() {
  const page = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const errors = result?.errors ?? [];
  return (
    <div className="govuk-grid-row">
      <div className="govuk-grid-column-two-thirds">
        <ErrorSummary errors={errors} />
        <h1 className="govuk-heading-l">Set up your authenticator app</h1>
        <p className="govuk-body">
          Crosswalk holds information about children, so signing in needs a second factor as well as
          your password: a code from an authenticator app on your phone (such as Microsoft
          Authenticator, Google Authenticator or any app that shows 6-digit codes).
        </p>
        <h2 className="govuk-heading-m">1. Add Crosswalk to your app</h2>
        <p className="govuk-body">Scan this QR code with your authenticator app.</p>
        <div
          className="crosswalk-qr"
          role="img"
          aria-label="QR code for adding Crosswalk to an authenticator app"
          // The SVG is drawn on the server from our own otpauth address; it holds no markup of anyone's.
          dangerouslySetInnerHTML={{ __html: page.qrSvg }}
        />
        <details className="govuk-details">
          <summary className="govuk-details__summary">
            <span className="govuk-details__summary-text">I cannot scan the QR code</span>
          </summary>
          <div className="govuk-details__text">
            <p className="govuk-body">Add an account by hand (time-based), with:</p>
            <dl className="govuk-summary-list">
              <div className="govuk-summary-list__row">
                <dt className="govuk-summary-list__key">Account</dt>
                <dd className="govuk-summary-list__value">{page.accountName}</dd>
              </div>
              <div className="govuk-summary-list__row">
                <dt className="govuk-summary-list__key">Key</dt>
                <dd className="govuk-summary-list__value">
                  <code className="crosswalk-totp-key">{page.keyText}</code>
                </dd>
              </div>
            </dl>
          </div>
        </details>
        <h2 className="govuk-heading-m">2. Enter the code it shows</h2>
        <PostForm noValidate>
          <input type="hidden" name="returnTo" value={page.returnTo} />
          <TextInput
            id="code"
            label="Code from your authenticator app"
            hint="The 6-digit code the app shows for Crosswalk."
            autoComplete="one-time-code"
            inputMode="numeric"
            spellCheck={false}
            width={5}
            error={errors[0]?.message}
          />
          <Button>Continue</Button>
        </PostForm>
      </div>
    </div>
  );
}
