import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";

/**
 * The key that seals agencies' single sign-on client secrets (decision 016): 32 random bytes,
 * base64, in a file outside the database. By default `<DATA_DIR>/sso-keys/client-secret.key`,
 * made at first start; with SSO_SECRET_KEY_FILE set, that file, which must exist (every server of
 * a deployment reads the same one).
 */

export const CLIENT_SECRET_KEY_FILE_NAME = "client-secret.key";

/** The default key file under DATA_DIR. */
export function defaultClientSecretKeyFile(dataDir: string): string {
  return path.join(dataDir, "sso-keys", CLIENT_SECRET_KEY_FILE_NAME);
}

/** Read the key, making it first when `create` is set and it does not exist yet. */
export async function loadClientSecretKey(file: string, create: boolean): Promise<Uint8Array> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (error) {
    if (!create || (error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    text = randomBytes(32).toString("base64");
    await fs.writeFile(file, `${text}\n`, { mode: 0o600, flag: "wx" });
  }
  const key = Buffer.from(text.trim(), "base64");
  if (key.length !== 32) {
    throw new Error(
      `${file} must hold 32 bytes in base64 (make one with: openssl rand -base64 32)`,
    );
  }
  return key;
}
