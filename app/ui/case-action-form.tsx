import { z } from "zod";
import {
  CASE_ACTION_STATUSES,
  CASE_ACTION_UPDATE_CODES,
  type CaseActionStatus,
} from "../../policies";
import { ErrorMessage, describedBy } from "./fieldset";
import { ActionButton, TextInput, type FieldError } from "./form";
import { plainText } from "./plain-text";
import { PostForm } from "./post-form";

/** The success banners of the case-work pages, by the `?done=` key they redirect to the case with. */
export const CASE_WORK_DONE = {
  "note-added": "Note added",
  "note-corrected": "Note corrected",
  "action-added": "Action added",
  "action-updated": "Action updated",
} as const;

/** The small form that changes an action's status, as the case-work service takes it. */
export const ActionStatusSchema = z.object({
  status: z.enum(CASE_ACTION_UPDATE_CODES, { error: "Select the action's new status" }),
  note: plainText("The note")
    .trim()
    .max(2_000, "The note must be 2,000 characters or fewer")
    .optional()
    .transform((note) => note || null),
  version: z.coerce.number().int().positive(),
});

export const ACTION_STATUS_FIELDS = ["status", "note"] as const;
type ActionStatusField = (typeof ACTION_STATUS_FIELDS)[number];

/**
 * The id of one action's status or note input. A case page shows a form for each of its actions,
 * so the ids name the action; the fields' names do not.
 */
export function actionStatusFieldId(actionId: string, field: ActionStatusField): string {
  return `action-${actionId}-${field}`;
}

/** An action, as much as its status form needs. */
export interface CaseActionSummary {
  id: string;
  description: string;
  status: CaseActionStatus;
  version: number;
}

/** What was typed into an action's status form, kept when it is shown again with errors. */
export interface ActionStatusAnswers {
  status: string;
  note: string;
}

/**
 * Change an action's status, with an optional note, from the case page. It offers only the
 * statuses the action is not in, and names the version it was shown, so a change someone else
 * made meanwhile is refused rather than overwritten.
 */
export function ActionStatusForm({
  referralId,
  action,
  answers,
  errors = [],
}: {
  referralId: string;
  action: CaseActionSummary;
  answers?: ActionStatusAnswers;
  errors?: readonly FieldError[];
}) {
  const statusId = actionStatusFieldId(action.id, "status");
  const noteId = actionStatusFieldId(action.id, "note");
  const errorFor = (id: string) => errors.find((error) => error.field === id)?.message;
  const statusError = errorFor(statusId);
  const choices = CASE_ACTION_UPDATE_CODES.filter((status) => status !== action.status);
  return (
    <PostForm action={`/referrals/${referralId}/actions/${action.id}`} noValidate>
      <input type="hidden" name="version" value={action.version} />
      <div className={`govuk-form-group${statusError ? " govuk-form-group--error" : ""}`}>
        <label className="govuk-label" htmlFor={statusId}>
          New status
          <span className="govuk-visually-hidden"> for the action “{action.description}”</span>
        </label>
        <ErrorMessage id={statusId} error={statusError} />
        <select
          className={`govuk-select${statusError ? " govuk-select--error" : ""}`}
          id={statusId}
          name="status"
          defaultValue={answers?.status ?? choices[0]}
          aria-describedby={describedBy(statusId, undefined, statusError)}
        >
          {choices.map((status) => (
            <option key={status} value={status}>
              {CASE_ACTION_STATUSES[status]}
            </option>
          ))}
        </select>
      </div>
      <TextInput
        id={noteId}
        name="note"
        label="Note (optional)"
        hint="For example, what was done, or why it is no longer needed"
        autoComplete="off"
        defaultValue={answers?.note ?? ""}
        error={errorFor(noteId)}
      />
      <ActionButton variant="secondary" hiddenContext={`: “${action.description}”`}>
        Update action
      </ActionButton>
    </PostForm>
  );
}
