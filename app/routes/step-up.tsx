import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { heldSubmission } from "~/auth/held-submissions.server";
import { secondFactorOptions, verifyStepUpCode } from "~/auth/second-factor.server";
import { requestMeta, requireStepUpSession } from "~/auth/session.server";
import { readForm } from "~/forms.server";
import { Button, ErrorSummary } from "~/ui/form";
import { NotificationBanner } from "~/ui/notification-banner";
import { codeProblemMessage, SecondFactorCodeForm, type CodeMethod } from "~/ui/second-factor-form";

export const meta: MetaFunction = () => [{ title: "Confirm it is you – Crosswalk" }];

const HeldId = z.uuid();

const StepUpSchema = z.object({
  method: z.enum(["totp", "recovery_code"]).catch("totp"),
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
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { ctx, session } = await requireStepUpSession(request, context);
  const { method, code, held } = StepUpSchema.parse(Object.fromEntries(await readForm(request)));
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
  const heldId = heldIdOf(held);
  const released = heldId
    ? await heldSubmission(context.db, ctx.actor, session.sessionId, heldId, { release: true })
    : null;
  if (!released) throw redirect("/home");
  if (released.method === "GET") throw redirect(released.path);
  // A form: sent back to the person to send again, as they typed it, now that it is them.
  return { resend: { path: released.path, fields: released.fields } };
}

export default function StepUp() {
  const page = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
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
          <Form method="post" action={result.resend.path} reloadDocument>
            {result.resend.fields.map(([name, value], index) => (
              <input key={`${name}-${index}`} type="hidden" name={name} value={value} />
            ))}
            <Button>Continue</Button>
          </Form>
        </div>
      </div>
    );
  }
  const errors = result?.errors ?? [];
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
        <SecondFactorCodeForm
          method={page.method}
          error={errors[0]?.message}
          recoveryCodesLeft={page.recoveryCodesLeft}
          switchHref={switchHref}
          hidden={{ held: page.held ?? "" }}
          submitLabel="Confirm"
        />
      </div>
    </div>
  );
}
