/** The five roles of a partnership, in the order people meet them. */
export const ROLES = [
  "practitioner",
  "agency_lead",
  "partnership_lead",
  "auditor",
  "administrator",
] as const;

export type Role = (typeof ROLES)[number];

/** What each role is for, in the words shown to the people who hold it. */
export const ROLE_DESCRIPTIONS: Record<Role, { label: string; summary: string }> = {
  practitioner: {
    label: "Practitioner",
    summary: "Logs referrals and works the cases their agency is involved in.",
  },
  agency_lead: {
    label: "Agency lead",
    summary:
      "Accepts or declines referrals sent to the agency, allocates them and sees the agency's caseload.",
  },
  partnership_lead: {
    label: "Partnership lead",
    summary:
      "Screens new referrals, routes them to agencies, chairs panels and reviews caseloads across the partnership.",
  },
  auditor: {
    label: "Auditor",
    summary: "Reads the access log and its reports. Never reads case narratives.",
  },
  administrator: {
    label: "Administrator",
    summary: "Manages agencies, users and sharing agreements. Never reads case data.",
  },
};

/** Whether a value is one of the five roles. */
export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}
