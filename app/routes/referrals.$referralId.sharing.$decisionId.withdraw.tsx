import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { SHARE_DECISIONS } from "../../policies";
import { requireActorForRecord } from "~/auth/session.server";
import { readForm, uuidParam } from "~/forms.server";
import { serviceCall } from "~/http.server";
import { getWithdrawalForm, withdrawConsent } from "~/services/decisions-to-share.server";
import { InvalidInput } from "~/services/errors";
import { BackLink } from "~/ui/back-link";
import { todayInLondon } from "~/ui/dates";
import {
  WithdrawalFields,
  newWithdrawalAnswers,
  readWithdrawalForm,
  withdrawalErrors,
} from "~/ui/decision-form";
import { Button, ErrorSummary } from "~/ui/form";
import { PostForm } from "~/ui/post-form";

export const meta: MetaFunction = () => [
  { title: "Record that consent was withdrawn – Crosswalk" },
];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const ctx = await requireActorForRecord(
    request,
    context,
    { type: "referral", id: params.referralId },
    "consent.withdraw",
  );
  const referralId = uuidParam(params, "referralId");
  const decisionId = uuidParam(params, "decisionId");
  const form = await serviceCall(() => getWithdrawalForm(ctx, referralId, decisionId));
  return {
    referralId,
    reference: form.reference,
    youngPersonName: form.youngPersonName,
    decision: {
      id: form.decision.id,
      summary: `${SHARE_DECISIONS[form.decision.decision]} with ${form.decision.recipients.join(", ")}`,
    },
    caseOpen: form.caseOpen,
    effects: form.effects,
    today: todayInLondon(),
  };
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const ctx = await requireActorForRecord(
    request,
    context,
    { type: "referral", id: params.referralId },
    "consent.withdraw",
  );
  const referralId = uuidParam(params, "referralId");
  const decisionId = uuidParam(params, "decisionId");
  const read = readWithdrawalForm(await readForm(request));
  if (read.kind === "malformed") throw data("The form could not be read.", { status: 400 });
  if (read.kind === "invalid") {
    const { answers, errors, dateParts } = read;
    return data({ answers, errors, dateParts }, { status: 400 });
  }
  try {
    await serviceCall(() => withdrawConsent(ctx, referralId, decisionId, read.input));
  } catch (error) {
    if (!(error instanceof InvalidInput)) throw error;
    const errors = withdrawalErrors(error.errors);
    return data({ answers: read.answers, errors, dateParts: [] }, { status: 400 });
  }
  throw redirect(`/referrals/${referralId}?done=consent-withdrawn#sharing`);
}

export default function WithdrawConsent() {
  const page = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const errors = result?.errors ?? [];
  const casePath = `/referrals/${page.referralId}`;
  return (
    <>
      <BackLink to={`${casePath}#sharing`}>Back to the case</BackLink>
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-two-thirds">
          <ErrorSummary errors={errors} />
          <span className="govuk-caption-l">
            Referral {page.reference}
            {page.youngPersonName ? ` · ${page.youngPersonName}` : null}
          </span>
          <h1 className="govuk-heading-l">Record that consent was withdrawn</h1>
          <p className="govuk-body">
            The decision that relied on this consent: {page.decision.summary}.
          </p>
          <WithdrawalEffects page={page} />
          <PostForm action={`${casePath}/sharing/${page.decision.id}/withdraw`} noValidate>
            <WithdrawalFields
              answers={result?.answers ?? newWithdrawalAnswers(page.today)}
              errors={errors}
              dateParts={result?.dateParts ?? []}
            />
            <Button>Record the withdrawal</Button>
          </PostForm>
        </div>
      </div>
    </>
  );
}

const READS = {
  as_at_withdrawal:
    "can still read the case as it was when consent was withdrawn, and nothing newer",
  still_covered: "still reads the case under another decision to share",
  nothing: "cannot read the case",
} as const;

/**
 * What recording the withdrawal does, before the person records it: nothing further is shared on
 * this consent, and each agency it covered reads what the access matrix still allows.
 */
function WithdrawalEffects({ page }: { page: ReturnType<typeof useLoaderData<typeof loader>> }) {
  return (
    <>
      <h2 className="govuk-heading-m">What this does</h2>
      <p className="govuk-body">
        From the date consent was withdrawn, nothing more is shared on this consent. It is not
        retrospective: what agencies saw before stays in their records.
      </p>
      {page.effects.length > 0 ? (
        <ul className="govuk-list govuk-list--bullet">
          {page.effects.map((effect) => (
            <li key={effect.agencyName}>
              {effect.agencyName} {READS[effect.reads]}
              {effect.rule ? ` (the access matrix: ${lowerFirst(effect.rule)})` : ""}.
            </li>
          ))}
        </ul>
      ) : null}
      <p className="govuk-body">
        {page.caseOpen
          ? "The referrer and the partnership lead will be asked to record a new decision, which may rely on another basis."
          : "The case is closed: nothing new is added to it and no new decision to share is recorded on it. The withdrawal is kept in the sharing history."}{" "}
        <Link className="govuk-link" to="/access-matrix">
          See the access matrix
        </Link>
      </p>
    </>
  );
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
