import type { EmergencyReason } from "../../db/types";

// Plain data the emergency access pages also need in the browser, so it lives outside the
// .server module (whose exports the browser bundle never receives).

/** Why a person may open emergency access, in the order the form offers them. */
export const EMERGENCY_REASON_CODES = [
  "risk_to_life",
  "missing_child",
  "imminent_harm",
  "out_of_hours_safeguarding",
  "other",
] as const satisfies readonly EmergencyReason[];

export const EMERGENCY_REASONS: Record<EmergencyReason, { label: string; hint: string }> = {
  risk_to_life: {
    label: "Risk to life",
    hint: "The young person's life, or someone else's, may be in danger now",
  },
  missing_child: {
    label: "Missing child",
    hint: "The young person is missing and you need to know who is working with them",
  },
  imminent_harm: {
    label: "Imminent risk of serious harm",
    hint: "Serious harm is likely before the agencies involved could answer you",
  },
  out_of_hours_safeguarding: {
    label: "Out-of-hours safeguarding",
    hint: "A safeguarding decision cannot wait and no involved agency can be reached",
  },
  other: { label: "Another emergency", hint: "Explain it below" },
};

export const REVIEW_OUTCOME_CODES = ["appropriate", "not_appropriate"] as const;
export type ReviewOutcome = (typeof REVIEW_OUTCOME_CODES)[number];
export const REVIEW_OUTCOMES: Record<ReviewOutcome, string> = {
  appropriate: "Appropriate",
  not_appropriate: "Not appropriate",
};

/** The longest reason a person may give, and the longest review note (as the database allows). */
export const REASON_DETAIL_MAX = 2000;
export const REVIEW_NOTE_MAX = 2000;
