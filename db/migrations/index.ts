import type { Migration } from "kysely/migration";
import * as foundation from "./2026_11_24_0001_foundation";
import * as administration from "./2026_11_24_0002_administration";
import * as auditChain from "./2026_11_24_0003_audit_chain";
import * as referrals from "./2026_11_24_0004_referrals";
import * as responseTargets from "./2026_11_24_0005_response_targets";
import * as decisionsToShare from "./2026_11_24_0006_decisions_to_share";
import * as auditSealerAndPartitions from "./2026_11_24_0007_audit_sealer_and_partitions";
import * as oversight from "./2026_11_24_0008_oversight";
import * as accessLogReading from "./2026_11_24_0009_access_log_reading";
import * as oversightSummary from "./2026_11_24_0010_oversight_summary";
import * as caseVisibility from "./2026_11_24_0011_case_visibility";
import * as auditCheckpoints from "./2026_11_24_0012_audit_checkpoints";
import * as secondFactors from "./2026_12_07_0013_second_factors";
import * as agencySignIn from "./2026_12_07_0014_agency_sign_in";
import * as accountSecurity from "./2026_12_07_0015_account_security";
import * as roughEdges from "./2026_12_07_0016_rough_edges";
import * as notifications from "./2026_12_07_0017_notifications";
import * as formSubmissions from "./2026_12_07_0018_form_submissions";

/**
 * Every migration, by name, in the order they run. Listed statically (rather than read from the
 * folder at run time) so the same list works under tsx, vitest and the bundled server; a test
 * checks that no file in this folder is missing from it.
 */
export const migrations: Record<string, Migration> = {
  "2026_11_24_0001_foundation": foundation,
  "2026_11_24_0002_administration": administration,
  "2026_11_24_0003_audit_chain": auditChain,
  "2026_11_24_0004_referrals": referrals,
  "2026_11_24_0005_response_targets": responseTargets,
  "2026_11_24_0006_decisions_to_share": decisionsToShare,
  "2026_11_24_0007_audit_sealer_and_partitions": auditSealerAndPartitions,
  "2026_11_24_0008_oversight": oversight,
  "2026_11_24_0009_access_log_reading": accessLogReading,
  "2026_11_24_0010_oversight_summary": oversightSummary,
  "2026_11_24_0011_case_visibility": caseVisibility,
  "2026_11_24_0012_audit_checkpoints": auditCheckpoints,
  "2026_12_07_0013_second_factors": secondFactors,
  "2026_12_07_0014_agency_sign_in": agencySignIn,
  "2026_12_07_0015_account_security": accountSecurity,
  "2026_12_07_0016_rough_edges": roughEdges,
  "2026_12_07_0017_notifications": notifications,
  "2026_12_07_0018_form_submissions": formSubmissions,
};
