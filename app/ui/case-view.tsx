import {
  CONCERN_ROLES,
  ESCALATIONS,
  RAG_RATINGS,
  RISK_INDICATORS,
  SEVERITIES,
  THEMES,
  URGENCIES,
  type DataItem,
  type Escalation,
  type RagRating,
} from "../../policies";
import type { ReferralView } from "~/services/referrals.server";
import type { ReactNode } from "react";
import { formatDate, formatDateTime } from "./dates";
import type { SummaryRow } from "./summary-list";

/**
 * The parts of a case as the referral page and the printed case summary both show them, from the
 * same view model, so the two never say different things about one case.
 */

export const NOT_SHARED = "Not shared with your agency";

/**
 * Whether a part of the case was left out of what this agency may read: under a decision to
 * share some of it, the page says so rather than "not given".
 */
export function withheld(referral: ReferralView, item: DataItem): boolean {
  return referral.sharing.state === "partial" && !referral.sharing.dataItems.includes(item);
}

/** Free text as paragraphs, or what to say when there is none. */
export function Paragraphs({
  text,
  missing = "Not given",
}: {
  text: string | null;
  missing?: string;
}) {
  if (!text) return <>{missing}</>;
  return (
    <>
      {text.split(/\n+/).map((paragraph, index) => (
        <p className="govuk-body" key={index}>
          {paragraph}
        </p>
      ))}
    </>
  );
}

/** How each receiving agency has answered a referral routed to it. */
export const RESPONSE_LABELS = {
  awaiting: "Waiting for an answer",
  accepted: "Accepted",
  declined: "Declined",
} as const;

/** A step of a referral's history, in words. */
export const TRANSITION_WORDS: Record<string, string> = {
  submit: "Sent to the partnership",
  discard: "Draft discarded",
  screen: "Screened",
  rerate: "Re-rated",
  route: "Routed",
  accept: "Accepted",
  decline: "Declined",
  refer_to_panel: "Referred to the panel",
  close: "Closed",
  escalate: "Escalated",
  withdraw: "Withdrawn",
};

/**
 * The referral's rows: who sent it where, the concern and its indicators, what the young person
 * and family know, danger and urgency, and the screening. `immediateAction` adds what was done
 * about an immediate danger; `escalation` adds where the case was escalated to.
 */
export function concernRows(
  referral: ReferralView,
  options: { immediateAction: boolean; escalation: boolean },
): SummaryRow[] {
  const { answers } = referral;
  const missing = (item: DataItem) => (withheld(referral, item) ? NOT_SHARED : undefined);
  return [
    {
      key: "Referred by",
      value: `${referral.referrer.name}, ${referral.referrer.agencyName}`,
    },
    {
      key: "Sent",
      value: referral.submittedAt ? formatDateTime(new Date(referral.submittedAt)) : "Not yet",
    },
    {
      key: "Sent to",
      value:
        referral.destination.kind === "agency"
          ? `${referral.destination.agencyName ?? "A named agency"} (through the hub)`
          : "The partnership hub",
    },
    {
      key: "Role in the concern",
      value: answers.concernRoles.map((role) => CONCERN_ROLES[role]).join("; "),
    },
    {
      key: "Strategy themes",
      value: answers.themes.map((theme) => THEMES[theme]).join("; "),
    },
    {
      key: "Risk indicators",
      value: withheld(referral, "risk_indicators") ? (
        NOT_SHARED
      ) : (
        <ul className="govuk-list">
          {answers.riskIndicators.map((entry) => (
            <li key={entry.code}>
              {RISK_INDICATORS[entry.code]}: {SEVERITIES[entry.severity].toLowerCase()}
            </li>
          ))}
        </ul>
      ),
    },
    {
      key: "Concern",
      value: <Paragraphs text={answers.concern} missing={missing("concern")} />,
    },
    {
      key: "What the young person knows",
      value: <Paragraphs text={answers.youngPersonKnows} missing={missing("family_knowledge")} />,
    },
    {
      key: "What their family knows",
      value: <Paragraphs text={answers.familyKnows} missing={missing("family_knowledge")} />,
    },
    {
      key: "In immediate danger",
      value:
        answers.immediateDanger !== "yes" ? (
          "No"
        ) : options.immediateAction ? (
          <>
            <p className="govuk-body">Yes</p>
            <Paragraphs text={answers.immediateAction} missing={missing("concern")} />
          </>
        ) : (
          "Yes"
        ),
    },
    { key: "Urgency", value: answers.urgency ? URGENCIES[answers.urgency] : "Not given" },
    ...(referral.rag
      ? [
          {
            key: "Screening",
            value: (
              <>
                <p className="govuk-body">
                  {RAG_RATINGS[referral.rag.rating as RagRating]}, screened{" "}
                  {formatDateTime(new Date(referral.rag.screenedAt))}
                </p>
                <Paragraphs text={referral.rag.rationale} />
              </>
            ),
          },
        ]
      : []),
    ...(options.escalation && referral.escalation
      ? [
          {
            key: "Escalated to",
            value: `${ESCALATIONS[referral.escalation.to as Escalation]}, ${formatDateTime(new Date(referral.escalation.at))}`,
          },
        ]
      : []),
  ];
}

/**
 * The young person's rows, each saying "not shared" where a partial decision left their identity
 * out. `name` is how the name is shown (a link on the page, plain text in print).
 */
export function youngPersonRows(
  referral: ReferralView,
  person: NonNullable<ReferralView["youngPerson"]>,
  name: ReactNode,
): SummaryRow[] {
  const identity = withheld(referral, "identity");
  const known = (value: string | null, missing: string) =>
    value ?? (identity ? NOT_SHARED : missing);
  return [
    { key: "Name", value: name },
    { key: "Known as", value: known(person.knownAs, "Not given") },
    {
      key: "Date of birth",
      value: person.dateOfBirth ? formatDate(person.dateOfBirth) : known(null, "Not known"),
    },
    { key: "Postcode district", value: known(person.postcodeDistrict, "Not known") },
    { key: "School", value: known(person.school, "Not known") },
  ];
}
