import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { findFreePort } from "../../e2e/support/server";

export const NGINX = "/usr/sbin/nginx";

/** Debian's nginx in front of Crosswalk processes, from a configuration written for the test. */
export interface Nginx {
  baseUrl: string;
  /** nginx's error log, for failure messages. */
  errors(): Promise<string>;
  /** Stop (SIGTERM, then SIGKILL after a deadline) and remove its directory; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Start nginx on a free loopback port, as the current user, with everything it writes (pid, logs,
 * temporary files) in a temporary directory, proxying to `upstreamPorts` in turn. Resolves once a
 * request through it reaches Crosswalk.
 */
export async function startNginx(upstreamPorts: number[]): Promise<Nginx> {
  if (!existsSync(NGINX)) {
    throw new Error(`nginx is needed at ${NGINX} (apt-get install nginx)`);
  }
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "crosswalk-nginx-"));
  const port = await findFreePort();
  const errorLog = path.join(dir, "error.log");
  const user = os.userInfo();
  const config = `
# As root, nginx's workers would otherwise run as nobody, who cannot write in ${dir}.
${user.uid === 0 ? `user ${user.username};` : ""}
daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${errorLog} info;
events { worker_connections 256; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream crosswalk {
${upstreamPorts.map((upstream) => `    server 127.0.0.1:${upstream} max_fails=1 fail_timeout=10s;`).join("\n")}
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://crosswalk;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_connect_timeout 2s;
    }
  }
}
`;
  const configFile = path.join(dir, "nginx.conf");
  await fs.writeFile(configFile, config);
  const child = spawn(NGINX, ["-c", configFile, "-p", dir, "-e", errorLog], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  const stderr: string[] = [];
  child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk.toString("utf8")));
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once("exit", () => {
      exited = true;
      resolve();
    });
  });
  const errors = async () =>
    `${stderr.join("")}${await fs.readFile(errorLog, "utf8").catch(() => "")}`;

  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      if (!exited) {
        child.kill("SIGTERM");
        const deadline = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exit;
        clearTimeout(deadline);
      }
      await fs.rm(dir, { recursive: true, force: true });
    })();
    return stopping;
  };

  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (exited) {
      const log = await errors();
      await stop();
      throw new Error(`nginx exited at start:\n${log}`);
    }
    try {
      const response = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      const log = await errors();
      await stop();
      throw new Error(`nginx did not answer within 20 s:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { baseUrl, errors, stop };
}
