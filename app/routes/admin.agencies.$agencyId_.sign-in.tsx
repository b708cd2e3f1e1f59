import { parseWithZod } from "@conform-to/zod/v4";
import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { requireActorFor, requireStepUp } from "~/auth/session.server";
import { CALLBACK_PATH, isLoopbackIssuer } from "~/auth/single-sign-on.server";
import { fieldErrors, readForm, uuidParam } from "~/forms.server";
import { serviceCall } from "~/http.server";
import {
  DEFAULT_EMAIL_CLAIM,
  getAgencySignIn,
  saveAgencySignIn,
} from "~/services/agency-sign-in.server";
import { InvalidInput } from "~/services/errors";
import { BackLink } from "~/ui/back-link";
import { Button, ErrorSummary, TextInput } from "~/ui/form";
import { asTyped, plainText } from "~/ui/plain-text";
import { Radios } from "~/ui/radios";
import { SuccessBanner } from "~/ui/success-banner";
import { SummaryList } from "~/ui/summary-list";
import { Tag } from "~/ui/tag";
import { PostForm } from "~/ui/post-form";

export const meta: MetaFunction<typeof loader> = ({ data: page }) => [
  { title: `Single sign-on${page ? ` – ${page.agencyName}` : ""} – Crosswalk` },
];

const DONE = { saved: "Single sign-on saved" };
const FIELDS = ["issuer", "clientId", "clientSecret", "emailClaim", "enabled"] as const;

/** An issuer is an https address (plain http only on this machine's loopback), without query. */
function isIssuer(value: string): boolean {
  try {
    const url = new URL(value);
    const secure = url.protocol === "https:" || (url.protocol === "http:" && isLoopbackIssuer(url));
    return secure && !url.search && !url.hash && !url.username && !url.password;
  } catch {
    return false;
  }
}

const AgencySignInSchema = z.object({
  issuer: plainText("The issuer", { error: "Enter the identity provider's issuer" })
    .trim()
    .min(1, "Enter the identity provider's issuer")
    .max(500, "The issuer must be 500 characters or fewer")
    .refine(isIssuer, "Enter the issuer as an https address, like https://login.example.org"),
  clientId: plainText("The client ID", { error: "Enter the client ID" })
    .trim()
    .min(1, "Enter the client ID")
    .max(500, "The client ID must be 500 characters or fewer"),
  clientSecret: plainText("The client secret")
    .trim()
    .max(1000, "The client secret must be 1000 characters or fewer")
    .optional()
    .transform((value) => value || null),
  emailClaim: z
    .string()
    .trim()
    .max(100, "The claim's name must be 100 characters or fewer")
    .regex(/^[A-Za-z0-9_.:-]*$/, "Enter the claim's name, like email or preferred_username")
    .optional()
    .transform((value) => value || DEFAULT_EMAIL_CLAIM),
  enabled: z
    .enum(["yes", "no"], { error: "Select whether the agency's people sign in with it" })
    .transform((value) => value === "yes"),
});

function answersOf(form: FormData) {
  return {
    issuer: asTyped(form.get("issuer"), 500),
    clientId: asTyped(form.get("clientId"), 500),
    emailClaim: asTyped(form.get("emailClaim"), 100),
    enabled: asTyped(form.get("enabled"), 3),
  };
}

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const ctx = await requireActorFor(request, context, "agency.manage");
  const agencyId = uuidParam(params, "agencyId");
  const settings = await serviceCall(() => getAgencySignIn(ctx, agencyId));
  return { ...settings, redirectUri: `${context.publicUrl}${CALLBACK_PATH}` };
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const ctx = await requireActorFor(request, context, "agency.manage");
  await requireStepUp(request, context, ctx);
  const agencyId = uuidParam(params, "agencyId");
  const form = await readForm(request);
  const submission = parseWithZod(form, { schema: AgencySignInSchema });
  if (submission.status !== "success") {
    const errors = fieldErrors(submission.reply({ hideFields: ["clientSecret"] }), FIELDS);
    return data({ answers: answersOf(form), errors }, { status: 400 });
  }
  try {
    await serviceCall(() =>
      saveAgencySignIn(ctx, agencyId, submission.value, context.clientSecretKey),
    );
  } catch (error) {
    if (!(error instanceof InvalidInput)) throw error;
    return data({ answers: answersOf(form), errors: error.errors }, { status: 400 });
  }
  throw redirect(`/admin/agencies/${agencyId}/sign-in?done=saved`);
}

export default function AgencySignInPage() {
  const page = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const errors = result?.errors ?? [];
  const errorFor = (field: string) => errors.find((error) => error.field === field)?.message;
  const answers = result?.answers ?? {
    issuer: page.issuer,
    clientId: page.clientId,
    emailClaim: page.emailClaim,
    enabled: page.configured ? (page.enabled ? "yes" : "no") : "",
  };
  return (
    <>
      <BackLink to={`/admin/agencies/${page.agencyId}`}>{`Back to ${page.agencyName}`}</BackLink>
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-two-thirds">
          <ErrorSummary errors={errors} />
          <SuccessBanner messages={DONE} />
          <span className="govuk-caption-l">{page.agencyName}</span>
          <h1 className="govuk-heading-l">Single sign-on</h1>
          <p className="govuk-body">
            The agency&apos;s people can sign in with their organisation&apos;s own account, through
            its identity provider (OpenID Connect). Each person still needs a Crosswalk account: it
            is found by the email address the identity provider has verified, in this agency only.
            Unless the identity provider says it asked for more than a password, Crosswalk asks for
            its own second factor too.
          </p>
          <SummaryList
            rows={[
              {
                key: "Status",
                value:
                  page.configured && page.enabled ? (
                    <Tag colour="green">On</Tag>
                  ) : (
                    <Tag colour="grey">Off</Tag>
                  ),
              },
              {
                key: "Redirect URI",
                value: <code className="app-break-anywhere">{page.redirectUri}</code>,
              },
            ]}
          />
          <p className="govuk-body">
            Register Crosswalk with the identity provider as a web application with this redirect
            URI, then enter what it gives you.
          </p>
          {/* A new key once saved: the fields start again from what was saved (the secret empty). */}
          <PostForm noValidate key={`${page.agencyId}-${page.updatedAt ?? ""}`}>
            <TextInput
              id="issuer"
              label="Issuer"
              hint="The identity provider's address, as its OpenID configuration names it, like https://login.microsoftonline.com/your-tenant-id/v2.0"
              type="url"
              spellCheck={false}
              autoComplete="off"
              defaultValue={answers.issuer}
              error={errorFor("issuer")}
            />
            <TextInput
              id="clientId"
              label="Client ID"
              spellCheck={false}
              autoComplete="off"
              defaultValue={answers.clientId}
              error={errorFor("clientId")}
            />
            <TextInput
              id="clientSecret"
              label="Client secret"
              hint={
                page.clientSecretSet
                  ? "A secret is kept and never shown. Leave this blank to keep it."
                  : "It is kept encrypted and never shown again."
              }
              type="password"
              autoComplete="new-password"
              error={errorFor("clientSecret")}
            />
            <TextInput
              id="emailClaim"
              label="Claim that carries the email address"
              hint="Usually email. With another claim (such as preferred_username or upn), the identity provider must only ever put in it an address that it controls."
              spellCheck={false}
              autoComplete="off"
              width={20}
              defaultValue={answers.emailClaim}
              error={errorFor("emailClaim")}
            />
            <Radios
              name="enabled"
              legend="Can the agency's people sign in with it?"
              legendSize="s"
              choices={[
                { value: "yes", label: "Yes, turn single sign-on on" },
                { value: "no", label: "No, keep it off" },
              ]}
              value={answers.enabled}
              error={errorFor("enabled")}
            />
            <Button>Save single sign-on</Button>
          </PostForm>
        </div>
      </div>
    </>
  );
}
