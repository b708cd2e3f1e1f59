import { hash, verify } from "@node-rs/argon2";

/**
 * How passwords are stored: argon2id with OWASP's minimum parameters (19 MiB, 2 passes, 1 lane),
 * about 50 ms on a small server. Kept beside the database because the seed and the sign-in code
 * must store exactly the same format.
 */
const ARGON2ID = 2; // @node-rs/argon2's Algorithm.Argon2id (a const enum, not importable as a value)
const PARAMETERS = {
  algorithm: ARGON2ID as never,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
};

/** Hash a password for storage. */
export function hashPassword(password: string): Promise<string> {
  return hash(password, PARAMETERS);
}

/** Check a password against a stored hash; a malformed hash is a mismatch, never an error. */
export async function verifyPassword(storedHash: string, password: string): Promise<boolean> {
  try {
    return await verify(storedHash, password);
  } catch {
    return false;
  }
}
