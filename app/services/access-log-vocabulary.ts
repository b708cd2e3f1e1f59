import { z } from "zod";
import { ACTIONS, isAction } from "../../policies";

/**
 * The access log as auditors read it: what each recorded action means in words, which actions
 * touch a young person's case, and the search an auditor can run. Shared by the pages and the
 * services (nothing here is server-only).
 */

/** Events that are not policy actions: signing in and out, and administrative changes. */
const OTHER_EVENTS: Record<string, string> = {
  "auth.sign_in": "sign in",
  "auth.password_accepted": "give the right password (second factor next)",
  "auth.single_sign_on_started": "go to their organisation's sign-in (single sign-on)",
  "auth.identity_provider_accepted": "be vouched for by their organisation's sign-in",
  "auth.second_factor": "give a second-factor code to sign in",
  "auth.second_factor_enrolled": "set up an authenticator app",
  "auth.recovery_codes_issued": "get new recovery codes",
  "auth.passkey_added": "add a passkey",
  "auth.passkey_removed": "remove a passkey",
  "auth.step_up": "confirm it is them with a fresh second factor",
  "auth.second_factor_reset": "reset a person's second factor",
  "auth.session_ended": "end one of their sign-ins",
  "auth.password_changed": "change their password",
  "auth.sign_out": "sign out",
  "auth.password_set": "set their password",
  "user.create": "create a user account",
  "user.update": "change a user account",
  "user.deactivate": "deactivate a user account",
  "user.reactivate": "reactivate a user account",
  "user.reset": "issue a new password link",
  "user.sessions_ended": "end all of a person's sign-ins",
  "agency.create": "add an agency",
  "agency.update": "change an agency",
  "agency.sign_in_update": "change an agency's single sign-on",
  "agreement.update": "change the information sharing agreement",
  "notification.email_sent": "send a notification email (no case content)",
  "notification.email_failed": "fail to send a notification email (no case content)",
  "notification.email_retry": "put a failed notification email back to be sent",
};

/** The log's own reads: an auditor's searches, histories, reports and exports are events too. */
export const ACCESS_LOG_VIEWS = {
  search: "search the access log",
  young_person_lookup: "look up a young person in the access log",
  reports: "read the inappropriate-access reports",
} as const;
export type AccessLogView = keyof typeof ACCESS_LOG_VIEWS;

/** "view a referral", "sign in": what an event's action means, in words. */
export function actionLabel(action: string): string {
  if (isAction(action)) return ACTIONS[action].label;
  return OTHER_EVENTS[action] ?? action;
}

/** Every action an auditor can search for, labelled, in the order the access matrix lists them. */
export const SEARCHABLE_ACTIONS: { value: string; label: string }[] = [
  ...Object.keys(OTHER_EVENTS).map((value) => ({ value, label: actionLabel(value) })),
  ...Object.keys(ACTIONS).map((value) => ({ value, label: actionLabel(value) })),
];

/** The areas of the access matrix whose actions read or change a young person's case. */
const CASE_AREAS = new Set(["Young people", "Referrals", "Case work", "Sharing"]);

/** Actions that read or change case data: what the out-of-hours report looks at. */
export const CASE_ACCESS_ACTIONS: string[] = Object.entries(ACTIONS)
  .filter(([, action]) => CASE_AREAS.has(action.area))
  .map(([name]) => name);

/** Opening a case: what "views" means in the reports on involvement and volume. */
export const VIEW_ACTIONS = ["referral.view", "young_person.view"] as const;

/** How a record type reads in a sentence. */
export const RECORD_TYPE_LABELS: Record<string, string> = {
  referral: "Referral",
  young_person: "Young person",
  case_note: "Note",
  case_action: "Action",
  decision_to_share: "Decision to share",
  emergency_access: "Emergency access",
  user: "User account",
  session: "Sign-in",
  agency: "Agency",
  partnership: "Partnership",
  sharing_agreement: "Sharing agreement",
};

/** A referral's reference as people quote it: CW- and the first eight hex digits of its id. */
export const REFERENCE_PATTERN = /^CW-([0-9A-F]{4})-([0-9A-F]{4})$/;

const Uuid = z.uuid();
const IsoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "Enter a date like 2026-11-24")
  .refine((value) => !Number.isNaN(Date.parse(`${value}T00:00:00Z`)), "Enter a real date");

/** One page of results ends at an event; the next starts after it. Opaque to people. */
const Cursor = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z_[0-9a-f-]{36}$/);

/**
 * An auditor's search of the access log, from the page's query string. Every filter is an id, a
 * code or a date: no name or search term ever goes in a URL. Empty fields count as not given.
 */
export const AccessLogQuerySchema = z
  .object({
    user: Uuid.optional(),
    agency: Uuid.optional(),
    youngPerson: Uuid.optional(),
    record: z
      .string()
      .trim()
      .toUpperCase()
      .refine(
        (value) => REFERENCE_PATTERN.test(value) || Uuid.safeParse(value.toLowerCase()).success,
        "Enter a referral reference like CW-1A2B-3C4D, or a record's id",
      )
      .optional(),
    action: z
      .string()
      .refine(
        (value) => SEARCHABLE_ACTIONS.some((known) => known.value === value),
        "Select an action from the list",
      )
      .optional(),
    outcome: z.enum(["allowed", "refused"]).optional(),
    emergency: z.literal("yes").optional(),
    from: IsoDate.optional(),
    to: IsoDate.optional(),
    after: Cursor.optional(),
  })
  .refine((query) => !query.from || !query.to || query.from <= query.to, {
    message: "The end date must be the same as or after the start date",
    path: ["to"],
  });
export type AccessLogQuery = z.infer<typeof AccessLogQuerySchema>;
export const ACCESS_LOG_FILTERS = [
  "user",
  "agency",
  "youngPerson",
  "record",
  "action",
  "outcome",
  "emergency",
  "from",
  "to",
] as const;

/** The query string's fields, with empty values dropped (an unchosen select sends ""). */
export function queryFields(search: URLSearchParams): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [key, value] of search) if (value.trim() !== "") fields[key] = value;
  return fields;
}

/** The inappropriate-access reports, in the order the page shows them. */
export const ACCESS_REPORTS = {
  uninvolved: {
    title: "Views by an agency not involved, without emergency access",
    description:
      "A referral or young person's record opened by someone whose agency, at that moment, had made no referral for the young person, had been sent none (or had declined it) and had no emergency access. The access rules should make this impossible: every row here needs explaining.",
  },
  emergency_unreviewed: {
    title: "Emergency access not yet reviewed",
    description:
      "Records opened under emergency access that no partnership lead has reviewed, with every event made under each one.",
  },
  volume: {
    title: "Unusually many young people in one day",
    description:
      "People who opened the records of more distinct young people in one day (UK time) than the threshold.",
  },
  out_of_hours: {
    title: "Case records used out of hours",
    description:
      "Reads and changes of case records outside working hours or at weekends (UK time).",
  },
  after_deactivation: {
    title: "Access after an account was deactivated",
    description: "Events by a person after their account was deactivated. There should be none.",
  },
  after_withdrawal: {
    title: "Access after consent was withdrawn",
    description:
      "Case records used by an agency after the young person or their parent withdrew the consent that shared the case with it, and before any new decision to share.",
  },
  same_surname: {
    title: "Viewer shares the young person's surname",
    description:
      "Records opened by someone who shares a surname with the young person, or a part of a hyphenated or double surname, and whether their home postcode district matches too. A family connection is a conflict of interest to look into.",
  },
} as const;
export type AccessReport = keyof typeof ACCESS_REPORTS;
export const ACCESS_REPORT_NAMES = Object.keys(ACCESS_REPORTS) as AccessReport[];

/** The reports' settings, from the query string, with the partnership's usual defaults. */
export const AccessReportQuerySchema = z
  .object({
    from: IsoDate.optional(),
    to: IsoDate.optional(),
    threshold: z
      .string()
      .regex(/^\d{1,4}$/, "Enter the threshold as a whole number, like 20")
      .transform(Number)
      .refine((value) => value >= 1, "The threshold must be 1 or more")
      .default(20),
    dayStarts: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, "Enter the time working hours start, like 08:00")
      .default("08:00"),
    dayEnds: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, "Enter the time working hours end, like 18:00")
      .default("18:00"),
  })
  .refine((query) => query.dayStarts < query.dayEnds, {
    message: "Working hours must end after they start",
    path: ["dayEnds"],
  })
  .refine((query) => !query.from || !query.to || query.from <= query.to, {
    message: "The end date must be the same as or after the start date",
    path: ["to"],
  });
export type AccessReportQuery = z.infer<typeof AccessReportQuerySchema>;
