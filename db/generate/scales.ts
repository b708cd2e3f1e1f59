import type { AgencyKind } from "../../policies";

/** The sizes `npm run db:generate -- --scale <name>` can make. */
export const SCALE_NAMES = ["small", "medium", "large"] as const;
export type ScaleName = (typeof SCALE_NAMES)[number];

/** How many of each record a partnership gets. */
export interface Volume {
  youngPeople: number;
  referrals: number;
  notes: number;
  /** Access-log events, every one of them in the partnership's chain. */
  events: number;
}

export interface Scale {
  name: ScaleName;
  /** The generated partnership's agencies, by kind (the first local authority is its hub). */
  agencies: Readonly<Record<AgencyKind, number>>;
  /** Its user accounts, the hub's leads, auditors and administrators included. */
  users: number;
  /** How many of the users at the hub are partnership leads, auditors and administrators. */
  hub: { leads: number; auditors: number; administrators: number };
  generated: Volume;
  /**
   * What the demo partnership gets beside its seed, worked by the demo accounts: the same five
   * years at a rate that leaves each demo practitioner tens to a few hundred open cases.
   */
  demo: Volume;
  /** How many years of history, ending at the generation's `until`. */
  years: number;
}

const SMALL: Scale = {
  name: "small",
  agencies: {
    local_authority: 1,
    police: 1,
    childrens_social_care: 1,
    youth_justice: 1,
    health: 1,
    advocacy: 1,
    voluntary: 1,
    school: 3,
  },
  users: 30,
  hub: { leads: 1, auditors: 1, administrators: 1 },
  generated: { youngPeople: 2_000, referrals: 4_000, notes: 20_000, events: 200_000 },
  demo: { youngPeople: 1_250, referrals: 2_500, notes: 12_500, events: 125_000 },
  years: 5,
};

const MEDIUM: Scale = {
  name: "medium",
  agencies: {
    local_authority: 2,
    police: 2,
    childrens_social_care: 1,
    youth_justice: 1,
    health: 2,
    advocacy: 2,
    voluntary: 3,
    school: 7,
  },
  users: 300,
  hub: { leads: 2, auditors: 1, administrators: 1 },
  generated: { youngPeople: 20_000, referrals: 40_000, notes: 200_000, events: 2_000_000 },
  demo: { youngPeople: 2_500, referrals: 5_000, notes: 25_000, events: 250_000 },
  years: 5,
};

const LARGE: Scale = {
  name: "large",
  agencies: {
    local_authority: 3,
    police: 5,
    childrens_social_care: 2,
    youth_justice: 2,
    health: 5,
    advocacy: 4,
    voluntary: 7,
    school: 32,
  },
  users: 3_000,
  hub: { leads: 3, auditors: 2, administrators: 2 },
  generated: { youngPeople: 200_000, referrals: 400_000, notes: 2_000_000, events: 20_000_000 },
  demo: { youngPeople: 5_000, referrals: 10_000, notes: 50_000, events: 500_000 },
  years: 5,
};

export const SCALES: Readonly<Record<ScaleName, Scale>> = {
  small: SMALL,
  medium: MEDIUM,
  large: LARGE,
};

/** How many agencies a scale's partnership has. */
export function agencyCount(scale: Scale): number {
  return Object.values(scale.agencies).reduce((sum, count) => sum + count, 0);
}

/** The name of the partnership a scale generates. */
export function generatedPartnershipName(scale: ScaleName): string {
  return `Generated partnership (${scale})`;
}
