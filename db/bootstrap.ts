import pg from "pg";

/** The role that owns the schema and runs migrations. */
export const OWNER_ROLE = "crosswalk_owner";
/** The role the application connects as: it owns nothing and cannot bypass row-level security. */
export const APP_ROLE = "crosswalk_app";

export interface BootstrapOptions {
  database: string;
  ownerPassword: string;
  appPassword: string;
}

/**
 * Create the two roles and the database on a cluster where we hold a superuser (the embedded
 * server, or a test cluster). Idempotent: safe to run at every start. For a managed PostgreSQL the
 * operator runs the equivalent SQL once; README.md shows it.
 */
export async function bootstrapCluster(
  superuserUrl: string,
  options: BootstrapOptions,
): Promise<void> {
  const client = new pg.Client({ connectionString: superuserUrl });
  await client.connect();
  try {
    for (const [role, password] of [
      [OWNER_ROLE, options.ownerPassword],
      [APP_ROLE, options.appPassword],
    ] as const) {
      const exists = await client.query("select 1 from pg_roles where rolname = $1", [role]);
      const verb = exists.rowCount ? "alter" : "create";
      await client.query(
        `${verb} role ${pg.escapeIdentifier(role)} with login nosuperuser nocreatedb nocreaterole ` +
          `nobypassrls noreplication password ${pg.escapeLiteral(password)}`,
      );
    }
    const database = await client.query("select 1 from pg_database where datname = $1", [
      options.database,
    ]);
    if (!database.rowCount) {
      await createDatabase(client, options.database);
    }
  } finally {
    await client.end();
  }
}

/** Create an empty database owned by the owner role, reachable only by our two roles. */
export async function createDatabase(
  client: pg.Client,
  name: string,
  template?: string,
): Promise<void> {
  const db = pg.escapeIdentifier(name);
  await client.query(
    `create database ${db} owner ${OWNER_ROLE}` +
      (template ? ` template ${pg.escapeIdentifier(template)}` : ""),
  );
  await client.query(`revoke all on database ${db} from public`);
  await client.query(`grant connect, temporary on database ${db} to ${APP_ROLE}`);
  await client.query(`grant all on database ${db} to ${OWNER_ROLE}`);
}

/** Replace the user, password and database of a connection URL. */
export function withCredentials(
  url: string,
  credentials: { user?: string; password?: string; database?: string },
): string {
  const parsed = new URL(url);
  if (credentials.user !== undefined) parsed.username = encodeURIComponent(credentials.user);
  if (credentials.password !== undefined)
    parsed.password = encodeURIComponent(credentials.password);
  if (credentials.database !== undefined)
    parsed.pathname = `/${encodeURIComponent(credentials.database)}`;
  return parsed.toString();
}
