import fs from "node:fs";
import os from "node:os";
import type { SideSummary } from "./load";
import type { Scenario } from "./scenarios";

export interface Comparison {
  scenario: Scenario;
  connections: number;
  app: SideSummary;
  baseline: SideSummary;
  appRssPeak: number;
  baselineRssPeak: number;
  htmlBytes: number;
  slices: number;
}

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(1) : "-");
const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
const kb = (bytes: number) => (bytes / 1024).toFixed(1);

function pad(cells: string[][]): string[] {
  const widths =
    cells[0]?.map((_, column) => Math.max(...cells.map((row) => row[column]?.length ?? 0))) ?? [];
  return cells.map((row) =>
    row
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join("  "),
  );
}

/** The table: one row per scenario and connection count. */
export function comparisonTable(comparisons: Comparison[]): string[] {
  const header = [
    "scenario",
    "conns",
    "app req/s",
    "base req/s",
    "ratio",
    "app p50",
    "p95",
    "p99 ms",
    "base p50",
    "p95",
    "p99 ms",
    "errors",
    "app RSS MB",
    "HTML KB",
  ];
  const rows = comparisons.map((row) => [
    row.scenario.label,
    String(row.connections),
    row.app.requestsPerSecond.toFixed(1),
    row.baseline.requestsPerSecond.toFixed(1),
    row.baseline.requestsPerSecond > 0
      ? `${((100 * row.app.requestsPerSecond) / row.baseline.requestsPerSecond).toFixed(0)}%`
      : "-",
    ms(row.app.p50),
    ms(row.app.p95),
    ms(row.app.p99),
    ms(row.baseline.p50),
    ms(row.baseline.p95),
    ms(row.baseline.p99),
    `${row.app.errors}/${row.baseline.errors}`,
    mb(row.appRssPeak),
    kb(row.htmlBytes),
  ]);
  return pad([header, ...rows]);
}

/** The targets for a large data set on two cores, each said met or not. */
export function targetLines(comparisons: Comparison[]): string[] {
  const lines: string[] = [];
  const p95Limits: Record<string, number> = {
    referral: 50,
    caseload: 50,
    "add-note": 100,
    dashboard: 500,
    "audit-search": 200,
  };
  const verdict = (ok: boolean) => (ok ? "met" : "NOT MET");
  for (const row of comparisons) {
    const name = row.scenario.name;
    if (row.connections === 16 && row.scenario.read) {
      const ratio = row.app.requestsPerSecond / row.baseline.requestsPerSecond;
      lines.push(
        `${verdict(ratio >= 0.7)}: ${row.scenario.label} at 16 connections, ${(100 * ratio).toFixed(0)}% of the baseline (target ≥ 70%)`,
      );
    }
    const limit = p95Limits[name];
    if (row.connections === 1 && limit !== undefined) {
      lines.push(
        `${verdict(row.app.p95 <= limit)}: ${row.scenario.label} p95 at 1 connection ${ms(row.app.p95)} ms (target ≤ ${limit} ms)`,
      );
    }
  }
  const errors = comparisons.reduce((sum, row) => sum + row.app.errors + row.baseline.errors, 0);
  lines.push(`${verdict(errors === 0)}: ${errors} errors (target 0)`);
  const rss = Math.max(0, ...comparisons.map((row) => row.appRssPeak));
  lines.push(
    `${verdict(rss <= 300 * 2 ** 20)}: the application's peak RSS ${mb(rss)} MB (target ≤ 300 MB)`,
  );
  const html = Math.max(0, ...comparisons.map((row) => row.htmlBytes));
  lines.push(
    `${verdict(html <= 300 * 1024)}: the largest page ${kb(html)} KB of HTML (target ≤ 300 KB)`,
  );
  return lines;
}

/** What machine, how busy: figures from a shared machine are read with this beside them. */
export function machineLine(): string {
  const cpus = os.cpus();
  return `Node ${process.version}, ${cpus.length} CPUs (${cpus[0]?.model ?? "unknown"}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, load average ${os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(" ")}`;
}

const MARKER = "<!-- npm run bench:http adds each run above this line -->";

/**
 * Add a run's table to docs/PERFORMANCE.md, above the marker in its HTTP section (at the end of
 * the file when the marker is missing).
 */
export function appendToPerformanceDoc(file: string, heading: string, lines: string[]): void {
  const section = [`### ${heading}`, "", "```", ...lines, "```", "", ""].join("\n");
  const doc = fs.readFileSync(file, "utf8");
  const at = doc.indexOf(MARKER);
  const next =
    at >= 0 ? doc.slice(0, at) + section + doc.slice(at) : `${doc.trimEnd()}\n\n${section}`;
  fs.writeFileSync(file, next);
}
