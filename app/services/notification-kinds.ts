// Plain data the notifications page needs in the browser too, so it lives outside the .server module.

/** What a person can be told, each with the words the page and the email lead with. */
export const NOTIFICATION_KINDS = {
  referral_submitted: "New referral waiting for screening",
  referral_red_rated: "Referral rated red",
  referral_routed: "Referral waiting for your agency's answer",
  referral_accepted: "Referral accepted",
  referral_declined: "Referral declined",
  case_allocated: "Case allocated to you",
  referral_closed: "Referral closed: outcome recorded",
  action_assigned: "Action assigned to your agency",
  consent_withdrawn: "Consent withdrawn",
  emergency_access_opened: "Emergency access to review",
  note_added: "Note added by another agency",
} as const;

export type NotificationKind = keyof typeof NOTIFICATION_KINDS;
export const NOTIFICATION_KIND_CODES = Object.keys(NOTIFICATION_KINDS) as [
  NotificationKind,
  ...NotificationKind[],
];

/** Kinds that are always emailed at once and cannot be turned off. */
export const URGENT_NOTIFICATION_KINDS: readonly NotificationKind[] = ["referral_red_rated"];
