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
import { changePassword } from "~/auth/password-change.server";
import { NEW_PASSWORD_HINT, newPasswordSchema } from "~/auth/password-policy.server";
import { requireActor, requireStepUpSession } from "~/auth/session.server";
import { fieldErrors, readForm } from "~/forms.server";
import { serviceCall } from "~/http.server";
import { BackLink } from "~/ui/back-link";
import { Button, ErrorSummary, errorFor, TextInput, type FieldError } from "~/ui/form";
import { SuccessBanner } from "~/ui/success-banner";
import { PostForm } from "~/ui/post-form";

export const meta: MetaFunction = () => [{ title: "Change your password – Crosswalk" }];

const DONE = {
  "password-changed":
    "Your password has been changed. Every other browser signed in to your account has been signed out",
};

const FIELDS = ["currentPassword", "password", "confirm"] as const;

function changePasswordSchema(account: { email: string }) {
  return z
    .object({ currentPassword: z.string({ error: "Enter your current password" }) })
    .and(newPasswordSchema(account));
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { actor } = await requireActor(request, context);
  // The hint comes from the policy, which is server-only.
  return { email: actor.email, passwordHint: NEW_PASSWORD_HINT };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { ctx, session } = await requireStepUpSession(request, context);
  const submission = parseWithZod(await readForm(request), {
    schema: changePasswordSchema(ctx.actor),
  });
  // Passwords are never sent back to the browser, right or wrong.
  if (submission.status !== "success") {
    const errors = fieldErrors(submission.reply({ hideFields: [...FIELDS] }), FIELDS);
    return data<{ errors: FieldError[] }>({ errors }, { status: 400 });
  }
  const result = await serviceCall(() =>
    changePassword(ctx, {
      currentSessionId: session.sessionId,
      currentPassword: submission.value.currentPassword,
      newPassword: submission.value.password,
    }),
  );
  if (!result.ok) return data<{ errors: FieldError[] }>({ errors: result.errors }, { status: 400 });
  return redirect("/account/password?done=password-changed");
}

export default function ChangePassword() {
  const { email, passwordHint } = useLoaderData<typeof loader>();
  const errors = useActionData<typeof action>()?.errors ?? [];
  return (
    <>
      <BackLink to="/home">Back to home</BackLink>
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-two-thirds">
          <ErrorSummary errors={errors} />
          <SuccessBanner messages={DONE} />
          <h1 className="govuk-heading-l">Change your password</h1>
          <p className="govuk-body">
            When you change your password, every other browser signed in to your account is signed
            out. This one stays signed in.
          </p>
          <PostForm action="/account/password" noValidate>
            {/* The email lets password managers save the new password against the right account. */}
            <input type="hidden" name="username" autoComplete="username" value={email} />
            <TextInput
              id="currentPassword"
              label="Current password"
              type="password"
              autoComplete="current-password"
              spellCheck={false}
              error={errorFor(errors, "currentPassword")}
            />
            <TextInput
              id="password"
              label="New password"
              hint={passwordHint}
              type="password"
              autoComplete="new-password"
              spellCheck={false}
              error={errorFor(errors, "password")}
            />
            <TextInput
              id="confirm"
              label="Enter the new password again"
              type="password"
              autoComplete="new-password"
              spellCheck={false}
              error={errorFor(errors, "confirm")}
            />
            <Button>Change password</Button>
          </PostForm>
        </div>
      </div>
    </>
  );
}
