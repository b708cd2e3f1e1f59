import { ACTIONS, type Action } from "./actions";
import { samePartnership, type Condition } from "./conditions";
import type { Facts, PolicyActor } from "./facts";
import { RULES, type Rule } from "./rules";
import { ROLE_DESCRIPTIONS } from "./roles";

/** The outcome of asking whether an actor may take an action: which rule decided, and why. */
export type Decision =
  | { allowed: true; rule: string; reason: string }
  | { allowed: false; rule: string; reason: string };

/** The rules that could allow this action for this role (empty: the role may never take it). */
export function rulesFor(
  role: PolicyActor["role"],
  action: Action,
  rules: readonly Rule[] = RULES,
): Rule[] {
  return rules.filter((rule) => rule.action === action && rule.roles.includes(role));
}

/**
 * Decide whether `actor` may take `action` on a record described by `facts`. Default deny: an
 * unknown action, or a role without a rule for it, is refused. Otherwise the first rule whose
 * conditions all hold allows it; if none does, the refusal gives the reason of the first condition
 * that failed, in words for the person refused.
 */
export function decide(
  actor: PolicyActor,
  action: Action,
  facts: Facts,
  rules: readonly Rule[] = RULES,
): Decision {
  if (!Object.hasOwn(ACTIONS, action)) {
    return {
      allowed: false,
      rule: "default-deny",
      reason: "This is not something Crosswalk allows",
    };
  }
  const candidates = rulesFor(actor.role, action, rules);
  if (candidates.length === 0) {
    const role = ROLE_DESCRIPTIONS[actor.role]?.label.toLowerCase() ?? "your role";
    return {
      allowed: false,
      rule: "default-deny",
      reason: `As ${role === "your role" ? role : `a${/^[aeiou]/.test(role) ? "n" : ""} ${role}`}, you cannot ${ACTIONS[action].label}`,
    };
  }
  let firstFailure: { rule: Rule; condition: Condition } | undefined;
  for (const rule of candidates) {
    const failed = [samePartnership, ...rule.when].find(
      (condition) => !condition.holds(actor, facts),
    );
    if (!failed) return { allowed: true, rule: rule.id, reason: describeRule(rule) };
    // A different partnership outranks every other reason: it is the same answer for every rule.
    if (failed === samePartnership) {
      return { allowed: false, rule: `${rule.id}:${failed.id}`, reason: failed.refusal };
    }
    firstFailure ??= { rule, condition: failed };
  }
  const { rule, condition } = firstFailure as { rule: Rule; condition: Condition };
  return { allowed: false, rule: `${rule.id}:${condition.id}`, reason: condition.refusal };
}

/** A rule in plain English, as the access matrix prints it. */
export function describeRule(rule: Rule): string {
  if (rule.when.length === 0) return "Always, within their partnership";
  const clauses = rule.when.map((condition) => condition.describe);
  const last = clauses.pop() as string;
  return `When ${clauses.length ? `${clauses.join(", ")} and ${last}` : last}`;
}
