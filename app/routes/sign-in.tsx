import { parseWithZod } from "@conform-to/zod/v4";
import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { Link, useActionData, useSearchParams } from "@remix-run/react";
import { z } from "zod";
import { signIn } from "~/auth/sign-in.server";
import {
  requestMeta,
  requireAnonymous,
  safeReturnPath,
  signInSettings,
} from "~/auth/session.server";
import { fieldErrors, readForm } from "~/forms.server";
import { Button, ErrorSummary, TextInput } from "~/ui/form";
import { NotificationBanner } from "~/ui/notification-banner";
import { asTyped, plainText } from "~/ui/plain-text";
import { PostForm } from "~/ui/post-form";

export const meta: MetaFunction = () => [{ title: "Sign in – Crosswalk" }];

const EMAIL_MAX = 320;

const SignInSchema = z.object({
  email: plainText("Your email address", { error: "Enter your email address" })
    .trim()
    .min(1, "Enter your email address")
    .max(EMAIL_MAX, `Email address must be ${EMAIL_MAX} characters or fewer`),
  password: z
    .string({ error: "Enter your password" })
    .min(1, "Enter your password")
    .max(1024, "Password must be 1024 characters or fewer"),
  returnTo: z.string().optional(),
});

const WRONG_CREDENTIALS = "Enter a correct email address and password";

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireAnonymous(request, context);
  return null;
}

export async function action({ request, context }: ActionFunctionArgs) {
  await requireAnonymous(request, context);
  const form = await readForm(request);
  const submission = parseWithZod(form, { schema: SignInSchema });
  if (submission.status !== "success") {
    const reply = submission.reply({ hideFields: ["password"] });
    return data(
      {
        email: asTyped(form.get("email"), EMAIL_MAX),
        errors: fieldErrors(reply, ["email", "password"]),
      },
      { status: 400 },
    );
  }
  const { email, password, returnTo } = submission.value;
  const result = await signIn(context.db, requestMeta(context), signInSettings(request, context), {
    email,
    password,
  });
  if (result.ok) {
    // The password is half of it: the second factor (or setting one up) comes next.
    const back = safeReturnPath(returnTo, context.publicUrl);
    const query = back === "/home" ? "" : `?returnTo=${encodeURIComponent(back)}`;
    throw redirect(`/sign-in/${result.next}${query}`, {
      headers: { "Set-Cookie": result.setCookie },
    });
  }
  const message =
    result.problem === "throttled"
      ? `Too many attempts to sign in. Wait ${Math.ceil((result.retryAfterSeconds ?? 60) / 60)} minute${(result.retryAfterSeconds ?? 60) > 60 ? "s" : ""} and try again`
      : result.problem === "deactivated"
        ? "Your account has been deactivated. Contact your partnership's administrator"
        : WRONG_CREDENTIALS;
  return data(
    { email, errors: [{ field: "email", message }] },
    { status: result.problem === "throttled" ? 429 : 401 },
  );
}

export default function SignIn() {
  const result = useActionData<typeof action>();
  const [searchParams] = useSearchParams();
  const errors = result?.errors ?? [];
  const errorFor = (field: string) => errors.find((error) => error.field === field)?.message;
  const passwordSet = searchParams.get("password") === "set" && errors.length === 0;
  const signedOutWithForm = (searchParams.get("returnTo") ?? "").startsWith("/continue?held=");
  return (
    <div className="govuk-grid-row">
      <div className="govuk-grid-column-two-thirds">
        <ErrorSummary errors={errors} />
        {signedOutWithForm && errors.length === 0 ? (
          <NotificationBanner title="Important">
            <p className="govuk-notification-banner__heading">
              You were signed out before your form was saved. What you typed has been kept: sign in
              again to send it.
            </p>
          </NotificationBanner>
        ) : null}
        {passwordSet ? (
          <NotificationBanner title="Success" variant="success">
            <p className="govuk-notification-banner__heading">
              Your password has been set. Sign in with it now.
            </p>
          </NotificationBanner>
        ) : null}
        <h1 className="govuk-heading-l">Sign in to Crosswalk</h1>
        <p className="govuk-body">
          Use the email address your partnership&apos;s administrator set up for you.
        </p>
        <PostForm noValidate>
          <input type="hidden" name="returnTo" value={searchParams.get("returnTo") ?? ""} />
          <TextInput
            id="email"
            label="Email address"
            type="email"
            autoComplete="username"
            spellCheck={false}
            defaultValue={result?.email ?? ""}
            error={errorFor("email")}
          />
          <TextInput
            id="password"
            label="Password"
            type="password"
            autoComplete="current-password"
            error={errorFor("password")}
          />
          <Button>Sign in</Button>
        </PostForm>
        <p className="govuk-body">
          <Link
            className="govuk-link"
            to={`/sign-in/organisation${searchParams.get("returnTo") ? `?returnTo=${encodeURIComponent(searchParams.get("returnTo") ?? "")}` : ""}`}
          >
            Sign in with your organisation
          </Link>{" "}
          instead, if your agency has set it up.
        </p>
        <p className="govuk-body">
          Forgotten your password or locked out? Ask your partnership&apos;s administrator for a new
          set-password link.
        </p>
      </div>
    </div>
  );
}
