import { describe, expect, it } from "vitest";
import { isSecretField, KEPT_ANSWER_MAX_CHARACTERS, keptSubmission } from "./kept-answers";

describe("what of a form that was not saved is given back", () => {
  it("every field, in order, with the page's own ids kept but hidden", () => {
    const kept = keptSubmission("/referrals/1/notes/new", [
      ["submissionId", "0b1f5c9e-8a51-4a4e-9f3e-2f6f1b7d8c11"],
      ["kind", "contact_phone"],
      ["body", "Spoke to his mother.\nHe is at school today."],
      ["agencyId", "5d2c7f0e-1b3a-4c8d-9e6f-0a1b2c3d4e5f"],
    ]);
    expect(kept.action).toBe("/referrals/1/notes/new");
    expect(kept.fields.map((field) => [field.name, field.hidden])).toEqual([
      ["submissionId", true],
      ["kind", false],
      ["body", false],
      ["agencyId", true],
    ]);
    expect(kept.fields[2]?.value).toBe("Spoke to his mother.\nHe is at school today.");
    expect(kept.secretsLeftOut).toBe(false);
  });

  it("never passwords, codes, tokens or secrets, and says they were left out", () => {
    const kept = keptSubmission("/account/password", [
      ["currentPassword", "correct horse battery"],
      ["new_password", "staple"],
      ["code", "123456"],
      ["recovery-code", "abcd-efgh"],
      ["otp", "654321"],
      ["clientSecret", "s3cret"],
      ["token", "t0ken"],
      ["postcode", "NB1 2AB"],
    ]);
    expect(kept.fields.map((field) => field.name)).toEqual(["postcode"]);
    expect(kept.secretsLeftOut).toBe(true);
    expect(isSecretField("passcode")).toBe(true);
    expect(isSecretField("barcodeNote")).toBe(false);
  });

  it("cuts an answer longer than the bound, and marks it cut", () => {
    const long = "a".repeat(KEPT_ANSWER_MAX_CHARACTERS + 5);
    const [field] = keptSubmission("/x", [["body", long]]).fields;
    expect(field?.value.length).toBe(KEPT_ANSWER_MAX_CHARACTERS);
    expect(field?.cut).toBe(true);
  });

  it("leaves files out, and sends an answer back only to a path on this site", () => {
    const file = new File(["scan"], "scan.pdf");
    const kept = keptSubmission("//evil.example/steal", [["attachment", file]]);
    expect(kept.fields).toEqual([]);
    expect(kept.filesLeftOut).toBe(true);
    expect(kept.action).toBe("/");
  });
});
