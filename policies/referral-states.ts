/** Where a referral is in its life, from draft to closed (DOMAIN.md section 3). */
export const REFERRAL_STATES = [
  "draft",
  "submitted",
  "screened",
  "allocated",
  "active",
  "panel",
  "closed",
  "withdrawn",
  "discarded",
] as const;

export type ReferralState = (typeof REFERRAL_STATES)[number];

/** Each state in the words shown on referrals and caseloads. */
export const REFERRAL_STATE_LABELS: Record<ReferralState, string> = {
  draft: "Draft",
  submitted: "Waiting for screening",
  screened: "Screened",
  allocated: "Waiting for an agency to accept",
  active: "Active",
  panel: "With the panel",
  closed: "Closed",
  withdrawn: "Withdrawn",
  discarded: "Discarded",
};

/** States in which the case is open: it can be worked on (notes, actions) and still changes. */
export const OPEN_STATES: readonly ReferralState[] = [
  "submitted",
  "screened",
  "allocated",
  "active",
  "panel",
];

/**
 * States in which a withdrawal of consent can be recorded: any time after the referral was sent,
 * closed or withdrawn too, because a young person can withdraw consent at any time (DOMAIN.md
 * section 4). A draft's decision is simply replaced before it is sent.
 */
export const CONSENT_WITHDRAWAL_STATES: readonly ReferralState[] = [
  ...OPEN_STATES,
  "closed",
  "withdrawn",
];
