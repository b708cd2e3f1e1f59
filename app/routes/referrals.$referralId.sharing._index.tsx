import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import type { ReactNode } from "react";
import { useLoaderData } from "@remix-run/react";
import {
  ARTICLE_6_BASES,
  ARTICLE_9_CONDITIONS,
  CONSENT_FORMS,
  CONSENT_GIVERS,
  CONSENT_NOT_SOUGHT_REASONS,
  DATA_ITEMS,
  SHARE_DECISIONS,
  SHARING_PURPOSE_LABELS,
  STATUTORY_GATEWAYS,
} from "../../policies";
import { requireActorForRecord } from "~/auth/session.server";
import { uuidParam } from "~/forms.server";
import { serviceCall } from "~/http.server";
import { getSharingHistory, type SharingHistoryEntry } from "~/services/decisions-to-share.server";
import { BackLink } from "~/ui/back-link";
import { formatDate, formatDateTime } from "~/ui/dates";
import { SummaryList } from "~/ui/summary-list";

export const meta: MetaFunction<typeof loader> = ({ data: page }) => [
  { title: `Sharing history${page ? ` – referral ${page.reference}` : ""} – Crosswalk` },
];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const ctx = await requireActorForRecord(
    request,
    context,
    { type: "referral", id: params.referralId },
    "referral.view",
  );
  const id = uuidParam(params, "referralId");
  return serviceCall(() => getSharingHistory(ctx, id));
}

/** A code's words from one of the vocabularies (the code itself if it has none). */
function wordsFor(labels: Readonly<Record<string, string>>, code: string | null): string {
  if (code === null) return "Not given";
  return Object.hasOwn(labels, code) ? (labels[code] ?? code) : code;
}

type Decision = Extract<SharingHistoryEntry, { kind: "decision" }>;
type Withdrawal = Extract<SharingHistoryEntry, { kind: "withdrawal" }>;

export default function SharingHistory() {
  const page = useLoaderData<typeof loader>();
  const decisions = page.entries.filter((entry): entry is Decision => entry.kind === "decision");
  const decidedAt = (id: string | null) => {
    const decision = decisions.find((candidate) => candidate.id === id);
    return decision ? formatDateTime(new Date(decision.at)) : null;
  };
  return (
    <>
      <BackLink to={`/referrals/${page.referralId}#sharing`}>Back to the case</BackLink>
      <span className="govuk-caption-l">Referral {page.reference}</span>
      <h1 className="govuk-heading-l">Sharing history</h1>
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-two-thirds">
          <p className="govuk-body">
            Every decision to share this young person&rsquo;s information, and every withdrawal of
            consent, oldest first. Nothing here is ever changed: a new decision replaces an earlier
            one and both are kept.
          </p>
          {page.entries.length === 0 ? (
            <p className="govuk-body">No decision to share has been recorded yet.</p>
          ) : (
            <ol className="govuk-list">
              {page.entries.map((entry) => (
                <li key={`${entry.kind}-${entry.id}`} className="govuk-!-margin-bottom-8">
                  {entry.kind === "decision" ? (
                    <DecisionEntry
                      decision={entry}
                      otherReferral={entry.referralId !== page.referralId}
                      replaces={decidedAt(entry.supersedes)}
                    />
                  ) : (
                    <WithdrawalEntry
                      withdrawal={entry}
                      otherReferral={entry.referralId !== page.referralId}
                      decidedAt={decidedAt(entry.decisionId)}
                    />
                  )}
                </li>
              ))}
            </ol>
          )}
        </div>
      </div>
    </>
  );
}

function Paragraphs({ text }: { text: string }) {
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

/**
 * One decision with every field recorded on it, in the order the form asks them: to whoever may
 * see the decision, nothing recorded is left out (issue 18). A decision not to share was not asked
 * the consent or the law, so those rows appear only when something was recorded.
 */
function DecisionEntry({
  decision,
  otherReferral,
  replaces,
}: {
  decision: Decision;
  otherReferral: boolean;
  replaces: string | null;
}) {
  const notSharing = decision.decision === "not_share";
  const items = decision.dataItems.map((item) => wordsFor(DATA_ITEMS, item)).join("; ");
  const purposes = (codes: string[]) =>
    codes.map((purpose) => wordsFor(SHARING_PURPOSE_LABELS, purpose)).join("; ");
  const row = (key: string, value: ReactNode) => ({ key, value });
  const rows = [
    row("With", decision.recipients.join("; ")),
    ...(decision.purposes.length > 0 ? [row("Why they need it", purposes(decision.purposes))] : []),
    notSharing
      ? row("Information not shared", items || "Not recorded")
      : row("Information shared", decision.decision === "share" ? "The whole case" : items),
    ...(decision.adviceFrom ? [row("Advice from", decision.adviceFrom)] : []),
    ...(decision.consentReliedOn
      ? [
          row("Consent", "Relied on"),
          row("Consent given by", wordsFor(CONSENT_GIVERS, decision.consentGivenBy)),
          row(
            "How they were found able to consent",
            decision.competenceAssessment ? (
              <Paragraphs text={decision.competenceAssessment} />
            ) : (
              "Not recorded"
            ),
          ),
          row(
            "Agencies the consent covers",
            decision.consentScope.agencies.join("; ") || "Not recorded",
          ),
          row(
            "Purposes the consent covers",
            purposes(decision.consentScope.purposes) || "Not recorded",
          ),
          row("How consent was given", wordsFor(CONSENT_FORMS, decision.consentForm)),
          row(
            "Consent ends",
            decision.consentExpiresOn ? formatDate(decision.consentExpiresOn) : "No end date given",
          ),
        ]
      : decision.consentNotSoughtReason
        ? [
            row(
              "Consent",
              `Not relied on. ${wordsFor(CONSENT_NOT_SOUGHT_REASONS, decision.consentNotSoughtReason)}`,
            ),
          ]
        : []),
    ...(decision.article6
      ? [row("Lawful basis (Article 6)", wordsFor(ARTICLE_6_BASES, decision.article6))]
      : []),
    ...(decision.article9
      ? [
          row(
            "Special-category information (Article 9)",
            wordsFor(ARTICLE_9_CONDITIONS, decision.article9),
          ),
        ]
      : []),
    ...(decision.gateway
      ? [row("Law giving a power to share", wordsFor(STATUTORY_GATEWAYS, decision.gateway))]
      : []),
    ...(decision.youngPersonViews
      ? [row("What the young person thinks", <Paragraphs text={decision.youngPersonViews} />)]
      : []),
    row("Why", <Paragraphs text={decision.rationale} />),
    ...(decision.reviewOn ? [row("Review by", formatDate(decision.reviewOn))] : []),
    ...(decision.supersedes
      ? [row("Replaces", replaces ? `The decision of ${replaces}` : "An earlier decision")]
      : []),
  ];
  return (
    <>
      <h2 className="govuk-heading-m govuk-!-margin-bottom-1">
        Decision: {wordsFor(SHARE_DECISIONS, decision.decision)}
      </h2>
      <p className="govuk-body-s">
        {formatDateTime(new Date(decision.at))}, {decision.decidedBy}, {decision.agencyName}
        {otherReferral ? `. Referral ${decision.reference}` : ""}
      </p>
      <SummaryList rows={rows} />
    </>
  );
}

function WithdrawalEntry({
  withdrawal,
  otherReferral,
  decidedAt,
}: {
  withdrawal: Withdrawal;
  otherReferral: boolean;
  decidedAt: string | null;
}) {
  return (
    <>
      <h2 className="govuk-heading-m govuk-!-margin-bottom-1">Consent withdrawn</h2>
      <p className="govuk-body-s">
        {formatDateTime(new Date(withdrawal.at))}
        {otherReferral ? `. Referral ${withdrawal.reference}` : ""}
      </p>
      <SummaryList
        rows={[
          { key: "Withdrawn by", value: wordsFor(CONSENT_GIVERS, withdrawal.withdrawnBy) },
          {
            key: "Consent given for",
            value: decidedAt ? `The decision of ${decidedAt}` : "An earlier decision",
          },
          { key: "Recorded by", value: withdrawal.recordedBy },
          ...(withdrawal.note
            ? [{ key: "Note", value: <Paragraphs text={withdrawal.note} /> }]
            : []),
        ]}
      />
    </>
  );
}
