import type { AgencyKind } from "./agency-kinds";

/** Why information may be shared between agencies under the partnership's agreement. */
export const SHARING_PURPOSES = [
  "safeguarding",
  "preventing_crime",
  "early_intervention",
  "health_and_wellbeing",
  "education",
] as const;

export type SharingPurpose = (typeof SHARING_PURPOSES)[number];

export const SHARING_PURPOSE_LABELS: Record<SharingPurpose, string> = {
  safeguarding: "Safeguarding a child",
  preventing_crime: "Preventing or detecting crime",
  early_intervention: "Early intervention and support",
  health_and_wellbeing: "Health and wellbeing",
  education: "Education and attendance",
};

/** One permission of the information sharing agreement: who may share with whom, and why. */
export interface AgreementPermission {
  fromKind: AgencyKind;
  toKind: AgencyKind;
  purposes: readonly SharingPurpose[];
}

/** The partnership's information sharing agreement, as the policies consult it. */
export interface SharingAgreement {
  permissions: readonly AgreementPermission[];
  /** ISO date (YYYY-MM-DD) by which the partnership must review the agreement. */
  reviewDate: string | null;
}

/** Whether the agreement lets an agency of one kind share with an agency of another for a purpose. */
export function agreementPermits(
  agreement: SharingAgreement,
  fromKind: AgencyKind,
  toKind: AgencyKind,
  purpose: SharingPurpose,
): boolean {
  return agreement.permissions.some(
    (permission) =>
      permission.fromKind === fromKind &&
      permission.toKind === toKind &&
      permission.purposes.includes(purpose),
  );
}

/** Whether the agreement is past its review date on a given day (ISO dates compare as strings). */
export function agreementOverdueForReview(agreement: SharingAgreement, today: string): boolean {
  return agreement.reviewDate !== null && agreement.reviewDate < today;
}

/** One change an administrator makes to the agreement. */
export type AgreementChange =
  | { kind: "review_date"; reviewDate: string | null }
  | { kind: "add"; permission: AgreementPermission }
  | { kind: "remove"; fromKind: AgencyKind; toKind: AgencyKind };

/** The agreement after one change: purposes added to a pair of kinds merge with any already there. */
export function amendAgreement(
  agreement: SharingAgreement,
  change: AgreementChange,
): SharingAgreement {
  if (change.kind === "review_date") return { ...agreement, reviewDate: change.reviewDate };
  const samePair = (permission: AgreementPermission, from: AgencyKind, to: AgencyKind) =>
    permission.fromKind === from && permission.toKind === to;
  if (change.kind === "remove") {
    return {
      ...agreement,
      permissions: agreement.permissions.filter(
        (p) => !samePair(p, change.fromKind, change.toKind),
      ),
    };
  }
  const { fromKind, toKind } = change.permission;
  const existing = agreement.permissions.find((p) => samePair(p, fromKind, toKind))?.purposes ?? [];
  const purposes = SHARING_PURPOSES.filter(
    (purpose) => existing.includes(purpose) || change.permission.purposes.includes(purpose),
  );
  return {
    ...agreement,
    permissions: [
      ...agreement.permissions.filter((p) => !samePair(p, fromKind, toKind)),
      { fromKind, toKind, purposes },
    ],
  };
}
