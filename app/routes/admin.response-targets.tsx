import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { RAG_CODES, RAG_RATINGS, type RagRating } from "../../policies";
import { requireActorFor } from "~/auth/session.server";
import { readForm } from "~/forms.server";
import { serviceCall } from "~/http.server";
import { getResponseTargets, setResponseTargets } from "~/services/partnership-settings.server";
import {
  describeTarget,
  type ResponseTarget,
  type ResponseTargets,
} from "~/services/response-targets";
import { BackLink } from "~/ui/back-link";
import { Button, ErrorSummary, TextInput, type FieldError } from "~/ui/form";
import { Select } from "~/ui/select";
import { SuccessBanner } from "~/ui/success-banner";
import { PostForm } from "~/ui/post-form";

export const meta: MetaFunction = () => [{ title: "Response targets – Crosswalk" }];

type Answers = Record<RagRating, { amount: string; unit: string }>;

function answersOf(targets: ResponseTargets): Answers {
  const answer = (target: ResponseTarget) =>
    "hours" in target
      ? { amount: String(target.hours), unit: "hours" }
      : { amount: String(target.workingDays), unit: "workingDays" };
  return { red: answer(targets.red), amber: answer(targets.amber), green: answer(targets.green) };
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const ctx = await requireActorFor(request, context, "partnership.configure");
  const targets = await serviceCall(() => getResponseTargets(ctx));
  return {
    answers: answersOf(targets),
    summary: RAG_CODES.map((rag) => describeTarget(targets[rag])),
  };
}

const LIMITS = { hours: 720, workingDays: 30 } as const;

/** Read the three targets: whole numbers, at most 720 hours or 30 working days. */
function readTargets(
  form: FormData,
): { targets: ResponseTargets } | { errors: FieldError[]; answers: Answers } {
  const answers = {} as Answers;
  const errors: FieldError[] = [];
  const targets = {} as Record<RagRating, ResponseTarget>;
  for (const rag of RAG_CODES) {
    const amountValue = form.get(`${rag}-amount`);
    const amount = typeof amountValue === "string" ? amountValue.trim() : "";
    const unitValue = form.get(`${rag}-unit`);
    const unit = typeof unitValue === "string" ? unitValue : "";
    // Shown again no longer than a number could be.
    answers[rag] = { amount: amount.slice(0, 20), unit };
    if (unit !== "hours" && unit !== "workingDays")
      throw data("The form could not be read.", { status: 400 });
    const value = Number(amount);
    const label = RAG_RATINGS[rag].toLowerCase();
    if (amount === "")
      errors.push({ field: `${rag}-amount`, message: `Enter the ${label} target` });
    else if (!/^\d+$/.test(amount) || value < 1 || value > LIMITS[unit]) {
      errors.push({
        field: `${rag}-amount`,
        message: `The ${label} target must be a whole number from 1 to ${LIMITS[unit]} ${unit === "hours" ? "hours" : "working days"}`,
      });
    } else {
      targets[rag] = unit === "hours" ? { hours: value } : { workingDays: value };
    }
  }
  return errors.length > 0 ? { errors, answers } : { targets };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const ctx = await requireActorFor(request, context, "partnership.configure");
  const read = readTargets(await readForm(request));
  if ("errors" in read) return data(read, { status: 400 });
  await serviceCall(() => setResponseTargets(ctx, read.targets));
  throw redirect("/admin/response-targets?done=targets-saved");
}

export default function ResponseTargetsPage() {
  const page = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const answers = result?.answers ?? page.answers;
  const errors = result?.errors ?? [];
  return (
    <>
      <BackLink to="/admin">Back to administration</BackLink>
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-two-thirds">
          <ErrorSummary errors={errors} />
          <SuccessBanner messages={{ "targets-saved": "Response targets saved" }} />
          <h1 className="govuk-heading-l">Response targets</h1>
          <p className="govuk-body">
            How long the partnership hub has to screen a referral, and a receiving agency to accept
            or decline one, by its RAG rating. Before screening, an urgent referral is held to the
            red target and a routine one to the green. New targets apply to referrals submitted or
            routed from now on.
          </p>
          <PostForm action="/admin/response-targets" noValidate>
            {RAG_CODES.map((rag) => (
              <fieldset className="govuk-fieldset govuk-!-margin-bottom-6" key={rag}>
                <legend className="govuk-fieldset__legend govuk-fieldset__legend--m">
                  {RAG_RATINGS[rag]}
                </legend>
                <TextInput
                  id={`${rag}-amount`}
                  label="How long"
                  inputMode="numeric"
                  defaultValue={answers[rag].amount}
                  error={errors.find((error) => error.field === `${rag}-amount`)?.message}
                />
                <Select
                  id={`${rag}-unit`}
                  label="Counted in"
                  value={answers[rag].unit}
                  choices={[
                    { value: "hours", label: "Hours" },
                    { value: "workingDays", label: "Working days (Monday to Friday)" },
                  ]}
                />
              </fieldset>
            ))}
            <Button>Save response targets</Button>
          </PostForm>
        </div>
      </div>
    </>
  );
}
