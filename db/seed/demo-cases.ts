import type { Insertable, Transaction } from "kysely";
import type {
  AgencyKind,
  CaseActionStatus,
  ConcernRole,
  ConsentNotSoughtReason,
  DataItem,
  Escalation,
  Gender,
  NoteKind,
  NoteVisibility,
  Outcome,
  RagRating,
  ReferralState,
  RiskIndicator,
  Severity,
  SharingPurpose,
  Theme,
  Urgency,
} from "../../policies";
import type {
  AgencyResponse,
  CaseActionUpdatesTable,
  CaseActionsTable,
  CaseNoteRevisionsTable,
  CaseNotesTable,
  ConsentWithdrawalsTable,
  Database,
  DecisionsToShareTable,
  EmergencyAccessesTable,
  ReferralAgenciesTable,
  ReferralTransitionsTable,
  ReferralsTable,
  RiskIndicatorEntry,
  YoungPeopleTable,
} from "../types";

/**
 * Demo case data for the fictional Northbridge partnership: young people and referrals in every
 * state of the lifecycle, with the transitions that led there, notes, corrections and actions, so
 * every page has something to show. Everything is invented; the names are common UK names and
 * match nobody. A fixed pseudo-random generator keeps the demo the same on every seed, while every
 * date is relative to "now" so response targets look current: some breached, most not. The
 * large-scale generator (db/generate/) writes its cases in the same words, so the texts are exported.
 */

/** What the demo partnership seed already created, for the case data to refer to. */
export interface DemoCaseIds {
  partnershipId: string;
  /** Agency ids by the demo seed's agency key ("police", "school", "advocacy"…). */
  agencies: Readonly<Record<string, string>>;
  /** Each agency's kind, by the same key. */
  agencyKinds: Readonly<Record<string, AgencyKind>>;
  /** Users by email, with the agency each belongs to. */
  users: Readonly<Record<string, { id: string; agencyId: string }>>;
}

const DSL = "dsl@school.northbridge.example";
const OFFICER = "officer@police.northbridge.example";
const INSPECTOR = "inspector@police.northbridge.example";
const YOUTH_WORKER = "youthworker@hospital.northbridge.example";
const ADVOCATE = "advocate@advocacy.northbridge.example";
const ADVOCACY_LEAD = "advocacy.lead@advocacy.northbridge.example";
const HUB_LEAD = "lead@northbridge.example";

/** Each receiving agency's lead: who accepts or declines for it. */
const AGENCY_LEADS: Readonly<Record<string, string>> = {
  police: INSPECTOR,
  advocacy: ADVOCACY_LEAD,
};

const SEED = 0x4e42_2026;
const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;
/** Hours in a day, for writing plan offsets as `5 * D`. */
const D = 24;

// ---------------------------------------------------------------------------------------------
// Deterministic randomness and dates

function at<T>(items: readonly T[], index: number): T {
  const item = items[index];
  if (item === undefined) throw new Error(`demo seed: no item at ${index}`);
  return item;
}

/** mulberry32: small, fast and the same on every machine. */
function generator(seed: number) {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  return {
    int,
    between: (min: number, max: number) => min + next() * (max - min),
    chance: (probability: number) => next() < probability,
    pick: <T>(items: readonly T[]): T => at(items, Math.floor(next() * items.length)),
    digits: (count: number) => Array.from({ length: count }, () => String(int(0, 9))).join(""),
    /** A version 4 UUID from the generator, so the demo's ids are stable too. */
    uuid: (): string => {
      const bytes = Array.from({ length: 16 }, () => int(0, 255));
      bytes[6] = (at(bytes, 6) & 0x0f) | 0x40;
      bytes[8] = (at(bytes, 8) & 0x3f) | 0x80;
      const hex = bytes.map((byte) => byte.toString(16).padStart(2, "0")).join("");
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    },
  };
}
type Generator = ReturnType<typeof generator>;

const LONDON_WEEKDAY = new Intl.DateTimeFormat("en-GB", {
  timeZone: "Europe/London",
  weekday: "short",
});
const LONDON_DATE = new Intl.DateTimeFormat("en-CA", {
  timeZone: "Europe/London",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
});

function isWeekend(moment: Date): boolean {
  const day = LONDON_WEEKDAY.format(moment);
  return day === "Sat" || day === "Sun";
}

/**
 * `days` working days after `from` (weekdays in London; bank holidays ignored). The application's
 * own helper in app/services decides real targets; this approximation only has to look right.
 */
function addWorkingDays(from: Date, days: number): Date {
  let moment = new Date(from.getTime());
  let remaining = days;
  while (remaining > 0) {
    moment = new Date(moment.getTime() + DAY_MS);
    if (!isWeekend(moment)) remaining -= 1;
  }
  while (isWeekend(moment)) moment = new Date(moment.getTime() + DAY_MS);
  return moment;
}

/** The partnership's default targets: red 4 hours, amber 1 working day, green 3 working days. */
function dueAfterRating(from: Date, rag: RagRating): Date {
  if (rag === "red") return new Date(from.getTime() + 4 * HOUR_MS);
  return addWorkingDays(from, rag === "amber" ? 1 : 3);
}

/** Before screening there is no rating: urgent is held to the red target, routine to green. */
function screeningDue(submitted: Date, urgency: Urgency): Date {
  return dueAfterRating(submitted, urgency === "urgent" ? "red" : "green");
}

/** YYYY-MM-DD as the day is in London. */
function isoDate(moment: Date): string {
  return LONDON_DATE.format(moment);
}

// ---------------------------------------------------------------------------------------------
// Young people

interface PersonSeed {
  given: string;
  family: string;
  knownAs: string | null;
  gender: Gender;
  /** Age on this year's birthday: 12–17, so 11–17 whatever the date. */
  age: number;
  birthday: string;
  district: string;
  school: string | null;
}

const ACADEMY = "Northbridge Academy";
const HARBOUR = "Harbour Lane School";
const ST_ANNES = "St Anne's Catholic High School";
const EASTGATE = "Eastgate Community College";
const COLLEGE = "Northbridge College";
const PRU = "Northbridge Pupil Referral Unit";

function person(
  given: string,
  family: string,
  gender: Gender,
  age: number,
  birthday: string,
  district: string,
  school: string | null,
  knownAs: string | null = null,
): PersonSeed {
  return { given, family, knownAs, gender, age, birthday, district, school };
}

/** The young people, by index: the referral plans below name them by their place in this list. */
const PEOPLE: readonly PersonSeed[] = [
  // Near-duplicates, so the duplicate check at intake has something to find: a spelling
  // variation, a "known as" against a given name, and given and family names swapped.
  person("Jayden", "Clarke", "male", 16, "03-14", "NB3", ACADEMY),
  person("Jaden", "Clark", "male", 16, "03-14", "NB3", null),
  person("Mohammed", "Hussain", "male", 15, "11-02", "NB5", ACADEMY, "Mo"),
  person("Mo", "Hussain", "male", 15, "11-02", "NB6", null),
  person("Tyler", "James", "male", 14, "06-21", "NB7", ACADEMY),
  person("James", "Tyler", "male", 14, "06-21", "NB7", ACADEMY),
  person("Amara", "Okonkwo", "female", 15, "08-09", "NB2", EASTGATE),
  person("Kai", "Thompson", "male", 16, "01-27", "NB1", COLLEGE),
  person("Leah", "O'Connor", "female", 14, "05-30", "NB4", ACADEMY),
  person("Kwame", "Boateng", "male", 17, "12-03", "NB8", COLLEGE),
  person("Zainab", "Ahmed", "female", 13, "09-18", "NB5", HARBOUR),
  person("Ibrahim", "Yusuf", "male", 16, "04-11", "NB6", EASTGATE),
  person("Reece", "Campbell", "male", 15, "07-07", "NB4", PRU),
  person("Shanice", "Williams", "female", 16, "02-19", "NB2", ACADEMY),
  person("Marcus", "Johnson", "male", 17, "10-25", "NB1", PRU),
  person("Oliver", "Bennett", "male", 13, "06-02", "NB9", ACADEMY),
  person("Harvey", "Price", "male", 15, "11-30", "NB9", EASTGATE),
  person("Ellie-May", "Turner", "female", 14, "03-03", "NB4", ACADEMY),
  person("Callum", "Murphy", "male", 16, "08-16", "NB3", null),
  person("Aleksander", "Kowalski", "male", 15, "01-09", "NB7", ACADEMY, "Olek"),
  person("Maja", "Wiśniewska", "female", 14, "12-12", "NB7", ACADEMY),
  person("Simran", "Kaur", "female", 15, "04-24", "NB5", HARBOUR),
  person("Harjeet", "Singh", "male", 17, "09-05", "NB5", ACADEMY),
  person("Hamza", "Malik", "male", 14, "02-28", "NB6", ACADEMY),
  person("Fatima", "Begum", "female", 16, "06-14", "NB6", ACADEMY),
  person("Tariq", "Mahmood", "male", 16, "10-01", "NB8", null),
  person("Nathaniel", "Adeyemi", "male", 15, "05-05", "NB2", ACADEMY, "Nate"),
  person("Precious", "Adebayo", "female", 13, "07-23", "NB2", ST_ANNES),
  person("Tomi", "Ogunleye", "non_binary", 16, "03-29", "NB1", COLLEGE),
  person("Jamal", "Hassan", "male", 17, "11-11", "NB8", null),
  person("Abdi", "Warsame", "male", 15, "01-31", "NB8", EASTGATE),
  person("Hodan", "Farah", "female", 14, "08-27", "NB8", EASTGATE),
  person("Liam", "Doyle", "male", 16, "04-02", "NB3", null),
  person("Connor", "McCarthy", "male", 12, "10-17", "NB9", ST_ANNES),
  person("Skye", "Robinson", "female", 15, "12-21", "NB1", HARBOUR),
  person("Rhys", "Evans", "male", 14, "06-30", "NB9", HARBOUR),
  person("Lewis", "Grant", "male", 17, "02-07", "NB3", COLLEGE),
  person("Andre", "Baptiste", "male", 16, "09-29", "NB1", PRU),
  person("Tia-Rose", "Edwards", "female", 13, "05-16", "NB4", ACADEMY),
  person("Kacper", "Zieliński", "male", 15, "07-04", "NB7", EASTGATE),
  person("Darius", "Ahmadi", "male", 16, "03-21", "NB6", HARBOUR),
  person("Elif", "Yılmaz", "female", 14, "11-19", "NB5", ST_ANNES),
  person("Josiah", "Francis", "male", 12, "08-01", "NB2", ST_ANNES),
  person("Ruby", "Walsh", "female", 13, "01-15", "NB9", ACADEMY),
];

/** Words for a person in a practitioner's sentence. */
interface Words {
  name: string;
  their: string;
  them: string;
}

function wordsFor(seed: PersonSeed | null): Words {
  const name = seed ? (seed.knownAs ?? seed.given) : "the young person";
  if (seed?.gender === "male") return { name, their: "his", them: "him" };
  if (seed?.gender === "female") return { name, their: "her", them: "her" };
  return { name, their: "their", them: "them" };
}

function fill(text: string, words: Words): string {
  return text
    .replaceAll("{name}", words.name)
    .replaceAll("{their}", words.their)
    .replaceAll("{them}", words.them);
}

/** A fictional NHS number from the 999 range, which is never issued, with a valid check digit. */
function nhsNumber(rng: Generator): string {
  for (;;) {
    const body = `999${rng.digits(6)}`;
    const sum = [...body].reduce((total, digit, index) => total + Number(digit) * (10 - index), 0);
    const check = 11 - (sum % 11);
    if (check === 10) continue;
    return `${body}${check === 11 ? 0 : check}`;
  }
}

// ---------------------------------------------------------------------------------------------
// What referrers write

type Referrer = typeof DSL | typeof OFFICER | typeof YOUTH_WORKER | typeof ADVOCATE;

export interface Story {
  themes: readonly Theme[];
  roles: readonly ConcernRole[];
  indicators: readonly (readonly [RiskIndicator, Severity])[];
  concern: string;
  /** What the family know, in the referrer's words. */
  family: string;
}

/** Concerns in a practitioner's words: a school DSL, a police officer, an A&E youth worker, an advocate. */
export const STORIES = {
  // Northbridge Academy's designated safeguarding lead.
  attendance: {
    themes: ["early_intervention"],
    roles: ["at_risk"],
    indicators: [
      ["school_absence_or_decline", "significant"],
      ["peer_group_change", "emerging"],
      ["unexplained_money_or_items", "emerging"],
    ],
    concern:
      "{name}'s attendance has dropped from 96% to 71% this term, and {their} form tutor reports that {name} now spends breaks with a group of older young people who wait at the school gates. Last week {name} came in with new trainers and a second phone and could not say where either came from. Home have rung us worried that {name} is coming in after 11pm.",
    family: "Parents know: they rang school first, and support the referral.",
  },
  video: {
    themes: ["early_intervention", "community_partnership"],
    roles: ["victim"],
    indicators: [
      ["online_risk", "significant"],
      ["self_harm_or_mental_health", "emerging"],
    ],
    concern:
      "{name} told a teaching assistant that a video of {them} being assaulted near Castle Park is being shared on Snapchat. {name} has been very withdrawn since and has asked to stay inside at lunchtimes. We have reported the video and spoken to home; {name} is frightened to walk home alone.",
    family: "Parents know; school spoke to them the same day.",
  },
  knife: {
    themes: ["early_intervention"],
    roles: ["at_risk"],
    indicators: [
      ["weapon_carrying", "significant"],
      ["school_exclusion", "emerging"],
      ["online_risk", "emerging"],
    ],
    concern:
      "A kitchen knife was found in {name}'s bag after another pupil raised concerns. {name} said it was for protection because of threats made online by young people from another area. This has led to a fixed-term suspension, and we are worried that being out of school during the day puts {name} at more risk, not less.",
    family: "Mum knows about the knife and the suspension, and agreed to the referral.",
  },
  missing: {
    themes: ["county_lines_drugs", "early_intervention"],
    roles: ["at_risk"],
    indicators: [
      ["missing_episode", "experiencing"],
      ["found_out_of_area", "significant"],
      ["multiple_phones", "significant"],
      ["older_controlling_association", "emerging"],
    ],
    concern:
      "{name} was reported missing for two nights over half term and was found by police in a flat in another town. Since coming back {name} has had cash on {them} and takes constant calls during lessons. {name} told a friend there is 'a debt to pay off'. We think {name} is being drawn into a county line.",
    family: "Dad knows and is frightened for {name}; he agreed to the referral.",
  },
  // Northbridge Police.
  countyLine: {
    themes: ["county_lines_drugs", "law_enforcement"],
    roles: ["at_risk", "victim"],
    indicators: [
      ["drug_arrest_out_of_area", "experiencing"],
      ["older_controlling_association", "significant"],
      ["drug_debt", "significant"],
    ],
    concern:
      "{name} was arrested in a neighbouring county with wraps of crack cocaine and £340 in cash, and was released under investigation. The address {name} was found at is linked to a line run from Northbridge. Our assessment is that {name} is being criminally exploited and should be treated as a victim first; a National Referral Mechanism referral is being considered.",
    family: "Mum was told when {name} was brought home, and agreed to a referral.",
  },
  stabbing: {
    themes: ["law_enforcement", "early_intervention"],
    roles: ["victim", "suspected_perpetrator"],
    indicators: [
      ["gang_association", "significant"],
      ["weapon_carrying", "emerging"],
      ["criminal_justice_contact", "significant"],
      ["family_threatened", "emerging"],
    ],
    concern:
      "{name} was involved in a fight outside the Eastgate shops in which another young person was stabbed, and {name} was injured too. Witness accounts suggest {name} was both targeted and took part. {name} is on bail, and there are threats online of retaliation against {them} and {their} family.",
    family: "Parents know; they are worried about the threats to the family.",
  },
  estate: {
    themes: ["community_partnership"],
    roles: ["at_risk"],
    indicators: [
      ["peer_group_change", "emerging"],
      ["substance_use", "emerging"],
      ["parental_concern", "significant"],
    ],
    concern:
      "Neighbourhood officers have stopped {name} three times this month with a group gathering late at night on the Marsh Lane estate. Nothing was found, but {name} smelt of cannabis, and {their} grandmother, who is the main carer, has asked us for help. {name} was polite with officers and mentioned wanting to join a boxing club.",
    family: "Grandmother, the main carer, knows and asked for help.",
  },
  careHome: {
    themes: ["county_lines_drugs"],
    roles: ["at_risk"],
    indicators: [
      ["missing_episode", "significant"],
      ["found_out_of_area", "significant"],
      ["in_or_leaving_care", "experiencing"],
    ],
    concern:
      "{name} lives in a children's home and has had five missing episodes in six weeks, twice found out of area. Staff have seen {name} collected by cars driven by adult men. Return home interviews have not been completed because {name} will not talk to police, but {name} gets on well with one member of staff.",
    family: "Residential staff know, and the allocated social worker has been told.",
  },
  // Northbridge General Hospital, A&E youth work.
  stabWound: {
    themes: ["early_intervention"],
    roles: ["victim"],
    indicators: [
      ["violence_related_ed_attendance", "experiencing"],
      ["unexplained_injury", "significant"],
    ],
    concern:
      "{name} came into A&E last night with a stab wound to the thigh and said {name} had fallen onto a fence, which did not match the injury. I spoke with {name} on the ward: {name} was scared and said people 'will come back'. {name} took my number and agreed that I could refer for ongoing support.",
    family: "Mum came to the hospital and knows about the referral; she is supportive.",
  },
  assault: {
    themes: ["early_intervention"],
    roles: ["victim"],
    indicators: [
      ["violence_related_ed_attendance", "significant"],
      ["substance_use", "significant"],
      ["self_harm_or_mental_health", "emerging"],
    ],
    concern:
      "Brought in by ambulance after being assaulted by a group in the town centre, with facial injuries and concussion. This is {their} third attendance this year, two of them after assaults, and {name} told me about using cannabis every day to cope with anxiety. {name} was open with me and asked about support that is 'not social workers'.",
    family: "Dad was told by phone; worried but supportive.",
  },
  party: {
    themes: ["early_intervention", "county_lines_drugs"],
    roles: ["victim", "at_risk"],
    indicators: [
      ["sexual_exploitation", "significant"],
      ["older_controlling_association", "significant"],
      ["missing_episode", "emerging"],
    ],
    concern:
      "{name} came in with a friend after drinking heavily at a party at an adult's flat, and staff noticed bruising on {their} wrists. {name} mentioned an older 'boyfriend' who gives lifts and buys vapes. The safeguarding nurse has been told; I met {name} in the department and {name} agreed to see me again.",
    family:
      "Not told yet, at {name}'s request; the safeguarding nurse is considering this with social care.",
  },
  payback: {
    themes: ["early_intervention"],
    roles: ["victim", "suspected_perpetrator"],
    indicators: [
      ["violence_related_ed_attendance", "significant"],
      ["weapon_carrying", "emerging"],
      ["gang_association", "emerging"],
    ],
    concern:
      "{name} came in with a hand injury after a fight. On the ward {name} told me it was payback for an attack on a friend, and that others involved carry knives. {name} is angry and feels nobody protects young people in the area, but talked openly about wanting out, and about a younger brother who looks up to {them}.",
    family: "Mum knows and wants help before anything else happens.",
  },
  // Northbridge Young People's Advocates.
  excluded: {
    themes: ["early_intervention", "community_partnership"],
    roles: ["at_risk"],
    indicators: [
      ["school_exclusion", "significant"],
      ["peer_group_change", "significant"],
      ["parental_concern", "significant"],
    ],
    concern:
      "I have been working with {name}'s older sister, and the family have asked for help with {name}, who was permanently excluded and is at the pupil referral unit in the mornings only. {name} is out most afternoons with a group linked to recent robberies. {name} has agreed to meet me and wants help getting onto a college course.",
    family: "Parents know: they asked for this help.",
  },
  debt: {
    themes: ["county_lines_drugs"],
    roles: ["at_risk", "victim"],
    indicators: [
      ["drug_debt", "experiencing"],
      ["family_threatened", "experiencing"],
      ["unexplained_money_or_items", "significant"],
    ],
    concern:
      "{name} told me that drugs {name} was holding for someone were 'taken', and that {name} now owes £800. Men have come to the family's front door twice. {name} is frightened to go out and has stopped going to school. {name}'s mum knows and supports this referral.",
    family: "Mum knows and supports the referral.",
  },
  onlineThreats: {
    themes: ["early_intervention"],
    roles: ["at_risk"],
    indicators: [
      ["online_risk", "significant"],
      ["self_harm_or_mental_health", "significant"],
    ],
    concern:
      "{name} has been sent threats on social media after an online dispute between two groups of young people, and showed me messages that name {their} road. {name} is self-harming and sleeping badly, and wants this to stop without anyone 'getting grassed up'.",
    family:
      "Parents know about the messages but not about the self-harm; {name} has asked for help telling them.",
  },
  witness: {
    themes: ["community_partnership", "law_enforcement"],
    roles: ["victim"],
    indicators: [
      ["family_threatened", "significant"],
      ["criminal_justice_contact", "emerging"],
    ],
    concern:
      "{name} saw a serious assault on the estate and gave a statement to police. Since then young people connected to the suspect have followed {name} home from the bus stop and shouted threats. The family want to move, and {name} wants to know what protection is available.",
    family: "Parents know and want to talk about moving.",
  },
} as const satisfies Record<string, Story>;
export type StoryKey = keyof typeof STORIES;

export const YOUNG_PERSON_KNOWS = [
  "{name} knows about this referral and agreed to it.",
  "{name} knows I am referring and asked that the details are not shared with friends' families.",
  "{name} has been told a referral is being made to the hub; reluctant, but did not object.",
  "{name} knows and asked for a worker who is not from the police.",
];
export const IMMEDIATE_ACTION = [
  "Called 999 from the scene; officers attended and took {name} to hospital. The emergency duty team at children's social care was told the same night.",
  "Reported {name} missing to police at 4pm; {name} was found and brought home the same evening. Children's social care were told.",
];

export const RAG_RATIONALES: Record<RagRating, readonly string[]> = {
  red: [
    "Immediate risk of serious harm: exploitation is happening now, with threats of violence. Needs a response today.",
    "Recent weapon-related injury and threats of retaliation. Red until a safety plan is in place.",
    "Experiencing exploitation now, with repeated missing episodes out of area.",
  ],
  amber: [
    "Significant indicators but no immediate danger, and the family are engaged. Needs contact within a working day.",
    "A pattern that has escalated over the last month, with protective factors at home and school.",
    "A victim of violence with emerging risks; responds well to the referrer.",
  ],
  green: [
    "Emerging concerns with good engagement from the young person and family: early intervention is right.",
    "Low current risk; preventative support through mentoring or youth work should be enough.",
  ],
};

export const DECLINE_REASONS: Readonly<Record<string, string>> = {
  police:
    "No police role at this stage: no offences disclosed and the young person is not known to us. We will share anything relevant if that changes.",
  advocacy:
    "We cannot offer an advocate within the response time this week: the team is at capacity. Suggest the Street Mentors in the meantime.",
};

export const PANEL_RATIONALES = [
  "A complex picture with several agencies involved and an older adult suspected of controlling {name}: the panel needs to agree who leads.",
  "{name} is both a victim and suspected of harming others; the panel should agree one joined-up plan rather than separate responses.",
  "Risk has not reduced after several weeks of support; asking the panel to review the plan and consider statutory routes.",
];

export const OUTCOME_SUMMARIES: Record<Outcome, readonly string[]> = {
  support_completed: [
    "Twelve weeks of one-to-one support. {name} is back in full-time education, has had no missing episodes since the first month and goes to the boxing club twice a week. The family know how to ask for help again.",
    "The safety plan worked well: no further incidents reported by school or police in eight weeks. {name} says {their} confidence is much better and is happy for the case to close.",
    "The threats stopped after police disruption work; {name} is going to college and has a mentor. Closed with {name}'s agreement.",
  ],
  support_completed_risk_remains: [
    "Support plan completed and {name} engaged well, but the older associates named in the referral are still active in the area. School and neighbourhood police will keep a watching brief; re-refer if anything changes.",
  ],
  signposted: [
    "Needs can be met by universal services: signposted to the youth club at the community centre and to the GP about sleep. The referrer has been told.",
  ],
  no_further_action: [
    "Screened with school and police: the incident was a one-off and the protective factors are strong. No further action; the referrer has been told and will re-refer if anything changes.",
  ],
  declined_support: [
    "{name} and {their} family were clear that they do not want support at this time. They have information about how to self-refer, and the referrer has been told.",
  ],
  disengaged: [
    "Seven attempts at contact over five weeks, by phone, text and home visit, with no response since the second meeting. School know and will re-refer if concerns rise.",
  ],
  escalated_statutory: [
    "The panel agreed the threshold for statutory intervention is met. A section 47 enquiry is under way and {name} has an allocated social worker; partnership support ended with a handover meeting.",
  ],
  moved_away: [
    "The family moved to another local authority area. With the family's agreement, the receiving area's exploitation team has been given the information it needs.",
  ],
};

export const ESCALATION_RATIONALES: Record<Escalation, string> = {
  mace: "The adults seen with {name} are linked to two other Northbridge cases: the multi-agency child exploitation meeting should look at the network, not only at {name}.",
  childrens_social_care:
    "Disclosures this week meet the threshold for a safeguarding referral; children's social care informed by phone and in writing.",
};

export interface NoteTemplate {
  kind: NoteKind;
  body: string;
}

/** What a practitioner writes after a contact or about the case, shared with the agencies involved. */
export const FIRST_NOTES: readonly NoteTemplate[] = [
  {
    kind: "contact_attempted",
    body: "Rang {name} twice and left a voicemail introducing myself, then sent a text. No reply yet; will try through school tomorrow.",
  },
  {
    kind: "contact_attempted",
    body: "Called at the house at 4pm; nobody answered. Left a card with my number and texted {name}.",
  },
  {
    kind: "contact_phone",
    body: "Spoke with {name} on the phone for about twenty minutes. Guarded at first, but agreed to meet after school on Thursday at the library.",
  },
];
export const LATER_NOTES: readonly NoteTemplate[] = [
  {
    kind: "contact_in_person",
    body: "Met {name} at the youth centre. We mapped the places {name} feels unsafe and agreed a safety plan: the Station Road bus route, and a check-in text each evening.",
  },
  {
    kind: "contact_in_person",
    body: "Home visit with {name} and family. {name} talked about the pressure from older young people and said the problem has been 'sorted', which we will not take at face value. Agreed to meet weekly.",
  },
  {
    kind: "contact_in_person",
    body: "Went with {name} to the taster session at the boxing club; {name} stayed the whole hour and wants to go back next week.",
  },
  {
    kind: "contact_in_person",
    body: "Met {name} at school with the head of year. Agreed a reduced timetable for two weeks, with a named adult at lunchtimes.",
  },
  {
    kind: "contact_phone",
    body: "Phone call with {name}'s parent: things calmer at home this week and {name} in by 9pm most nights. Asked for help with the school meeting.",
  },
  {
    kind: "contact_message",
    body: "{name} messaged late in the evening to say a group was waiting near the house. Advised to stay in; the neighbourhood team were told and drove past twice.",
  },
  {
    kind: "contact_message",
    body: "{name} sent a message to cancel today's meeting; rearranged for Monday after school.",
  },
  {
    kind: "case_note",
    body: "Spoke with the referrer: attendance is up to 88% over the last fortnight and no further missing episodes have been reported.",
  },
  {
    kind: "case_note",
    body: "Professionals' call with school and the referrer. Actions agreed and recorded on the case; next review in four weeks.",
  },
];
/** Notes only the writer's agency reads. */
export const AGENCY_ONLY_NOTES: Readonly<Record<string, string>> = {
  police:
    "Intelligence checks done. The vehicle seen with {name} is linked to an open investigation; not to be shared beyond police at this stage.",
  advocacy:
    "Supervision: the relationship with {name} is building well. Keep the focus on {name}'s own goals; review the risk again after any further missing episode.",
};
export const HUB_NOTE =
  "Hub review: steady progress, and the rating stays as it is. To be looked at again at the monthly panel.";
export const SCREENING_NOTE =
  "Rang the referrer to talk the referral through before deciding; the outcome is recorded on the referral.";

/** Actions an agency can take on a case, by the demo seed's agency key. */
export const ACTIONS: Readonly<Record<string, readonly string[]>> = {
  school: [
    "Agree a reduced timetable and a named adult for {name} at lunchtimes",
    "Share weekly attendance figures with the allocated worker",
    "Invite {name}'s family to a meeting with the head of year",
  ],
  police: [
    "Complete a National Referral Mechanism referral for {name}",
    "Return home interview after the latest missing episode",
    "Check for new intelligence on the adults named in the referral",
    "Add the home address to the neighbourhood team's patrol plan for two weeks",
  ],
  advocacy: [
    "Weekly one-to-one sessions with {name} for six weeks",
    "Home visit to talk the safety plan through with the family",
    "Introduce {name} to the boxing club at the community centre",
    "Go with {name} and a parent to the school reintegration meeting",
  ],
  hospital: [
    "Check that the safeguarding nurse's referral to children's social care was received",
    "Follow-up call to {name} two weeks after discharge",
  ],
};
export const DONE_NOTES = [
  "Done.",
  "Done; details in the case notes.",
  "Completed with {name} there.",
];
export const CANCEL_NOTES = [
  "No longer needed: the family asked for phone contact instead of visits.",
  "Cancelled: another agency is already doing this.",
];

// ---------------------------------------------------------------------------------------------
// Decisions to share (DOMAIN.md section 4)

/**
 * The basis a referrer shared on. Most young people or their families agreed to the referral; the
 * rest are the cases where consent was not the right basis, each with the reason it was not sought.
 */
export type ShareBasis =
  /** The young person (16 or over) or a parent agreed, verbally, with no end date. */
  | "consent"
  /** The young person's own consent, in writing, for a set time. */
  | "writtenConsent"
  /** A young person under 16, assessed as competent, agreed. */
  | "competentConsent"
  | "increaseRisk"
  | "investigation"
  | "unobtainable"
  | "emergency";

/** The usual basis for each story; a plan may choose another. */
export const STORY_BASIS: Readonly<Record<StoryKey, ShareBasis>> = {
  attendance: "consent",
  video: "consent",
  knife: "consent",
  missing: "consent",
  countyLine: "investigation",
  stabbing: "investigation",
  estate: "consent",
  careHome: "unobtainable",
  stabWound: "consent",
  assault: "consent",
  party: "increaseRisk",
  payback: "consent",
  excluded: "consent",
  debt: "consent",
  onlineThreats: "competentConsent",
  witness: "consent",
};

export const NOT_SOUGHT: Readonly<Partial<Record<ShareBasis, ConsentNotSoughtReason>>> = {
  increaseRisk: "would_increase_risk",
  investigation: "would_prejudice_investigation",
  unobtainable: "cannot_reasonably_be_obtained",
  emergency: "emergency",
};

export const SHARE_RATIONALES: Record<ShareBasis, readonly string[]> = {
  consent: [
    "{name} and {their} family agreed to the referral. The hub and the agencies it routes to need the concern and the risk indicators to offer support and keep {name} safe; sharing them is necessary and proportionate.",
    "Shared with agreement, to get {name} support before things escalate. Only what the receiving agencies need to make contact and plan with {them}.",
  ],
  writtenConsent: [
    "{name} asked for help and signed the consent form after we went through what would be shared, with whom and why. Public task is the lawful basis; {their} consent meets the duty of confidence.",
  ],
  competentConsent: [
    "{name} is under 16 but understood what would be shared, with whom and why, and that {name} can change {their} mind: competent to consent. Sharing so {name} can get the support {name} asked for.",
  ],
  increaseRisk: [
    "Asking for consent would risk {name} telling the adults involved, who could move {them} or make {them} delete messages. The risk of exploitation outweighs {their} right to confidentiality; sharing only with the agencies that need it to protect {them}.",
    "Seeking consent could put {name} in more danger if the people exploiting {them} found out. Sharing to safeguard {them}, limited to the agencies that will act on it.",
  ],
  investigation: [
    "There is an open police investigation. Asking for consent would alert the adults suspected of exploiting {name} and could prejudice it. Sharing for safeguarding with the agencies that will support {name} as a victim first.",
    "{name} is a suspect and a possible victim in a live investigation; seeking consent could prejudice it. The receiving agencies need the risk picture to keep {name} and {their} family safe.",
  ],
  unobtainable: [
    "{name} will not talk to police and has gone missing again; consent cannot reasonably be obtained in the time that matters. The allocated social worker agrees the information should be shared to safeguard {them}.",
  ],
  emergency: [
    "{name} is at immediate risk and there was no time to seek consent before acting. Sharing now with the agencies that can respond today; {name} and {their} family will be told as soon as it is safe.",
  ],
};

export const SHARE_ADVICE: Readonly<Partial<Record<ShareBasis, string>>> = {
  increaseRisk: "Named nurse for safeguarding children",
  investigation: "Detective Sergeant, Child Exploitation Team",
  unobtainable: "Allocated social worker, Children's Social Care",
  emergency: "Duty social worker, Children's Social Care front door",
};

export const SHARE_VIEWS: Readonly<Partial<Record<ShareBasis, string>>> = {
  consent: "{name} agreed, and asked that friends' families are not told.",
  writtenConsent:
    "{name} wants the police to know about the threats, but asked that {their} new address is not passed on beyond the agencies named.",
  competentConsent: "{name} wants help and asked to be told before anything else is shared.",
  unobtainable: "Not known: {name} would not talk to us about it.",
};

export const COMPETENCE_ASSESSMENT =
  "Spoke with {name} alone for half an hour. {name} understood what would be shared, with whom and why, and that {name} can change {their} mind at any time, and weighed it up sensibly: competent to consent.";

const PARTIAL_RATIONALE =
  "The Street Mentors need to know who {name} is, what happened and the risks in order to make contact, not {their} medical history: sharing only those parts. The council's youth service has the whole referral.";
const PARTIAL_ITEMS: readonly DataItem[] = ["identity", "concern", "risk_indicators"];
/** What a demo decision not to share keeps from the police: the case's detail and its work. */
const NOT_SHARED_ITEMS: readonly DataItem[] = ["concern", "family_knowledge", "case_notes"];

const NOT_SHARE_RATIONALE =
  "Not sharing this referral with the police through the hub for now. The safeguarding nurse has referred to children's social care, who will decide with the police under their own procedures whether there is a strategy discussion; a second route would duplicate it, and {name} is frightened the adult involved would find out {name} told someone.";
const NOT_SHARE_VIEWS =
  "{name} is scared that if the police go to the flat, the 'boyfriend' will know {name} told someone.";

const WITHDRAWAL_NOTE =
  "{name} told me at {their} follow-up appointment that the advocates should no longer have {their} information, after a falling-out at the last session. I explained that this does not undo what was shared before today, and will talk with {them} about what support would help instead.";
const AFTER_WITHDRAWAL_NOTE =
  "Saw {name} at the follow-up clinic. {name} is sleeping better and has started going to the youth club on Tuesdays, but still does not want the advocates involved. We talked about the Street Mentors instead.";

/** Agency kinds that share for early intervention under the demo agreement (SUPPORT_KINDS in demo.ts). */
const EARLY_INTERVENTION_KINDS: readonly AgencyKind[] = [
  "school",
  "advocacy",
  "youth_justice",
  "local_authority",
  "voluntary",
];

/** Whole years between a date of birth and a day, both YYYY-MM-DD. */
function ageOn(dateOfBirth: string, day: string): number {
  const years = Number(day.slice(0, 4)) - Number(dateOfBirth.slice(0, 4));
  return years - (day.slice(5) < dateOfBirth.slice(5) ? 1 : 0);
}

interface EmergencyPlan {
  /** Index into PEOPLE: someone whose referrals do not involve the police. */
  yp: number;
  /** Hours before now it was opened. */
  ago: number;
  reason: EmergencyAccessesTable["reason"];
  detail: string;
  review?: { outcome: "appropriate" | "not_appropriate"; note: string };
}

/** Olek (Aleksander Kowalski), reported missing: open now, waiting for the partnership lead. */
const EMERGENCY_ACCESS_NOW: EmergencyPlan = {
  yp: 19,
  ago: 1,
  reason: "missing_child",
  detail:
    "{name} has been reported missing by {their} mother after not coming home from school, and {their} phone is off. I need to know which agencies are working with {name}, and any places or people named in the referral, to focus the search.",
};
/** Kacper Zieliński, a threat out of hours last week: reviewed and found appropriate. */
const EMERGENCY_ACCESS_LAST_WEEK: EmergencyPlan = {
  yp: 39,
  ago: 6 * D,
  reason: "imminent_harm",
  detail:
    "A caller reported a group looking for {name} near Station Road, one of them with a knife. I needed to know whether {name} is known to services and how to reach {their} allocated worker tonight.",
  review: {
    outcome: "appropriate",
    note: "Appropriate: a credible threat out of hours, and the officer read only the contact details and the safety plan. The advocate was told the next morning.",
  },
};

// ---------------------------------------------------------------------------------------------
// The referrals

interface Receiving {
  agency: string;
  status: AgencyResponse;
  /** For an accepted agency: the practitioner (or lead) the case is allocated to. */
  user?: string;
  reason?: string;
}

interface CasePlan {
  state: ReferralState;
  by: Referrer;
  /** Index into PEOPLE, or null for a draft with nobody chosen yet. */
  yp: number | null;
  story: StoryKey;
  /** Hours before now the referral was submitted (a draft: started). */
  ago: number;
  urgency?: Urgency;
  rag?: RagRating;
  /** A named agency instead of the hub. */
  destination?: string;
  to?: Receiving[];
  /** Allocated: hours before now the referral was routed. */
  routedAgo?: number;
  /** Hours from submission to screening. */
  screenAfter?: number;
  closedAgo?: number;
  outcome?: Outcome;
  /** The state a closed, withdrawn or panel referral left for it. */
  via?: "submitted" | "screened" | "active" | "panel";
  escalate?: Escalation;
  danger?: boolean;
  draft?: "started" | "written";
  reason?: string;
  /** Correct the first note: its date, or who was there. */
  correction?: "date" | "detail";
  /** The basis the referrer shared on, when it is not the story's usual one. */
  share?: ShareBasis;
  /** Receiving agencies shared with only in part (identity, concern and risk indicators). */
  partialFor?: string[];
  /** Agencies the referrer decided not to share with. */
  notShareWith?: string[];
  /** Hours before now the young person withdrew the consent the share rested on. */
  consentWithdrawnAgo?: number;
}

const accepted = (agency: string, user: string): Receiving => ({
  agency,
  status: "accepted",
  user,
});
const awaiting = (agency: string): Receiving => ({ agency, status: "awaiting" });
const declined = (agency: string, reason?: string): Receiving => ({
  agency,
  status: "declined",
  ...(reason ? { reason } : {}),
});

/** Sixty referrals: four drafts, eight submitted, six screened, eight allocated, eighteen active,
 * three with the panel, ten closed, two withdrawn and one discarded. */
const PLANS: readonly CasePlan[] = [
  // Drafts, two of them the school DSL's.
  { state: "draft", by: DSL, yp: 43, story: "video", ago: 2 * D, draft: "written" },
  { state: "draft", by: DSL, yp: null, story: "attendance", ago: 3, draft: "started" },
  { state: "draft", by: OFFICER, yp: null, story: "estate", ago: 20, draft: "started" },
  { state: "draft", by: YOUTH_WORKER, yp: 12, story: "assault", ago: 5, draft: "written" },
  {
    state: "discarded",
    by: ADVOCATE,
    yp: null,
    story: "onlineThreats",
    ago: 19 * D,
    draft: "started",
  },

  // Waiting for screening: some within the target, some past it.
  { state: "submitted", by: DSL, yp: 0, story: "attendance", ago: 26, urgency: "routine" },
  { state: "submitted", by: OFFICER, yp: 1, story: "stabbing", ago: 7, urgency: "urgent" },
  { state: "submitted", by: YOUTH_WORKER, yp: 6, story: "party", ago: 2, urgency: "urgent" },
  { state: "submitted", by: ADVOCATE, yp: 10, story: "onlineThreats", ago: 1, urgency: "routine" },
  {
    state: "submitted",
    by: DSL,
    yp: 17,
    story: "video",
    ago: 6 * D,
    urgency: "routine",
    destination: "advocacy",
  },
  {
    state: "submitted",
    by: YOUTH_WORKER,
    yp: 26,
    story: "assault",
    ago: 2 * D,
    urgency: "routine",
  },
  {
    state: "submitted",
    by: OFFICER,
    yp: 33,
    story: "estate",
    ago: 9 * D,
    urgency: "routine",
    destination: "mentors",
  },
  { state: "submitted", by: ADVOCATE, yp: 40, story: "debt", ago: 0.5, urgency: "urgent" },

  // Screened, waiting to be routed; one was declined and came back.
  { state: "screened", by: DSL, yp: 2, story: "knife", ago: 30, rag: "amber", screenAfter: 5 },
  {
    state: "screened",
    by: YOUTH_WORKER,
    yp: 3,
    story: "stabWound",
    ago: 10,
    urgency: "urgent",
    rag: "red",
    screenAfter: 2,
  },
  {
    state: "screened",
    by: OFFICER,
    yp: 4,
    story: "estate",
    ago: 3 * D,
    rag: "green",
    screenAfter: 40,
  },
  {
    state: "screened",
    by: ADVOCATE,
    yp: 8,
    story: "witness",
    ago: 2 * D,
    rag: "amber",
    screenAfter: 6,
    to: [
      declined(
        "police",
        "Already supported by the witness care unit under the open investigation; a second police response would duplicate it. Advocacy or mentoring would suit better.",
      ),
    ],
  },
  {
    state: "screened",
    by: DSL,
    yp: 13,
    story: "attendance",
    ago: 4 * D,
    rag: "amber",
    screenAfter: 26,
  },
  {
    state: "screened",
    by: YOUTH_WORKER,
    yp: 21,
    story: "assault",
    ago: D,
    rag: "green",
    screenAfter: 3,
  },

  // Routed, waiting for agencies to accept: some past their response target.
  {
    state: "allocated",
    by: DSL,
    yp: 5,
    story: "knife",
    ago: 3 * D,
    rag: "amber",
    routedAgo: 30,
    to: [awaiting("advocacy")],
  },
  {
    state: "allocated",
    by: OFFICER,
    yp: 9,
    story: "countyLine",
    ago: 10,
    urgency: "urgent",
    rag: "red",
    routedAgo: 6,
    to: [awaiting("advocacy"), awaiting("csc")],
  },
  {
    state: "allocated",
    by: YOUTH_WORKER,
    yp: 11,
    story: "payback",
    ago: 4,
    urgency: "urgent",
    rag: "red",
    routedAgo: 1,
    to: [awaiting("police"), awaiting("advocacy")],
  },
  {
    state: "allocated",
    by: ADVOCATE,
    yp: 14,
    story: "excluded",
    ago: 2 * D,
    rag: "amber",
    routedAgo: 3,
    to: [awaiting("yjs")],
  },
  {
    state: "allocated",
    by: DSL,
    yp: 15,
    story: "attendance",
    ago: 9 * D,
    rag: "green",
    routedAgo: 7 * D,
    to: [awaiting("mentors")],
  },
  {
    state: "allocated",
    by: YOUTH_WORKER,
    yp: 16,
    story: "assault",
    ago: 3 * D,
    rag: "green",
    routedAgo: D,
    to: [awaiting("mentors"), awaiting("council")],
    partialFor: ["mentors"],
  },
  {
    state: "allocated",
    by: OFFICER,
    yp: 18,
    story: "stabbing",
    ago: 6 * D,
    rag: "amber",
    routedAgo: 4 * D,
    to: [declined("advocacy"), awaiting("csc")],
  },
  {
    state: "allocated",
    by: DSL,
    yp: 20,
    story: "missing",
    ago: 5,
    urgency: "urgent",
    rag: "red",
    routedAgo: 2,
    danger: true,
    share: "emergency",
    to: [awaiting("police")],
  },

  // Active: accepted by the advocates or the police.
  {
    state: "active",
    by: DSL,
    yp: 19,
    story: "knife",
    ago: 21 * D,
    rag: "amber",
    to: [accepted("advocacy", ADVOCATE)],
    correction: "date",
  },
  {
    state: "active",
    by: DSL,
    yp: 22,
    story: "missing",
    ago: 35 * D,
    urgency: "urgent",
    rag: "red",
    to: [accepted("police", OFFICER), accepted("advocacy", ADVOCATE)],
  },
  {
    state: "active",
    by: DSL,
    yp: 23,
    story: "attendance",
    ago: 14 * D,
    rag: "green",
    to: [accepted("advocacy", ADVOCACY_LEAD)],
  },
  {
    state: "active",
    by: DSL,
    yp: 24,
    story: "video",
    ago: 28 * D,
    rag: "amber",
    to: [
      declined(
        "police",
        "The assault is already being investigated and the officer in the case is in touch with the family. No further police role through the hub.",
      ),
      accepted("advocacy", ADVOCATE),
    ],
  },
  {
    state: "active",
    by: OFFICER,
    yp: 25,
    story: "countyLine",
    ago: 45 * D,
    urgency: "urgent",
    rag: "red",
    to: [accepted("advocacy", ADVOCATE)],
    escalate: "mace",
  },
  {
    state: "active",
    by: OFFICER,
    yp: 27,
    story: "careHome",
    ago: 12 * D,
    rag: "amber",
    to: [accepted("advocacy", ADVOCATE), awaiting("mentors")],
  },
  {
    state: "active",
    by: OFFICER,
    yp: 28,
    story: "estate",
    ago: 60 * D,
    rag: "amber",
    to: [accepted("advocacy", ADVOCACY_LEAD)],
  },
  {
    state: "active",
    by: OFFICER,
    yp: 29,
    story: "stabbing",
    ago: 9 * D,
    urgency: "urgent",
    rag: "red",
    danger: true,
    to: [accepted("advocacy", ADVOCATE)],
  },
  {
    state: "active",
    by: YOUTH_WORKER,
    yp: 30,
    story: "stabWound",
    ago: 18 * D,
    urgency: "urgent",
    rag: "red",
    to: [accepted("police", OFFICER), accepted("advocacy", ADVOCATE)],
  },
  {
    state: "active",
    by: YOUTH_WORKER,
    yp: 31,
    story: "party",
    ago: 40 * D,
    rag: "amber",
    to: [accepted("advocacy", ADVOCATE)],
    notShareWith: ["police"],
  },
  {
    state: "active",
    by: YOUTH_WORKER,
    yp: 32,
    story: "payback",
    ago: 25 * D,
    rag: "amber",
    to: [accepted("police", INSPECTOR)],
  },
  {
    state: "active",
    by: YOUTH_WORKER,
    yp: 34,
    story: "assault",
    ago: 70 * D,
    rag: "green",
    to: [accepted("advocacy", ADVOCATE)],
    share: "competentConsent",
    consentWithdrawnAgo: 3 * D,
  },
  {
    state: "active",
    by: ADVOCATE,
    yp: 35,
    story: "debt",
    ago: 16 * D,
    rag: "amber",
    to: [accepted("police", OFFICER)],
  },
  {
    state: "active",
    by: ADVOCATE,
    yp: 36,
    story: "witness",
    ago: 11 * D,
    urgency: "urgent",
    rag: "red",
    to: [accepted("police", OFFICER)],
    share: "writtenConsent",
  },
  {
    state: "active",
    by: ADVOCATE,
    yp: 37,
    story: "excluded",
    ago: 30 * D,
    rag: "green",
    to: [accepted("police", INSPECTOR)],
  },
  {
    state: "active",
    by: DSL,
    yp: 38,
    story: "video",
    ago: 50 * D,
    rag: "green",
    to: [accepted("advocacy", ADVOCATE)],
  },
  {
    state: "active",
    by: YOUTH_WORKER,
    yp: 39,
    story: "assault",
    ago: 22 * D,
    rag: "amber",
    destination: "advocacy",
    to: [accepted("advocacy", ADVOCATE)],
  },
  {
    state: "active",
    by: OFFICER,
    yp: 41,
    story: "careHome",
    ago: 33 * D,
    rag: "amber",
    destination: "advocacy",
    to: [accepted("advocacy", ADVOCATE)],
  },

  // With the panel.
  {
    state: "panel",
    by: OFFICER,
    yp: 42,
    story: "careHome",
    ago: 5 * D,
    urgency: "urgent",
    rag: "red",
    via: "screened",
  },
  {
    state: "panel",
    by: YOUTH_WORKER,
    yp: 7,
    story: "payback",
    ago: 8 * D,
    rag: "amber",
    via: "screened",
  },
  {
    state: "panel",
    by: ADVOCATE,
    yp: 12,
    story: "debt",
    ago: 40 * D,
    rag: "amber",
    via: "active",
    to: [accepted("police", OFFICER)],
  },

  // Closed, each with an outcome the referrer is told.
  {
    state: "closed",
    by: DSL,
    yp: 26,
    story: "attendance",
    ago: 150 * D,
    closedAgo: 60 * D,
    rag: "green",
    via: "active",
    to: [accepted("advocacy", ADVOCATE)],
    outcome: "support_completed",
    correction: "detail",
  },
  {
    state: "closed",
    by: YOUTH_WORKER,
    yp: 9,
    story: "stabWound",
    ago: 120 * D,
    closedAgo: 40 * D,
    urgency: "urgent",
    rag: "red",
    via: "active",
    to: [accepted("advocacy", ADVOCATE)],
    outcome: "support_completed",
  },
  {
    state: "closed",
    by: DSL,
    yp: 13,
    story: "video",
    ago: 200 * D,
    closedAgo: 90 * D,
    rag: "amber",
    via: "active",
    to: [accepted("advocacy", ADVOCACY_LEAD)],
    outcome: "support_completed",
  },
  {
    state: "closed",
    by: ADVOCATE,
    yp: 14,
    story: "excluded",
    ago: 100 * D,
    closedAgo: 30 * D,
    rag: "amber",
    via: "active",
    to: [accepted("police", OFFICER)],
    outcome: "support_completed_risk_remains",
  },
  {
    state: "closed",
    by: YOUTH_WORKER,
    yp: 16,
    story: "assault",
    ago: 90 * D,
    closedAgo: 20 * D,
    rag: "green",
    via: "active",
    to: [accepted("advocacy", ADVOCATE)],
    outcome: "disengaged",
  },
  {
    state: "closed",
    by: YOUTH_WORKER,
    yp: 21,
    story: "party",
    ago: 80 * D,
    closedAgo: 35 * D,
    rag: "amber",
    via: "active",
    to: [accepted("police", INSPECTOR)],
    outcome: "declined_support",
  },
  {
    state: "closed",
    by: OFFICER,
    yp: 33,
    story: "estate",
    ago: 130 * D,
    closedAgo: 70 * D,
    rag: "green",
    via: "active",
    to: [accepted("advocacy", ADVOCATE)],
    outcome: "moved_away",
  },
  {
    state: "closed",
    by: ADVOCATE,
    yp: 10,
    story: "onlineThreats",
    ago: 110 * D,
    closedAgo: 45 * D,
    rag: "amber",
    via: "panel",
    to: [accepted("police", OFFICER)],
    escalate: "childrens_social_care",
    outcome: "escalated_statutory",
  },
  {
    state: "closed",
    by: OFFICER,
    yp: 4,
    story: "estate",
    ago: 60 * D,
    closedAgo: 59 * D,
    rag: "green",
    via: "screened",
    outcome: "no_further_action",
  },
  {
    state: "closed",
    by: YOUTH_WORKER,
    yp: 1,
    story: "assault",
    ago: 45 * D,
    closedAgo: 44 * D,
    rag: "green",
    via: "screened",
    outcome: "signposted",
  },

  // Withdrawn by the referrer.
  {
    state: "withdrawn",
    by: OFFICER,
    yp: 6,
    story: "estate",
    ago: 3 * D,
    urgency: "routine",
    via: "submitted",
    reason:
      "Withdrawn after speaking with the family: {name} already has a youth worker at the hospital, who will refer with fuller information if it is needed.",
  },
  {
    state: "withdrawn",
    by: YOUTH_WORKER,
    yp: 40,
    story: "payback",
    ago: 20 * D,
    rag: "amber",
    via: "screened",
    reason:
      "The family have gone to stay with relatives in another city for now. Will re-refer if {name} comes back to Northbridge.",
  },
];

// ---------------------------------------------------------------------------------------------
// Building the rows

interface Rows {
  youngPeople: Insertable<YoungPeopleTable>[];
  referrals: Insertable<ReferralsTable>[];
  referralAgencies: Insertable<ReferralAgenciesTable>[];
  transitions: Insertable<ReferralTransitionsTable>[];
  notes: Insertable<CaseNotesTable>[];
  noteRevisions: Insertable<CaseNoteRevisionsTable>[];
  actions: Insertable<CaseActionsTable>[];
  actionUpdates: Insertable<CaseActionUpdatesTable>[];
  decisions: Insertable<DecisionsToShareTable>[];
  withdrawals: Insertable<ConsentWithdrawalsTable>[];
  emergencyAccesses: Insertable<EmergencyAccessesTable>[];
}

/** Build every row of the demo case data, without touching the database. */
export function buildDemoCases(ids: DemoCaseIds, now: Date): Rows {
  const rng = generator(SEED);
  const partnership_id = ids.partnershipId;
  const agencyId = (key: string): string => {
    const id = ids.agencies[key];
    if (!id) throw new Error(`demo seed: no agency ${key}`);
    return id;
  };
  const user = (email: string): { id: string; agencyId: string } => {
    const found = ids.users[email];
    if (!found) throw new Error(`demo seed: no user ${email}`);
    return found;
  };
  const agencyKeyOf = (id: string): string => {
    const key = Object.keys(ids.agencies).find((candidate) => ids.agencies[candidate] === id);
    if (!key) throw new Error(`demo seed: unknown agency ${id}`);
    return key;
  };
  const latest = now.getTime() - 60_000;
  /** At most a minute ago: nothing in the demo happens in the future. */
  const cap = (time: number) => new Date(Math.min(time, latest));
  /** `hours` after `from`, never before it and never in the future. */
  const after = (from: Date, hours: number) =>
    cap(Math.max(from.getTime() + 60_000, from.getTime() + hours * HOUR_MS));
  /** `hours` before now; whole days back land in working hours. */
  const ago = (hours: number) => {
    const moment = new Date(now.getTime() - hours * HOUR_MS);
    if (hours >= D) moment.setUTCHours(rng.int(8, 17), rng.int(0, 59), 0, 0);
    return moment;
  };
  /**
   * A lead's decision or a panel lands in office hours (08:00–18:00 UTC), unless it is red and
   * cannot wait. Only ever moves later, and never past now.
   */
  const office = (moment: Date, rag: RagRating | "panel"): Date => {
    const hour = moment.getUTCHours();
    if (rag === "red" || (hour >= 8 && hour < 18)) return moment;
    const shifted = new Date(moment.getTime());
    if (hour >= 18) shifted.setUTCDate(shifted.getUTCDate() + 1);
    shifted.setUTCHours(8, rng.int(0, 59), 0, 0);
    return cap(shifted.getTime());
  };
  const between = (from: Date, to: Date, fraction: number) =>
    new Date(from.getTime() + (to.getTime() - from.getTime()) * fraction);

  const rows: Rows = {
    youngPeople: [],
    referrals: [],
    referralAgencies: [],
    transitions: [],
    notes: [],
    noteRevisions: [],
    actions: [],
    actionUpdates: [],
    decisions: [],
    withdrawals: [],
    emergencyAccesses: [],
  };
  /** Who first recorded each young person, and when. */
  const firstSeen = new Map<number, { at: Date; by: string }>();
  const referrersOf = new Map<number, Set<Referrer>>();
  const personIds = new Map<number, string>();
  const personIdFor = (index: number): string => {
    const known = personIds.get(index);
    if (known) return known;
    const id = rng.uuid();
    personIds.set(index, id);
    return id;
  };
  const hub = user(HUB_LEAD);

  /** A generator of its own, so the decisions to share leave the rest of the demo as it was. */
  const sharingRng = generator(SEED ^ 0x5ea7_0d75);
  const kindOf = (key: string): AgencyKind => {
    const kind = ids.agencyKinds[key];
    if (!kind) throw new Error(`demo seed: no kind for agency ${key}`);
    return kind;
  };
  /**
   * The referrer's decisions to share, recorded just before submitting: one covering every agency
   * the referral went to (before routing: where it is meant to go, or the hub), split where the
   * plan shares only part of the case with some, and any decision not to share.
   */
  const decideSharing = (
    plan: CasePlan,
    referralId: string,
    youngPersonId: string,
    seed: PersonSeed,
    referrer: { id: string; agencyId: string },
    submitted: Date,
    say: (text: string) => string,
  ): Insertable<DecisionsToShareTable>[] => {
    const routed = (plan.to ?? []).map((receiving) => receiving.agency);
    const intended = [...new Set([...routed, ...(plan.destination ? [plan.destination] : [])])];
    const recipients = intended.length ? intended : ["vru"];
    const partial = recipients.filter((key) => plan.partialFor?.includes(key));
    const full = recipients.filter((key) => !partial.includes(key));
    const sourceKind = kindOf(agencyKeyOf(referrer.agencyId));
    const basis = plan.share ?? STORY_BASIS[plan.story];
    const themes: readonly Theme[] = STORIES[plan.story].themes;
    // Created at least 18 minutes before it was submitted: the decisions come in the last few.
    let decidedAt = new Date(submitted.getTime() - sharingRng.between(8, 15) * 60_000);
    const dateOfBirth = `${now.getUTCFullYear() - seed.age}-${seed.birthday}`;
    const age = ageOn(dateOfBirth, isoDate(decidedAt));
    const purposesFor = (keys: readonly string[]): SharingPurpose[] =>
      themes.includes("early_intervention") &&
      [sourceKind, ...keys.map(kindOf)].every((kind) => EARLY_INTERVENTION_KINDS.includes(kind))
        ? ["safeguarding", "early_intervention"]
        : ["safeguarding"];
    const notSought = NOT_SOUGHT[basis] ?? null;
    const decisions: Insertable<DecisionsToShareTable>[] = [];
    const record = (
      decision: Insertable<DecisionsToShareTable>["decision"],
      keys: readonly string[],
      details: Partial<Omit<Insertable<DecisionsToShareTable>, "consent_relied_on">> & {
        rationale: string;
      },
    ) => {
      const purposes = details.purposes ?? purposesFor(keys);
      const consent: Partial<Insertable<DecisionsToShareTable>> & { consent_relied_on: boolean } =
        notSought || decision === "not_share"
          ? {
              consent_relied_on: false,
              consent_not_sought_reason: notSought ?? "would_increase_risk",
            }
          : {
              consent_relied_on: true,
              consent_given_by:
                basis === "consent" && age < 16 ? "parental_responsibility" : "young_person",
              competence_assessment:
                basis === "competentConsent" && age < 16 ? say(COMPETENCE_ASSESSMENT) : null,
              consent_scope_agency_ids: keys.map(agencyId),
              consent_scope_purposes: purposes,
              consent_form: basis === "writtenConsent" ? "written" : "verbal",
              consent_expires_on:
                basis === "writtenConsent" ? isoDate(new Date(now.getTime() + 182 * DAY_MS)) : null,
            };
      decisions.push({
        id: sharingRng.uuid(),
        partnership_id,
        referral_id: referralId,
        young_person_id: youngPersonId,
        supersedes_id: null,
        decision,
        decided_by: referrer.id,
        decided_by_agency_id: referrer.agencyId,
        decided_at: decidedAt,
        advice_from: SHARE_ADVICE[basis] ?? null,
        recipient_agency_ids: keys.map(agencyId),
        article6: "public_task",
        article9: "safeguarding",
        gateway:
          sourceKind === "police" && notSought && decision !== "not_share"
            ? "crime_and_disorder_act_s115"
            : "none",
        source_kind: sourceKind,
        young_person_views: SHARE_VIEWS[basis] ? say(SHARE_VIEWS[basis]) : null,
        ...consent,
        ...details,
        purposes,
      });
      decidedAt = new Date(decidedAt.getTime() + sharingRng.between(1, 2) * 60_000);
    };

    if (full.length) {
      record("share", full, { rationale: say(sharingRng.pick(SHARE_RATIONALES[basis])) });
    }
    if (partial.length) {
      record("share_partial", partial, {
        data_items: [...PARTIAL_ITEMS],
        rationale: say(PARTIAL_RATIONALE),
      });
    }
    if (plan.notShareWith?.length) {
      // Asked only what not sharing needs: what, with whom, why, who, and when to review it.
      record("not_share", plan.notShareWith, {
        purposes: [],
        data_items: [...NOT_SHARED_ITEMS],
        article6: null,
        article9: null,
        gateway: null,
        consent_not_sought_reason: null,
        review_on: isoDate(new Date(decidedAt.getTime() + 91 * DAY_MS)),
        advice_from: SHARE_ADVICE[basis] ?? null,
        young_person_views: say(NOT_SHARE_VIEWS),
        rationale: say(NOT_SHARE_RATIONALE),
      });
    }
    return decisions;
  };

  for (const plan of PLANS) {
    const id = rng.uuid();
    const seed = plan.yp === null ? null : at(PEOPLE, plan.yp);
    const words = wordsFor(seed);
    const story: Story = STORIES[plan.story];
    const referrer = user(plan.by);
    const say = (text: string) => fill(text, words);
    const isDraft = plan.state === "draft" || plan.state === "discarded";
    const urgency: Urgency = plan.urgency ?? (plan.rag === "red" ? "urgent" : "routine");
    const rag = plan.rag ?? null;

    // When it was submitted (a draft: started), and who the young person first came from.
    const submitted = ago(plan.ago);
    const created = isDraft
      ? submitted
      : new Date(submitted.getTime() - rng.between(0.3, 2) * HOUR_MS);
    if (plan.yp !== null) {
      const seen = firstSeen.get(plan.yp);
      if (!seen || seen.at > created) firstSeen.set(plan.yp, { at: created, by: plan.by });
      referrersOf.set(plan.yp, (referrersOf.get(plan.yp) ?? new Set()).add(plan.by));
    }

    /** When the young person withdrew their consent to share, if they did. */
    let consentWithdrawn: Date | null = null;

    // The lifecycle, step by step.
    let state = "draft" as ReferralState;
    let last = created;
    const transitions: Insertable<ReferralTransitionsTable>[] = [];
    const step = (
      transition: string,
      to: ReferralState,
      occurred: Date,
      actor: { id: string; agencyId: string },
      rationale: string | null = null,
      details: Record<string, unknown> = {},
    ) => {
      transitions.push({
        partnership_id,
        referral_id: id,
        transition,
        from_state: state,
        to_state: to,
        actor_user_id: actor.id,
        actor_agency_id: actor.agencyId,
        occurred_at: occurred,
        rationale,
        details: JSON.stringify(details),
      });
      state = to;
      last = occurred;
    };

    const referral: Insertable<ReferralsTable> = {
      id,
      partnership_id,
      state: plan.state,
      young_person_id: null,
      referrer_user_id: referrer.id,
      referrer_agency_id: referrer.agencyId,
      destination: null,
      destination_agency_id: null,
      themes: [...story.themes],
      concern_roles: [],
      risk_indicators: "[]",
      created_at: created,
    };
    rows.referralAgencies.push({
      partnership_id,
      referral_id: id,
      agency_id: referrer.agencyId,
      involvement: "referrer",
      status: null,
    });

    if (plan.draft !== "started") {
      const indicators: RiskIndicatorEntry[] = story.indicators.map(([code, severity]) => ({
        code,
        severity,
      }));
      referral.destination = plan.destination ? "agency" : "hub";
      referral.destination_agency_id = plan.destination ? agencyId(plan.destination) : null;
      referral.concern_roles = [...story.roles];
      referral.risk_indicators = JSON.stringify(indicators);
      referral.concern = say(story.concern);
      referral.young_person_knows = say(rng.pick(YOUNG_PERSON_KNOWS));
      referral.family_knows = say(story.family);
      referral.immediate_danger = plan.danger ? "yes" : "no";
      referral.immediate_action = plan.danger
        ? say(at(IMMEDIATE_ACTION, plan.state === "active" ? 0 : 1))
        : null;
    }
    if (plan.yp !== null) referral.young_person_id = personIdFor(plan.yp);

    if (plan.state === "discarded") {
      step("discard", "discarded", after(created, rng.between(20, 30)), referrer);
    } else if (plan.state === "draft") {
      last = after(created, rng.between(0.1, 1.5));
    } else {
      referral.urgency = urgency;
      referral.submitted_at = submitted;
      referral.screening_due_at = screeningDue(submitted, urgency);
      step("submit", "submitted", submitted, referrer);
      if (seed && plan.yp !== null) {
        const decisions = decideSharing(
          plan,
          id,
          personIdFor(plan.yp),
          seed,
          referrer,
          submitted,
          say,
        );
        rows.decisions.push(...decisions);
        if (plan.consentWithdrawnAgo !== undefined) {
          // The young person withdrew the consent the advocates' access rested on.
          const onConsent = decisions.find((decision) => decision.consent_relied_on);
          if (!onConsent?.id) throw new Error("demo seed: no consent to withdraw");
          consentWithdrawn = new Date(now.getTime() - plan.consentWithdrawnAgo * HOUR_MS);
          consentWithdrawn.setUTCHours(sharingRng.int(9, 15), sharingRng.int(0, 59), 0, 0);
          rows.withdrawals.push({
            partnership_id,
            decision_id: onConsent.id,
            withdrawn_by: "young_person",
            withdrawn_at: consentWithdrawn,
            recorded_by: referrer.id,
            recorded_at: after(consentWithdrawn, sharingRng.between(0.5, 2)),
            note: say(WITHDRAWAL_NOTE),
          });
        }
      }
    }

    // Screening: by the partnership lead, with a rating and its rationale.
    let screened: Date | null = null;
    if (rag && !isDraft) {
      const routedAt = plan.routedAgo === undefined ? null : ago(plan.routedAgo);
      screened = routedAt
        ? between(submitted, routedAt, rng.between(0.6, 0.9))
        : office(
            after(
              submitted,
              plan.screenAfter ??
                (rag === "red"
                  ? rng.between(1, 3)
                  : rag === "amber"
                    ? rng.between(2, 8)
                    : rng.between(4, 30)),
            ),
            rag,
          );
      const rationale = rng.pick(RAG_RATIONALES[rag]);
      Object.assign(referral, {
        rag,
        rag_rationale: rationale,
        screened_at: screened,
        screened_by: hub.id,
      });
      step("screen", "screened", screened, hub, rationale, { rag });

      // Routing to the receiving agencies, and their answers.
      if (plan.to?.length) {
        const routed = routedAt ?? office(after(screened, rng.between(0.2, 3)), rag);
        const responseDue = dueAfterRating(routed, rag);
        step("route", "allocated", routed, hub, null, {
          agencyIds: plan.to.map((receiving) => agencyId(receiving.agency)),
        });
        const answers = plan.to.map((receiving, index) => {
          const hours =
            receiving.status === "declined"
              ? rng.between(1, 10)
              : rag === "red"
                ? rng.between(1, 3.5) + index
                : rag === "amber"
                  ? rng.between(2, 20) + index
                  : rng.between(6, 50) + index;
          return {
            receiving,
            at: receiving.status === "awaiting" ? null : office(after(routed, hours), rag),
          };
        });
        const open = new Set(plan.to.map((receiving) => receiving.agency));
        for (const answer of [...answers].sort(
          (a, b) => (a.at?.getTime() ?? Infinity) - (b.at?.getTime() ?? Infinity),
        )) {
          const { receiving } = answer;
          const lead = user(AGENCY_LEADS[receiving.agency] ?? HUB_LEAD);
          const row: Insertable<ReferralAgenciesTable> = {
            partnership_id,
            referral_id: id,
            agency_id: agencyId(receiving.agency),
            involvement: "receiving",
            status: receiving.status,
            routed_at: routed,
            routed_by: hub.id,
            response_due_at: responseDue,
          };
          if (answer.at && receiving.status === "accepted") {
            const allocated = user(receiving.user ?? AGENCY_LEADS[receiving.agency] ?? HUB_LEAD);
            Object.assign(row, {
              responded_at: answer.at,
              responded_by: lead.id,
              allocated_user_id: allocated.id,
            });
            step("accept", "active", answer.at, lead, null, {
              agencyId: row.agency_id,
              allocatedUserId: allocated.id,
            });
          } else if (answer.at && receiving.status === "declined") {
            const reason = receiving.reason ?? DECLINE_REASONS[receiving.agency] ?? "Not for us.";
            Object.assign(row, {
              responded_at: answer.at,
              responded_by: lead.id,
              decline_reason: reason,
            });
            open.delete(receiving.agency);
            step("decline", open.size ? state : "screened", answer.at, lead, reason, {
              agencyId: row.agency_id,
            });
          }
          rows.referralAgencies.push(row);
        }
      }
    }

    // Case work once an agency has accepted: notes and actions, then what happened next.
    const allocations = (plan.to ?? []).filter((receiving) => receiving.status === "accepted");
    const worked = state === "active";
    const started = last;
    const end = plan.closedAgo === undefined ? new Date(latest) : ago(plan.closedAgo);
    const ended = end > started ? end : after(started, 2 * D);
    if (worked) {
      const team = allocations.map((receiving) => ({
        agency: receiving.agency,
        worker: user(receiving.user ?? HUB_LEAD),
        lead: user(AGENCY_LEADS[receiving.agency] ?? HUB_LEAD),
      }));
      // At most five notes, one of them after any withdrawal of consent.
      const count = Math.min(rng.int(plan.state === "closed" ? 2 : 1, 5), consentWithdrawn ? 4 : 5);
      for (let index = 0; index < count; index += 1) {
        const occurred = between(started, ended, (index + rng.between(0.2, 0.9)) / count);
        const member = at(team, index % team.length);
        let author = member.worker;
        let template: NoteTemplate =
          index === 0 && plan.correction === "detail"
            ? at(LATER_NOTES, 1)
            : rng.pick(index === 0 ? FIRST_NOTES : LATER_NOTES);
        let visibility: NoteVisibility = "shared";
        const privateNote = AGENCY_ONLY_NOTES[member.agency];
        if (index > 0 && privateNote && rng.chance(0.2)) {
          template = { kind: "case_note", body: privateNote };
          visibility = "agency_only";
          if (member.agency === "advocacy") author = member.lead;
        } else if (index > 0 && rng.chance(0.1)) {
          template = { kind: "case_note", body: HUB_NOTE };
          author = hub;
        }
        const noteId = rng.uuid();
        const written = after(occurred, rng.between(0.5, 6));
        const note: Insertable<CaseNotesTable> = {
          id: noteId,
          partnership_id,
          referral_id: id,
          agency_id: author.agencyId,
          author_user_id: author.id,
          kind: template.kind,
          visibility,
          occurred_on: isoDate(occurred),
          body: say(template.body),
          created_at: written,
          updated_at: written,
        };
        if (index === 0 && plan.correction) {
          const revised = after(written, rng.between(20, 60));
          const previous = { ...note };
          if (plan.correction === "date") {
            previous.occurred_on = isoDate(new Date(occurred.getTime() - DAY_MS));
          } else {
            note.body = `${note.body} ${say("{name}'s aunt was there too.")}`;
            previous.body = `${previous.body} ${say("{name}'s mother was there too.")}`;
          }
          rows.noteRevisions.push({
            partnership_id,
            note_id: noteId,
            version: 1,
            kind: previous.kind,
            visibility: previous.visibility,
            occurred_on: previous.occurred_on,
            body: previous.body,
            reason:
              plan.correction === "date"
                ? "Recorded on the wrong date: the contact was the day after."
                : say("Corrected who was there: it was {name}'s aunt, not {their} mother."),
            revised_by: author.id,
            revised_at: revised,
          });
          Object.assign(note, { version: 2, updated_at: revised });
        }
        rows.notes.push(note);
      }
      if (consentWithdrawn) {
        // Something newer than the withdrawal, which the agencies that relied on it do not see.
        const occurred = between(consentWithdrawn, new Date(latest), 0.6);
        const written = after(occurred, sharingRng.between(0.5, 2));
        rows.notes.push({
          id: sharingRng.uuid(),
          partnership_id,
          referral_id: id,
          agency_id: referrer.agencyId,
          author_user_id: referrer.id,
          kind: "contact_in_person",
          visibility: "shared",
          occurred_on: isoDate(occurred),
          body: say(AFTER_WITHDRAWAL_NOTE),
          created_at: written,
          updated_at: written,
        });
      }

      const involved = [agencyKeyOf(referrer.agencyId), ...team.map((member) => member.agency)];
      const actionCount = rng.int(0, 3);
      for (let index = 0; index < actionCount; index += 1) {
        const agency = rng.pick(involved);
        const description = say(rng.pick(ACTIONS[agency] ?? at(Object.values(ACTIONS), 0)));
        const creator = at(team, 0).worker;
        const createdAt = between(started, ended, rng.between(0.05, 0.6));
        const due = new Date(createdAt.getTime() + rng.int(5, 21) * DAY_MS);
        let status: CaseActionStatus = "open";
        let completed: Date | null = null;
        let note: string | null = null;
        if (plan.state === "closed") {
          // The case has ended: everything was done, or cancelled when it closed.
          if (due < ended) {
            status = "done";
            completed = between(createdAt, due, rng.between(0.3, 1));
            note = say(rng.pick(DONE_NOTES));
          } else {
            status = "cancelled";
            completed = ended;
            note = "The case closed before this was due.";
          }
        } else if (rng.chance(0.1)) {
          status = "cancelled";
          completed = after(createdAt, rng.between(24, 72));
          note = rng.pick(CANCEL_NOTES);
        } else if (due.getTime() < now.getTime() ? rng.chance(0.5) : rng.chance(0.3)) {
          status = "done";
          completed = cap(
            createdAt.getTime() + rng.between(0.3, 1.2) * (due.getTime() - createdAt.getTime()),
          );
          note = say(rng.pick(DONE_NOTES));
        }
        const actionId = rng.uuid();
        rows.actions.push({
          id: actionId,
          partnership_id,
          referral_id: id,
          description,
          assigned_agency_id: agencyId(agency),
          due_on: isoDate(due),
          status,
          created_by: creator.id,
          created_at: createdAt,
          updated_at: completed ?? createdAt,
          completed_at: status === "done" ? completed : null,
          version: status === "open" ? 1 : 2,
        });
        if (completed && status !== "open") {
          rows.actionUpdates.push({
            partnership_id,
            action_id: actionId,
            from_status: "open",
            to_status: status,
            note,
            updated_by: creator.id,
            updated_at: completed,
          });
        }
      }

      if (plan.escalate) {
        const escalated = between(started, ended, 0.4);
        referral.escalated_to = plan.escalate;
        referral.escalated_at = escalated;
        const actor = plan.escalate === "mace" ? at(team, 0).worker : hub;
        step("escalate", state, escalated, actor, say(ESCALATION_RATIONALES[plan.escalate]), {
          escalatedTo: plan.escalate,
        });
      }
      if (plan.state === "panel" || plan.via === "panel") {
        step(
          "refer_to_panel",
          "panel",
          between(started, ended, 0.7),
          hub,
          say(at(PANEL_RATIONALES, 2)),
        );
      }
    } else if (plan.state === "panel") {
      const rationale = say(at(PANEL_RATIONALES, plan.story === "payback" ? 1 : 0));
      step(
        "refer_to_panel",
        "panel",
        office(after(last, rng.between(20, 60)), "panel"),
        hub,
        rationale,
      );
    }

    if (plan.state === "closed") {
      const outcome = plan.outcome ?? "support_completed";
      const summary = say(rng.pick(OUTCOME_SUMMARIES[outcome]));
      const closedAt = ended > last ? ended : after(last, 1);
      const closer = worked && plan.via === "active" ? user(allocations[0]?.user ?? HUB_LEAD) : hub;
      Object.assign(referral, { outcome, outcome_summary: summary, closed_at: closedAt });
      if (!worked) {
        rows.notes.push({
          id: rng.uuid(),
          partnership_id,
          referral_id: id,
          agency_id: hub.agencyId,
          author_user_id: hub.id,
          kind: "case_note",
          visibility: "shared",
          occurred_on: isoDate(screened ?? closedAt),
          body: SCREENING_NOTE,
          created_at: screened ?? closedAt,
          updated_at: screened ?? closedAt,
        });
      }
      step("close", "closed", closedAt, closer, summary, { outcome });
    }
    if (plan.state === "withdrawn") {
      const withdrawn = after(last, plan.via === "submitted" ? 20 : 2 * D);
      step("withdraw", "withdrawn", withdrawn, referrer, say(plan.reason ?? "Withdrawn."));
    }

    if (state !== plan.state) {
      throw new Error(`demo seed: plan for ${plan.state} ended in ${state}`);
    }
    referral.version = 1 + transitions.length + (isDraft ? rng.int(0, 2) : 0);
    referral.updated_at = last;
    rows.referrals.push(referral);
    rows.transitions.push(...transitions);
  }

  // The young people, each recorded by whoever referred them first.
  const year = now.getUTCFullYear();
  for (const [index, personId] of [...personIds].sort(([a], [b]) => a - b)) {
    const seed = at(PEOPLE, index);
    const seen = firstSeen.get(index);
    if (!seen) throw new Error(`demo seed: nobody referred ${seed.given}`);
    const referrers = referrersOf.get(index) ?? new Set();
    const creator = user(seen.by);
    rows.youngPeople.push({
      id: personId,
      partnership_id,
      given_name: seed.given,
      family_name: seed.family,
      known_as: seed.knownAs,
      date_of_birth: `${year - seed.age}-${seed.birthday}`,
      gender: seed.gender,
      postcode_district: seed.district,
      school: seed.school,
      nhs_number: referrers.has(YOUTH_WORKER) ? nhsNumber(rng) : null,
      unique_pupil_number:
        seed.school && referrers.has(DSL)
          ? `N${rng.digits(11)}${rng.pick([..."ABCDEFGHJK"])}`
          : null,
      police_reference: referrers.has(OFFICER) ? `NB/${year}/${rng.digits(6)}` : null,
      created_by: creator.id,
      created_by_agency_id: creator.agencyId,
      created_at: seen.at,
      updated_at: seen.at,
    });
  }

  // Emergency access (DOMAIN.md section 5): the police officer opened the records of young people
  // no referral had shared with the police. One is open now and waiting for review; one, last
  // week's, the partnership lead found appropriate.
  const officer = user(OFFICER);
  const emergencies = [EMERGENCY_ACCESS_NOW, EMERGENCY_ACCESS_LAST_WEEK];
  for (const [index, emergency] of emergencies.entries()) {
    const youngPersonId = personIds.get(emergency.yp);
    if (!youngPersonId) throw new Error(`demo seed: no young person ${emergency.yp}`);
    const words = wordsFor(at(PEOPLE, emergency.yp));
    const opened = new Date(now.getTime() - emergency.ago * HOUR_MS);
    if (index > 0) opened.setUTCHours(21, sharingRng.int(0, 59), 0, 0);
    const review = emergency.review
      ? {
          review_outcome: emergency.review.outcome,
          reviewed_by: hub.id,
          reviewed_at: cap(opened.getTime() + sharingRng.between(11, 13) * HOUR_MS),
          review_note: fill(emergency.review.note, words),
        }
      : {};
    rows.emergencyAccesses.push({
      partnership_id,
      young_person_id: youngPersonId,
      user_id: officer.id,
      agency_id: officer.agencyId,
      reason: emergency.reason,
      reason_detail: fill(emergency.detail, words),
      opened_at: opened,
      expires_at: new Date(opened.getTime() + 4 * HOUR_MS),
      ...review,
    });
  }
  return rows;
}

/**
 * Add the demo case data inside the demo seed's transaction (its tenant already set), in a few bulk
 * inserts. Seed data, not access: no access-log events are written.
 */
export async function seedDemoCases(
  trx: Transaction<Database>,
  ids: DemoCaseIds,
  now: Date = new Date(),
): Promise<void> {
  const rows = buildDemoCases(ids, now);
  await trx.insertInto("young_people").values(rows.youngPeople).execute();
  await trx.insertInto("referrals").values(rows.referrals).execute();
  await trx.insertInto("referral_agencies").values(rows.referralAgencies).execute();
  await trx.insertInto("referral_transitions").values(rows.transitions).execute();
  if (rows.notes.length) await trx.insertInto("case_notes").values(rows.notes).execute();
  if (rows.noteRevisions.length) {
    await trx.insertInto("case_note_revisions").values(rows.noteRevisions).execute();
  }
  if (rows.actions.length) await trx.insertInto("case_actions").values(rows.actions).execute();
  if (rows.actionUpdates.length) {
    await trx.insertInto("case_action_updates").values(rows.actionUpdates).execute();
  }
  await trx.insertInto("decisions_to_share").values(rows.decisions).execute();
  if (rows.withdrawals.length) {
    await trx.insertInto("consent_withdrawals").values(rows.withdrawals).execute();
  }
  if (rows.emergencyAccesses.length) {
    await trx.insertInto("emergency_accesses").values(rows.emergencyAccesses).execute();
  }
}
