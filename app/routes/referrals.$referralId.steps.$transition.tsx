import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { requireActorForRecord } from "~/auth/session.server";
import { readForm, uuidParam } from "~/forms.server";
import { serviceCall } from "~/http.server";
import { InvalidInput } from "~/services/errors";
import {
  acceptReferral,
  closeReferral,
  declineReferral,
  escalateReferral,
  prepareStep,
  referToPanel,
  routeReferral,
  screenReferral,
  withdrawReferral,
} from "~/services/referral-steps.server";
import { BackLink } from "~/ui/back-link";
import { Button, ErrorSummary } from "~/ui/form";
import {
  isStepPage,
  parseStepForm,
  STEP_PAGES,
  StepFields,
  type StepPage,
} from "~/ui/referral-step-forms";
import { PostForm } from "~/ui/post-form";

export const meta: MetaFunction<typeof loader> = ({ data: page }) => [
  { title: `${page ? STEP_PAGES[page.transition].title : "Referral"} – Crosswalk` },
];

function transitionParam(params: Record<string, string | undefined>): StepPage {
  if (!isStepPage(params.transition)) throw data(null, { status: 404 });
  return params.transition;
}

const STEP_ACTIONS = Object.values(STEP_PAGES).map((page) => page.action);

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const ctx = await requireActorForRecord(
    request,
    context,
    { type: "referral", id: params.referralId },
    ...STEP_ACTIONS,
  );
  const transition = transitionParam(params);
  const id = uuidParam(params, "referralId");
  const form = await serviceCall(() => prepareStep(ctx, id, transition));
  return { transition, ...form };
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const ctx = await requireActorForRecord(
    request,
    context,
    { type: "referral", id: params.referralId },
    ...STEP_ACTIONS,
  );
  const transition = transitionParam(params);
  const id = uuidParam(params, "referralId");
  const form = await readForm(request);
  const parsed = parseStepForm(transition, form);
  if (parsed.kind === "malformed") throw data("The form could not be read.", { status: 400 });
  if (parsed.kind === "invalid") {
    return data({ answers: parsed.answers, errors: parsed.errors }, { status: 400 });
  }
  const input = parsed.input;
  try {
    await serviceCall(() => {
      switch (input.transition) {
        case "screen":
          return screenReferral(ctx, id, input);
        case "route":
          return routeReferral(ctx, id, input);
        case "accept":
          return acceptReferral(ctx, id, input);
        case "decline":
          return declineReferral(ctx, id, input);
        case "refer_to_panel":
          return referToPanel(ctx, id, input);
        case "close":
          return closeReferral(ctx, id, input);
        case "escalate":
          return escalateReferral(ctx, id, input);
        case "withdraw":
          return withdrawReferral(ctx, id, input);
      }
    });
  } catch (error) {
    if (!(error instanceof InvalidInput)) throw error;
    return data({ answers: parsed.answers, errors: error.errors }, { status: 400 });
  }
  throw redirect(`/referrals/${id}?done=${transition}`);
}

export default function StepPageView() {
  const page = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const definition = STEP_PAGES[page.transition];
  const errors = result?.errors ?? [];
  const { referral } = page;
  return (
    <>
      <BackLink to={`/referrals/${referral.id}`}>Back to the referral</BackLink>
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-two-thirds">
          <ErrorSummary errors={errors} />
          <span className="govuk-caption-l">
            Referral {referral.reference}
            {referral.youngPerson ? `: ${referral.youngPerson.name}` : ""}
          </span>
          <h1 className="govuk-heading-l">{definition.title}</h1>
          <PostForm action={`/referrals/${referral.id}/steps/${page.transition}`} noValidate>
            <input type="hidden" name="version" value={referral.version} />
            <StepFields
              transition={page.transition}
              referral={referral}
              choices={page.choices}
              openActions={page.openActions}
              answers={result?.answers ?? null}
              errors={errors}
            />
            <Button>{definition.button}</Button>
          </PostForm>
        </div>
      </div>
    </>
  );
}
