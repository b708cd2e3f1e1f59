import type { ReactNode } from "react";
import {
  CASE_ACTION_STATUSES,
  ESCALATIONS,
  NOTE_KINDS,
  OUTCOMES,
  RAG_RATINGS,
  REFERRAL_STATE_LABELS,
  SHARE_DECISIONS,
  type Escalation,
  type Outcome,
  type RagRating,
} from "../../policies";
import type { ReferralView } from "~/services/referrals.server";
import { formatDate, formatDateTime, todayInLondon } from "./dates";
import {
  concernRows,
  NOT_SHARED,
  Paragraphs,
  RESPONSE_LABELS,
  TRANSITION_WORDS,
  withheld,
  youngPersonRows,
} from "./case-view";
import { SummaryList } from "./summary-list";

// A case summary to print: what the viewer may see of a case (the same view model as the referral
// page, so the same parts are left out for them), with no forms, buttons or navigation. Printed,
// every page carries the reference and when it was printed (the running head); the young person's
// name is only in the body, never on each page.

function Section({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section className="app-print__section" aria-labelledby={id}>
      <h2 className="govuk-heading-m" id={id}>
        {title}
      </h2>
      {children}
    </section>
  );
}

/** The line every printed page starts with: which case, and when it was printed. */
export function runningHead(reference: string, printedAt: string): string {
  return `Crosswalk · Referral ${reference} · Printed ${formatDateTime(new Date(printedAt))}`;
}

/** The whole summary: the running head, then the case part by part. */
export function CaseSummary({
  referral,
  printedAt,
  before,
}: {
  referral: ReferralView;
  printedAt: string;
  /** What shows on screen above the summary and never on paper (the way back, how to print). */
  before?: ReactNode;
}) {
  // A table only for its header group, which browsers repeat at the top of every printed page a
  // table breaks across (a header group of CSS display values is not repeated); it has no table
  // semantics (role="presentation") and on screen its parts are plain blocks.
  return (
    <table className="app-print" role="presentation">
      <thead className="app-print__running-head">
        <tr>
          <td>
            <p className="govuk-body-s app-print__running-head-text">
              {runningHead(referral.reference, printedAt)}
            </p>
          </td>
        </tr>
      </thead>
      <tbody className="app-print__body">
        <tr>
          <td>
            {before}
            <span className="govuk-caption-l">Case summary: referral {referral.reference}</span>
            <h1 className="govuk-heading-l">{referral.youngPerson?.name ?? "Referral"}</h1>
            {referral.state === "draft" ? (
              <div className="govuk-inset-text">
                This referral is a draft: it has not been sent, and only its author can see it.
              </div>
            ) : null}
            {referral.sharing.state === "partial" ? (
              <div className="govuk-inset-text">
                Some of this case&rsquo;s information was not shared with your agency: this summary
                holds only what the decision to share chose to share with you.
              </div>
            ) : null}
            {referral.sharing.state === "withdrawn" && referral.sharing.withdrawnAt ? (
              <div className="govuk-inset-text">
                Consent was withdrawn on{" "}
                {formatDate(todayInLondon(new Date(referral.sharing.withdrawnAt)))}: this summary
                shows the case only as it was then.
              </div>
            ) : null}
            <Overview referral={referral} />
            <YoungPerson referral={referral} />
            <Concern referral={referral} />
            <Agencies referral={referral} />
            <Decisions referral={referral} />
            <Actions referral={referral} />
            <Notes referral={referral} />
            <History referral={referral} />
          </td>
        </tr>
      </tbody>
    </table>
  );
}

function Overview({ referral }: { referral: ReferralView }) {
  const rows = [
    { key: "Reference", value: referral.reference },
    { key: "Status", value: REFERRAL_STATE_LABELS[referral.state] },
    {
      key: "RAG rating",
      value: referral.rag ? RAG_RATINGS[referral.rag.rating as RagRating] : "Not rated yet",
    },
    ...(referral.due
      ? [
          {
            key: "Waiting for",
            value: `${referral.due.what}, due by ${formatDateTime(new Date(referral.due.at))}${referral.due.overdue ? " (overdue)" : ""}`,
          },
        ]
      : []),
    ...(referral.escalation
      ? [
          {
            key: "Escalated to",
            value: `${ESCALATIONS[referral.escalation.to as Escalation]}, ${formatDateTime(new Date(referral.escalation.at))}`,
          },
        ]
      : []),
    ...(referral.closure
      ? [
          {
            key: "Outcome",
            value: (
              <>
                <p className="govuk-body">
                  {OUTCOMES[referral.closure.outcome as Outcome]}, closed{" "}
                  {formatDateTime(new Date(referral.closure.closedAt))}
                </p>
                <Paragraphs text={referral.closure.summary} />
              </>
            ),
          },
        ]
      : referral.state === "closed" && withheld(referral, "outcome")
        ? [{ key: "Outcome", value: "Not shared with your agency" }]
        : []),
  ];
  return (
    <Section id="summary" title="Summary">
      <SummaryList rows={rows} />
    </Section>
  );
}

function YoungPerson({ referral }: { referral: ReferralView }) {
  const person = referral.youngPerson;
  if (!person) return null;
  return (
    <Section id="young-person" title="The young person">
      <SummaryList rows={youngPersonRows(referral, person, person.name)} />
    </Section>
  );
}

function Concern({ referral }: { referral: ReferralView }) {
  return (
    <Section id="referral" title="The referral">
      <SummaryList rows={concernRows(referral, { immediateAction: true, escalation: false })} />
    </Section>
  );
}

function Agencies({ referral }: { referral: ReferralView }) {
  return (
    <Section id="agencies" title="Agencies involved">
      <ul className="govuk-list govuk-list--bullet">
        {referral.agencies.map((agency) => (
          <li key={agency.agencyId}>
            {agency.agencyName}: {agency.involvement === "referrer" ? "referred" : "asked to help"}
            {agency.status ? `; ${RESPONSE_LABELS[agency.status].toLowerCase()}` : ""}
            {agency.status === "accepted" && agency.allocatedTo
              ? `, allocated to ${agency.allocatedTo}`
              : ""}
            {agency.status === "declined" && agency.declineReason
              ? `: ${agency.declineReason}`
              : ""}
          </li>
        ))}
      </ul>
    </Section>
  );
}

function Decisions({ referral }: { referral: ReferralView }) {
  return (
    <Section id="decisions" title="Decisions to share">
      {referral.decisions.length === 0 ? (
        <p className="govuk-body">No decision to share is in force.</p>
      ) : (
        <ul className="govuk-list">
          {referral.decisions.map((decision) => (
            <li key={decision.id} className="app-print__item">
              <p className="govuk-body govuk-!-margin-bottom-1">
                <strong>{SHARE_DECISIONS[decision.decision]}</strong>:{" "}
                {decision.recipients.join(", ")}
              </p>
              <p className="govuk-body-s">
                {decision.consentReliedOn
                  ? "Relies on consent"
                  : "Relies on a lawful basis other than consent"}
                {decision.withdrawnAt
                  ? `. Consent withdrawn ${formatDate(todayInLondon(new Date(decision.withdrawnAt)))}`
                  : ""}
              </p>
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}

function Actions({ referral }: { referral: ReferralView }) {
  return (
    <Section id="actions" title="Actions">
      {referral.actions.length === 0 ? (
        <p className="govuk-body">
          {withheld(referral, "actions") ? `${NOT_SHARED}.` : "No actions."}
        </p>
      ) : (
        <ul className="govuk-list">
          {referral.actions.map((action) => (
            <li key={action.id} className="app-print__item">
              <p className="govuk-body govuk-!-margin-bottom-1">
                <strong>{action.description}</strong>
              </p>
              <p className="govuk-body-s">
                For {action.assignedAgencyName}, due {formatDate(action.dueOn)}.{" "}
                {CASE_ACTION_STATUSES[action.status]}
                {action.overdue ? " (overdue)" : ""}
              </p>
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}

function Notes({ referral }: { referral: ReferralView }) {
  return (
    <Section id="notes" title="Contacts and notes">
      {referral.notes.length === 0 ? (
        <p className="govuk-body">
          {withheld(referral, "case_notes") ? `${NOT_SHARED}.` : "No notes."}
        </p>
      ) : (
        <ol className="govuk-list">
          {referral.notes.map((note) => (
            <li key={note.id} className="app-print__item">
              <p className="govuk-body-s govuk-!-margin-bottom-1">
                <strong>{NOTE_KINDS[note.kind]}</strong>, {formatDate(note.occurredOn)}.{" "}
                {note.authorName}, {note.agencyName}
                {note.visibility === "agency_only" ? `. Only ${note.agencyName}` : ""}
                {note.earlierVersions.length > 0
                  ? `. Corrected: ${note.earlierVersions.length} earlier ${note.earlierVersions.length === 1 ? "version is" : "versions are"} kept in Crosswalk`
                  : ""}
              </p>
              <Paragraphs text={note.body} />
            </li>
          ))}
        </ol>
      )}
    </Section>
  );
}

function History({ referral }: { referral: ReferralView }) {
  return (
    <Section id="history" title="History">
      <ol className="govuk-list">
        {[...referral.history].reverse().map((step) => (
          <li key={step.id} className="app-print__item">
            <p className="govuk-body-s govuk-!-margin-bottom-1">
              <strong>{TRANSITION_WORDS[step.transition] ?? step.transition}</strong>,{" "}
              {formatDateTime(new Date(step.occurredAt))}, {step.actorName}, {step.actorAgencyName}
            </p>
            {step.rationale ? <Paragraphs text={step.rationale} /> : null}
          </li>
        ))}
      </ol>
    </Section>
  );
}
