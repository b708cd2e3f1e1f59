import type { Action } from "./actions";
import { decide, type Decision, rulesFor } from "./decide";
import type { Facts, PolicyActor } from "./facts";
import { REFERRAL_STATE_LABELS, type ReferralState } from "./referral-states";
import { ROLES, type Role } from "./roles";
import { RULES, type Rule } from "./rules";

/**
 * One step a referral can take: the policy action that decides who may take it, the states it may
 * be taken from, and the state it leads to. `to: "same"` keeps the state (a re-rating, an escalation,
 * routing to one more agency); `to: "computed"` depends on the other agencies' answers (a decline
 * sends the referral back to screening only when no receiving agency is left).
 */
export interface Transition {
  action: Action;
  /** Completes "…can be" in a refusal: "A closed referral cannot be {verb}". */
  verb: string;
  label: string;
  from: readonly ReferralState[];
  to: ReferralState | "same" | "computed";
}

/** The referral lifecycle of DOMAIN.md section 3, as data. */
export const TRANSITIONS = {
  submit: {
    action: "referral.submit",
    verb: "submitted",
    label: "Submit",
    from: ["draft"],
    to: "submitted",
  },
  discard: {
    action: "referral.edit_draft",
    verb: "discarded",
    label: "Discard the draft",
    from: ["draft"],
    to: "discarded",
  },
  screen: {
    action: "referral.screen",
    verb: "screened",
    label: "Screen (RAG rating)",
    from: ["submitted"],
    to: "screened",
  },
  rerate: {
    action: "referral.screen",
    verb: "re-rated",
    label: "Change the RAG rating",
    from: ["screened", "allocated", "active", "panel"],
    to: "same",
  },
  route: {
    action: "referral.route",
    verb: "routed to an agency",
    label: "Route to agencies",
    from: ["screened", "panel", "allocated", "active"],
    to: "computed",
  },
  accept: {
    action: "referral.accept",
    verb: "accepted",
    label: "Accept and allocate",
    from: ["allocated", "active"],
    to: "active",
  },
  decline: {
    action: "referral.decline",
    verb: "declined",
    label: "Decline",
    from: ["allocated", "active"],
    to: "computed",
  },
  refer_to_panel: {
    action: "referral.refer_to_panel",
    verb: "referred to the panel",
    label: "Refer to the panel",
    from: ["screened", "active"],
    to: "panel",
  },
  close: {
    action: "referral.close",
    verb: "closed",
    label: "Close with an outcome",
    from: ["screened", "panel", "active"],
    to: "closed",
  },
  escalate: {
    action: "referral.escalate",
    verb: "escalated",
    label: "Escalate",
    from: ["screened", "allocated", "active", "panel"],
    to: "same",
  },
  withdraw: {
    action: "referral.withdraw",
    verb: "withdrawn",
    label: "Withdraw",
    from: ["submitted", "screened", "allocated", "active", "panel"],
    to: "withdrawn",
  },
} as const satisfies Record<string, Transition>;

export type TransitionName = keyof typeof TRANSITIONS;
export const TRANSITION_NAMES = Object.keys(TRANSITIONS) as TransitionName[];

/** Whether the lifecycle lets a referral in `state` take this step, whoever asks. */
export function transitionAllowedFrom(transition: TransitionName, state: ReferralState): boolean {
  return (TRANSITIONS[transition].from as readonly ReferralState[]).includes(state);
}

/**
 * Decide whether `actor` may take `transition` on a referral described by `facts` (which must carry
 * its state): first who may (the transition's policy action), then whether the lifecycle allows the
 * step from the referral's state. An illegal step is refused with a reason naming the state.
 */
export function decideTransition(
  actor: PolicyActor,
  transition: TransitionName,
  facts: Facts & { state: ReferralState },
  rules: readonly Rule[] = RULES,
): Decision {
  const step = TRANSITIONS[transition];
  const decision = decide(actor, step.action, facts, rules);
  // A refusal only because the referral is no longer a draft is a lifecycle refusal: say so in
  // the lifecycle's words, which name the state. Any other refusal stands as it is.
  const stateOnly = !decision.allowed && decision.rule.endsWith(":is_draft");
  if (!decision.allowed && !stateOnly) return decision;
  if (!transitionAllowedFrom(transition, facts.state)) {
    return {
      allowed: false,
      rule: `lifecycle:${transition}:${facts.state}`,
      reason: `This referral is ${REFERRAL_STATE_LABELS[facts.state].toLowerCase()}, so it cannot be ${step.verb}`,
    };
  }
  return decision;
}

/** The lifecycle as the access matrix prints it: each step, from where, to where, and who. */
export function lifecycleTable(rules: readonly Rule[] = RULES): {
  transition: TransitionName;
  label: string;
  from: string[];
  to: string;
  roles: Role[];
}[] {
  return TRANSITION_NAMES.map((transition) => {
    const step: Transition = TRANSITIONS[transition];
    const roles = ROLES.filter((role) => rulesFor(role, step.action, rules).length > 0);
    return {
      transition,
      label: step.label,
      from: step.from.map((state) => REFERRAL_STATE_LABELS[state]),
      to:
        step.to === "same"
          ? "Stays where it is"
          : step.to === "computed"
            ? transition === "decline"
              ? "Back to screening when no receiving agency is left; otherwise unchanged"
              : "Waiting for an agency to accept (unchanged if already active)"
            : REFERRAL_STATE_LABELS[step.to],
      roles,
    };
  });
}
