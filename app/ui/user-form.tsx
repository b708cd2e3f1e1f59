import { z } from "zod";
import { ROLES, ROLE_DESCRIPTIONS } from "../../policies";
import { TextInput, type FieldError } from "./form";
import { Radios } from "./radios";
import { Select } from "./select";

const displayName = z
  .string({ error: "Enter the person's full name" })
  .trim()
  .min(1, "Enter the person's full name")
  .max(200, "The person's name must be 200 characters or fewer");
const agencyId = z.uuid({ error: "Select the person's agency" });
const role = z.enum(ROLES, { error: "Select the person's role" });

/** The add-user form, as the users service takes it. */
export const NewUserSchema = z.object({
  displayName,
  email: z
    .string({ error: "Enter the person's email address" })
    .trim()
    .min(1, "Enter the person's email address")
    .max(320, "The email address must be 320 characters or fewer")
    .pipe(z.email("Enter an email address in the correct format, like name@example.com")),
  agencyId,
  role,
});

/** The change-user form: the email address is the person's sign-in name and does not change. */
export const UserChangeSchema = z.object({ displayName, agencyId, role });

/** A user's details as the administrator typed them, kept when the form is shown again. */
export interface UserAnswers {
  displayName: string;
  email: string;
  agencyId: string;
  role: string;
}

export const NEW_USER_FIELDS = ["displayName", "email", "agencyId", "role"] as const;
export const USER_CHANGE_FIELDS = ["displayName", "agencyId", "role"] as const;
export const EMPTY_USER: UserAnswers = { displayName: "", email: "", agencyId: "", role: "" };

/** What was typed into a user form, to show it again with the errors. */
export function userAnswers(form: FormData): UserAnswers {
  const text = (name: string) => {
    const value = form.get(name);
    return typeof value === "string" ? value : "";
  };
  return {
    displayName: text("displayName"),
    email: text("email"),
    agencyId: text("agencyId"),
    role: text("role"),
  };
}

const ROLE_CHOICES = ROLES.map((value) => ({
  value,
  label: ROLE_DESCRIPTIONS[value].label,
  hint: ROLE_DESCRIPTIONS[value].summary,
}));

/** The fields of the add-user and change-user forms; the email field only when adding. */
export function UserFields({
  answers,
  errors,
  agencies,
  withEmail,
}: {
  answers: UserAnswers;
  errors: readonly FieldError[];
  agencies: readonly { id: string; name: string }[];
  withEmail: boolean;
}) {
  const errorFor = (field: string) => errors.find((error) => error.field === field)?.message;
  return (
    <>
      <TextInput
        id="displayName"
        label="Full name"
        autoComplete="off"
        spellCheck={false}
        defaultValue={answers.displayName}
        error={errorFor("displayName")}
      />
      {withEmail ? (
        <TextInput
          id="email"
          label="Email address"
          hint="Their work email address. They sign in with it, and it cannot be changed later"
          type="email"
          autoComplete="off"
          spellCheck={false}
          defaultValue={answers.email}
          error={errorFor("email")}
        />
      ) : null}
      <Select
        id="agencyId"
        label="Agency"
        hint="Only active agencies are listed"
        placeholder="Choose an agency"
        choices={agencies.map((agency) => ({ value: agency.id, label: agency.name }))}
        value={answers.agencyId}
        error={errorFor("agencyId")}
      />
      <Radios
        name="role"
        legend="Role"
        legendSize="s"
        hint="The role decides what the person can see and do"
        choices={ROLE_CHOICES}
        value={answers.role}
        error={errorFor("role")}
      />
    </>
  );
}
