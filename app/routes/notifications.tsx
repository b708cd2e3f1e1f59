import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { requireActor } from "~/auth/session.server";
import { readForm } from "~/forms.server";
import { serviceCall } from "~/http.server";
import { NOTIFICATION_KIND_CODES, NOTIFICATION_KINDS } from "~/services/notification-kinds";
import { listNotifications, markNotificationsRead } from "~/services/notifications.server";
import { formatDateTime } from "~/ui/dates";
import { ActionButton, Button } from "~/ui/form";
import { Select } from "~/ui/select";
import { SuccessBanner } from "~/ui/success-banner";
import { Tag } from "~/ui/tag";
import { PostForm } from "~/ui/post-form";

export const meta: MetaFunction = () => [{ title: "Notifications – Crosswalk" }];

/** `?kind=` filters by one kind; empty (the filter's "All") means every kind. */
const NotificationsQuerySchema = z.object({
  kind: z.enum(NOTIFICATION_KIND_CODES).optional(),
});

function kindOf(request: Request) {
  const kind = new URL(request.url).searchParams.get("kind");
  const parsed = NotificationsQuerySchema.safeParse({ kind: kind || undefined });
  if (!parsed.success) throw data("Choose a kind of notification from the list.", { status: 400 });
  return parsed.data.kind ?? null;
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const ctx = await requireActor(request, context);
  const kind = kindOf(request);
  return serviceCall(() => listNotifications(ctx, { kind }));
}

const MarkReadSchema = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("read"), id: z.uuid() }),
  z.object({
    intent: z.literal("read-all"),
    kind: z
      .union([z.enum(NOTIFICATION_KIND_CODES), z.literal("")])
      .optional()
      .transform((value) => (value ? value : null)),
  }),
]);

/** Marking read is the person's own bookkeeping: no case data changes, so nothing is recorded. */
export async function action({ request, context }: ActionFunctionArgs) {
  const ctx = await requireActor(request, context);
  const parsed = MarkReadSchema.safeParse(Object.fromEntries(await readForm(request)));
  if (!parsed.success) throw data("Choose a notification to mark as read.", { status: 400 });
  const input = parsed.data;
  await serviceCall(() =>
    markNotificationsRead(
      ctx,
      input.intent === "read" ? { id: input.id } : { all: true, kind: input.kind },
    ),
  );
  const kind = input.intent === "read-all" ? input.kind : kindOf(request);
  return redirect(
    `/notifications?${new URLSearchParams({
      ...(kind ? { kind } : {}),
      done: input.intent === "read" ? "read" : "all-read",
    }).toString()}`,
  );
}

const DONE = { read: "Notification marked as read", "all-read": "Notifications marked as read" };

export default function Notifications() {
  const page = useLoaderData<typeof loader>();
  const kindLabel = page.kind ? NOTIFICATION_KINDS[page.kind] : null;
  return (
    <div className="govuk-grid-row">
      <div className="govuk-grid-column-two-thirds">
        <SuccessBanner messages={DONE} />
        <h1 className="govuk-heading-l">Notifications</h1>
        <p className="govuk-body" data-testid="unread-summary">
          {page.unread === 0
            ? "You have no unread notifications."
            : `You have ${page.unread} unread notification${page.unread === 1 ? "" : "s"}.`}{" "}
          Notifications say what happened and link to the record; they never include a young
          person&apos;s details.
        </p>
        <Form method="get" className="app-filter">
          <Select
            id="kind"
            label="Show"
            value={page.kind ?? ""}
            placeholder="All notifications"
            choices={page.kinds.map((kind) => ({
              value: kind.kind,
              label: `${kind.label} (${kind.unread} unread)`,
            }))}
          />
          <Button>Show notifications</Button>
        </Form>
        {page.notifications.some((notification) => !notification.read) ? (
          <PostForm>
            <input type="hidden" name="intent" value="read-all" />
            <input type="hidden" name="kind" value={page.kind ?? ""} />
            <ActionButton variant="secondary">
              {kindLabel ? "Mark all of these as read" : "Mark all as read"}
            </ActionButton>
          </PostForm>
        ) : null}
        {page.notifications.length === 0 ? (
          <p className="govuk-body">
            {kindLabel ? `No notifications of this kind.` : "You have no notifications."}
          </p>
        ) : (
          <ul className="govuk-list app-notifications" aria-label="Your notifications">
            {page.notifications.map((notification) => (
              <li key={notification.id} className="app-notification">
                <h2 className="govuk-heading-s govuk-!-margin-bottom-1">
                  {notification.read ? null : (
                    <>
                      <Tag colour="blue">Unread</Tag>{" "}
                    </>
                  )}
                  {notification.kindLabel}
                </h2>
                <p className="govuk-body govuk-!-margin-bottom-1">{notification.reason}</p>
                <p className="govuk-body-s govuk-!-margin-bottom-1">
                  {formatDateTime(new Date(notification.createdAt))}
                </p>
                <p className="govuk-body">
                  <Link to={notification.link} className="govuk-link">
                    {notification.reference
                      ? `Open referral ${notification.reference}`
                      : "Open emergency access reviews"}
                  </Link>
                </p>
                {notification.read ? null : (
                  <PostForm>
                    <input type="hidden" name="intent" value="read" />
                    <input type="hidden" name="id" value={notification.id} />
                    <ActionButton
                      variant="secondary"
                      hiddenContext={`: ${notification.kindLabel}${notification.reference ? `, ${notification.reference}` : ""}`}
                    >
                      Mark as read
                    </ActionButton>
                  </PostForm>
                )}
              </li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}
