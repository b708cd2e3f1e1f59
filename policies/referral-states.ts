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
