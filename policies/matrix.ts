import { ACTIONS, ALL_ACTIONS, type Action } from "./actions";
import { describeRule, rulesFor } from "./decide";
import { ROLES, type Role } from "./roles";
import { RULES, type Rule } from "./rules";

/** One cell of the access matrix: whether a role may take an action, and when. */
export type MatrixCell =
  | { kind: "always"; ruleIds: string[] }
  | { kind: "conditional"; ruleIds: string[]; when: string[] }
  | { kind: "never" };

export interface MatrixRow {
  action: Action;
  label: string;
  area: string;
  cells: Record<Role, MatrixCell>;
}

/** The access matrix, generated from the rules: every action, every role, in plain English. */
export function accessMatrix(rules: readonly Rule[] = RULES): MatrixRow[] {
  return ALL_ACTIONS.map((action) => ({
    action,
    label: ACTIONS[action].label,
    area: ACTIONS[action].area,
    cells: Object.fromEntries(ROLES.map((role) => [role, cellFor(role, action, rules)])) as Record<
      Role,
      MatrixCell
    >,
  }));
}

function cellFor(role: Role, action: Action, rules: readonly Rule[]): MatrixCell {
  const applicable = rulesFor(role, action, rules);
  if (applicable.length === 0) return { kind: "never" };
  const ruleIds = applicable.map((rule) => rule.id);
  if (applicable.some((rule) => rule.when.length === 0)) return { kind: "always", ruleIds };
  return { kind: "conditional", ruleIds, when: applicable.map(describeRule) };
}
