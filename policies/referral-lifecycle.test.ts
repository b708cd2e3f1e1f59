import { afterAll, describe, expect, it } from "vitest";
import { decide } from "./decide";
import type { Facts, PolicyActor } from "./facts";
import {
  decideTransition,
  lifecycleTable,
  TRANSITION_NAMES,
  TRANSITIONS,
  transitionAllowedFrom,
  type TransitionName,
} from "./referral-lifecycle";
import { REFERRAL_STATE_LABELS, REFERRAL_STATES, type ReferralState } from "./referral-states";
import { ROLES, type Role } from "./roles";
import { RULES } from "./rules";

/*
 * The referral lifecycle of DOMAIN.md section 3, written out by hand for a reviewer to read and
 * checked against the state machine in referral-lifecycle.ts. Changing TRANSITIONS without
 * changing these tables breaks the test, on purpose.
 *
 * FROM: the states each step may be taken from (Y) or not (-), in the order of REFERRAL_STATES:
 *   dr draft, su submitted (waiting for screening), sc screened, al allocated (waiting for an agency
 *   to accept), ac active, pa with the panel, cl closed, wi withdrawn, di discarded.
 */
// prettier-ignore
const FROM: Record<TransitionName, string> = {
  //                 dr su sc al ac pa cl wi di
  submit:          " Y  -  -  -  -  -  -  -  - ",
  discard:         " Y  -  -  -  -  -  -  -  - ",
  screen:          " -  Y  -  -  -  -  -  -  - ",
  rerate:          " -  -  Y  Y  Y  Y  -  -  - ",
  route:           " -  -  Y  Y  Y  Y  -  -  - ",
  accept:          " -  -  -  Y  Y  -  -  -  - ",
  decline:         " -  -  -  Y  Y  -  -  -  - ",
  refer_to_panel:  " -  -  Y  -  Y  -  -  -  - ",
  close:           " -  -  Y  -  Y  Y  -  -  - ",
  escalate:        " -  -  Y  Y  Y  Y  -  -  - ",
  withdraw:        " -  Y  Y  Y  Y  Y  -  -  - ",
};

/*
 * WHO: the roles that may take each step (Y) or not (-), when the referral is theirs in every way
 * ("own" below: their agency is involved and covered by a decision to share, they started it, it is
 * allocated to them and waits for their agency's answer) and the step is legal from its state.
 */
// prettier-ignore
const WHO: Record<TransitionName, string> = {
  //                 practitioner  agency_lead  partnership_lead  auditor  administrator
  submit:          "      Y             Y              Y             -          -      ",
  discard:         "      Y             Y              Y             -          -      ",
  screen:          "      -             -              Y             -          -      ",
  rerate:          "      -             -              Y             -          -      ",
  route:           "      -             -              Y             -          -      ",
  accept:          "      -             Y              -             -          -      ",
  decline:         "      -             Y              -             -          -      ",
  refer_to_panel:  "      -             -              Y             -          -      ",
  close:           "      Y             Y              Y             -          -      ",
  escalate:        "      Y             Y              Y             -          -      ",
  withdraw:        "      Y             Y              Y             -          -      ",
};

const TERMINAL_STATES: readonly ReferralState[] = ["closed", "withdrawn", "discarded"];

function marks(line: string, width: number): boolean[] {
  const cells = line.trim().split(/\s+/);
  if (cells.length !== width || cells.some((cell) => cell !== "Y" && cell !== "-")) {
    throw new Error(`a table row needs ${width} cells of Y or -: "${line}"`);
  }
  return cells.map((cell) => cell === "Y");
}

function legalFrom(transition: TransitionName, state: ReferralState): boolean {
  return marks(FROM[transition], REFERRAL_STATES.length)[REFERRAL_STATES.indexOf(state)] ?? false;
}

function mayTake(transition: TransitionName, role: Role): boolean {
  return marks(WHO[transition], ROLES.length)[ROLES.indexOf(role)] ?? false;
}

const HOME = "partnership-home";
const OWN_AGENCY = "agency-own";
const OTHER_AGENCY = "agency-other";

function actorWith(role: Role): PolicyActor {
  return { userId: "user-actor", partnershipId: HOME, agencyId: OWN_AGENCY, role };
}

/** The referral is the actor's in every way (as RELATIONSHIPS.own in decide.test.ts). */
function ownReferral(state: ReferralState): Facts & { state: ReferralState } {
  return {
    partnershipId: HOME,
    involvedAgencyIds: [OWN_AGENCY, OTHER_AGENCY],
    awaitingAgencyIds: [OWN_AGENCY],
    allocatedUserIds: ["user-actor"],
    createdByUserId: "user-actor",
    state,
    sharing: "covered",
    emergencyAccess: false,
    noteAgencyId: OWN_AGENCY,
    scopeAgencyId: OWN_AGENCY,
    subjectUserId: "user-someone-else",
    agreementPermits: true,
  };
}

const cells = { checked: 0, allowed: 0 };

afterAll(() => {
  process.stdout.write(
    `\nreferral lifecycle: ${cells.checked} cells checked (${TRANSITION_NAMES.length} steps × ${REFERRAL_STATES.length} states × ${ROLES.length} roles); ${cells.allowed} allowed, ${cells.checked - cells.allowed} refused\n`,
  );
});

describe("the lifecycle tables", () => {
  it("cover every step and no other", () => {
    expect(Object.keys(FROM).sort()).toEqual([...TRANSITION_NAMES].sort());
    expect(Object.keys(WHO).sort()).toEqual([...TRANSITION_NAMES].sort());
  });

  it("have one cell per state and per role in every row", () => {
    for (const transition of TRANSITION_NAMES) {
      expect(() => marks(FROM[transition], REFERRAL_STATES.length)).not.toThrow();
      expect(() => marks(WHO[transition], ROLES.length)).not.toThrow();
    }
  });
});

describe("where each step may be taken from", () => {
  describe.each(TRANSITION_NAMES)("%s", (transition) => {
    it.each(REFERRAL_STATES)("from %s matches the table", (state) => {
      expect(transitionAllowedFrom(transition, state)).toBe(legalFrom(transition, state));
    });
  });
});

describe("deciding a step", () => {
  describe.each(TRANSITION_NAMES)("%s", (transition) => {
    const step = TRANSITIONS[transition];

    it.each(ROLES)("by a %s on their own referral matches the tables in every state", (role) => {
      const actor = actorWith(role);
      for (const state of REFERRAL_STATES) {
        const facts = ownReferral(state);
        const decision = decideTransition(actor, transition, facts);
        const where = `${role} ${transition} from ${state}: ${decision.rule} — ${decision.reason}`;
        cells.checked += 1;
        if (decision.allowed) cells.allowed += 1;

        const legal = legalFrom(transition, state);
        expect(decision.allowed, where).toBe(mayTake(transition, role) && legal);
        expect(decision.allowed, where).toBe(decide(actor, step.action, facts).allowed && legal);
        expect(decision.reason.length, where).toBeGreaterThan(0);

        if (mayTake(transition, role) && !legal) {
          // Also for submit and discard, whose rules themselves require a draft: the refusal
          // names the state rather than the rule's "already submitted".
          expect(decision.rule, where).toBe(`lifecycle:${transition}:${state}`);
          expect(decision.reason, where).toContain(REFERRAL_STATE_LABELS[state].toLowerCase());
          expect(decision.reason, where).toContain(step.verb);
        }
        if (!mayTake(transition, role)) {
          // Who may act is asked first: the lifecycle never tells someone who may not act anything.
          expect(decision.rule, where).not.toMatch(/^lifecycle:/);
        }
      }
    });
  });

  it("refuses an illegal step in words that name the state and the step", () => {
    const lead = actorWith("partnership_lead");
    expect(decideTransition(lead, "close", ownReferral("closed"))).toEqual({
      allowed: false,
      rule: "lifecycle:close:closed",
      reason: "This referral is closed, so it cannot be closed",
    });
    expect(decideTransition(actorWith("practitioner"), "withdraw", ownReferral("closed"))).toEqual({
      allowed: false,
      rule: "lifecycle:withdraw:closed",
      reason: "This referral is closed, so it cannot be withdrawn",
    });
    expect(decideTransition(lead, "screen", ownReferral("active")).reason).toBe(
      "This referral is active, so it cannot be screened",
    );
  });

  it("follows the rules it is given: without a role's rule, the step is refused", () => {
    const without = RULES.filter((rule) => rule.id !== "agency-lead-accepts-routed-referral");
    const decision = decideTransition(
      actorWith("agency_lead"),
      "accept",
      ownReferral("allocated"),
      without,
    );
    expect(decision).toMatchObject({ allowed: false, rule: "default-deny" });
  });
});

describe("the end of a referral", () => {
  it.each(TERMINAL_STATES)("%s allows no step at all, for any role", (state) => {
    for (const transition of TRANSITION_NAMES) {
      expect(transitionAllowedFrom(transition, state), `${transition} from ${state}`).toBe(false);
      for (const role of ROLES) {
        const decision = decideTransition(actorWith(role), transition, ownReferral(state));
        expect(decision.allowed, `${role} ${transition} from ${state}`).toBe(false);
      }
    }
  });

  it("is reached only from a live referral: every other state has a way on", () => {
    for (const state of REFERRAL_STATES.filter((state) => !TERMINAL_STATES.includes(state))) {
      const exits = TRANSITION_NAMES.filter((transition) =>
        transitionAllowedFrom(transition, state),
      );
      expect(exits.length, state).toBeGreaterThan(0);
    }
  });
});

describe("the lifecycle as the access matrix prints it", () => {
  const table = lifecycleTable();

  it("lists every step, in order, each with who may take it and where it leads", () => {
    expect(table.map((entry) => entry.transition)).toEqual(TRANSITION_NAMES);
    for (const entry of table) {
      expect(entry.label, entry.transition).toBe(TRANSITIONS[entry.transition].label);
      expect(entry.roles.length, entry.transition).toBeGreaterThan(0);
      expect(entry.roles, entry.transition).toEqual(
        ROLES.filter((role) => mayTake(entry.transition, role)),
      );
      // The states in words, in any order: the page prints them as TRANSITIONS lists them.
      expect([...entry.from].sort(), entry.transition).toEqual(
        REFERRAL_STATES.filter((state) => legalFrom(entry.transition, state))
          .map((state) => REFERRAL_STATE_LABELS[state])
          .sort(),
      );
      expect(entry.to.trim().length, entry.transition).toBeGreaterThan(0);
    }
  });

  it("says where a step leads in words, not as a state's code", () => {
    const to = Object.fromEntries(table.map((entry) => [entry.transition, entry.to]));
    expect(to.submit).toBe("Waiting for screening");
    expect(to.close).toBe("Closed");
    expect(to.rerate).toBe("Stays where it is");
    expect(to.decline).toMatch(/^Back to screening/);
  });

  it("changes when a rule is removed", () => {
    const without = RULES.filter((rule) => rule.id !== "agency-lead-accepts-routed-referral");
    const accept = lifecycleTable(without).find((entry) => entry.transition === "accept");
    expect(accept?.roles).toEqual([]);
  });
});
