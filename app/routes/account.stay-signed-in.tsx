import type { ActionFunctionArgs } from "@remix-run/node";
import { requireActor } from "~/auth/session.server";

/**
 * "Stay signed in", from the idle warning: validating the session is what restarts its idle clock
 * (never past its absolute lifetime), so this only has to be an authenticated request. A POST, so
 * a page on another site cannot keep anyone signed in. Without a session it redirects to sign-in,
 * which the warning reads as "already signed out".
 */
export async function action({ request, context }: ActionFunctionArgs) {
  await requireActor(request, context);
  return new Response(null, { status: 204, headers: { "Cache-Control": "no-store" } });
}
