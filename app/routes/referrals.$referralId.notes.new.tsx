import { parseWithZod } from "@conform-to/zod/v4";
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
import { addNote, getCaseWorkForm } from "~/services/case-work.server";
import { InvalidInput } from "~/services/errors";
import { BackLink } from "~/ui/back-link";
import { todayInLondon } from "~/ui/dates";
import { Button, ErrorSummary } from "~/ui/form";
import {
  NoteFields,
  NoteSchema,
  newNoteAnswers,
  noteAnswers,
  noteErrors,
  noteInputOf,
} from "~/ui/note-form";
import { PostForm } from "~/ui/post-form";

export const meta: MetaFunction = () => [{ title: "Add a contact or note – Crosswalk" }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const ctx = await requireActorForRecord(
    request,
    context,
    { type: "referral", id: params.referralId },
    "note.add",
  );
  const referralId = uuidParam(params, "referralId");
  const form = await serviceCall(() => getCaseWorkForm(ctx, referralId, "note.add"));
  return { ...form, referralId, agencyName: ctx.actor.agencyName, today: todayInLondon() };
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const ctx = await requireActorForRecord(
    request,
    context,
    { type: "referral", id: params.referralId },
    "note.add",
  );
  const referralId = uuidParam(params, "referralId");
  const form = await readForm(request);
  const submission = parseWithZod(form, { schema: NoteSchema });
  if (submission.status !== "success") {
    const { errors, dateParts } = noteErrors(submission.reply().error);
    return data({ answers: noteAnswers(form), errors, dateParts }, { status: 400 });
  }
  try {
    await serviceCall(() => addNote(ctx, referralId, noteInputOf(submission.value)));
  } catch (error) {
    if (!(error instanceof InvalidInput)) throw error;
    return data(
      { answers: noteAnswers(form), errors: error.errors, dateParts: [] },
      { status: 400 },
    );
  }
  throw redirect(`/referrals/${referralId}?done=note-added#case-work`);
}

export default function AddNote() {
  const page = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const errors = result?.errors ?? [];
  const casePath = `/referrals/${page.referralId}`;
  return (
    <>
      <BackLink to={`${casePath}#case-work`}>Back to the case</BackLink>
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-two-thirds">
          <ErrorSummary errors={errors} />
          <span className="govuk-caption-l">
            Referral {page.reference}
            {page.youngPersonName ? ` · ${page.youngPersonName}` : null}
          </span>
          <h1 className="govuk-heading-l">Add a contact or note</h1>
          <PostForm action={`${casePath}/notes/new`} noValidate>
            <NoteFields
              answers={result?.answers ?? newNoteAnswers(page.today)}
              errors={errors}
              dateParts={result?.dateParts ?? []}
              agencyName={page.agencyName}
            />
            <Button>Add note</Button>
          </PostForm>
        </div>
      </div>
    </>
  );
}
