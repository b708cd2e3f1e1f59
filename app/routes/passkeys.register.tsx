import type { ActionFunctionArgs } from "@remix-run/node";
import { parseRegistrationResponse, registerPasskey, relyingPartyOf } from "~/auth/passkeys.server";
import { requireStepUpSession } from "~/auth/session.server";
import { readForm } from "~/forms.server";
import { jsonAnswer } from "~/json.server";
import { plainText } from "~/ui/plain-text";

const PasskeyNameSchema = plainText("The passkey's name", {
  error: "Enter a name for this passkey",
})
  .trim()
  .min(1, "Enter a name for this passkey, like Work laptop")
  .max(100, "The passkey's name must be 100 characters or fewer");

/**
 * Finish adding a passkey (the "Your passkeys" page posts here from script): the name the person
 * typed and the browser's answer (`credential`, JSON) to the options it was given. Answers 200
 * with the passkey, or 400 with what was wrong.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const { ctx, session } = await requireStepUpSession(request, context);
  const form = await readForm(request);
  const name = PasskeyNameSchema.safeParse(form.get("name") ?? "");
  if (!name.success) {
    return jsonAnswer({ problem: "name", message: name.error.issues[0]?.message }, 400);
  }
  const response = parseRegistrationResponse(form.get("credential"));
  if (!response) return jsonAnswer({ problem: "invalid" }, 400);
  const result = await registerPasskey(ctx, {
    sessionId: session.sessionId,
    relyingParty: relyingPartyOf(context.publicUrl),
    name: name.data,
    response,
  });
  if (!result.ok) return jsonAnswer({ problem: result.problem }, 400);
  return jsonAnswer({ passkey: { id: result.passkey.id, name: result.passkey.name } });
}
