import { parseWithZod } from "@conform-to/zod/v4";
import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { NEW_PASSWORD_HINT, newPasswordSchema } from "~/auth/password-policy.server";
import { requestMeta } from "~/auth/session.server";
import { checkSetPasswordLink, setPasswordWithLink } from "~/auth/set-password-links.server";
import { fieldErrors, readForm } from "~/forms.server";
import { Button, ErrorSummary, TextInput } from "~/ui/form";
import { PostForm } from "~/ui/post-form";

export const meta: MetaFunction = ({ error }) => [
  { title: `${error ? "This link no longer works" : "Set your password"} – Crosswalk` },
];

const TokenSchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/);

async function linkFor(
  params: LoaderFunctionArgs["params"],
  context: LoaderFunctionArgs["context"],
) {
  const token = TokenSchema.safeParse(params.token);
  if (!token.success) return { token: null, state: { usable: false as const } };
  return { token: token.data, state: await checkSetPasswordLink(context.db, token.data) };
}

export async function loader({ params, context }: LoaderFunctionArgs) {
  const { state } = await linkFor(params, context);
  if (!state.usable) throw data({ usable: false }, { status: 410 });
  return {
    usable: true as const,
    displayName: state.displayName,
    email: state.email,
    // From the policy, which is server-only.
    passwordHint: NEW_PASSWORD_HINT,
  };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { token, state } = await linkFor(params, context);
  if (!token || !state.usable) throw data({ usable: false }, { status: 410 });
  // The password policy (length, common passwords, the email address): app/auth/password-policy.
  const submission = parseWithZod(await readForm(request), {
    schema: newPasswordSchema({ email: state.email }),
  });
  if (submission.status !== "success") {
    return data(
      {
        errors: fieldErrors(submission.reply({ hideFields: ["password", "confirm"] }), [
          "password",
          "confirm",
        ]),
      },
      { status: 400 },
    );
  }
  const done = await setPasswordWithLink(
    context.db,
    requestMeta(context),
    token,
    submission.value.password,
  );
  if (!done) throw data({ usable: false }, { status: 410 });
  return redirect("/sign-in?password=set");
}

export default function SetPassword() {
  const account = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const errors = result?.errors ?? [];
  const errorFor = (field: string) => errors.find((error) => error.field === field)?.message;
  return (
    <div className="govuk-grid-row">
      <div className="govuk-grid-column-two-thirds">
        <ErrorSummary errors={errors} />
        <h1 className="govuk-heading-l">Set your password</h1>
        <p className="govuk-body">
          This is the account for <strong>{account.displayName}</strong> ({account.email}). This
          link works once.
        </p>
        <PostForm noValidate>
          {/* The email lets password managers save the new password against the right account. */}
          <input type="hidden" name="username" autoComplete="username" value={account.email} />
          <TextInput
            id="password"
            label="New password"
            hint={account.passwordHint}
            type="password"
            autoComplete="new-password"
            error={errorFor("password")}
          />
          <TextInput
            id="confirm"
            label="Enter the password again"
            type="password"
            autoComplete="new-password"
            error={errorFor("confirm")}
          />
          <Button>Set password</Button>
        </PostForm>
      </div>
    </div>
  );
}

export function ErrorBoundary() {
  return (
    <div className="govuk-grid-row">
      <div className="govuk-grid-column-two-thirds">
        <h1 className="govuk-heading-l">This link no longer works</h1>
        <p className="govuk-body">
          Set-password links work once and expire after 72 hours. If you have already set your
          password,{" "}
          <a className="govuk-link" href="/sign-in">
            sign in
          </a>
          . Otherwise, ask your partnership&apos;s administrator for a new link.
        </p>
      </div>
    </div>
  );
}
