import type { ActionFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import {
  passkeyAuthenticationOptions,
  passkeysAvailable,
  relyingPartyOf,
} from "~/auth/passkeys.server";
import { requestMeta, requirePendingSignIn, requireStepUpSession } from "~/auth/session.server";
import { readForm } from "~/forms.server";
import { jsonAnswer } from "~/json.server";

const PurposeSchema = z.object({ purpose: z.enum(["sign-in", "step-up"]) });

/**
 * What the browser needs to ask for one of the caller's passkeys: to finish a half sign-in (the
 * second-factor page) or to confirm it is them (the step-up page). The answer is sent to that
 * page's own action.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const parsed = PurposeSchema.safeParse(Object.fromEntries(await readForm(request)));
  if (!parsed.success) return jsonAnswer({ problem: "invalid" }, 400);
  const person =
    parsed.data.purpose === "sign-in"
      ? await requirePendingSignIn(request, context)
      : (await requireStepUpSession(request, context)).session;
  const relyingParty = relyingPartyOf(context.publicUrl);
  if (!passkeysAvailable(relyingParty)) return jsonAnswer({ problem: "unavailable" }, 409);
  const result = await passkeyAuthenticationOptions(context.db, requestMeta(context), person, {
    relyingParty,
  });
  if (result.ok) return jsonAnswer({ options: result.options });
  return jsonAnswer(
    { problem: result.problem, retryAfterSeconds: result.retryAfterSeconds },
    result.problem === "throttled" ? 429 : 409,
  );
}
