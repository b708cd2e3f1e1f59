import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import {
  useActionData,
  useLoaderData,
  useSearchParams,
  type ShouldRevalidateFunction,
} from "@remix-run/react";
import { requireActorForRecord } from "~/auth/session.server";
import { readForm, uuidParam } from "~/forms.server";
import { serviceCall } from "~/http.server";
import { InvalidInput } from "~/services/errors";
import { draftProblems, type DraftAnswers } from "~/services/referral-draft";
import { getDraft, saveDraft } from "~/services/referrals.server";
import { BackLink } from "~/ui/back-link";
import { Button, ErrorSummary, type FieldError } from "~/ui/form";
import { NotificationBanner } from "~/ui/notification-banner";
import { useDraftAutosave } from "~/ui/use-draft-autosave";
import { asTyped } from "~/ui/plain-text";
import {
  DRAFT_TEXT_LIMITS,
  MalformedAnswer,
  NEXT_STEP,
  QUESTION_STEPS,
  readStep,
  STEP_TITLES,
  StepQuestions,
  type QuestionStep,
} from "~/ui/referral-questions";
import { PostForm } from "~/ui/post-form";

export const meta: MetaFunction<typeof loader> = ({ data: page }) => [
  { title: `${page ? STEP_TITLES[page.step] : "Referral"} – Crosswalk` },
];

function stepParam(params: Record<string, string | undefined>): QuestionStep {
  const step = params.step;
  if (!(QUESTION_STEPS as readonly string[]).includes(step ?? "")) {
    throw data(null, { status: 404 });
  }
  return step as QuestionStep;
}

/** A background save changes nothing on the page: the page is not loaded again for it. */
export const shouldRevalidate: ShouldRevalidateFunction = ({
  formData,
  defaultShouldRevalidate,
}) => (formData?.get("autosave") === "yes" ? false : defaultShouldRevalidate);

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const ctx = await requireActorForRecord(
    request,
    context,
    { type: "referral", id: params.referralId },
    "referral.edit_draft",
  );
  const id = uuidParam(params, "referralId");
  const step = stepParam(params);
  const draft = await serviceCall(() => getDraft(ctx, id));
  return {
    step,
    id: draft.id,
    reference: draft.reference,
    answers: draft.answers,
    agencies: draft.agencies,
  };
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const ctx = await requireActorForRecord(
    request,
    context,
    { type: "referral", id: params.referralId },
    "referral.edit_draft",
  );
  const id = uuidParam(params, "referralId");
  const step = stepParam(params);
  const form = await readForm(request);
  let read: ReturnType<typeof readStep>;
  try {
    read = readStep(step, form);
  } catch (error) {
    if (error instanceof MalformedAnswer)
      throw data("The form could not be read.", { status: 400 });
    throw error;
  }
  // Saved first, whatever is still missing: a closed tab or a timeout later loses nothing.
  let saveErrors: FieldError[] = [];
  try {
    await serviceCall(() => saveDraft(ctx, id, read.answers));
  } catch (error) {
    if (!(error instanceof InvalidInput)) throw error;
    saveErrors = error.errors;
  }
  // A background save while the person types: nothing to check or show yet.
  if (form.get("autosave") === "yes") return data({ answers: null, errors: [] });
  const typed = { ...emptyAnswers(), ...read.answers } as DraftAnswers;
  const missing = draftProblems(typed)
    .filter((problem) => problem.step === step)
    .filter((problem) => !read.unsaved.some((error) => error.field === problem.field));
  // In the order the fields appear on the page, as the GOV.UK error summary asks.
  const errors = [...read.unsaved, ...saveErrors, ...missing]
    .map(({ field, message }) => ({ field, message }))
    .sort((a, b) => fieldPosition(step, a.field) - fieldPosition(step, b.field));
  if (errors.length > 0) {
    // Show what was typed, including answers that could not be saved (never past their limit).
    const shown = { ...typed };
    for (const error of read.unsaved) {
      const limit = DRAFT_TEXT_LIMITS[error.field as keyof DraftAnswers]?.[0] ?? 0;
      Object.assign(shown, { [error.field]: asTyped(form.get(error.field), limit) });
    }
    return data({ answers: shown, errors }, { status: 400 });
  }
  const next = form.get("returnTo") === "check" ? "check" : NEXT_STEP[step];
  const danger = step === "safety" && read.answers.immediateDanger === "yes" ? "?danger=yes" : "";
  throw redirect(`/referrals/${id}/draft/${next}${danger}`);
}

const FIELD_ORDER: Record<QuestionStep, readonly string[]> = {
  concern: ["concernRoles", "themes", "concern"],
  risks: [],
  knowledge: ["youngPersonKnows", "familyKnows"],
  safety: ["immediateDanger", "immediateAction", "urgency"],
  destination: ["destination", "destinationAgencyId"],
};

function fieldPosition(step: QuestionStep, field: string): number {
  const position = FIELD_ORDER[step].indexOf(field);
  return position === -1 ? FIELD_ORDER[step].length : position;
}

function emptyAnswers(): Omit<DraftAnswers, "youngPersonId"> & { youngPersonId: string } {
  return {
    // Only this step's answers are checked; the young person is chosen on its own page.
    youngPersonId: "chosen-elsewhere",
    concernRoles: [],
    themes: [],
    concern: null,
    riskIndicators: [],
    youngPersonKnows: null,
    familyKnows: null,
    immediateDanger: null,
    immediateAction: null,
    urgency: null,
    destination: null,
    destinationAgencyId: null,
  };
}

export default function QuestionPage() {
  const page = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const [search] = useSearchParams();
  const returnTo = search.get("returnTo") === "check";
  const answers = result?.answers ?? page.answers;
  const errors = result?.errors ?? [];
  const formAction = `/referrals/${page.id}/draft/${page.step}${returnTo ? "?returnTo=check" : ""}`;
  const form = useDraftAutosave(formAction);
  const index = QUESTION_STEPS.indexOf(page.step);
  const previous = index === 0 ? "young-person" : QUESTION_STEPS[index - 1];
  return (
    <>
      <BackLink to={`/referrals/${page.id}/draft/${returnTo ? "check" : previous}`}>Back</BackLink>
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-two-thirds">
          <ErrorSummary errors={errors} />
          {search.get("danger") === "yes" ? (
            <NotificationBanner title="Immediate danger">
              <p className="govuk-notification-banner__heading">
                You said the young person is in immediate danger. If you have not already, call 999
                now, and contact children&apos;s social care.
              </p>
              <p className="govuk-body">
                Then finish the referral: the partnership will see it as urgent.
              </p>
            </NotificationBanner>
          ) : null}
          <span className="govuk-caption-l">Referral {page.reference}</span>
          <h1 className="govuk-heading-l">{STEP_TITLES[page.step]}</h1>
          <PostForm action={formAction} noValidate ref={form}>
            {returnTo ? <input type="hidden" name="returnTo" value="check" /> : null}
            <StepQuestions
              step={page.step}
              answers={answers}
              errors={errors}
              agencies={page.agencies}
            />
            <Button>Save and continue</Button>
          </PostForm>
          <p className="govuk-body">Your answers are saved as a draft each time you continue.</p>
        </div>
      </div>
    </>
  );
}
