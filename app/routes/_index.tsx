import { redirect, type LoaderFunctionArgs } from "@remix-run/node";
import { getActor } from "~/auth/session.server";

export async function loader({ request, context }: LoaderFunctionArgs) {
  return redirect((await getActor(request, context)) ? "/home" : "/sign-in");
}
