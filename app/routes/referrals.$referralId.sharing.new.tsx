import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { SHARE_DECISIONS } from "../../policies";
import { requireActorForRecord } from "~/auth/session.server";
import { readForm, uuidParam } from "~/forms.server";
import { serviceCall } from "~/http.server";
import { getDecisionForm, recordDecisionToShare } from "~/services/decisions-to-share.server";
import { InvalidInput } from "~/services/errors";
import { BackLink } from "~/ui/back-link";
import {
  DecisionChoice,
  DecisionFields,
  decisionErrors,
  emptyDecisionAnswers,
  readDecisionForm,
  shareDecisionOf,
} from "~/ui/decision-form";
import { Button, ErrorSummary } from "~/ui/form";
import { PostForm } from "~/ui/post-form";

export const meta: MetaFunction<typeof loader> = ({ data: page }) => [
  {
    title: `${page?.decision === "not_share" ? "Record a decision not to share" : "Record a decision to share"} – Crosswalk`,
  },
];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const ctx = await requireActorForRecord(
    request,
    context,
    { type: "referral", id: params.referralId },
    "sharing.record_decision",
  );
  const id = uuidParam(params, "referralId");
  const query = new URL(request.url).searchParams;
  const returnTo = query.get("returnTo") === "check" ? "check" : null;
  // The first question is answered on a page of its own (a GET form): its answer chooses which
  // questions come next. Continuing without an answer asks it again, with the error.
  const decision = shareDecisionOf(query.get("decision"));
  const unanswered = decision === null && query.get("step") === "decision";
  try {
    const form = await serviceCall(() => getDecisionForm(ctx, id));
    return { ...form, returnTo, decision, unanswered };
  } catch (error) {
    // A draft not yet about anyone: there is no one to decide about until the author says who.
    if (error instanceof InvalidInput) throw redirect(`/referrals/${id}/draft/check`);
    throw error;
  }
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const ctx = await requireActorForRecord(
    request,
    context,
    { type: "referral", id: params.referralId },
    "sharing.record_decision",
  );
  const id = uuidParam(params, "referralId");
  const read = readDecisionForm(await readForm(request));
  if (read.kind === "malformed") throw data("The form could not be read.", { status: 400 });
  if (read.kind === "invalid") {
    const { answers, errors, dateParts } = read;
    return data({ answers, errors, dateParts }, { status: 400 });
  }
  try {
    await serviceCall(() => recordDecisionToShare(ctx, id, read.input));
  } catch (error) {
    if (!(error instanceof InvalidInput)) throw error;
    const errors = decisionErrors(error.errors);
    return data({ answers: read.answers, errors, dateParts: [] }, { status: 400 });
  }
  throw redirect(
    read.returnTo === "check"
      ? `/referrals/${id}/draft/check`
      : `/referrals/${id}?done=decision-recorded#sharing`,
  );
}

export default function RecordDecision() {
  const page = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const errors = result?.errors ?? [];
  const decision = shareDecisionOf(result?.answers.decision) ?? page.decision;
  const casePath = `/referrals/${page.referralId}`;
  const formPath = `${casePath}/sharing/new`;
  const back = page.returnTo === "check" ? `${casePath}/draft/check` : `${casePath}#sharing`;
  const query = (chosen: string | null) => {
    const search = new URLSearchParams();
    if (chosen) search.set("decision", chosen);
    if (page.returnTo) search.set("returnTo", page.returnTo);
    const text = search.toString();
    return text ? `?${text}` : "";
  };
  const choiceErrors = page.unanswered
    ? [{ field: "decision", message: "Select whether you will share the information" }]
    : errors.filter((error) => error.field === "decision");
  return (
    <>
      {decision ? (
        <BackLink to={`${formPath}${query(null)}`}>Back</BackLink>
      ) : (
        <BackLink to={back}>{page.returnTo === "check" ? "Back" : "Back to the case"}</BackLink>
      )}
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-two-thirds">
          <ErrorSummary errors={decision ? errors : choiceErrors} />
          <span className="govuk-caption-l">
            Referral {page.reference}
            {page.youngPersonName ? ` · ${page.youngPersonName}` : null}
          </span>
          <h1 className="govuk-heading-l">
            {decision === "not_share"
              ? "Record a decision not to share"
              : "Record a decision to share"}
          </h1>
          {decision === null ? (
            <>
              <p className="govuk-body">
                Every time {page.youngPersonName ?? "the young person"}&rsquo;s information is
                shared with another agency, or you decide not to share it, record the decision here.
                It is kept for good: a later decision replaces it but never overwrites it.
              </p>
              <p className="govuk-body">
                The information came from {page.sourceAgency.name}. If you are not sure, ask your
                designated safeguarding lead before you decide.
              </p>
              <Form method="get" action={formPath} noValidate>
                <input type="hidden" name="step" value="decision" />
                {page.returnTo === "check" ? (
                  <input type="hidden" name="returnTo" value="check" />
                ) : null}
                <DecisionChoice
                  value={result?.answers.decision ?? ""}
                  error={choiceErrors.find((error) => error.field === "decision")?.message}
                />
                <Button>Continue</Button>
              </Form>
            </>
          ) : (
            <>
              <p className="govuk-body">
                Your decision: {SHARE_DECISIONS[decision]}.{" "}
                <Link className="govuk-link" to={`${formPath}${query(null)}`}>
                  Change<span className="govuk-visually-hidden"> your decision</span>
                </Link>
              </p>
              {decision === "not_share" ? (
                <p className="govuk-body">
                  A decision not to share is recorded too, and seen only by your agency and the
                  partnership&rsquo;s leads. Nothing is shared, so you are not asked for a lawful
                  basis.
                </p>
              ) : null}
              <PostForm action={`${formPath}${query(decision)}`} noValidate>
                {page.returnTo === "check" ? (
                  <input type="hidden" name="returnTo" value="check" />
                ) : null}
                <DecisionFields
                  decision={decision}
                  answers={result?.answers ?? emptyDecisionAnswers()}
                  errors={errors}
                  dateParts={result?.dateParts ?? []}
                  agencies={page.agencies}
                  youngPersonAge={page.youngPersonAge}
                  current={page.current}
                />
                <Button>Record the decision</Button>
              </PostForm>
            </>
          )}
        </div>
      </div>
    </>
  );
}
