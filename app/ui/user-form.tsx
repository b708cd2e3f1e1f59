import { z } from "zod";
import { ROLES, ROLE_DESCRIPTIONS } from "../../policies";
import { TextInput, type FieldError } from "./form";
import { asTyped, plainText } from "./plain-text";
import { Radios } from "./radios";
import { Select } from "./select";

const displayName = plainText("The person's name", { error: "Enter the person's full name" })
  .trim()
  .min(1, "Enter the person's full name")
  .max(200, "The person's name must be 200 characters or fewer");
const agencyId = z.uuid({ error: "Select the person's agency" });
const role = z.enum(ROLES, { error: "Select the person's role" });
/** Optional: the district part of a home postcode (NB3), upper-cased; empty means not recorded. */
const homePostcodeDistrict = plainText("The postcode district")
  .trim()
  .toUpperCase()
  .refine(
    (value) => value === "" || /^[A-Z]{1,2}[0-9][0-9A-Z]?$/.test(value),
    "Enter the first part of a postcode only, like NB3, or leave it empty",
  )
  .transform((value) => (value === "" ? null : value))
  .default(null);

/** The add-user form, as the users service takes it. */
export const NewUserSchema = z.object({
  displayName,
  email: plainText("The email address", { error: "Enter the person's email address" })
    .trim()
    .min(1, "Enter the person's email address")
    .max(320, "The email address must be 320 characters or fewer")
    .pipe(z.email("Enter an email address in the correct format, like name@example.com")),
  agencyId,
  role,
  homePostcodeDistrict,
});

/** The change-user form: the email address is the person's sign-in name and does not change. */
export const UserChangeSchema = z.object({ displayName, agencyId, role, homePostcodeDistrict });

/** A user's details as the administrator typed them, kept when the form is shown again. */
export interface UserAnswers {
  displayName: string;
  email: string;
  agencyId: string;
  role: string;
  homePostcodeDistrict: string;
}

export const NEW_USER_FIELDS = [
  "displayName",
  "email",
  "agencyId",
  "role",
  "homePostcodeDistrict",
] as const;
export const USER_CHANGE_FIELDS = [
  "displayName",
  "agencyId",
  "role",
  "homePostcodeDistrict",
] as const;
export const EMPTY_USER: UserAnswers = {
  displayName: "",
  email: "",
  agencyId: "",
  role: "",
  homePostcodeDistrict: "",
};

/** What was typed into a user form, to show it again with the errors (no longer than it may be). */
export function userAnswers(form: FormData): UserAnswers {
  return {
    displayName: asTyped(form.get("displayName"), 200),
    email: asTyped(form.get("email"), 320),
    agencyId: asTyped(form.get("agencyId"), 36),
    role: asTyped(form.get("role"), 50),
    homePostcodeDistrict: asTyped(form.get("homePostcodeDistrict"), 10),
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
      <TextInput
        id="homePostcodeDistrict"
        label="Home postcode district (optional)"
        hint="The first part of their home postcode, like NB3. Used only to flag a possible conflict of interest in the access log's reports: someone opening the record of a young person with their surname who lives in their district"
        autoComplete="off"
        spellCheck={false}
        width={5}
        defaultValue={answers.homePostcodeDistrict}
        error={errorFor("homePostcodeDistrict")}
      />
    </>
  );
}
