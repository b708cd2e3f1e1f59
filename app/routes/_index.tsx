import { redirect, type LoaderFunctionArgs } from "@remix-run/node";
import { getActor } from "~/auth/session.server";
import { publicRoute } from "~/route-access";

export const handle = {
  access: publicRoute("Only redirects: home when signed in, sign-in otherwise."),
};

export async function loader({ request, context }: LoaderFunctionArgs) {
  return redirect((await getActor(request, context)) ? "/home" : "/sign-in");
}
