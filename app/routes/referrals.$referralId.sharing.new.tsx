import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { requireActorForRecord } from "~/auth/session.server";
import { readForm, uuidParam } from "~/forms.server";
import { serviceCall } from "~/http.server";
import { getDecisionForm, recordDecisionToShare } from "~/services/decisions-to-share.server";
import { InvalidInput } from "~/services/errors";
import { BackLink } from "~/ui/back-link";
import {
  DecisionFields,
  decisionErrors,
  emptyDecisionAnswers,
  readDecisionForm,
} from "~/ui/decision-form";
import { Button, ErrorSummary } from "~/ui/form";

export const meta: MetaFunction = () => [{ title: "Record a decision to share – Crosswalk" }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const ctx = await requireActorForRecord(
    request,
    context,
    { type: "referral", id: params.referralId },
    "sharing.record_decision",
  );
  const id = uuidParam(params, "referralId");
  const returnTo = new URL(request.url).searchParams.get("returnTo") === "check" ? "check" : null;
  try {
    const form = await serviceCall(() => getDecisionForm(ctx, id));
    return { ...form, returnTo };
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
  const back =
    page.returnTo === "check"
      ? `/referrals/${page.referralId}/draft/check`
      : `/referrals/${page.referralId}#sharing`;
  const query = page.returnTo === "check" ? "?returnTo=check" : "";
  return (
    <>
      <BackLink to={back}>{page.returnTo === "check" ? "Back" : "Back to the case"}</BackLink>
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-two-thirds">
          <ErrorSummary errors={errors} />
          <span className="govuk-caption-l">
            Referral {page.reference}
            {page.youngPersonName ? ` · ${page.youngPersonName}` : null}
          </span>
          <h1 className="govuk-heading-l">Record a decision to share</h1>
          <p className="govuk-body">
            Every time {page.youngPersonName ?? "the young person"}&rsquo;s information is shared
            with another agency, or you decide not to share it, record the decision here. It is kept
            for good: a later decision replaces it but never overwrites it.
          </p>
          <p className="govuk-body">
            The information came from {page.sourceAgency.name}. If you are not sure, ask your
            designated safeguarding lead before you decide.
          </p>
          <Form
            method="post"
            action={`/referrals/${page.referralId}/sharing/new${query}`}
            noValidate
          >
            {page.returnTo === "check" ? (
              <input type="hidden" name="returnTo" value="check" />
            ) : null}
            <DecisionFields
              answers={result?.answers ?? emptyDecisionAnswers()}
              errors={errors}
              dateParts={result?.dateParts ?? []}
              agencies={page.agencies}
              youngPersonAge={page.youngPersonAge}
              current={page.current}
            />
            <Button>Record the decision</Button>
          </Form>
        </div>
      </div>
    </>
  );
}
