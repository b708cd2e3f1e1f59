import { spawn } from "node:child_process";
import path from "node:path";
import { PROJECT_ROOT } from "./host";

/** How `npm run audit:verify` ended: its exit code and what it printed. */
export interface AuditVerification {
  code: number | null;
  output: string;
}

/**
 * Run the access log's verification as an operator does (`npm run audit:verify`, here its script
 * without npm), on a data directory (its embedded database, reusing a running server) or, with
 * DATABASE_OWNER_URL in `env`, on a separate database.
 */
export function verifyAccessLog(env: Record<string, string>): Promise<AuditVerification> {
  return new Promise((resolve, reject) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
    if (!env.DATABASE_OWNER_URL) {
      delete childEnv.DATABASE_URL;
      delete childEnv.DATABASE_OWNER_URL;
    }
    const child = spawn(
      process.execPath,
      ["--import", "tsx", path.join(PROJECT_ROOT, "db/cli/audit-verify.ts")],
      { cwd: PROJECT_ROOT, env: childEnv, stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, output }));
  });
}
