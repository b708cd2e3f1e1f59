import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { encodeForm, type FormFields } from "./http";

/** Debian's sqlmap, installed by .ci/run like Chromium. */
export const SQLMAP = process.env.SQLMAP_PATH ?? "/usr/bin/sqlmap";

export const sqlmapInstalled = () => existsSync(SQLMAP);

/**
 * The level of the runs on forms and query strings: 1 in CI (each of the fifty-odd targets in a
 * few seconds), 2 for a thorough run (CROSSWALK_SQLMAP_LEVEL=2, about three times as long). The
 * session cookie is always tried at level 2, which is the level that tries cookies at all.
 */
export const SQLMAP_LEVEL = Number(process.env.CROSSWALK_SQLMAP_LEVEL ?? 1);

/**
 * The options of every run, bounded: risk 1 (no payloads that could change data by themselves),
 * boolean, error, UNION, stacked and time-based techniques against PostgreSQL, two-second delays,
 * ten-second timeouts, two threads; 401 and 429 (a wrong password, the sign-in throttle) are
 * answers to compare, not errors; each request comes from a random address (X-Forwarded-For, which
 * the test server trusts from loopback), so the throttle judges each attempt on its own.
 */
export const SQLMAP_OPTIONS = [
  "--batch",
  "--risk=1",
  "--technique=BEUST",
  "--dbms=PostgreSQL",
  "--time-sec=2",
  "--timeout=10",
  "--retries=1",
  "--threads=2",
  "--flush-session",
  "--disable-coloring",
  "--answers=follow=N",
  "--ignore-code=401,429",
  "--tamper=xforwardedfor",
];

export interface SqlmapTarget {
  method: "GET" | "POST";
  /** An absolute loopback URL, with the query string for a GET. */
  url: string;
  /** The form for a POST. */
  fields?: FormFields;
  cookie: string | null;
  /** Also try the session cookie itself (one run is enough: it is the same on every page). */
  testCookie: boolean;
  /** The parameters to try (those no earlier run tried on the same route); all when absent. */
  parameters?: string[];
  level: number;
}

/** The command line for one target, with the session cookie and the same-origin header. */
export function sqlmapArguments(target: SqlmapTarget, outputDir: string): string[] {
  const url = new URL(target.url);
  if (url.hostname !== "127.0.0.1")
    throw new Error(`sqlmap runs against loopback only, not ${url.host}`);
  return [
    "-u",
    target.url,
    ...(target.method === "POST" ? [`--data=${encodeForm(target.fields ?? [])}`] : []),
    ...(target.cookie ? [`--cookie=crosswalk_session=${target.cookie}`] : []),
    "--headers=Sec-Fetch-Site: same-origin",
    `--level=${target.level}`,
    ...(target.cookie && !target.testCookie ? ["--skip=crosswalk_session"] : []),
    ...(target.parameters
      ? [
          "-p",
          [...target.parameters, ...(target.testCookie ? ["crosswalk_session"] : [])].join(","),
        ]
      : []),
    ...SQLMAP_OPTIONS,
    `--output-dir=${outputDir}`,
  ];
}

export interface SqlmapRun {
  command: string[];
  output: string;
  timedOut: boolean;
  exitCode: number | null;
  /** The parameters sqlmap reports injectable (its own words). */
  injectable: string[];
  /** The parameters it says it tested and found not injectable. */
  notInjectable: boolean;
}

/**
 * Run sqlmap on one target with its home and output in `tempDir` (never the repository), killed
 * after `timeoutMs`.
 */
export function runSqlmap(
  target: SqlmapTarget,
  tempDir: string,
  timeoutMs: number,
): Promise<SqlmapRun> {
  const command = sqlmapArguments(target, `${tempDir}/output`);
  return new Promise((resolve, reject) => {
    const child = spawn(SQLMAP, command, {
      cwd: tempDir,
      env: { ...process.env, HOME: tempDir, XDG_DATA_HOME: tempDir, XDG_CONFIG_HOME: tempDir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", reject);
    child.on("close", (exitCode) => {
      clearTimeout(timer);
      // Only what sqlmap confirms: it says "appears to be … injectable" of a candidate it may then
      // reject as a false positive, and lists what it keeps under "identified the following".
      const identified = output.split("identified the following injection point(s)")[1] ?? "";
      const injectable = [
        ...identified.matchAll(/Parameter: ([^\n]+?) \((?:GET|POST|Cookie|URI|[A-Za-z-]+)\)/g),
      ].map((match) => match[1] as string);
      resolve({
        command,
        output,
        timedOut,
        exitCode,
        injectable: [...new Set(injectable)],
        notInjectable: /all tested parameters do not appear to be injectable/.test(output),
      });
    });
  });
}
