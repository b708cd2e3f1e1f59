import { generateKeyPairSync, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import Provider, { type Configuration } from "oidc-provider";

/**
 * A real OpenID provider (node-oidc-provider) for tests, listening on a loopback port: an agency's
 * identity provider as Crosswalk meets it, with no stand-in for the protocol. Its sign-in page is a
 * plain form asking which of its accounts signs in; its accounts carry an email, whether
 * the provider verified it, and the `amr`/`acr` the provider asserts when that account signs in.
 */

export interface ProviderAccount {
  email: string;
  emailVerified?: boolean;
  /** Authentication methods the provider says it used (RFC 8176), e.g. ["pwd", "mfa"]. */
  amr?: string[];
  acr?: string;
}

export interface TestIdentityProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Add (or replace) the account with this email; its subject identifier is opaque, as real ones are. */
  addAccount(account: ProviderAccount): void;
  close(): Promise<void>;
}

function formBody(request: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(new URLSearchParams(Buffer.concat(chunks).toString("utf8"))));
    request.on("error", reject);
  });
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (character) =>
      ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[character]!,
  );

function loginPage(uid: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in – Test identity provider</title></head>
<body><main>
<h1>Test identity provider</h1>
<form method="post" action="/interaction/${escapeHtml(uid)}">
<label for="login">Account</label>
<input id="login" name="login" type="email" autocomplete="username">
<button type="submit">Continue</button>
</form>
</main></body></html>`;
}

/**
 * Start a provider on 127.0.0.1 with one confidential client (client_secret_basic, PKCE required)
 * whose only redirect URI is `redirectUri`.
 */
export async function startIdentityProvider(options: {
  redirectUri: string;
  accounts?: ProviderAccount[];
}): Promise<TestIdentityProvider> {
  // By subject identifier (`sub`), which is deliberately not the email.
  const accounts = new Map<string, ProviderAccount>();
  const subjectOf = (email: string) =>
    [...accounts].find(([, account]) => account.email === email)?.[0];
  const addAccount = (account: ProviderAccount) =>
    accounts.set(subjectOf(account.email) ?? `subject-${randomBytes(6).toString("hex")}`, account);
  for (const account of options.accounts ?? []) addAccount(account);
  const clientId = `crosswalk-${randomBytes(4).toString("hex")}`;
  const clientSecret = randomBytes(24).toString("base64url");
  const signingKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({
    format: "jwk",
  });

  // Made once the server listens, since its issuer names the port.
  const made: { provider?: Provider } = {};
  const server: Server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      response.statusCode = 500;
      response.end(String(error));
    });
  });
  async function handle(request: IncomingMessage, response: ServerResponse) {
    const match = /^\/interaction\/([\w-]+)$/.exec(request.url ?? "");
    const provider = made.provider;
    if (!provider) throw new Error("provider not ready");
    if (!match) return provider.callback()(request, response);
    const details = await provider.interactionDetails(request, response);
    if (request.method === "GET") {
      response.setHeader("Content-Type", "text/html; charset=utf-8");
      response.end(loginPage(details.uid));
      return;
    }
    const login = (await formBody(request)).get("login")?.trim() ?? "";
    const accountId = subjectOf(login);
    const account = accountId ? accounts.get(accountId) : undefined;
    if (!accountId || !account) {
      // A person the provider does not know: it says so and the flow ends there.
      await provider.interactionFinished(request, response, {
        error: "access_denied",
        error_description: "Unknown account",
      });
      return;
    }
    const grant = new provider.Grant({
      accountId,
      clientId: details.params.client_id as string,
    });
    grant.addOIDCScope("openid email");
    const grantId = await grant.save();
    await provider.interactionFinished(
      request,
      response,
      {
        login: {
          accountId,
          ...(account.amr ? { amr: account.amr } : {}),
          ...(account.acr ? { acr: account.acr } : {}),
        },
        consent: { grantId },
      },
      { mergeWithLastSubmission: false },
    );
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const configuration: Configuration = {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [options.redirectUri],
        response_types: ["code"],
        grant_types: ["authorization_code"],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    jwks: { keys: [{ ...signingKey, kid: "test-signing-key", use: "sig", alg: "RS256" }] },
    cookies: { keys: [randomBytes(16).toString("hex")] },
    // amr and acr go in every ID token, as providers that assert them send them; the email only
    // on request (of userinfo, where this provider puts scope claims when it issues an access token).
    claims: { openid: ["sub", "amr", "acr"], email: ["email", "email_verified"] },
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      Grant: 600,
      IdToken: 600,
      Interaction: 600,
      Session: 600,
    },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    pkce: { required: () => true },
    findAccount: (_ctx, id) => {
      const account = accounts.get(id);
      if (!account) return undefined;
      return {
        accountId: id,
        claims: () => ({
          sub: id,
          email: account.email,
          email_verified: account.emailVerified ?? true,
        }),
      };
    },
  };
  made.provider = new Provider(issuer, configuration);
  return {
    issuer,
    clientId,
    clientSecret,
    addAccount,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
