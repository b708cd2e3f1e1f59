import type { ActionFunctionArgs } from "@remix-run/node";
import {
  passkeyRegistrationOptions,
  passkeysAvailable,
  relyingPartyOf,
} from "~/auth/passkeys.server";
import { requireStepUpSession } from "~/auth/session.server";
import { jsonAnswer } from "~/json.server";

/**
 * Start adding a passkey (the "Your passkeys" page calls this from script): the options the
 * browser needs to make one for the signed-in person. The challenge stays on their session.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const { ctx, session } = await requireStepUpSession(request, context);
  const relyingParty = relyingPartyOf(context.publicUrl);
  if (!passkeysAvailable(relyingParty)) return jsonAnswer({ problem: "unavailable" }, 409);
  const options = await passkeyRegistrationOptions(ctx, {
    sessionId: session.sessionId,
    relyingParty,
  });
  return jsonAnswer({ options });
}
