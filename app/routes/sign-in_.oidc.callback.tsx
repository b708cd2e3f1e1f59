import { data, redirect, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { requestMeta, signInSettings } from "~/auth/session.server";
import {
  clearLoginCookie,
  finishSingleSignOn,
  type SingleSignOnProblem,
} from "~/auth/single-sign-on.server";

const PROBLEMS: Record<SingleSignOnProblem, { title: string; body: string[]; status: number }> = {
  start_again: {
    title: "Start signing in again",
    body: [
      "Signing in with your organisation took too long, was already finished, or was started in another browser.",
    ],
    status: 400,
  },
  provider: {
    title: "Your organisation's sign-in did not work",
    body: [
      "Crosswalk could not finish signing you in with your organisation's account.",
      "Try again, or sign in with your password. If it keeps happening, tell your partnership's administrator.",
    ],
    status: 403,
  },
  no_account: {
    title: "You cannot sign in to Crosswalk with this account",
    body: [
      "Your organisation signed you in, but it did not give an email address that belongs to a Crosswalk account in your agency.",
      "Crosswalk does not create accounts when people sign in. Ask your partnership's administrator to set one up for you.",
    ],
    status: 403,
  },
  deactivated: {
    title: "Your account has been deactivated",
    body: ["Contact your partnership's administrator."],
    status: 403,
  },
};

export const meta: MetaFunction<typeof loader> = ({ data: page }) => [
  { title: `${page ? PROBLEMS[page.problem].title : "Signing in"} – Crosswalk` },
];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const result = await finishSingleSignOn(
    context.db,
    requestMeta(context),
    {
      ...signInSettings(request, context),
      publicUrl: context.publicUrl,
      clientSecretKey: context.clientSecretKey,
    },
    { url: request.url, cookieHeader: request.headers.get("cookie") },
  );
  const headers = new Headers({ "Set-Cookie": clearLoginCookie(context.secure) });
  if (!result.ok) {
    return data({ problem: result.problem }, { status: PROBLEMS[result.problem].status, headers });
  }
  headers.append("Set-Cookie", result.setCookie);
  const back = result.returnTo;
  const query = back === "/home" ? "" : `?returnTo=${encodeURIComponent(back)}`;
  throw redirect(result.next === "home" ? back : `/sign-in/${result.next}${query}`, { headers });
}

export default function SingleSignOnRefused() {
  const { problem } = useLoaderData<typeof loader>();
  const page = PROBLEMS[problem];
  return (
    <div className="govuk-grid-row">
      <div className="govuk-grid-column-two-thirds">
        <h1 className="govuk-heading-l">{page.title}</h1>
        {page.body.map((paragraph) => (
          <p className="govuk-body" key={paragraph}>
            {paragraph}
          </p>
        ))}
        <ul className="govuk-list">
          <li>
            <Link className="govuk-link" to="/sign-in/organisation">
              Sign in with your organisation
            </Link>
          </li>
          <li>
            <Link className="govuk-link" to="/sign-in">
              Sign in with your password
            </Link>
          </li>
        </ul>
      </div>
    </div>
  );
}
