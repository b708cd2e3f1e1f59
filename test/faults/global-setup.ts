import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { DEMO_PARTNERSHIP_ID, DEMO_PASSWORD } from "../../db/seed/demo";
import { snapshotBuild } from "../e2e/support/server";
import { signIn } from "../security/support/actors";
import { startHost } from "./support/host";
import { pageStatus } from "./support/notes";
import { endQuietly, superuserClient } from "./support/postgres";

/** What every scenario starts from. */
export interface FaultsWorld {
  /** A snapshot of the build under test (build/ and public/) that every server runs from. */
  appDir: string;
  /**
   * A stopped host's data directory, migrated and seeded with the demo partnership, holding a
   * session of the partnership lead: scenarios copy it rather than each making and seeding a
   * cluster of their own.
   */
  templateDir: string;
  /** The partnership lead's session cookie, valid in every copy of the template. */
  cookie: string;
  /** An open referral of the demo partnership that the lead may add notes to. */
  referralId: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    faults: FaultsWorld;
  }
}

export const LEAD_EMAIL = "lead@northbridge.example";

/**
 * Every scenario starts servers of its own (each fault damages one), all from one snapshot of the
 * build, so a rebuild in the working tree during the run cannot change what is under test.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!existsSync("build/server/index.js") || !existsSync("build/host/index.js"))
    throw new Error("No production build: run `npm run test:faults`, which builds first.");
  const appDir = await snapshotBuild();
  const templateParent = await fs.mkdtemp(path.join(os.tmpdir(), "crosswalk-faults-template-"));
  await fs.chmod(templateParent, 0o711);
  const templateDir = path.join(templateParent, "data");
  const teardown = async () => {
    await fs.rm(templateParent, { recursive: true, force: true });
    await fs.rm(appDir, { recursive: true, force: true });
  };
  try {
    await fs.mkdir(templateDir, { mode: 0o711 });
    project.provide("faults", await prepareTemplate(appDir, templateDir));
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}

/** Start a host on an empty data directory, sign the lead in, pick a referral, and stop it. */
async function prepareTemplate(appDir: string, templateDir: string): Promise<FaultsWorld> {
  const host = await startHost({ appDir, dataDir: templateDir });
  let world: FaultsWorld;
  try {
    const cookie = await signIn(host.baseUrl, LEAD_EMAIL, DEMO_PASSWORD);
    const started = await host.waitForLog((record) => record.msg === "embedded PostgreSQL started");
    const client = await superuserClient(templateDir, Number(started.port));
    let referralId: string | undefined;
    try {
      const referral = await client.query<{ id: string }>(
        "select id from referrals where partnership_id = $1 and state = 'active' order by id limit 1",
        [DEMO_PARTNERSHIP_ID],
      );
      referralId = referral.rows[0]?.id;
    } finally {
      await endQuietly(client);
    }
    if (!referralId) throw new Error("The demo partnership has no active referral");
    const formStatus = await pageStatus(
      { baseUrl: host.baseUrl, cookie, referralId },
      `/referrals/${referralId}/notes/new`,
    );
    if (formStatus !== 200)
      throw new Error(`The lead cannot open the add-a-note form: ${formStatus}`);
    world = { appDir, templateDir, cookie, referralId };
  } catch (error) {
    await host.stop();
    throw error;
  }
  const exit = await host.stop();
  if (exit.code !== 0)
    throw new Error(
      `The template's server did not stop cleanly (code ${exit.code}, signal ${exit.signal}):\n${host.recentOutput()}`,
    );
  return world;
}
