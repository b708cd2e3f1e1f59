import type { Action } from "../../policies";

// Plain data the caseload page needs in the browser too, so it lives outside the .server module.

/** The lists of referrals people work from. */
export const CASELOADS = {
  // First for an agency lead, so their caseload opens on what waits for their answer.
  acceptance: { title: "Waiting for my agency's acceptance", action: "caseload.view_agency" },
  mine: { title: "My cases", action: "caseload.view_own" },
  screening: { title: "Waiting for screening", action: "caseload.view_partnership" },
  // Past a response target, or with an action past its due date, that the person must act on.
  overdue: { title: "Overdue", action: "caseload.view_own" },
  agency: { title: "My agency's cases", action: "caseload.view_agency" },
  all: { title: "All referrals", action: "caseload.view_partnership" },
  referred: { title: "Referrals I made", action: "caseload.view_own" },
} as const satisfies Record<string, { title: string; action: Action }>;

export type Caseload = keyof typeof CASELOADS;

export const CASELOAD_SORTS = ["due", "newest", "oldest", "name"] as const;
export type CaseloadSort = (typeof CASELOAD_SORTS)[number];
