import { redirect, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import {
  CASE_ACTION_STATUSES,
  NOTE_KINDS,
  OUTCOMES,
  REFERRAL_STATE_LABELS,
  SHARE_DECISIONS,
  TRANSITIONS,
  type Outcome,
  type RagRating,
  type TransitionName,
} from "../../policies";
import { requireActorForRecord } from "~/auth/session.server";
import { uuidParam } from "~/forms.server";
import { serviceCall } from "~/http.server";
import { getReferral, type ReferralView } from "~/services/referrals.server";
import { ActionStatusForm, CASE_WORK_DONE } from "~/ui/case-action-form";
import { formatDate, formatDateTime, todayInLondon } from "~/ui/dates";
import { EmergencyAccessBanner } from "~/ui/emergency-access-banner";
import { noteNames } from "~/ui/note-form";
import { NotificationBanner } from "~/ui/notification-banner";
import { OverdueTag, RagTag, StateTag } from "~/ui/referral-tags";
import { SuccessBanner } from "~/ui/success-banner";
import {
  concernRows,
  NOT_SHARED,
  Paragraphs,
  RESPONSE_LABELS,
  TRANSITION_WORDS,
  withheld,
  youngPersonRows,
} from "~/ui/case-view";
import { SummaryList } from "~/ui/summary-list";
import { Table } from "~/ui/table";
import { Tag } from "~/ui/tag";

export const meta: MetaFunction<typeof loader> = ({ data: page }) => [
  { title: `${page ? `Referral ${page.reference}` : "Referral"} – Crosswalk` },
];

const DONE = {
  submitted: "Referral sent to the partnership",
  screen: "Screening recorded",
  route: "Referral routed",
  accept: "Referral accepted and allocated",
  decline: "Referral declined",
  refer_to_panel: "Referred to the panel",
  close: "Referral closed",
  escalate: "Escalation recorded",
  withdraw: "Referral withdrawn",
  "decision-recorded": "Decision to share recorded",
  "consent-withdrawn": "Withdrawal of consent recorded",
  ...CASE_WORK_DONE,
};

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const ctx = await requireActorForRecord(
    request,
    context,
    { type: "referral", id: params.referralId },
    "referral.view",
  );
  const id = uuidParam(params, "referralId");
  const referral = await serviceCall(() => getReferral(ctx, id));
  // The author's draft is worked on through its question pages.
  if (referral.state === "draft") throw redirect(`/referrals/${id}/draft/check`);
  return referral;
}

/** The page's buttons, in the order a person most likely wants them. */
const STEP_ORDER: TransitionName[] = [
  "screen",
  "rerate",
  "route",
  "accept",
  "decline",
  "refer_to_panel",
  "close",
  "escalate",
  "withdraw",
];

function stepHref(id: string, transition: TransitionName): string {
  return `/referrals/${id}/steps/${transition === "rerate" ? "screen" : transition}`;
}

export default function ReferralPage() {
  const referral = useLoaderData<typeof loader>();
  const steps = STEP_ORDER.filter((step) => referral.steps.includes(step));
  const [primary, ...others] = steps;
  return (
    <>
      <SuccessBanner messages={DONE} />
      {referral.answers.immediateDanger === "yes" && referral.state === "submitted" ? (
        <NotificationBanner title="Immediate danger">
          <p className="govuk-notification-banner__heading">
            The referrer said this young person was in immediate danger.
          </p>
          <Paragraphs
            text={referral.answers.immediateAction}
            missing={withheld(referral, "concern") ? NOT_SHARED : undefined}
          />
        </NotificationBanner>
      ) : null}
      <EmergencyAccessBanner access={referral.emergencyAccess} />
      <SharingBanner referral={referral} />
      <span className="govuk-caption-l">Referral {referral.reference}</span>
      <h1 className="govuk-heading-l">{referral.youngPerson?.name ?? "Referral"}</h1>
      <p className="govuk-body">
        <StateTag state={referral.state} />{" "}
        <RagTag rag={referral.rag?.rating as RagRating | null} />
        {referral.escalation ? (
          <>
            {" "}
            <Tag colour="pink">Escalated</Tag>
          </>
        ) : null}
      </p>
      {referral.due ? (
        <p className="govuk-body">
          {referral.due.what} due by {formatDateTime(new Date(referral.due.at))}{" "}
          {referral.due.overdue ? <OverdueTag /> : null}
        </p>
      ) : null}

      {referral.sharing.state === "partial" ? (
        <div className="govuk-inset-text">
          Some of this case&rsquo;s information was not shared with your agency. You see only what
          the decision to share chose to share with you.
        </div>
      ) : null}

      {referral.closure ? <Closure closure={referral.closure} /> : null}
      {!referral.closure && referral.state === "closed" && withheld(referral, "outcome") ? (
        <div className="govuk-inset-text">The outcome was not shared with your agency.</div>
      ) : null}

      {steps.length > 0 ? (
        <div className="govuk-button-group">
          {primary ? (
            <Link
              to={stepHref(referral.id, primary)}
              className="govuk-button"
              data-module="govuk-button"
            >
              {TRANSITIONS[primary].label}
            </Link>
          ) : null}
          {others.map((step) => (
            <Link
              key={step}
              to={stepHref(referral.id, step)}
              className="govuk-button govuk-button--secondary"
              data-module="govuk-button"
            >
              {TRANSITIONS[step].label}
            </Link>
          ))}
        </div>
      ) : null}

      <p className="govuk-body">
        <Link className="govuk-link" to={`/referrals/${referral.id}/print`}>
          Print a case summary
        </Link>
      </p>

      <div className="govuk-grid-row">
        <div className="govuk-grid-column-two-thirds">
          <YoungPerson referral={referral} />
          <Concern referral={referral} />
          <Agencies referral={referral} />
          <Sharing referral={referral} />
          <CaseWork referral={referral} />
          <History referral={referral} />
        </div>
      </div>
    </>
  );
}

function Closure({ closure }: { closure: NonNullable<ReferralView["closure"]> }) {
  return (
    <div className="govuk-inset-text">
      <h2 className="govuk-heading-m">Outcome: {OUTCOMES[closure.outcome as Outcome]}</h2>
      <Paragraphs text={closure.summary} />
      <p className="govuk-body-s">Closed {formatDateTime(new Date(closure.closedAt))}</p>
    </div>
  );
}

function YoungPerson({ referral }: { referral: ReferralView }) {
  const person = referral.youngPerson;
  if (!person) return null;
  const name = (
    <Link className="govuk-link" to={`/young-people/${person.id}`}>
      {person.name}
    </Link>
  );
  return (
    <>
      <h2 className="govuk-heading-m">The young person</h2>
      <SummaryList rows={youngPersonRows(referral, person, name)} />
    </>
  );
}

function Concern({ referral }: { referral: ReferralView }) {
  return (
    <>
      <h2 className="govuk-heading-m">The referral</h2>
      <SummaryList rows={concernRows(referral, { immediateAction: false, escalation: true })} />
    </>
  );
}

function Agencies({ referral }: { referral: ReferralView }) {
  return (
    <Table
      caption="Agencies involved"
      columns={[{ label: "Agency" }, { label: "Involvement" }, { label: "Status" }]}
      rows={referral.agencies.map((agency) => ({
        key: agency.agencyId,
        cells: [
          agency.agencyName,
          agency.involvement === "referrer" ? "Referred" : "Asked to help",
          agency.status === null ? (
            "—"
          ) : (
            <>
              {RESPONSE_LABELS[agency.status]}
              {agency.status === "accepted" && agency.allocatedTo
                ? `: allocated to ${agency.allocatedTo}`
                : ""}
              {agency.status === "awaiting" && agency.responseDueAt
                ? `, due by ${formatDateTime(new Date(agency.responseDueAt))}`
                : ""}
              {agency.status === "declined" && agency.declineReason
                ? `: ${agency.declineReason}`
                : ""}
            </>
          ),
        ],
      }))}
    />
  );
}

function CaseWork({ referral }: { referral: ReferralView }) {
  const noteName = noteNames(referral.notes);
  return (
    <section id="case-work" aria-labelledby="case-work-heading">
      <h2 className="govuk-heading-m" id="case-work-heading">
        Case work
      </h2>
      {referral.can.addNote || referral.can.addAction ? (
        <div className="govuk-button-group">
          {referral.can.addNote ? (
            <Link
              className="govuk-button govuk-button--secondary"
              data-module="govuk-button"
              to={`/referrals/${referral.id}/notes/new`}
            >
              Add a contact or note
            </Link>
          ) : null}
          {referral.can.addAction ? (
            <Link
              className="govuk-button govuk-button--secondary"
              data-module="govuk-button"
              to={`/referrals/${referral.id}/actions/new`}
            >
              Add an action
            </Link>
          ) : null}
        </div>
      ) : null}
      <h3 className="govuk-heading-s">Actions</h3>
      {referral.actions.length === 0 ? (
        <p className="govuk-body">
          {withheld(referral, "actions") ? `${NOT_SHARED}.` : "No actions yet."}
        </p>
      ) : (
        <ul className="govuk-list">
          {referral.actions.map((action) => (
            <li key={action.id} className="govuk-!-margin-bottom-6">
              <p className="govuk-body govuk-!-font-weight-bold govuk-!-margin-bottom-1">
                {action.description}
              </p>
              <p className="govuk-body-s">
                {action.assignedAgencyName}, due {formatDate(action.dueOn)}.{" "}
                {action.status === "handed_over" && action.handedToAgencyName
                  ? `Handed over to ${action.handedToAgencyName}`
                  : CASE_ACTION_STATUSES[action.status]}{" "}
                {action.overdue ? <OverdueTag /> : null}
              </p>
              {referral.can.updateActions ? (
                <ActionStatusForm referralId={referral.id} action={action} />
              ) : null}
            </li>
          ))}
        </ul>
      )}
      <h3 className="govuk-heading-s">Contacts and notes</h3>
      {referral.notes.length === 0 ? (
        <p className="govuk-body">
          {withheld(referral, "case_notes") ? `${NOT_SHARED}.` : "No notes yet."}
        </p>
      ) : (
        <ol className="govuk-list">
          {referral.notes.map((note) => (
            <li key={note.id} className="app-note">
              <p className="govuk-body-s govuk-!-margin-bottom-1">
                <strong>{NOTE_KINDS[note.kind]}</strong>, {formatDate(note.occurredOn)}.{" "}
                {note.authorName}, {note.agencyName}
                {note.visibility === "agency_only" ? (
                  <>
                    {" "}
                    <Tag colour="purple">Only {note.agencyName}</Tag>
                  </>
                ) : null}
              </p>
              <Paragraphs text={note.body} />
              {note.earlierVersions.length > 0 ? (
                <details className="govuk-details">
                  <summary className="govuk-details__summary">
                    <span className="govuk-details__summary-text">
                      Corrected: see earlier versions
                    </span>
                  </summary>
                  <div className="govuk-details__text">
                    {note.earlierVersions.map((earlier) => (
                      <div key={earlier.version}>
                        <p className="govuk-body-s">
                          Version {earlier.version}, replaced{" "}
                          {formatDateTime(new Date(earlier.revisedAt))} by {earlier.revisedBy}:{" "}
                          {earlier.reason}
                        </p>
                        <Paragraphs text={earlier.body} />
                      </div>
                    ))}
                  </div>
                </details>
              ) : null}
              {note.mayCorrect ? (
                <p className="govuk-body-s">
                  <Link
                    className="govuk-link"
                    to={`/referrals/${referral.id}/notes/${note.id}/correct`}
                  >
                    Correct this note
                    <span className="govuk-visually-hidden">: {noteName.get(note.id)}</span>
                  </Link>
                </p>
              ) : null}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

/**
 * What the sharing state asks of this person, in one important banner: an agency that lost access
 * when consent was withdrawn sees the case as it was then; whoever may decide again is prompted
 * to. (Its own title id, so it can sit beside the page's other banners.)
 */
function SharingBanner({ referral }: { referral: ReferralView }) {
  const { sharing, can, decisions } = referral;
  const lostAccess = sharing.state === "withdrawn" && sharing.withdrawnAt !== null;
  const prompt =
    can.recordDecision &&
    decisions.some((decision) => decision.consentReliedOn && decision.withdrawnAt !== null);
  if (!lostAccess && !prompt) return null;
  return (
    <div
      className="govuk-notification-banner"
      role="region"
      aria-labelledby="sharing-banner-title"
      data-module="govuk-notification-banner"
    >
      <div className="govuk-notification-banner__header">
        <h2 className="govuk-notification-banner__title" id="sharing-banner-title">
          Important
        </h2>
      </div>
      <div className="govuk-notification-banner__content">
        {lostAccess && sharing.withdrawnAt ? (
          <p className="govuk-notification-banner__heading">
            Consent was withdrawn on {formatDate(todayInLondon(new Date(sharing.withdrawnAt)))}. You
            can see this case only as it was then; nothing newer is shared with your agency.
          </p>
        ) : null}
        {prompt ? (
          <p className="govuk-notification-banner__heading">
            Consent was withdrawn:{" "}
            <Link
              className="govuk-notification-banner__link"
              to={`/referrals/${referral.id}/sharing/new`}
            >
              record a new decision to share
            </Link>
          </p>
        ) : null}
      </div>
    </div>
  );
}

function Sharing({ referral }: { referral: ReferralView }) {
  const { decisions, can } = referral;
  return (
    <section id="sharing" aria-labelledby="sharing-heading">
      <h2 className="govuk-heading-m" id="sharing-heading">
        Decisions to share
      </h2>
      {decisions.length === 0 ? (
        <p className="govuk-body">No decision to share is in force.</p>
      ) : (
        <ul className="govuk-list">
          {decisions.map((decision) => {
            const recipients = decision.recipients.join(", ");
            return (
              <li key={decision.id} className="govuk-!-margin-bottom-4">
                <p className="govuk-body govuk-!-margin-bottom-1">
                  <strong>{SHARE_DECISIONS[decision.decision]}</strong>: {recipients}
                </p>
                <p className="govuk-body-s govuk-!-margin-bottom-1">
                  {decision.consentReliedOn
                    ? "Relies on consent"
                    : "Relies on a lawful basis other than consent"}
                  {decision.withdrawnAt ? (
                    <>
                      {" "}
                      <Tag colour="red">
                        Consent withdrawn{" "}
                        {formatDate(todayInLondon(new Date(decision.withdrawnAt)))}
                      </Tag>
                    </>
                  ) : null}
                </p>
                {decision.withdrawnAt ? (
                  <p className="govuk-body-s govuk-!-margin-bottom-1">
                    From {formatDate(todayInLondon(new Date(decision.withdrawnAt)))}, nothing more
                    is shared with {recipients} on this consent: they read the case only as it was
                    then, unless another decision covers them.
                  </p>
                ) : null}
                {can.withdrawConsent && decision.consentReliedOn && !decision.withdrawnAt ? (
                  <p className="govuk-body-s">
                    <Link
                      className="govuk-link"
                      to={`/referrals/${referral.id}/sharing/${decision.id}/withdraw`}
                    >
                      Record that consent was withdrawn
                      <span className="govuk-visually-hidden">
                        {" "}
                        for the decision to share with {recipients}
                      </span>
                    </Link>
                  </p>
                ) : null}
              </li>
            );
          })}
        </ul>
      )}
      <ul className="govuk-list">
        {can.recordDecision ? (
          <li>
            <Link className="govuk-link" to={`/referrals/${referral.id}/sharing/new`}>
              Record a new decision to share
            </Link>
          </li>
        ) : null}
        <li>
          <Link className="govuk-link" to={`/referrals/${referral.id}/sharing`}>
            See the sharing history
          </Link>
        </li>
      </ul>
    </section>
  );
}

function History({ referral }: { referral: ReferralView }) {
  return (
    <>
      <h2 className="govuk-heading-m">History</h2>
      <ol className="govuk-list">
        {[...referral.history].reverse().map((step) => (
          <li key={step.id} className="govuk-!-margin-bottom-4">
            <p className="govuk-body govuk-!-margin-bottom-1">
              <strong>{TRANSITION_WORDS[step.transition] ?? step.transition}</strong>
              {step.fromState !== step.toState
                ? `: ${REFERRAL_STATE_LABELS[step.fromState]} to ${REFERRAL_STATE_LABELS[step.toState].toLowerCase()}`
                : ""}
            </p>
            <p className="govuk-body-s govuk-!-margin-bottom-1">
              {formatDateTime(new Date(step.occurredAt))}, {step.actorName}, {step.actorAgencyName}
            </p>
            {step.rationale ? <Paragraphs text={step.rationale} /> : null}
          </li>
        ))}
      </ol>
    </>
  );
}
