import type { ColumnType, Generated, Insertable, Selectable, Updateable } from "kysely";
import type {
  AgencyKind,
  Article6Basis,
  Article9Condition,
  ConsentForm,
  ConsentGiver,
  ConsentNotSoughtReason,
  DataItem,
  ShareDecision,
  StatutoryGateway,
  CaseActionStatus,
  ConcernRole,
  Escalation,
  Gender,
  NoteKind,
  NoteVisibility,
  Outcome,
  RagRating,
  ReferralState,
  RiskIndicator,
  Role,
  Severity,
  SharingPurpose,
  Theme,
  Urgency,
} from "../policies";

/** timestamptz: pg returns a Date; we write Date or an ISO string. */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;

/** ISO date (YYYY-MM-DD): db/connection.ts keeps `date` values as strings. */
type IsoDate = string;

/** A jsonb column: read as parsed JSON, written as a JSON string. */
type Json<T> = ColumnType<T, string | undefined, string>;

/** How long a lead has to act on a referral of one RAG rating. */
export type ResponseTarget = { hours: number } | { workingDays: number };
export type ResponseTargets = Record<RagRating, ResponseTarget>;

export interface PartnershipsTable {
  id: Generated<string>;
  name: string;
  created_at: CreatedAt;
  response_targets: Json<ResponseTargets>;
  /** How long an emergency access lasts, in minutes. */
  emergency_access_minutes: ColumnType<number, number | undefined, number>;
  /** Aggregate exports suppress counts from 1 to this less one (migration 0008). */
  oversight_suppression_threshold: ColumnType<number, number | undefined, number>;
}

export interface AgenciesTable {
  id: Generated<string>;
  partnership_id: string;
  name: string;
  kind: AgencyKind;
  contact_name: string | null;
  contact_email: string | null;
  is_active: Generated<boolean>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface UsersTable {
  id: Generated<string>;
  partnership_id: string;
  agency_id: string;
  email: string;
  display_name: string;
  role: Role;
  /** argon2id PHC string; null until the person sets a password through their one-time link. */
  password_hash: string | null;
  is_active: Generated<boolean>;
  deactivated_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  /**
   * Optional home postcode district (e.g. NB3), recorded only so the access log's reports can flag
   * someone opening the record of a young person with their surname in their district.
   */
  home_postcode_district: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface SessionsTable {
  /** SHA-256 (hex) of the session id; the id itself is only ever in the person's cookie. */
  id_hash: string;
  user_id: string;
  partnership_id: string;
  created_at: CreatedAt;
  expires_at: Timestamp;
  /** Names the session on "Your sign-ins" (to end it) without revealing its hash. */
  public_id: Generated<string>;
  /** When the second factor was last given; null while only the password has been. */
  second_factor_at: Timestamp | null;
  second_factor_method: SecondFactorMethod | null;
  /** With STEP_UP_WINDOW_MINUTES=0: a fresh second factor lets one sensitive step through until then. */
  step_up_grant_until: Timestamp | null;
  user_agent: string | null;
  client_address: string | null;
  last_active_at: Timestamp | null;
  /** The WebAuthn challenge this session was last given, and until when it may be answered. */
  webauthn_challenge: string | null;
  webauthn_challenge_until: Timestamp | null;
}

export type SecondFactorMethod = "totp" | "recovery_code" | "passkey" | "identity_provider";

export interface TotpAuthenticatorsTable {
  user_id: string;
  partnership_id: string;
  secret: Buffer;
  confirmed_at: Timestamp | null;
  last_used_step: ColumnType<
    string | null,
    string | number | null | undefined,
    string | number | null
  >;
  created_at: CreatedAt;
}

export interface RecoveryCodesTable {
  id: Generated<string>;
  partnership_id: string;
  user_id: string;
  code_hash: string;
  used_at: Timestamp | null;
  created_at: CreatedAt;
}

export interface PasskeysTable {
  id: Generated<string>;
  partnership_id: string;
  user_id: string;
  credential_id: string;
  public_key: Buffer;
  sign_count: ColumnType<string, string | number | undefined, string | number>;
  transports: ColumnType<string[], string[] | undefined, string[]>;
  name: string;
  created_at: CreatedAt;
  last_used_at: Timestamp | null;
}

export interface HeldSubmissionsTable {
  id: Generated<string>;
  partnership_id: string;
  user_id: string;
  session_id_hash: string;
  path: string;
  method: "GET" | "POST";
  fields: ColumnType<[string, string][], string, string>;
  created_at: CreatedAt;
  expires_at: Timestamp;
}

/** A form's one-time submission id, claimed by the transaction that saved the form. */
export interface FormSubmissionsTable {
  partnership_id: string;
  user_id: string;
  submission_id: string;
  created_at: CreatedAt;
  /** The page that shows what was saved: where a second sending of the form is sent. */
  result_location: string | null;
}

export interface SignInThrottleTable {
  /** A SHA-256 over the scope and the value (an email, an address, or both): never the value itself. */
  key: string;
  failures: number;
  last_failure_at: Timestamp;
  blocked_until: Timestamp | null;
}

/** An agency's identity provider for single sign-on (OpenID Connect; decision 016). */
export interface AgencySignInTable {
  agency_id: string;
  partnership_id: string;
  issuer: string;
  client_id: string;
  /** AES-256-GCM sealed (app/auth/client-secrets.server.ts); null until one is given. */
  client_secret_sealed: string | null;
  /** The ID token or userinfo claim that carries the person's email address. */
  email_claim: ColumnType<string, string | undefined, string>;
  enabled: ColumnType<boolean, boolean | undefined, boolean>;
  updated_at: UpdatedAt;
  updated_by: string | null;
}

/** A sign-in sent to an agency's identity provider and not yet back; used once. No partnership. */
export interface SingleSignOnLoginsTable {
  /** SHA-256 (hex) of the `state` sent to the provider. */
  state_hash: string;
  agency_id: string;
  /** SHA-256 (hex) of the cookie binding the sign-in to the browser that started it. */
  browser_hash: string;
  code_verifier: string;
  nonce: string;
  return_to: string;
  created_at: CreatedAt;
  expires_at: Timestamp;
}

export type AuditOutcome = "allowed" | "refused";

export interface AuditEventsTable {
  id: Generated<string>;
  /** Null only for events that belong to no partnership, such as a sign-in attempt for an unknown email. */
  partnership_id: string | null;
  occurred_at: CreatedAt;
  actor_user_id: string | null;
  actor_agency_id: string | null;
  actor_role: Role | null;
  action: string;
  record_type: string | null;
  record_id: string | null;
  young_person_id: string | null;
  outcome: AuditOutcome;
  reason: string | null;
  request_id: string | null;
  client_address: string | null;
  /** Structured, non-narrative detail: before/after values of an administrative change, search terms. */
  details: ColumnType<Record<string, unknown> | null, string | null | undefined, never>;
  /**
   * The event's place in its chain (its partnership's, or the deployment chain), from 1 without
   * gaps. Null until the sealer (audit_seal) chains the event, shortly after it commits; the
   * database's stamp trigger clears anything an inserter supplies, and so it does for prev_hash
   * and hash. See docs/decisions/009-audit-sealer-and-partitions.md.
   */
  chain_seq: ColumnType<string | null, string | number | null | undefined, never>;
  /** The hash of the event before it in its chain (32 zero bytes for the first); null until sealed. */
  prev_hash: ColumnType<Buffer | null, Buffer | null | undefined, never>;
  /** SHA-256 over prev_hash and the event's canonical encoding (db/audit/canonical.ts); null until sealed. */
  hash: ColumnType<Buffer | null, Buffer | null | undefined, never>;
  /** The transaction that wrote the event (txid_current(); set by the database; not hashed). */
  txid: ColumnType<string, string | number | undefined, never>;
  /** The order events were written in, deployment-wide (set by the database; not hashed; gaps allowed). */
  entry_seq: ColumnType<string, string | number | undefined, never>;
}

/** The newest event of each access-log chain. Reachable by the owner role only. */
export interface AuditChainHeadsTable {
  /** A partnership's id, or 00000000-0000-0000-0000-000000000000 for the deployment chain. */
  chain_id: string;
  seq: ColumnType<string, string | number, string | number>;
  hash: Buffer;
}

export interface SetPasswordLinksTable {
  /** SHA-256 (hex) of the token in the link; the token itself is shown once and never stored. */
  token_hash: string;
  partnership_id: string;
  user_id: string;
  created_by: string | null;
  created_at: CreatedAt;
  expires_at: Timestamp;
  used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface SharingAgreementsTable {
  partnership_id: string;
  /** ISO date (YYYY-MM-DD): db/connection.ts keeps `date` values as strings. */
  review_date: string | null;
  updated_at: UpdatedAt;
  updated_by: string | null;
}

export interface SharingAgreementPermissionsTable {
  partnership_id: string;
  from_kind: AgencyKind;
  to_kind: AgencyKind;
  purpose: SharingPurpose;
}

export interface YoungPeopleTable {
  id: Generated<string>;
  partnership_id: string;
  given_name: string;
  family_name: string;
  known_as: string | null;
  date_of_birth: IsoDate | null;
  gender: Gender | null;
  postcode_district: string | null;
  school: string | null;
  nhs_number: string | null;
  unique_pupil_number: string | null;
  police_reference: string | null;
  created_by: string;
  created_by_agency_id: string;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  version: Generated<number>;
}

export interface YoungPersonRevisionsTable {
  id: Generated<string>;
  partnership_id: string;
  young_person_id: string;
  version: number;
  /** The fields as they were before this change. */
  previous: Json<Record<string, unknown>>;
  reason: string;
  changed_by: string;
  changed_at: CreatedAt;
}

export interface RiskIndicatorEntry {
  code: RiskIndicator;
  severity: Severity;
}

export interface ReferralsTable {
  id: Generated<string>;
  partnership_id: string;
  state: ColumnType<ReferralState, ReferralState | undefined, ReferralState>;
  young_person_id: string | null;
  referrer_user_id: string;
  referrer_agency_id: string;
  destination: "hub" | "agency" | null;
  destination_agency_id: string | null;
  concern_roles: ColumnType<ConcernRole[], ConcernRole[] | undefined, ConcernRole[]>;
  themes: ColumnType<Theme[], Theme[] | undefined, Theme[]>;
  risk_indicators: Json<RiskIndicatorEntry[]>;
  concern: string | null;
  young_person_knows: string | null;
  family_knows: string | null;
  immediate_danger: "yes" | "no" | null;
  immediate_action: string | null;
  urgency: Urgency | null;
  rag: RagRating | null;
  rag_rationale: string | null;
  submitted_at: Timestamp | null;
  screening_due_at: Timestamp | null;
  screened_at: Timestamp | null;
  screened_by: string | null;
  escalated_to: Escalation | null;
  escalated_at: Timestamp | null;
  closed_at: Timestamp | null;
  outcome: Outcome | null;
  outcome_summary: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  version: Generated<number>;
}

export type AgencyResponse = "awaiting" | "accepted" | "declined";

export interface ReferralAgenciesTable {
  partnership_id: string;
  referral_id: string;
  agency_id: string;
  involvement: "referrer" | "receiving";
  /** Null for the referrer's agency; where a receiving agency's answer stands. */
  status: AgencyResponse | null;
  routed_at: Timestamp | null;
  routed_by: string | null;
  response_due_at: Timestamp | null;
  responded_at: Timestamp | null;
  responded_by: string | null;
  decline_reason: string | null;
  allocated_user_id: string | null;
}

export interface ReferralTransitionsTable {
  id: Generated<string>;
  partnership_id: string;
  referral_id: string;
  transition: string;
  from_state: ReferralState;
  to_state: ReferralState;
  actor_user_id: string;
  actor_agency_id: string;
  occurred_at: CreatedAt;
  rationale: string | null;
  details: Json<Record<string, unknown>>;
}

export interface CaseNotesTable {
  id: Generated<string>;
  partnership_id: string;
  referral_id: string;
  agency_id: string;
  author_user_id: string;
  kind: NoteKind;
  visibility: NoteVisibility;
  occurred_on: IsoDate;
  body: string;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  version: Generated<number>;
}

export interface CaseNoteRevisionsTable {
  id: Generated<string>;
  partnership_id: string;
  note_id: string;
  version: number;
  kind: NoteKind;
  visibility: NoteVisibility;
  occurred_on: IsoDate;
  body: string;
  reason: string;
  revised_by: string;
  revised_at: CreatedAt;
}

export interface CaseActionsTable {
  id: Generated<string>;
  partnership_id: string;
  referral_id: string;
  description: string;
  assigned_agency_id: string;
  due_on: IsoDate;
  status: ColumnType<CaseActionStatus, CaseActionStatus | undefined, CaseActionStatus>;
  created_by: string;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  completed_at: Timestamp | null;
  version: Generated<number>;
  /** The agency an action was handed over to when its case closed (status `handed_over`). */
  handed_to_agency_id: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface CaseActionUpdatesTable {
  id: Generated<string>;
  partnership_id: string;
  action_id: string;
  from_status: CaseActionStatus;
  to_status: CaseActionStatus;
  note: string | null;
  updated_by: string;
  updated_at: CreatedAt;
}

type TextArray<T extends string> = ColumnType<T[], T[] | undefined, T[]>;

export interface DecisionsToShareTable {
  id: Generated<string>;
  partnership_id: string;
  referral_id: string;
  young_person_id: string;
  supersedes_id: string | null;
  decision: ShareDecision;
  decided_by: string;
  decided_by_agency_id: string;
  decided_at: CreatedAt;
  advice_from: string | null;
  recipient_agency_ids: string[];
  purposes: SharingPurpose[];
  data_items: TextArray<DataItem>;
  /** Null only for a decision not to share (nothing is shared, so no basis is asked). */
  article6: Article6Basis | null;
  article9: Article9Condition | null;
  gateway: StatutoryGateway | null;
  source_kind: AgencyKind;
  consent_relied_on: boolean;
  consent_given_by: ConsentGiver | null;
  competence_assessment: string | null;
  consent_scope_agency_ids: ColumnType<string[], string[] | undefined, string[]>;
  consent_scope_purposes: TextArray<SharingPurpose>;
  consent_form: ConsentForm | null;
  consent_expires_on: IsoDate | null;
  consent_not_sought_reason: ConsentNotSoughtReason | null;
  young_person_views: string | null;
  rationale: string;
  /** When a decision not to share should be looked at again. */
  review_on: ColumnType<IsoDate | null, IsoDate | null | undefined, IsoDate | null>;
}

export interface ConsentWithdrawalsTable {
  id: Generated<string>;
  partnership_id: string;
  decision_id: string;
  withdrawn_by: ConsentGiver;
  withdrawn_at: Timestamp;
  recorded_by: string;
  recorded_at: CreatedAt;
  note: string | null;
}

export type EmergencyReason =
  "risk_to_life" | "missing_child" | "imminent_harm" | "out_of_hours_safeguarding" | "other";

export interface EmergencyAccessesTable {
  id: Generated<string>;
  partnership_id: string;
  young_person_id: string;
  user_id: string;
  agency_id: string;
  reason: EmergencyReason;
  reason_detail: string;
  opened_at: Timestamp;
  expires_at: Timestamp;
  review_outcome: "appropriate" | "not_appropriate" | null;
  reviewed_by: string | null;
  reviewed_at: Timestamp | null;
  review_note: string | null;
}

/**
 * The oversight dashboards' summary (migration 0010, decision 012): kept by database triggers in
 * the transaction that changes a referral, its involvements or its notes; the application only
 * reads it.
 */
export interface OversightReferralsTable {
  partnership_id: string;
  referral_id: string;
  state: ReferralState;
  rag: RagRating | null;
  themes: Theme[];
  referrer_agency_id: string;
  involved_agency_ids: string[];
  submitted_at: Timestamp;
  /** The Monday of the UK week of submission, YYYY-MM-DD. */
  submitted_week: string;
  screening_due_at: Timestamp;
  screened_at: Timestamp | null;
  closed_at: Timestamp | null;
  outcome: Outcome | null;
  first_accepted_at: Timestamp | null;
  first_contact_at: Timestamp | null;
  acceptance_within_target: boolean;
  acceptance_past_target: boolean;
  /** Bands (DURATION_BANDS keys) of the time from submission to screening, first acceptance, first contact. */
  screening_band: string | null;
  acceptance_band: string | null;
  first_contact_band: string | null;
}

export interface OversightInvolvementsTable {
  partnership_id: string;
  referral_id: string;
  agency_id: string;
  status: AgencyResponse | null;
  allocated_user_id: string | null;
  response_due_at: Timestamp | null;
  responded_at: Timestamp | null;
  first_contact_at: Timestamp | null;
  /** Bands of the time from the referral's submission to this agency's answer and first contact. */
  responded_band: string | null;
  first_contact_band: string | null;
}

/**
 * The auditor's view of a young person (migration 0011): names and what the access log's reports
 * compare, never identifiers or narrative; rows only for an auditor.
 */
export interface AuditYoungPeopleView {
  id: string;
  partnership_id: string;
  given_name: string;
  family_name: string;
  known_as: string | null;
  date_of_birth: IsoDate | null;
  postcode_district: string | null;
  created_by_agency_id: string;
  created_at: Date;
}

/** What a person is told (migration 0017): their own, and the email outbox's state of each. */
export interface NotificationsTable {
  id: Generated<string>;
  partnership_id: string;
  user_id: string;
  kind: string;
  referral_id: string | null;
  record_type: string | null;
  record_id: string | null;
  link: string;
  /** Vocabulary labels, a reference and agency names only: never personal data or narrative. */
  reason: string;
  urgent: ColumnType<boolean, boolean | undefined, never>;
  created_at: CreatedAt;
  read_at: Timestamp | null;
  email_state: ColumnType<NotificationEmailState, NotificationEmailState | undefined, never>;
  email_attempts: ColumnType<number, never, never>;
  email_next_attempt_at: ColumnType<Date, Date | string | undefined, never>;
  email_lease_until: ColumnType<Date | null, never, never>;
  email_sent_at: ColumnType<Date | null, never, never>;
  email_last_error: ColumnType<string | null, never, never>;
}

export type NotificationEmailState = "pending" | "sent" | "dead" | "not_sent";

export interface Database {
  partnerships: PartnershipsTable;
  agencies: AgenciesTable;
  users: UsersTable;
  sessions: SessionsTable;
  totp_authenticators: TotpAuthenticatorsTable;
  recovery_codes: RecoveryCodesTable;
  passkeys: PasskeysTable;
  held_submissions: HeldSubmissionsTable;
  form_submissions: FormSubmissionsTable;
  sign_in_throttle: SignInThrottleTable;
  agency_sign_in: AgencySignInTable;
  single_sign_on_logins: SingleSignOnLoginsTable;
  audit_events: AuditEventsTable;
  audit_chain_heads: AuditChainHeadsTable;
  set_password_links: SetPasswordLinksTable;
  sharing_agreements: SharingAgreementsTable;
  sharing_agreement_permissions: SharingAgreementPermissionsTable;
  young_people: YoungPeopleTable;
  young_person_revisions: YoungPersonRevisionsTable;
  referrals: ReferralsTable;
  referral_agencies: ReferralAgenciesTable;
  referral_transitions: ReferralTransitionsTable;
  case_notes: CaseNotesTable;
  case_note_revisions: CaseNoteRevisionsTable;
  case_actions: CaseActionsTable;
  case_action_updates: CaseActionUpdatesTable;
  decisions_to_share: DecisionsToShareTable;
  consent_withdrawals: ConsentWithdrawalsTable;
  emergency_accesses: EmergencyAccessesTable;
  oversight_referrals: OversightReferralsTable;
  oversight_involvements: OversightInvolvementsTable;
  audit_young_people: AuditYoungPeopleView;
  notifications: NotificationsTable;
}

export type Partnership = Selectable<PartnershipsTable>;
export type Agency = Selectable<AgenciesTable>;
export type NewAgency = Insertable<AgenciesTable>;
export type User = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type AuditEvent = Selectable<AuditEventsTable>;
export type NewAuditEvent = Insertable<AuditEventsTable>;
