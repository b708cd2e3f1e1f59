import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { signOut } from "~/auth/session.server";
import { publicRoute } from "~/route-access";

export const handle = {
  access: publicRoute(
    "Ends the caller's own session, if any; a POST only, checked for same origin.",
  ),
};

export async function action({ request, context }: ActionFunctionArgs) {
  const clearCookie = await signOut(request, context);
  return redirect("/signed-out", { headers: { "Set-Cookie": clearCookie } });
}

// Signing out is a POST (the header's button), so a link on another site cannot sign anyone out.
export function loader(_: LoaderFunctionArgs) {
  return redirect("/home");
}
