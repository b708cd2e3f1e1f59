import { z } from "zod";
import { GENDER_CODES, GENDERS } from "../../policies";
import {
  DateInput,
  dateAnswerOf,
  readDateInput,
  type DateAnswer,
  type DatePart,
} from "./date-input";
import { errorFor, TextInput, type FieldError } from "./form";
import { plainText } from "./plain-text";
import { Radios } from "./radios";

/** What the person typed into the young person's details, kept as typed for re-display. */
export interface YoungPersonAnswers {
  givenName: string;
  familyName: string;
  knownAs: string;
  dateOfBirth: DateAnswer;
  gender: string;
  postcodeDistrict: string;
  school: string;
  nhsNumber: string;
  uniquePupilNumber: string;
  policeReference: string;
}

export const EMPTY_YOUNG_PERSON: YoungPersonAnswers = {
  givenName: "",
  familyName: "",
  knownAs: "",
  dateOfBirth: dateAnswerOf(null),
  gender: "",
  postcodeDistrict: "",
  school: "",
  nhsNumber: "",
  uniquePupilNumber: "",
  policeReference: "",
};

/** The fields' input ids in form order, for the error summary. */
export const YOUNG_PERSON_FIELDS = [
  "givenName",
  "familyName",
  "knownAs",
  "dateOfBirth-day",
  "dateOfBirth-month",
  "dateOfBirth-year",
  "gender",
  "postcodeDistrict",
  "school",
  "nhsNumber",
  "uniquePupilNumber",
  "policeReference",
] as const;

/**
 * A field as typed, trimmed, and cut one character past the most any field here may hold: an
 * answer too long is still refused as too long, but is never sent back in full.
 */
const text = (form: FormData, name: string, max = 20) => {
  const value = form.get(name);
  return typeof value === "string" ? value.trim().slice(0, max + 1) : "";
};

/** Read the young person's fields from a form as typed. */
export function youngPersonAnswers(form: FormData): YoungPersonAnswers {
  return {
    givenName: text(form, "givenName", 100),
    familyName: text(form, "familyName", 100),
    knownAs: text(form, "knownAs", 100),
    dateOfBirth: {
      day: text(form, "dateOfBirth-day"),
      month: text(form, "dateOfBirth-month"),
      year: text(form, "dateOfBirth-year"),
    },
    gender: text(form, "gender"),
    postcodeDistrict: text(form, "postcodeDistrict").toUpperCase().replace(/\s+/g, ""),
    school: text(form, "school", 200),
    nhsNumber: text(form, "nhsNumber").replace(/[\s-]/g, ""),
    uniquePupilNumber: text(form, "uniquePupilNumber").toUpperCase(),
    policeReference: text(form, "policeReference", 50),
  };
}

const Name = (what: string) =>
  plainText(`The ${what}`)
    .min(1, `Enter the young person's ${what}`)
    .max(100, `The ${what} must be 100 characters or fewer`);
const Optional = (max: number, what: string) =>
  plainText(`The ${what}`).max(max, `The ${what} must be ${max} characters or fewer`);

const DetailsSchema = z.object({
  givenName: Name("first name"),
  familyName: Name("last name"),
  knownAs: Optional(100, "name they are known as"),
  gender: z.union([z.literal(""), z.enum(GENDER_CODES)], {
    error: "Select a gender from the list",
  }),
  postcodeDistrict: z
    .string()
    .regex(/^([A-Z]{1,2}[0-9][0-9A-Z]?)?$/, "Enter the first part of the postcode, like NB3"),
  school: Optional(200, "school"),
  nhsNumber: z.string().regex(/^([0-9]{10})?$/, "An NHS number is 10 digits, like 485 777 3456"),
  uniquePupilNumber: z
    .string()
    .regex(
      /^([A-Z][0-9]{11}[0-9A-Z])?$/,
      "A unique pupil number is 13 characters, like A123456789012",
    ),
  policeReference: Optional(50, "police reference"),
});

export interface ParsedYoungPerson {
  givenName: string;
  familyName: string;
  knownAs: string | null;
  dateOfBirth: string | null;
  gender: (typeof GENDER_CODES)[number] | null;
  postcodeDistrict: string | null;
  school: string | null;
  nhsNumber: string | null;
  uniquePupilNumber: string | null;
  policeReference: string | null;
}

/** A date of birth, which may be unknown (all three fields empty) but never half-typed or absurd. */
function readBirthDate(
  answer: DateAnswer,
  today: string,
): { isoDate: string | null } | { message: string; parts: readonly DatePart[] } {
  if (!answer.day && !answer.month && !answer.year) return { isoDate: null };
  const read = readDateInput(
    { "dob-day": answer.day, "dob-month": answer.month, "dob-year": answer.year },
    "dob",
    "date of birth",
  );
  if (!("isoDate" in read)) return read;
  if (read.isoDate > today)
    return { message: "The date of birth must be in the past", parts: ["year"] };
  if (read.isoDate < "1990-01-02")
    return { message: "Check the year of birth: Crosswalk is for young people", parts: ["year"] };
  return read;
}

/**
 * Check the young person's details. `only` limits the check to the fields a search uses (names,
 * date of birth, postcode district).
 */
export function parseYoungPerson(
  answers: YoungPersonAnswers,
  today: string,
  only?: "search",
): { value: ParsedYoungPerson } | { errors: FieldError[] } {
  const errors: FieldError[] = [];
  const parsed = DetailsSchema.safeParse(answers);
  const issues = parsed.success ? [] : parsed.error.issues;
  const searchFields = new Set(["givenName", "familyName", "postcodeDistrict"]);
  for (const field of YOUNG_PERSON_FIELDS) {
    if (field.startsWith("dateOfBirth")) continue;
    if (only === "search" && !searchFields.has(field)) continue;
    const issue = issues.find((candidate) => candidate.path[0] === field);
    if (issue) errors.push({ field, message: issue.message });
  }
  const birth = readBirthDate(answers.dateOfBirth, today);
  if (!("isoDate" in birth)) {
    const at = errors.findIndex(
      (error) => !["givenName", "familyName", "knownAs"].includes(error.field),
    );
    const error = { field: `dateOfBirth-${birth.parts[0] ?? "day"}`, message: birth.message };
    if (at === -1) errors.push(error);
    else errors.splice(at, 0, error);
  }
  if (errors.length > 0 || !parsed.success || !("isoDate" in birth)) return { errors };
  const blank = (value: string) => (value === "" ? null : value);
  const data = parsed.data;
  return {
    value: {
      givenName: data.givenName,
      familyName: data.familyName,
      knownAs: blank(data.knownAs),
      dateOfBirth: birth.isoDate,
      gender: data.gender === "" ? null : data.gender,
      postcodeDistrict: blank(data.postcodeDistrict),
      school: blank(data.school),
      nhsNumber: blank(data.nhsNumber),
      uniquePupilNumber: blank(data.uniquePupilNumber),
      policeReference: blank(data.policeReference),
    },
  };
}

/** The name, date of birth and postcode district fields: what a duplicate check searches on. */
export function SearchFields({
  answers,
  errors,
}: {
  answers: YoungPersonAnswers;
  errors: readonly FieldError[];
}) {
  const dateError = errors.find((error) => error.field.startsWith("dateOfBirth-"));
  return (
    <>
      <TextInput
        id="givenName"
        label="First name"
        defaultValue={answers.givenName}
        error={errorFor(errors, "givenName")}
        autoComplete="off"
        spellCheck={false}
      />
      <TextInput
        id="familyName"
        label="Last name"
        defaultValue={answers.familyName}
        error={errorFor(errors, "familyName")}
        autoComplete="off"
        spellCheck={false}
      />
      <DateInput
        id="dateOfBirth"
        legend="Date of birth"
        legendSize="s"
        hint="For example, 27 3 2010. Leave it blank if you do not know it."
        value={answers.dateOfBirth}
        error={dateError?.message}
        errorParts={
          dateError ? [dateError.field.replace("dateOfBirth-", "") as DatePart] : undefined
        }
      />
      <TextInput
        id="postcodeDistrict"
        label="Postcode district (optional)"
        hint="The first part of their home postcode, like NB3. Not the full postcode."
        defaultValue={answers.postcodeDistrict}
        error={errorFor(errors, "postcodeDistrict")}
        autoComplete="off"
      />
    </>
  );
}

/** Every other detail of a new young person. */
export function OtherDetailFields({
  answers,
  errors,
}: {
  answers: YoungPersonAnswers;
  errors: readonly FieldError[];
}) {
  return (
    <>
      <TextInput
        id="knownAs"
        label="Known as (optional)"
        hint="A nickname or other name they use"
        defaultValue={answers.knownAs}
        error={errorFor(errors, "knownAs")}
        autoComplete="off"
      />
      <Radios
        name="gender"
        legend="Gender (optional)"
        legendSize="s"
        value={answers.gender}
        error={errorFor(errors, "gender")}
        choices={GENDER_CODES.map((code) => ({ value: code, label: GENDERS[code] }))}
        small
      />
      <TextInput
        id="school"
        label="School or college (optional)"
        defaultValue={answers.school}
        error={errorFor(errors, "school")}
      />
      <TextInput
        id="nhsNumber"
        label="NHS number (optional)"
        defaultValue={answers.nhsNumber}
        error={errorFor(errors, "nhsNumber")}
        inputMode="numeric"
      />
      <TextInput
        id="uniquePupilNumber"
        label="Unique pupil number (optional)"
        defaultValue={answers.uniquePupilNumber}
        error={errorFor(errors, "uniquePupilNumber")}
      />
      <TextInput
        id="policeReference"
        label="Police reference (optional)"
        defaultValue={answers.policeReference}
        error={errorFor(errors, "policeReference")}
      />
    </>
  );
}
