/** The kinds of member organisation a partnership can have. */
export const AGENCY_KINDS = [
  "police",
  "school",
  "health",
  "advocacy",
  "youth_justice",
  "childrens_social_care",
  "local_authority",
  "voluntary",
] as const;

export type AgencyKind = (typeof AGENCY_KINDS)[number];

/** The name of each agency kind as people say it. */
export const AGENCY_KIND_LABELS: Record<AgencyKind, string> = {
  police: "Police",
  school: "School or college",
  health: "Health (hospital youth work, A&E)",
  advocacy: "Young people's advocacy",
  youth_justice: "Youth justice",
  childrens_social_care: "Children's social care",
  local_authority: "Local authority",
  voluntary: "Voluntary and community sector",
};
