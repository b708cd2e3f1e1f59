import fs from "node:fs";
import http from "node:http";
import pg from "pg";
import { paramsFor, type ReplayStatement } from "./capture";

/**
 * The bare baseline: a plain `node:http` handler with a `pg` pool of the application's size that
 * runs, for each scenario, the statements PostgreSQL logged while the application served it (the
 * tenant's set_config, the access-log insert and all, in the same transactions, as the same role),
 * and answers with an HTML page of the application's page's size built from the rows. What the
 * application does beyond this (routing, sessions in code, policies, React, the frame) is what the
 * ratio of the two measures.
 *
 * Started by `npm run bench:http` as `node --import tsx bench/http/baseline-server.ts PLAN.json`.
 */

export interface BaselineScenario {
  /** The transactions the application ran (each on a pooled connection), one after the other. */
  replay: ReplayStatement[][];
  status: number;
  location: string | null;
  htmlBytes: number;
}

export interface BaselinePlan {
  databaseUrl: string;
  poolMax: number;
  scenarios: Record<string, BaselineScenario>;
}

function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

async function serveScenario(pool: pg.Pool, scenario: BaselineScenario): Promise<string[]> {
  const rows: string[] = [];
  const made = new Map<string, string>();
  for (const group of scenario.replay) {
    const client = await pool.connect();
    let inTransaction = false;
    try {
      for (const statement of group) {
        const result = await client.query(statement.text, paramsFor(statement, made));
        const command = statement.text.trim().slice(0, 6).toLowerCase();
        if (command === "begin") inTransaction = true;
        if (command === "commit" || command.startsWith("rollba")) inTransaction = false;
        for (const row of result.rows as Record<string, unknown>[]) {
          rows.push(
            `<tr>${Object.values(row)
              .map((value) => `<td>${escapeHtml(value)}</td>`)
              .join("")}</tr>`,
          );
        }
      }
    } catch (error) {
      if (inTransaction) await client.query("rollback").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
  return rows;
}

/** A page of the application's page's size: the rows read, then filler to the same length. */
function pageOf(rows: string[], bytes: number): Buffer {
  const head = `<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>Baseline</title></head><body><table>`;
  const tail = `</table></body></html>`;
  let body = head + rows.join("") + tail;
  const missing = bytes - Buffer.byteLength(body);
  if (missing > 0)
    body =
      head +
      rows.join("") +
      tail.replace("</body>", `<p>${"x".repeat(Math.max(0, missing - 7))}</p></body>`);
  return Buffer.from(body);
}

function main(): void {
  const planFile = process.argv[2];
  if (!planFile) throw new Error("usage: baseline-server.ts PLAN.json");
  const plan = JSON.parse(fs.readFileSync(planFile, "utf8")) as BaselinePlan;
  const pool = new pg.Pool({
    connectionString: plan.databaseUrl,
    max: plan.poolMax,
    application_name: "crosswalk-bench-baseline",
  });
  pool.on("error", () => undefined);

  const server = http.createServer((req, res) => {
    // The body of a form is read, as the application reads it, then ignored.
    req.resume();
    req.on("end", () => {
      const name = /^\/scenario\/([a-z-]+)/.exec(req.url ?? "")?.[1];
      if (req.url === "/healthz") {
        res.writeHead(200, { "content-type": "text/plain" }).end("ok");
        return;
      }
      const scenario = name ? plan.scenarios[name] : undefined;
      if (!scenario) {
        res.writeHead(404).end();
        return;
      }
      serveScenario(pool, scenario).then(
        (rows) => {
          if (scenario.location) {
            res
              .writeHead(scenario.status, { location: scenario.location, "content-length": 0 })
              .end();
            return;
          }
          const page = pageOf(rows, scenario.htmlBytes);
          res
            .writeHead(scenario.status, {
              "content-type": "text/html; charset=utf-8",
              "content-length": page.length,
            })
            .end(page);
        },
        (error: unknown) => {
          process.stderr.write(
            `baseline ${name}: ${error instanceof Error ? error.message : String(error)}\n`,
          );
          res.writeHead(500).end();
        },
      );
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(Number(process.env.PORT), "127.0.0.1");
  const stop = () => {
    server.close();
    server.closeAllConnections();
    void pool.end().finally(() => process.exit(0));
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main();
