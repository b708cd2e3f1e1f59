import type { ColumnType, Generated, Insertable, Selectable, Updateable } from "kysely";
import type { AgencyKind, Role, SharingPurpose } from "../policies";

/** timestamptz: pg returns a Date; we write Date or an ISO string. */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;

export interface PartnershipsTable {
  id: Generated<string>;
  name: string;
  created_at: CreatedAt;
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
}

export interface SessionsTable {
  /** SHA-256 (hex) of the session id; the id itself is only ever in the person's cookie. */
  id_hash: string;
  user_id: string;
  partnership_id: string;
  created_at: CreatedAt;
  expires_at: Timestamp;
}

export interface SignInThrottleTable {
  /** A SHA-256 over the scope and the value (an email, an address, or both): never the value itself. */
  key: string;
  failures: number;
  last_failure_at: Timestamp;
  blocked_until: Timestamp | null;
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
   * gaps. Set by the database's chain trigger, which overwrites anything an inserter supplies; so
   * are prev_hash and hash. See docs/decisions/006-audit-hash-chain.md.
   */
  chain_seq: ColumnType<string, string | number | undefined, never>;
  /** The hash of the event before it in its chain (32 zero bytes for the first). */
  prev_hash: ColumnType<Buffer, Buffer | undefined, never>;
  /** SHA-256 over prev_hash and the event's canonical encoding (db/audit/canonical.ts). */
  hash: ColumnType<Buffer, Buffer | undefined, never>;
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

export interface Database {
  partnerships: PartnershipsTable;
  agencies: AgenciesTable;
  users: UsersTable;
  sessions: SessionsTable;
  sign_in_throttle: SignInThrottleTable;
  audit_events: AuditEventsTable;
  audit_chain_heads: AuditChainHeadsTable;
  set_password_links: SetPasswordLinksTable;
  sharing_agreements: SharingAgreementsTable;
  sharing_agreement_permissions: SharingAgreementPermissionsTable;
}

export type Partnership = Selectable<PartnershipsTable>;
export type Agency = Selectable<AgenciesTable>;
export type NewAgency = Insertable<AgenciesTable>;
export type User = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type AuditEvent = Selectable<AuditEventsTable>;
export type NewAuditEvent = Insertable<AuditEventsTable>;
