import { z } from "zod";
import { AGENCY_KINDS, AGENCY_KIND_LABELS } from "../../policies";
import { TextInput, type FieldError } from "./form";
import { asTyped, plainText } from "./plain-text";
import { Radios } from "./radios";

const optional = (what: string, max: number, tooLong: string) =>
  plainText(what)
    .trim()
    .max(max, tooLong)
    .optional()
    .transform((value) => value || null);

/** The add-agency and change-agency forms, as the agencies service takes them. */
export const AgencySchema = z.object({
  name: plainText("The agency's name", { error: "Enter the agency's name" })
    .trim()
    .min(1, "Enter the agency's name")
    .max(200, "The agency's name must be 200 characters or fewer"),
  kind: z.enum(AGENCY_KINDS, { error: "Select the kind of agency" }),
  contactName: optional(
    "The contact's name",
    200,
    "The contact's name must be 200 characters or fewer",
  ),
  contactEmail: plainText("The contact's email address")
    .trim()
    .max(320, "The contact's email address must be 320 characters or fewer")
    .pipe(z.email("Enter the contact's email address in the correct format, like name@example.com"))
    .optional()
    .transform((value) => value ?? null),
});

/** An agency's details as the person typed them, kept when the form is shown again. */
export interface AgencyAnswers {
  name: string;
  kind: string;
  contactName: string;
  contactEmail: string;
}

export const AGENCY_FIELDS = ["name", "kind", "contactName", "contactEmail"] as const;

/** What was typed into the agency form, to show it again with the errors. */
export function agencyAnswers(form: FormData): AgencyAnswers {
  return {
    name: asTyped(form.get("name"), 200),
    kind: asTyped(form.get("kind"), 50),
    contactName: asTyped(form.get("contactName"), 200),
    contactEmail: asTyped(form.get("contactEmail"), 320),
  };
}

export const EMPTY_AGENCY: AgencyAnswers = {
  name: "",
  kind: "",
  contactName: "",
  contactEmail: "",
};

const KIND_CHOICES = AGENCY_KINDS.map((kind) => ({ value: kind, label: AGENCY_KIND_LABELS[kind] }));

/** The fields of the add-agency and change-agency forms. */
export function AgencyFields({
  answers,
  errors,
}: {
  answers: AgencyAnswers;
  errors: readonly FieldError[];
}) {
  const errorFor = (field: string) => errors.find((error) => error.field === field)?.message;
  return (
    <>
      <TextInput
        id="name"
        label="Name"
        hint="As the partnership knows it, for example Northbridge Police"
        spellCheck={false}
        defaultValue={answers.name}
        error={errorFor("name")}
      />
      <Radios
        name="kind"
        legend="Kind of agency"
        legendSize="s"
        hint="The information sharing agreement says what each kind of agency may share"
        choices={KIND_CHOICES}
        value={answers.kind}
        error={errorFor("kind")}
      />
      <TextInput
        id="contactName"
        label="Contact name (optional)"
        hint="Who the partnership contacts about the agency's membership"
        autoComplete="off"
        defaultValue={answers.contactName}
        error={errorFor("contactName")}
      />
      <TextInput
        id="contactEmail"
        label="Contact email address (optional)"
        type="email"
        autoComplete="off"
        spellCheck={false}
        defaultValue={answers.contactEmail}
        error={errorFor("contactEmail")}
      />
    </>
  );
}
