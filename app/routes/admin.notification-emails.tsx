import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { requireActorFor } from "~/auth/session.server";
import { readForm } from "~/forms.server";
import { serviceCall } from "~/http.server";
import { listDeadLetters, retryDeadLetter } from "~/services/notification-outbox.server";
import { BackLink } from "~/ui/back-link";
import { formatDateTime } from "~/ui/dates";
import { LinkButton } from "~/ui/form";
import { SuccessBanner } from "~/ui/success-banner";
import { Table } from "~/ui/table";
import { PostForm } from "~/ui/post-form";

export const meta: MetaFunction = () => [{ title: "Notification emails not sent – Crosswalk" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const ctx = await requireActorFor(request, context, "partnership.configure");
  return { deadLetters: await serviceCall(() => listDeadLetters(ctx)) };
}

const RetrySchema = z.object({ id: z.uuid() });

export async function action({ request, context }: ActionFunctionArgs) {
  const ctx = await requireActorFor(request, context, "partnership.configure");
  const parsed = RetrySchema.safeParse(Object.fromEntries(await readForm(request)));
  if (!parsed.success) throw data("Choose an email to send again.", { status: 400 });
  const retried = await serviceCall(() => retryDeadLetter(ctx, parsed.data.id));
  return redirect(`/admin/notification-emails?done=${retried ? "retried" : "not-dead"}`);
}

const DONE = {
  retried: "The email will be sent again within a minute",
  "not-dead": "That email is no longer waiting to be sent again",
};

export default function NotificationEmails() {
  const { deadLetters } = useLoaderData<typeof loader>();
  return (
    <>
      <BackLink to="/admin">Back to administration</BackLink>
      <SuccessBanner messages={DONE} />
      <h1 className="govuk-heading-l">Notification emails not sent</h1>
      <p className="govuk-body">
        Emails that failed after every attempt. They say only what kind of thing happened, the
        referral&apos;s reference and a link; the notifications are in the app whatever happens to
        the email. Check the mail server&apos;s answer, then send them again.
      </p>
      {deadLetters.length === 0 ? (
        <p className="govuk-body">Every notification email has been sent.</p>
      ) : (
        <Table
          caption="Failed emails"
          columns={[
            { label: "Sent to" },
            { label: "Notification" },
            { label: "Created" },
            { label: "Attempts", numeric: true },
            { label: "Mail server's answer" },
            { label: "Action", hidden: true },
          ]}
          rows={deadLetters.map((letter) => ({
            key: letter.id,
            cells: [
              letter.recipient,
              `${letter.kindLabel}${letter.reference ? ` (${letter.reference})` : ""}`,
              formatDateTime(new Date(letter.createdAt)),
              letter.attempts,
              letter.lastError ?? "",
              <PostForm key="retry">
                <input type="hidden" name="id" value={letter.id} />
                <LinkButton hiddenContext={` the email to ${letter.recipient}`}>
                  Send again
                </LinkButton>
              </PostForm>,
            ],
          }))}
        />
      )}
    </>
  );
}
