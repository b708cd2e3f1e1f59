import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { signOut } from "~/auth/session.server";

export async function action({ request, context }: ActionFunctionArgs) {
  const clearCookie = await signOut(request, context);
  return redirect("/signed-out", { headers: { "Set-Cookie": clearCookie } });
}

// Signing out is a POST (the header's button), so a link on another site cannot sign anyone out.
export function loader(_: LoaderFunctionArgs) {
  return redirect("/home");
}
