import { z } from "zod";
import {
  NOTE_KINDS,
  NOTE_KIND_CODES,
  NOTE_VISIBILITIES,
  NOTE_VISIBILITY_CODES,
  type NoteKind,
  type NoteVisibility,
} from "../../policies";
import {
  DATE_PARTS,
  DateInput,
  dateAnswerOf,
  dateInputError,
  dateInputFields,
  readDateInput,
  refineDateInput,
  type DateAnswer,
  type DatePart,
} from "./date-input";
import { formatDate, formatDateTime, todayInLondon } from "./dates";
import type { FieldError } from "./form";
import { asTyped, plainText } from "./plain-text";
import { Radios } from "./radios";
import { Textarea } from "./textarea";

const OCCURRED_ON = "occurredOn";
const OCCURRED_ON_LABEL = "date it happened";

/**
 * The fields of the add-a-note and correct-a-note forms. The date is checked as a whole, even
 * when other fields are wrong too (`when`), so every problem is shown at once.
 */
export const NoteSchema = z
  .object({
    kind: z.enum(NOTE_KIND_CODES, { error: "Select what kind of note this is" }),
    ...dateInputFields(OCCURRED_ON),
    body: plainText("What happened", { error: "Enter what happened" })
      .trim()
      .min(1, "Enter what happened")
      .max(10_000, "What happened must be 10,000 characters or fewer"),
    visibility: z.enum(NOTE_VISIBILITY_CODES, { error: "Select who can read this note" }),
  })
  .superRefine(
    (fields, ctx) => {
      refineDateInput(OCCURRED_ON, OCCURRED_ON_LABEL)(fields, ctx);
      const read = readDateInput(fields, OCCURRED_ON, OCCURRED_ON_LABEL);
      if (!("isoDate" in read) || read.isoDate <= todayInLondon()) return;
      for (const part of DATE_PARTS) {
        ctx.addIssue({
          code: "custom",
          path: [`${OCCURRED_ON}-${part}`],
          message: "The date must be today or in the past",
        });
      }
    },
    { when: () => true },
  );

/** A note as the case-work service takes it, from a valid submission. */
export function noteInputOf(fields: z.output<typeof NoteSchema>): {
  kind: NoteKind;
  visibility: NoteVisibility;
  occurredOn: string;
  body: string;
} {
  const read = readDateInput(fields, OCCURRED_ON, OCCURRED_ON_LABEL);
  // The schema has already refused a date that cannot be read.
  if (!("isoDate" in read)) throw new Error("note date unread after validation");
  return {
    kind: fields.kind,
    visibility: fields.visibility,
    occurredOn: read.isoDate,
    body: fields.body,
  };
}

/** A note as the person typed it, kept when the form is shown again. */
export interface NoteAnswers {
  kind: string;
  occurredOn: DateAnswer;
  body: string;
  visibility: string;
}

function text(form: FormData, name: string, max = 50): string {
  return asTyped(form.get(name), max);
}

/** What was typed into a note form, to show it again with the errors. */
export function noteAnswers(form: FormData): NoteAnswers {
  return {
    kind: text(form, "kind"),
    occurredOn: {
      day: text(form, `${OCCURRED_ON}-day`),
      month: text(form, `${OCCURRED_ON}-month`),
      year: text(form, `${OCCURRED_ON}-year`),
    },
    body: text(form, "body", 10_000),
    visibility: text(form, "visibility"),
  };
}

/** An empty note form, dated today. */
export function newNoteAnswers(today: string): NoteAnswers {
  return { kind: "", occurredOn: dateAnswerOf(today), body: "", visibility: "" };
}

/** A saved note, to correct. */
export function savedNoteAnswers(note: {
  kind: string;
  occurredOn: string;
  body: string;
  visibility: string;
}): NoteAnswers {
  return { ...note, occurredOn: dateAnswerOf(note.occurredOn) };
}

/**
 * A note form's errors, one for each field in the order the form asks them (the date's linked to
 * its first wrong part), and which parts of the date to highlight. `more` are fields after the
 * note's own, such as a correction's reason.
 */
export function noteErrors(
  errors: Record<string, string[] | null> | null | undefined,
  more: readonly string[] = [],
): { errors: FieldError[]; dateParts: DatePart[] } {
  const first = (field: string): FieldError[] => {
    const message = errors?.[field]?.[0];
    return message ? [{ field, message }] : [];
  };
  const date = dateInputError(errors ?? undefined, OCCURRED_ON);
  return {
    errors: [
      ...first("kind"),
      ...(date ? [date.error] : []),
      ...["body", "visibility", ...more].flatMap(first),
    ],
    dateParts: date?.parts ?? [],
  };
}

const KIND_CHOICES = NOTE_KIND_CODES.map((kind) => ({ value: kind, label: NOTE_KINDS[kind] }));

/** The questions of the add-a-note and correct-a-note forms. */
export function NoteFields({
  answers,
  errors,
  dateParts,
  agencyName,
}: {
  answers: NoteAnswers;
  errors: readonly FieldError[];
  dateParts: readonly DatePart[];
  /** The writer's agency: the only one that can read an agency-only note. */
  agencyName: string;
}) {
  const errorFor = (field: string) => errors.find((error) => error.field === field)?.message;
  const dateError = errors.find((error) => error.field.startsWith(`${OCCURRED_ON}-`))?.message;
  return (
    <>
      <Radios
        name="kind"
        legend="What kind of note is this?"
        choices={KIND_CHOICES}
        value={answers.kind}
        error={errorFor("kind")}
      />
      <DateInput
        id={OCCURRED_ON}
        legend="When did it happen?"
        hint="For a case note, the date it is about. For example, 27 3 2026"
        value={answers.occurredOn}
        error={dateError}
        errorParts={dateParts}
      />
      <Textarea
        id="body"
        label="What happened"
        labelSize="m"
        hint="Write the facts: who was there, what was said and what was done. If you give an opinion, say clearly that it is your opinion."
        rows={8}
        value={answers.body}
        error={errorFor("body")}
      />
      <Radios
        name="visibility"
        legend="Who can read this note?"
        choices={[
          {
            value: "shared",
            label: NOTE_VISIBILITIES.shared,
            hint: "Everyone who can see this case can read it, in every agency involved.",
          },
          {
            value: "agency_only",
            label: NOTE_VISIBILITIES.agency_only,
            hint: `Only people in ${agencyName} can read it; it is never shown outside your agency. Use this for information that could put someone at risk if it were shared.`,
          },
        ]}
        value={answers.visibility}
        error={errorFor("visibility")}
      />
    </>
  );
}

/** A note as much as its name needs. */
export interface NamedNote {
  id: string;
  kind: NoteKind;
  occurredOn: string;
  writtenAt: string;
  body: string;
}

function firstWords(body: string, count = 6): string {
  const words = body.trim().split(/\s+/);
  return `“${words.slice(0, count).join(" ")}${words.length > count ? "…" : ""}”`;
}

/**
 * Words that tell a case's notes apart, for the links that act on one ("Correct this note"): its
 * kind and date; with the time it was written when another note shares those; with its first
 * words when even that is shared. No two notes get the same words, so a screen reader's list of
 * links never offers two identical ones.
 */
export function noteNames(notes: readonly NamedNote[]): Map<string, string> {
  const steps: ((note: NamedNote) => string)[] = [
    (note) => `${NOTE_KINDS[note.kind]}, ${formatDate(note.occurredOn)}`,
    (note) => `written ${formatDateTime(new Date(note.writtenAt))}`,
    (note) => firstWords(note.body),
  ];
  const names = new Map(notes.map((note) => [note.id, steps[0]?.(note) ?? ""]));
  const shared = () => {
    const seen = new Map<string, number>();
    for (const name of names.values()) seen.set(name, (seen.get(name) ?? 0) + 1);
    return notes.filter((note) => (seen.get(names.get(note.id) ?? "") ?? 0) > 1);
  };
  for (const step of steps.slice(1)) {
    for (const note of shared()) names.set(note.id, `${names.get(note.id)}, ${step(note)}`);
  }
  // Two notes alike in every word: number them, in the order the page lists them.
  const alike = new Map<string, number>();
  for (const note of shared()) {
    const name = names.get(note.id) ?? "";
    const count = (alike.get(name) ?? 0) + 1;
    alike.set(name, count);
    names.set(note.id, `${name} (${count})`);
  }
  return names;
}
