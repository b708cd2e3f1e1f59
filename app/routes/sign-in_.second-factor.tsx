import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { useState } from "react";
import { z } from "zod";
import {
  parseAuthenticationResponse,
  relyingPartyOf,
  verifyPasskeySignIn,
  type PasskeyResult,
} from "~/auth/passkeys.server";
import {
  secondFactorOptions,
  verifySignInCode,
  type PendingSignIn,
} from "~/auth/second-factor.server";
import {
  requestMeta,
  requirePendingSignIn,
  safeReturnPath,
  signInSettings,
} from "~/auth/session.server";
import { readForm } from "~/forms.server";
import { ErrorSummary } from "~/ui/form";
import { PasskeyButton } from "~/ui/passkey-button";
import { passkeyProblemMessage } from "~/ui/passkeys";
import { codeProblemMessage, SecondFactorCodeForm, type CodeMethod } from "~/ui/second-factor-form";

export const meta: MetaFunction<typeof loader> = ({ data: page }) => [
  {
    title: `${page?.method === "recovery_code" ? "Enter a recovery code" : "Enter your code"} – Crosswalk`,
  },
];

const CodeSchema = z.object({
  method: z.enum(["totp", "recovery_code", "passkey"]).catch("totp"),
  credential: z.string().catch(""),
  code: z
    .string()
    .catch("")
    .transform((code) => code.trim().slice(0, 64)),
  returnTo: z.string().optional(),
});

function methodOf(request: Request): CodeMethod {
  return new URL(request.url).searchParams.get("method") === "recovery_code"
    ? "recovery_code"
    : "totp";
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const pending = await requirePendingSignIn(request, context);
  const options = await secondFactorOptions(context.db, pending);
  const returnTo = new URL(request.url).searchParams.get("returnTo") ?? "";
  if (!options.totp && options.passkeys === 0) {
    throw redirect(`/sign-in/enrol${returnTo ? `?returnTo=${encodeURIComponent(returnTo)}` : ""}`);
  }
  return {
    method: methodOf(request),
    returnTo,
    totp: options.totp,
    passkeys: options.passkeys,
    recoveryCodesLeft: options.recoveryCodesLeft,
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const pending = await requirePendingSignIn(request, context);
  const { method, code, credential, returnTo } = CodeSchema.parse(
    Object.fromEntries(await readForm(request)),
  );
  if (method === "passkey") return passkeySignIn(request, context, pending, credential, returnTo);
  if (code === "") {
    return data(
      { errors: [{ field: "code", message: codeProblemMessage("empty", method) }] },
      { status: 400 },
    );
  }
  const result = await verifySignInCode(
    context.db,
    requestMeta(context),
    signInSettings(request, context),
    pending,
    { method, code },
  );
  if (result.ok) {
    const back = safeReturnPath(returnTo, context.publicUrl);
    const note =
      result.recoveryCodesLeft !== null
        ? `${back.includes("?") ? "&" : "?"}recoveryCodesLeft=${result.recoveryCodesLeft}`
        : "";
    throw redirect(back === "/home" ? `/home${note}` : back, {
      headers: { "Set-Cookie": result.setCookie },
    });
  }
  if (result.problem === "not_enrolled") throw redirect("/sign-in/enrol");
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

/** Finish signing in with a passkey's answer (sent by the passkey button), as after a code. */
async function passkeySignIn(
  request: Request,
  context: ActionFunctionArgs["context"],
  pending: PendingSignIn,
  credential: string,
  returnTo: string | undefined,
) {
  const response = parseAuthenticationResponse(credential);
  const result: PasskeyResult<{ setCookie: string }> = response
    ? await verifyPasskeySignIn(
        context.db,
        requestMeta(context),
        signInSettings(request, context),
        pending,
        { relyingParty: relyingPartyOf(context.publicUrl), response },
      )
    : { ok: false, problem: "invalid" };
  if (result.ok) {
    throw redirect(safeReturnPath(returnTo, context.publicUrl), {
      headers: { "Set-Cookie": result.setCookie },
    });
  }
  return data(
    {
      errors: [
        {
          field: "passkey",
          message: passkeyProblemMessage(result.problem, result.retryAfterSeconds),
        },
      ],
    },
    { status: !response ? 400 : result.problem === "throttled" ? 429 : 401 },
  );
}

export default function SecondFactor() {
  const page = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const [passkeyProblem, setPasskeyProblem] = useState<string | null>(null);
  const errors = passkeyProblem
    ? [{ field: "passkey", message: passkeyProblem }]
    : (result?.errors ?? []);
  const switchHref = (method: CodeMethod) => {
    const query = new URLSearchParams();
    if (method === "recovery_code") query.set("method", method);
    if (page.returnTo) query.set("returnTo", page.returnTo);
    const text = query.toString();
    return `/sign-in/second-factor${text ? `?${text}` : ""}`;
  };
  return (
    <div className="govuk-grid-row">
      <div className="govuk-grid-column-two-thirds">
        <ErrorSummary errors={errors} />
        <h1 className="govuk-heading-l">
          {page.method === "recovery_code" ? "Enter a recovery code" : "Enter your code"}
        </h1>
        <p className="govuk-body">
          Your password was right. To finish signing in, show it is you with your second factor.
        </p>
        {page.passkeys > 0 ? (
          <PasskeyButton
            purpose="sign-in"
            fields={{ returnTo: page.returnTo }}
            onProblem={setPasskeyProblem}
            intro={
              page.totp
                ? "Use a passkey you have added to your account, or enter a code below."
                : "Use a passkey you have added to your account."
            }
          />
        ) : null}
        {page.totp ? (
          <SecondFactorCodeForm
            method={page.method}
            error={errors.find((error) => error.field === "code")?.message}
            recoveryCodesLeft={page.recoveryCodesLeft}
            switchHref={switchHref}
            hidden={{ returnTo: page.returnTo }}
          />
        ) : null}
      </div>
    </div>
  );
}
