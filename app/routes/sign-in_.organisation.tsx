import { parseWithZod } from "@conform-to/zod/v4";
import {
  data,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { Link, useActionData, useSearchParams } from "@remix-run/react";
import { z } from "zod";
import { requestMeta, requireAnonymous, safeReturnPath } from "~/auth/session.server";
import { startSingleSignOn } from "~/auth/single-sign-on.server";
import { fieldErrors, readForm } from "~/forms.server";
import { BackLink } from "~/ui/back-link";
import { Button, ErrorSummary, TextInput } from "~/ui/form";
import { asTyped, plainText } from "~/ui/plain-text";
import { PostForm } from "~/ui/post-form";

export const meta: MetaFunction = () => [{ title: "Sign in with your organisation – Crosswalk" }];

const EMAIL_MAX = 320;

const OrganisationSignInSchema = z.object({
  email: plainText("Your email address", { error: "Enter your email address" })
    .trim()
    .min(1, "Enter your email address")
    .max(EMAIL_MAX, `Email address must be ${EMAIL_MAX} characters or fewer`),
  returnTo: z.string().optional(),
});

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireAnonymous(request, context);
  return null;
}

export async function action({ request, context }: ActionFunctionArgs) {
  await requireAnonymous(request, context);
  const form = await readForm(request);
  const submission = parseWithZod(form, { schema: OrganisationSignInSchema });
  if (submission.status !== "success") {
    return data(
      {
        outcome: "problem" as const,
        email: asTyped(form.get("email"), EMAIL_MAX),
        errors: fieldErrors(submission.reply(), ["email"]),
        location: null,
      },
      { status: 400 },
    );
  }
  const { email, returnTo } = submission.value;
  const result = await startSingleSignOn(
    context.db,
    requestMeta(context),
    { publicUrl: context.publicUrl, secure: context.secure },
    { email, returnTo: safeReturnPath(returnTo, context.publicUrl) },
  );
  if (result.kind === "redirect") {
    // A page with a link rather than a redirect: the form's Content-Security-Policy (form-action
    // 'self') rightly stops a form from sending the browser to another site.
    return data(
      { outcome: "continue" as const, email, errors: [], location: result.location },
      { headers: { "Set-Cookie": result.setCookie } },
    );
  }
  if (result.kind === "password") {
    return data({ outcome: "password" as const, email, errors: [], location: null });
  }
  const message =
    result.kind === "throttled"
      ? `Too many attempts to sign in. Wait ${Math.ceil(result.retryAfterSeconds / 60)} minute${result.retryAfterSeconds > 60 ? "s" : ""} and try again`
      : "Your organisation's sign-in is not answering. Try again later, or sign in with your password";
  return data(
    { outcome: "problem" as const, email, errors: [{ field: "email", message }], location: null },
    { status: result.kind === "throttled" ? 429 : 503 },
  );
}

export default function SignInWithOrganisation() {
  const result = useActionData<typeof action>();
  const [searchParams] = useSearchParams();
  const returnTo = searchParams.get("returnTo") ?? "";
  const passwordPage = `/sign-in${returnTo ? `?returnTo=${encodeURIComponent(returnTo)}` : ""}`;
  const errors = result?.errors ?? [];

  if (result?.outcome === "continue" && result.location) {
    return (
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-two-thirds">
          <h1 className="govuk-heading-l">Continue to your organisation&apos;s sign-in</h1>
          <p className="govuk-body">
            You will sign in with your organisation&apos;s account on its own sign-in page, then
            come back to Crosswalk. You have 10 minutes.
          </p>
          <a
            href={result.location}
            role="button"
            draggable="false"
            className="govuk-button govuk-button--start"
            data-module="govuk-button"
          >
            Continue
            <svg
              className="govuk-button__start-icon"
              xmlns="http://www.w3.org/2000/svg"
              width="17.5"
              height="19"
              viewBox="0 0 33 40"
              aria-hidden="true"
              focusable="false"
            >
              <path fill="currentColor" d="M0 0h13l20 20-20 20H0l20-20z" />
            </svg>
          </a>
        </div>
      </div>
    );
  }

  if (result?.outcome === "password") {
    // The same page whether or not an account has this email, so it tells nobody which.
    return (
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-two-thirds">
          <h1 className="govuk-heading-l">Sign in with your password</h1>
          <p className="govuk-body">
            You cannot sign in with your organisation&apos;s account with that email address. Sign
            in with your Crosswalk email address and password instead.
          </p>
          <p className="govuk-body">
            <Link className="govuk-link" to={passwordPage}>
              Sign in with your password
            </Link>
          </p>
        </div>
      </div>
    );
  }

  return (
    <>
      <BackLink to={passwordPage}>Back to signing in with a password</BackLink>
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-two-thirds">
          <ErrorSummary errors={errors} />
          <h1 className="govuk-heading-l">Sign in with your organisation</h1>
          <p className="govuk-body">
            If your agency has set it up, you can sign in with the account you use at work (for
            example your Microsoft account) instead of a Crosswalk password.
          </p>
          <PostForm noValidate>
            <input type="hidden" name="returnTo" value={returnTo} />
            <TextInput
              id="email"
              label="Email address"
              hint="The work email address your Crosswalk account was set up with"
              type="email"
              autoComplete="username"
              spellCheck={false}
              defaultValue={result?.email ?? ""}
              error={errors.find((error) => error.field === "email")?.message}
            />
            <Button>Continue</Button>
          </PostForm>
        </div>
      </div>
    </>
  );
}
