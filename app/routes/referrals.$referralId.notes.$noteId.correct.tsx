import { parseWithZod } from "@conform-to/zod/v4";
import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { requireActorForRecord } from "~/auth/session.server";
import { readForm, uuidParam } from "~/forms.server";
import { serviceCall } from "~/http.server";
import { correctNote, getNoteForCorrection } from "~/services/case-work.server";
import { InvalidInput } from "~/services/errors";
import { BackLink } from "~/ui/back-link";
import { Button, ErrorSummary } from "~/ui/form";
import {
  NoteFields,
  NoteSchema,
  noteAnswers,
  noteErrors,
  noteInputOf,
  savedNoteAnswers,
} from "~/ui/note-form";
import { asTyped, plainText } from "~/ui/plain-text";
import { Textarea } from "~/ui/textarea";
import { PostForm } from "~/ui/post-form";

export const meta: MetaFunction = () => [{ title: "Correct a note – Crosswalk" }];

// safeExtend keeps the note's date checks.
const CorrectionSchema = NoteSchema.safeExtend({
  reason: plainText("Why you are correcting this note", {
    error: "Enter why you are correcting this note",
  })
    .trim()
    .min(1, "Enter why you are correcting this note")
    .max(1_000, "Why you are correcting this note must be 1,000 characters or fewer"),
  version: z.coerce.number().int().positive(),
});

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const ctx = await requireActorForRecord(
    request,
    context,
    { type: "referral", id: params.referralId },
    "note.correct",
  );
  const referralId = uuidParam(params, "referralId");
  const noteId = uuidParam(params, "noteId");
  const note = await serviceCall(() => getNoteForCorrection(ctx, referralId, noteId));
  return { referralId, noteId, note, agencyName: ctx.actor.agencyName };
}

function correctionAnswers(form: FormData) {
  return { ...noteAnswers(form), reason: asTyped(form.get("reason"), 1_000) };
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const ctx = await requireActorForRecord(
    request,
    context,
    { type: "referral", id: params.referralId },
    "note.correct",
  );
  const referralId = uuidParam(params, "referralId");
  const noteId = uuidParam(params, "noteId");
  const form = await readForm(request);
  const submission = parseWithZod(form, { schema: CorrectionSchema });
  if (submission.status !== "success") {
    const reply = submission.reply();
    // The version is the page's own hidden field: without a readable one the form was not ours.
    if (reply.error?.version) throw data("The form could not be read.", { status: 400 });
    const { errors, dateParts } = noteErrors(reply.error, ["reason"]);
    return data(
      { answers: correctionAnswers(form), version: Number(form.get("version")), errors, dateParts },
      { status: 400 },
    );
  }
  const { reason, version } = submission.value;
  try {
    await serviceCall(() =>
      correctNote(ctx, referralId, noteId, {
        ...noteInputOf(submission.value),
        reason,
        version,
      }),
    );
  } catch (error) {
    if (!(error instanceof InvalidInput)) throw error;
    return data(
      { answers: correctionAnswers(form), version, errors: error.errors, dateParts: [] },
      { status: 400 },
    );
  }
  throw redirect(`/referrals/${referralId}?done=note-corrected#case-work`);
}

export default function CorrectNote() {
  const { referralId, noteId, note, agencyName } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const errors = result?.errors ?? [];
  const casePath = `/referrals/${referralId}`;
  return (
    <>
      <BackLink to={`${casePath}#case-work`}>Back to the case</BackLink>
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-two-thirds">
          <ErrorSummary errors={errors} />
          <span className="govuk-caption-l">Case work</span>
          <h1 className="govuk-heading-l">Correct a note</h1>
          <p className="govuk-body">
            Notes are never changed silently. The version you are correcting is kept, with your
            reason, and shown beside the note to everyone who can read it.
          </p>
          {note.visibility === "agency_only" ? (
            <p className="govuk-body">
              If you now share this note with every agency involved, the versions only your agency
              could read stay within your agency.
            </p>
          ) : null}
          <PostForm action={`${casePath}/notes/${noteId}/correct`} noValidate>
            {/* Shown again after an error, the form still names the version the person corrected. */}
            <input type="hidden" name="version" value={result?.version ?? note.version} />
            <NoteFields
              answers={result?.answers ?? savedNoteAnswers(note)}
              errors={errors}
              dateParts={result?.dateParts ?? []}
              agencyName={agencyName}
            />
            <Textarea
              id="reason"
              label="Why are you correcting this note?"
              labelSize="m"
              hint="For example, the wrong date was recorded, or a name was misspelt"
              rows={3}
              value={result?.answers.reason ?? ""}
              error={errors.find((error) => error.field === "reason")?.message}
            />
            <Button>Save correction</Button>
          </PostForm>
        </div>
      </div>
    </>
  );
}
