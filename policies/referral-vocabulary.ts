/**
 * The words a referral is recorded in (DOMAIN.md section 2): Strategy themes, risk indicators and
 * their severity, the young person's role in the concern, and the codes used along the lifecycle.
 * Plain data: the database's check constraints, the forms and the policies all use these lists.
 */

/** A code and the words a person reads for it. */
export type Vocabulary<Code extends string> = Readonly<Record<Code, string>>;

function codes<Code extends string>(vocabulary: Vocabulary<Code>): Code[] {
  return Object.keys(vocabulary) as Code[];
}

/** The four themes of the Serious Violence Strategy (2018). */
export const THEMES = {
  county_lines_drugs: "Tackling county lines and drug misuse",
  early_intervention: "Early intervention and prevention",
  community_partnership: "Supporting communities and partnerships",
  law_enforcement: "Law enforcement and the criminal justice response",
} as const satisfies Vocabulary<string>;
export type Theme = keyof typeof THEMES;
export const THEME_CODES = codes(THEMES);

/** The young person's role in the concern, kept apart, never merged into one label. */
export const CONCERN_ROLES = {
  at_risk: "At risk of harm or exploitation",
  victim: "A victim of harm",
  suspected_perpetrator: "Suspected of causing harm to others",
} as const satisfies Vocabulary<string>;
export type ConcernRole = keyof typeof CONCERN_ROLES;
export const CONCERN_ROLE_CODES = codes(CONCERN_ROLES);

/** Risk indicators, grouped as a practitioner would look for them. */
export const RISK_INDICATOR_GROUPS = [
  {
    name: "Exploitation and going missing",
    indicators: {
      missing_episode: "Missing episodes",
      found_out_of_area: "Found out of area",
      unexplained_money_or_items: "Unexplained money, clothes or other items",
      multiple_phones: "More than one phone, or a phone they cannot explain",
      older_controlling_association: "Associating with older or controlling people",
      sexual_exploitation: "Sexual exploitation",
      online_risk: "Risk online",
    },
  },
  {
    name: "Violence, weapons and drugs",
    indicators: {
      gang_association: "Association with a gang or group involved in violence",
      weapon_carrying: "Carrying a weapon",
      unexplained_injury: "Unexplained injury",
      violence_related_ed_attendance: "Violence-related attendance at A&E",
      drug_possession: "Drug possession",
      drug_arrest_out_of_area: "Drug-related arrest out of area",
      drug_debt: "Drug debt",
      substance_use: "Substance use",
    },
  },
  {
    name: "Education, family and wellbeing",
    indicators: {
      peer_group_change: "Sudden change of peer group",
      school_absence_or_decline: "School absence or decline in achievement",
      school_exclusion: "Excluded from school",
      self_harm_or_mental_health: "Self-harm or mental health concerns",
      family_threatened: "Family threatened",
      in_or_leaving_care: "In care or leaving care",
      criminal_justice_contact: "Contact with the criminal justice system",
      parental_concern: "Parents or carers are worried",
    },
  },
] as const;

type GroupIndicators = (typeof RISK_INDICATOR_GROUPS)[number]["indicators"];
type KeysOfUnion<T> = T extends unknown ? keyof T : never;
export type RiskIndicator = KeysOfUnion<GroupIndicators>;

export const RISK_INDICATORS = Object.fromEntries(
  RISK_INDICATOR_GROUPS.flatMap((group) => Object.entries(group.indicators)),
) as Vocabulary<RiskIndicator>;
export const RISK_INDICATOR_CODES = codes(RISK_INDICATORS);

/** How far a risk has gone: seen emerging, significant, or being experienced now. */
export const SEVERITIES = {
  emerging: "Emerging",
  significant: "Significant",
  experiencing: "Experiencing",
} as const satisfies Vocabulary<string>;
export type Severity = keyof typeof SEVERITIES;
export const SEVERITY_CODES = codes(SEVERITIES);

/** The screening rating. */
export const RAG_RATINGS = {
  red: "Red",
  amber: "Amber",
  green: "Green",
} as const satisfies Vocabulary<string>;
export type RagRating = keyof typeof RAG_RATINGS;
export const RAG_CODES = codes(RAG_RATINGS);

/** How soon the referrer thinks someone needs to act. */
export const URGENCIES = {
  urgent: "Urgent: someone needs to act today",
  routine: "Routine",
} as const satisfies Vocabulary<string>;
export type Urgency = keyof typeof URGENCIES;
export const URGENCY_CODES = codes(URGENCIES);

/** How a referral ended, as the referrer is told it ("closed loop"). */
export const OUTCOMES = {
  support_completed: "Support completed: risk reduced",
  support_completed_risk_remains: "Support completed: risk remains",
  signposted: "Signposted to another service",
  no_further_action: "No further action needed",
  declined_support: "Young person or family declined support",
  disengaged: "Young person disengaged",
  escalated_statutory: "Passed to statutory services",
  moved_away: "Moved out of the area",
} as const satisfies Vocabulary<string>;
export type Outcome = keyof typeof OUTCOMES;
export const OUTCOME_CODES = codes(OUTCOMES);

/** Where a case is escalated to. */
export const ESCALATIONS = {
  childrens_social_care: "Children's social care (a safeguarding referral)",
  mace: "Multi-agency child exploitation meeting (MACE)",
} as const satisfies Vocabulary<string>;
export type Escalation = keyof typeof ESCALATIONS;
export const ESCALATION_CODES = codes(ESCALATIONS);

/** Who may read a note: every involved agency, or only the writer's own agency. */
export const NOTE_VISIBILITIES = {
  shared: "Shared with every agency involved",
  agency_only: "Only my agency",
} as const satisfies Vocabulary<string>;
export type NoteVisibility = keyof typeof NOTE_VISIBILITIES;
export const NOTE_VISIBILITY_CODES = codes(NOTE_VISIBILITIES);

/** A note records a contact with the young person or family, or is a case note. */
export const NOTE_KINDS = {
  contact_in_person: "Contact: in person",
  contact_phone: "Contact: phone or video call",
  contact_message: "Contact: message",
  contact_attempted: "Attempted contact",
  case_note: "Case note",
} as const satisfies Vocabulary<string>;
export type NoteKind = keyof typeof NOTE_KINDS;
export const NOTE_KIND_CODES = codes(NOTE_KINDS);

/** Where a case action stands. */
export const CASE_ACTION_STATUSES = {
  open: "Open",
  done: "Done",
  cancelled: "Cancelled",
  handed_over: "Handed over",
} as const satisfies Vocabulary<string>;
export type CaseActionStatus = keyof typeof CASE_ACTION_STATUSES;
export const CASE_ACTION_STATUS_CODES = codes(CASE_ACTION_STATUSES);

/**
 * The statuses a person sets on an action while its case is open. An action is handed over to
 * another agency only when its case closes, because that is when the agency carries it on alone.
 */
export const CASE_ACTION_UPDATE_CODES = ["open", "done", "cancelled"] as const;
export type CaseActionUpdateStatus = (typeof CASE_ACTION_UPDATE_CODES)[number];

/**
 * What happens to an action still open when its case closes (issue 18): a case never closes with
 * an action left open.
 */
export const OPEN_ACTION_FATES = {
  done: "Done",
  cancelled: "Cancelled: no longer needed",
  handed_over: "Handed over to another agency involved, which carries it on",
} as const satisfies Vocabulary<string>;
export type OpenActionFate = keyof typeof OPEN_ACTION_FATES;
export const OPEN_ACTION_FATE_CODES = codes(OPEN_ACTION_FATES);

export const GENDERS = {
  female: "Female",
  male: "Male",
  non_binary: "Non-binary",
  other: "Described another way",
  not_known: "Not known",
} as const satisfies Vocabulary<string>;
export type Gender = keyof typeof GENDERS;
export const GENDER_CODES = codes(GENDERS);
