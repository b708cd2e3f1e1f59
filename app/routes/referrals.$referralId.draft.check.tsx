import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import type { ReactNode } from "react";
import { z } from "zod";
import { CONCERN_ROLES, RISK_INDICATORS, SEVERITIES, THEMES, URGENCIES } from "../../policies";
import { requireActorForRecord } from "~/auth/session.server";
import { readForm, uuidParam } from "~/forms.server";
import { serviceCall } from "~/http.server";
import { getDecisionForm } from "~/services/decisions-to-share.server";
import { InvalidInput } from "~/services/errors";
import { draftProblems, type DraftProblem } from "~/services/referral-draft";
import { discardDraft, getDraft, submitReferral } from "~/services/referrals.server";
import { formatDate } from "~/ui/dates";
import { ActionButton, Button, ErrorSummary } from "~/ui/form";
import { WarningText } from "~/ui/warning-text";
import { PostForm } from "~/ui/post-form";

export const meta: MetaFunction = () => [
  { title: "Check your answers before sending the referral – Crosswalk" },
];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const ctx = await requireActorForRecord(
    request,
    context,
    { type: "referral", id: params.referralId },
    "referral.edit_draft",
  );
  const id = uuidParam(params, "referralId");
  const draft = await serviceCall(() => getDraft(ctx, id));
  // The decision to share is a record of its own, not one of the draft's answers; there is none to
  // make until the draft says who it is about.
  const decisions = draft.youngPerson
    ? // The draft's read is recorded once, by getDraft: one page, one event.
      (await serviceCall(() => getDecisionForm(ctx, id, { recordView: false }))).current
    : null;
  return { ...draft, decisions };
}

const CheckSchema = z.object({
  intent: z.enum(["submit", "discard"]),
  version: z.coerce.number().int().positive(),
});

export async function action({ request, context, params }: ActionFunctionArgs) {
  const ctx = await requireActorForRecord(
    request,
    context,
    { type: "referral", id: params.referralId },
    "referral.submit",
    "referral.edit_draft",
  );
  const id = uuidParam(params, "referralId");
  const form = await readForm(request);
  const parsed = CheckSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) throw data("The form could not be read.", { status: 400 });
  const { intent, version } = parsed.data;
  if (intent === "discard") {
    await serviceCall(() => discardDraft(ctx, id, version));
    throw redirect("/referrals/new?done=draft-discarded");
  }
  try {
    await serviceCall(() => submitReferral(ctx, id, version));
  } catch (error) {
    if (!(error instanceof InvalidInput)) throw error;
    return data({ problems: error.errors as DraftProblem[] }, { status: 400 });
  }
  throw redirect(`/referrals/${id}?done=submitted`);
}

function Row({ label, value, change }: { label: string; value: ReactNode; change: string }) {
  return (
    <div className="govuk-summary-list__row">
      <dt className="govuk-summary-list__key">{label}</dt>
      <dd className="govuk-summary-list__value">{value}</dd>
      <dd className="govuk-summary-list__actions">
        <Link className="govuk-link" to={change}>
          Change<span className="govuk-visually-hidden"> {label.toLowerCase()}</span>
        </Link>
      </dd>
    </div>
  );
}

function Missing() {
  return <strong className="govuk-tag govuk-tag--red">Not answered yet</strong>;
}

function Paragraphs({ text }: { text: string | null }) {
  if (!text) return <Missing />;
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

export default function CheckAnswers() {
  const draft = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const { answers, youngPerson } = draft;
  const step = (name: string) => `/referrals/${draft.id}/draft/${name}?returnTo=check`;
  const problems = result?.problems ?? [];
  const decisionMissing = !draft.decisions?.length;
  const outstanding = draftProblems(answers).length + (decisionMissing ? 1 : 0);
  const decide = `/referrals/${draft.id}/sharing/new?returnTo=check`;
  return (
    <div className="govuk-grid-row">
      <div className="govuk-grid-column-two-thirds">
        <ErrorSummary
          errors={problems.map((problem) => ({
            field: problem.field,
            message: problem.message,
            // Back here once the decision is recorded.
            href:
              problem.field === "decision"
                ? decide
                : (problem.href ?? `${step(problem.step)}#${problem.field}`),
          }))}
        />
        <span className="govuk-caption-l">Referral {draft.reference}</span>
        <h1 className="govuk-heading-l">Check your answers before sending the referral</h1>

        <h2 className="govuk-heading-m">The young person</h2>
        <dl className="govuk-summary-list govuk-!-margin-bottom-9">
          <Row
            label="Young person"
            change={step("young-person")}
            value={
              youngPerson ? (
                <>
                  {youngPerson.name}
                  <br />
                  {youngPerson.dateOfBirth
                    ? `Born ${formatDate(youngPerson.dateOfBirth)}`
                    : "Date of birth not known"}
                  {youngPerson.postcodeDistrict ? `, ${youngPerson.postcodeDistrict}` : ""}
                </>
              ) : (
                <Missing />
              )
            }
          />
        </dl>

        <h2 className="govuk-heading-m">The concern</h2>
        <dl className="govuk-summary-list govuk-!-margin-bottom-9">
          <Row
            label="Role in the concern"
            change={step("concern")}
            value={
              answers.concernRoles.length ? (
                answers.concernRoles.map((role) => CONCERN_ROLES[role]).join("; ")
              ) : (
                <Missing />
              )
            }
          />
          <Row
            label="Strategy themes"
            change={step("concern")}
            value={
              answers.themes.length ? (
                answers.themes.map((theme) => THEMES[theme]).join("; ")
              ) : (
                <Missing />
              )
            }
          />
          <Row
            label="Concern"
            change={step("concern")}
            value={<Paragraphs text={answers.concern} />}
          />
          <Row
            label="Risk indicators"
            change={step("risks")}
            value={
              answers.riskIndicators.length ? (
                <ul className="govuk-list">
                  {answers.riskIndicators.map((entry) => (
                    <li key={entry.code}>
                      {RISK_INDICATORS[entry.code]}: {SEVERITIES[entry.severity].toLowerCase()}
                    </li>
                  ))}
                </ul>
              ) : (
                <Missing />
              )
            }
          />
          <Row
            label="What the young person knows"
            change={step("knowledge")}
            value={<Paragraphs text={answers.youngPersonKnows} />}
          />
          <Row
            label="What their family knows"
            change={step("knowledge")}
            value={<Paragraphs text={answers.familyKnows} />}
          />
        </dl>

        <h2 className="govuk-heading-m">Safety and where it goes</h2>
        <dl className="govuk-summary-list govuk-!-margin-bottom-9">
          <Row
            label="In immediate danger"
            change={step("safety")}
            value={
              answers.immediateDanger === null ? (
                <Missing />
              ) : answers.immediateDanger === "yes" ? (
                <>
                  Yes
                  <Paragraphs text={answers.immediateAction} />
                </>
              ) : (
                "No"
              )
            }
          />
          <Row
            label="Urgency"
            change={step("safety")}
            value={answers.urgency ? URGENCIES[answers.urgency] : <Missing />}
          />
          <Row
            label="Send to"
            change={step("destination")}
            value={
              answers.destination === null ? (
                <Missing />
              ) : answers.destination === "hub" ? (
                "The partnership hub"
              ) : (
                (draft.destinationAgencyName ?? <Missing />)
              )
            }
          />
        </dl>

        <h2 className="govuk-heading-m">Decision to share</h2>
        <dl className="govuk-summary-list govuk-!-margin-bottom-9">
          <div className="govuk-summary-list__row">
            <dt className="govuk-summary-list__key">Decision to share</dt>
            <dd className="govuk-summary-list__value">
              {draft.decisions === null ? (
                "Find the young person first"
              ) : draft.decisions.length === 0 ? (
                <strong className="govuk-tag govuk-tag--red">Not recorded yet</strong>
              ) : (
                <ul className="govuk-list">
                  {draft.decisions.map((decision) => (
                    <li key={decision.id}>{decision.summary}</li>
                  ))}
                </ul>
              )}
            </dd>
            <dd className="govuk-summary-list__actions">
              {draft.decisions === null ? null : (
                <Link className="govuk-link" to={decide}>
                  {decisionMissing ? "Record the decision to share" : "Record a new decision"}
                  {decisionMissing ? null : (
                    <span className="govuk-visually-hidden"> to share</span>
                  )}
                </Link>
              )}
            </dd>
          </div>
        </dl>

        {answers.immediateDanger === "yes" ? (
          <WarningText>
            You said the young person is in immediate danger. If you have not already, call 999 now.
          </WarningText>
        ) : null}
        <h2 className="govuk-heading-m">Now send the referral</h2>
        <p className="govuk-body">
          The partnership hub will see it at once and screen it. You can follow it, and see its
          outcome, under &ldquo;Referrals I made&rdquo;.
        </p>
        {outstanding > 0 && problems.length === 0 ? (
          <p className="govuk-body">
            {outstanding} answer{outstanding === 1 ? " is" : "s are"} still missing.
          </p>
        ) : null}
        <PostForm action={`/referrals/${draft.id}/draft/check`}>
          <input type="hidden" name="version" value={draft.version} />
          <div className="govuk-button-group">
            <Button name="intent" value="submit">
              Send referral
            </Button>
          </div>
        </PostForm>
        <PostForm action={`/referrals/${draft.id}/draft/check`}>
          <input type="hidden" name="version" value={draft.version} />
          <ActionButton variant="warning" name="intent" value="discard">
            Discard this draft
          </ActionButton>
        </PostForm>
      </div>
    </div>
  );
}
