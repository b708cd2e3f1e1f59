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
import { getYoungPersonForCorrection, updateYoungPerson } from "~/services/young-people.server";
import { BackLink } from "~/ui/back-link";
import { dateAnswerOf } from "~/ui/date-input";
import { todayInLondon } from "~/ui/dates";
import { Button, ErrorSummary, type FieldError } from "~/ui/form";
import { asTyped, isPlainText, untypableMessage } from "~/ui/plain-text";
import { Textarea } from "~/ui/textarea";
import {
  OtherDetailFields,
  parseYoungPerson,
  SearchFields,
  youngPersonAnswers,
  type YoungPersonAnswers,
} from "~/ui/young-person-form";
import { PostForm } from "~/ui/post-form";

// A child's name stays out of the title, and so out of the browser's history.
export const meta: MetaFunction = () => [{ title: "Correct a young person's details – Crosswalk" }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const ctx = await requireActorForRecord(
    request,
    context,
    { type: "young_person", id: params.youngPersonId },
    "young_person.edit",
  );
  const id = uuidParam(params, "youngPersonId");
  const person = await serviceCall(() => getYoungPersonForCorrection(ctx, id));
  const answers: YoungPersonAnswers = {
    givenName: person.givenName,
    familyName: person.familyName,
    knownAs: person.knownAs ?? "",
    dateOfBirth: dateAnswerOf(person.dateOfBirth),
    gender: person.gender ?? "",
    postcodeDistrict: person.postcodeDistrict ?? "",
    school: person.school ?? "",
    nhsNumber: person.nhsNumber ?? "",
    uniquePupilNumber: person.uniquePupilNumber ?? "",
    policeReference: person.policeReference ?? "",
  };
  return { id: person.id, version: person.version, answers };
}

const REASON_MAX = 1_000;

export async function action({ request, context, params }: ActionFunctionArgs) {
  const ctx = await requireActorForRecord(
    request,
    context,
    { type: "young_person", id: params.youngPersonId },
    "young_person.edit",
  );
  const id = uuidParam(params, "youngPersonId");
  const form = await readForm(request);
  const version = Number(form.get("version"));
  if (!Number.isInteger(version) || version < 1)
    throw data("The form could not be read.", { status: 400 });
  const answers = youngPersonAnswers(form);
  const reasonValue = form.get("reason");
  const reason = typeof reasonValue === "string" ? reasonValue.trim() : "";
  const parsed = parseYoungPerson(answers, todayInLondon());
  const errors: FieldError[] = "errors" in parsed ? [...parsed.errors] : [];
  if (reason === "")
    errors.push({ field: "reason", message: "Say why you are correcting these details" });
  else if (reason.length > REASON_MAX)
    errors.push({ field: "reason", message: "The reason must be 1,000 characters or fewer" });
  else if (!isPlainText(reason))
    errors.push({ field: "reason", message: untypableMessage("The reason") });
  if (errors.length > 0 || "errors" in parsed) {
    return data({ answers, reason: asTyped(reason, REASON_MAX), errors }, { status: 400 });
  }
  await serviceCall(() => updateYoungPerson(ctx, id, { details: parsed.value, version, reason }));
  throw redirect(`/young-people/${id}`);
}

export default function CorrectYoungPerson() {
  const page = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const answers = result?.answers ?? page.answers;
  const errors = result?.errors ?? [];
  return (
    <>
      <BackLink to={`/young-people/${page.id}`}>Back to their record</BackLink>
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-two-thirds">
          <ErrorSummary errors={errors} />
          <span className="govuk-caption-l">Young person</span>
          <h1 className="govuk-heading-l">Correct their details</h1>
          <p className="govuk-body">
            The details as they were are kept with your reason, and every agency involved sees the
            corrected ones.
          </p>
          <PostForm action={`/young-people/${page.id}/edit`} noValidate>
            <input type="hidden" name="version" value={page.version} />
            <SearchFields answers={answers} errors={errors} />
            <OtherDetailFields answers={answers} errors={errors} />
            <Textarea
              id="reason"
              label="Why are you correcting these details?"
              value={result?.reason}
              error={errors.find((error) => error.field === "reason")?.message}
              rows={3}
            />
            <Button>Save the correction</Button>
          </PostForm>
        </div>
      </div>
    </>
  );
}
