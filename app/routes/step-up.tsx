import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { useState } from "react";
import { z } from "zod";
import { heldSubmission } from "~/auth/held-submissions.server";
import {
  parseAuthenticationResponse,
  relyingPartyOf,
  verifyPasskeyStepUp,
} from "~/auth/passkeys.server";
import { secondFactorOptions, verifyStepUpCode } from "~/auth/second-factor.server";
import { requestMeta, requireStepUpSession } from "~/auth/session.server";
import { readForm } from "~/forms.server";
import type { Actor } from "~/services/context.server";
import { Button, ErrorSummary } from "~/ui/form";
import { NotificationBanner } from "~/ui/notification-banner";
import { PasskeyButton } from "~/ui/passkey-button";
import { passkeyProblemMessage } from "~/ui/passkeys";
import { codeProblemMessage, SecondFactorCodeForm, type CodeMethod } from "~/ui/second-factor-form";
import { PostForm, withoutSubmissionId } from "~/ui/post-form";

export const meta: MetaFunction = () => [{ title: "Confirm it is you – Crosswalk" }];

const HeldId = z.uuid();

const StepUpSchema = z.object({
  method: z.enum(["totp", "recovery_code", "passkey"]).catch("totp"),
  credential: z.string().catch(""),
  code: z
    .string()
    .catch("")
    .transform((code) => code.trim().slice(0, 64)),
  held: z.string().catch(""),
});

function methodOf(url: URL): CodeMethod {
  return url.searchParams.get("method") === "recovery_code" ? "recovery_code" : "totp";
}

function heldIdOf(value: string | null): string | null {
  const parsed = HeldId.safeParse(value);
  return parsed.success ? parsed.data : null;
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { ctx, session } = await requireStepUpSession(request, context);
  const url = new URL(request.url);
  const heldId = heldIdOf(url.searchParams.get("held"));
  const held = heldId
    ? await heldSubmission(context.db, ctx.actor, session.sessionId, heldId, { release: false })
    : null;
  const options = await secondFactorOptions(context.db, session);
  return {
    held: held ? heldId : null,
    method: methodOf(url),
    recoveryCodesLeft: options.recoveryCodesLeft,
    passkeys: options.passkeys,
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { ctx, session } = await requireStepUpSession(request, context);
  const { method, code, credential, held } = StepUpSchema.parse(
    Object.fromEntries(await readForm(request)),
  );
  if (method === "passkey") {
    // The passkey button's answer: checked, then on as after a code.
    const response = parseAuthenticationResponse(credential);
    const result = response
      ? await verifyPasskeyStepUp(context.db, requestMeta(context), session, {
          relyingParty: relyingPartyOf(context.publicUrl),
          response,
        })
      : null;
    if (!result?.ok) {
      const message = passkeyProblemMessage(
        result?.problem ?? "invalid",
        result?.retryAfterSeconds,
      );
      return data(
        { errors: [{ field: "passkey", message }] },
        { status: !result ? 400 : result.problem === "throttled" ? 429 : 401 },
      );
    }
    return releaseHeld(context, ctx.actor, session.sessionId, held);
  }
  if (code === "") {
    return data(
      { errors: [{ field: "code", message: codeProblemMessage("empty", method) }] },
      { status: 400 },
    );
  }
  const result = await verifyStepUpCode(context.db, requestMeta(context), session, {
    method,
    code,
  });
  if (!result.ok) {
    return data(
      {
        errors: [
          {
            field: "code",
            message: codeProblemMessage(result.problem, method, result.retryAfterSeconds),
          },
        ],
      },
      { status: result.problem === "throttled" ? 429 : 401 },
    );
  }
  return releaseHeld(context, ctx.actor, session.sessionId, held);
}

/** After a fresh second factor: on to the request that was held for it. */
async function releaseHeld(
  context: ActionFunctionArgs["context"],
  actor: Actor,
  sessionId: string,
  held: string,
) {
  const heldId = heldIdOf(held);
  const released = heldId
    ? await heldSubmission(context.db, actor, sessionId, heldId, { release: true })
    : null;
  if (!released) throw redirect("/home");
  if (released.method === "GET") throw redirect(released.path);
  // A form: sent back to the person to send again, as they typed it, now that it is them.
  return { resend: { path: released.path, fields: released.fields } };
}

export default function StepUp() {
  const page = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const [passkeyProblem, setPasskeyProblem] = useState<string | null>(null);
  if (result && "resend" in result) {
    return (
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-two-thirds">
          <NotificationBanner title="Success" variant="success">
            <p className="govuk-notification-banner__heading">Your code was accepted.</p>
          </NotificationBanner>
          <h1 className="govuk-heading-l">Send what you were doing</h1>
          <p className="govuk-body">
            Nothing has been done yet. Continue to send the form you filled in, with your answers as
            you typed them.
          </p>
          <PostForm
            action={result.resend.path}
            reloadDocument
            submissionId={withoutSubmissionId(result.resend.fields).submissionId}
          >
            {withoutSubmissionId(result.resend.fields).fields.map(([name, value], index) => (
              <input key={`${name}-${index}`} type="hidden" name={name} value={value} />
            ))}
            <Button>Continue</Button>
          </PostForm>
        </div>
      </div>
    );
  }
  const errors = passkeyProblem
    ? [{ field: "passkey", message: passkeyProblem }]
    : (result?.errors ?? []);
  const switchHref = (method: CodeMethod) => {
    const query = new URLSearchParams();
    if (page.held) query.set("held", page.held);
    if (method === "recovery_code") query.set("method", method);
    return `/step-up?${query.toString()}`;
  };
  return (
    <div className="govuk-grid-row">
      <div className="govuk-grid-column-two-thirds">
        <ErrorSummary errors={errors} />
        <h1 className="govuk-heading-l">Confirm it is you</h1>
        <p className="govuk-body">
          What you are doing is sensitive (an export with names, emergency access, a change to
          accounts or to what may be shared), so it needs a fresh code from your second factor.
        </p>
        {page.held ? null : (
          <p className="govuk-body">
            The request waiting for this code has expired. After you confirm it is you,{" "}
            <Link className="govuk-link" to="/home">
              go back
            </Link>{" "}
            and do it again.
          </p>
        )}
        {page.passkeys > 0 ? (
          <PasskeyButton
            purpose="step-up"
            fields={{ held: page.held ?? "" }}
            onProblem={setPasskeyProblem}
            intro="Use a passkey you have added to your account, or enter a code below."
          />
        ) : null}
        <SecondFactorCodeForm
          method={page.method}
          error={errors.find((error) => error.field === "code")?.message}
          recoveryCodesLeft={page.recoveryCodesLeft}
          switchHref={switchHref}
          hidden={{ held: page.held ?? "" }}
          submitLabel="Confirm"
        />
      </div>
    </div>
  );
}
