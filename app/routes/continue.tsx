import { data, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { heldSubmission } from "~/auth/held-submissions.server";
import { HELD_COOKIE, heldToken, requireActor } from "~/auth/session.server";
import { Button } from "~/ui/form";
import { WarningText } from "~/ui/warning-text";
import { PostForm, withoutSubmissionId } from "~/ui/post-form";

export const meta: MetaFunction = () => [{ title: "Your form has not been saved yet – Crosswalk" }];

/**
 * Where a person lands after signing in again when their session ended just as they sent a form:
 * what they typed, kept for them (see keepSignedOutForm), to send now. Only the same person, in the
 * same browser, gets it back, once.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const ctx = await requireActor(request, context);
  const id = z.uuid().safeParse(new URL(request.url).searchParams.get("held"));
  const token = heldToken(request);
  const held =
    id.success && token
      ? await heldSubmission(context.db, ctx.actor, token, id.data, { release: true })
      : null;
  const clear = `${HELD_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0${context.secure ? "; Secure" : ""}`;
  return data(
    { held: held && held.method === "POST" ? { path: held.path, fields: held.fields } : null },
    { headers: { "Set-Cookie": clear, "Cache-Control": "no-store" } },
  );
}

export default function Continue() {
  const { held } = useLoaderData<typeof loader>();
  if (!held) {
    return (
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-two-thirds">
          <h1 className="govuk-heading-l">Nothing is waiting to be sent</h1>
          <p className="govuk-body">
            A form kept when you were signed out is kept for 15 minutes, for you, in the browser you
            sent it from, and given back once. If you were doing something, go back and do it again.
          </p>
          <p className="govuk-body">
            <Link className="govuk-link" to="/home">
              Go to your home page
            </Link>
          </p>
        </div>
      </div>
    );
  }
  return (
    <div className="govuk-grid-row">
      <div className="govuk-grid-column-two-thirds">
        <h1 className="govuk-heading-l">Your form has not been saved yet</h1>
        <WarningText>
          You were signed out before it was saved, so nothing has been saved. What you typed was
          kept: send it now, or go back to the page and change it first.
        </WarningText>
        <PostForm
          action={held.path}
          reloadDocument
          submissionId={withoutSubmissionId(held.fields).submissionId}
        >
          {withoutSubmissionId(held.fields).fields.map(([name, value], index) => (
            <input key={`${name}-${index}`} type="hidden" name={name} value={value} />
          ))}
          <Button>Send it now</Button>
        </PostForm>
        <p className="govuk-body">
          <Link className="govuk-link" to={held.path}>
            Go back to the page instead
          </Link>{" "}
          (what you typed will not be on it).
        </p>
      </div>
    </div>
  );
}
