import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { useState } from "react";
import { z } from "zod";
import {
  listPasskeys,
  passkeysAvailable,
  relyingPartyOf,
  removePasskey,
} from "~/auth/passkeys.server";
import { requireActor, requireStepUp } from "~/auth/session.server";
import { readForm } from "~/forms.server";
import { serviceCall } from "~/http.server";
import { AddPasskeyForm } from "~/ui/add-passkey-form";
import { BackLink } from "~/ui/back-link";
import { formatDateTime } from "~/ui/dates";
import { ErrorSummary, LinkButton, type FieldError } from "~/ui/form";
import { SuccessBanner } from "~/ui/success-banner";
import { Table } from "~/ui/table";
import { PostForm } from "~/ui/post-form";

export const meta: MetaFunction = () => [{ title: "Your passkeys – Crosswalk" }];

const DONE = {
  added: "Your passkey has been added",
  removed: "Your passkey has been removed",
};

const RemoveSchema = z.object({ passkey: z.uuid() });

export async function loader({ request, context }: LoaderFunctionArgs) {
  const ctx = await requireActor(request, context);
  const { passkeys, authenticatorApp } = await listPasskeys(ctx);
  return {
    authenticatorApp,
    available: passkeysAvailable(relyingPartyOf(context.publicUrl)),
    passkeys: passkeys.map((passkey) => ({
      id: passkey.id,
      name: passkey.name,
      added: formatDateTime(passkey.createdAt),
      lastUsed: passkey.lastUsedAt ? formatDateTime(passkey.lastUsedAt) : "Not used yet",
    })),
  };
}

/** Remove a passkey: a sensitive change, so a fresh second factor is asked for first. */
export async function action({ request, context }: ActionFunctionArgs) {
  const ctx = await requireActor(request, context);
  await requireStepUp(request, context, ctx);
  const parsed = RemoveSchema.safeParse(Object.fromEntries(await readForm(request)));
  // A passkey is named only by the page's own form: anything else names none (a 404).
  if (!parsed.success) throw data(null, { status: 404 });
  const result = await serviceCall(() => removePasskey(ctx, { passkeyId: parsed.data.passkey }));
  if (!result.ok) {
    return data(
      {
        errors: [
          {
            field: "passkeys",
            message:
              "You cannot remove your only passkey: you would have no second factor to sign in with. Add another passkey first",
          },
        ],
      },
      { status: 409 },
    );
  }
  throw redirect("/account/passkeys?done=removed");
}

export default function YourPasskeys() {
  const page = useLoaderData<typeof loader>();
  const refused = useActionData<typeof action>();
  const [addProblem, setAddProblem] = useState<FieldError | null>(null);
  const errors: FieldError[] = addProblem ? [addProblem] : (refused?.errors ?? []);
  return (
    <>
      <BackLink to="/home">Back to home</BackLink>
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-two-thirds">
          <ErrorSummary errors={errors} />
          <SuccessBanner messages={DONE} />
          <h1 className="govuk-heading-l">Your passkeys</h1>
          <p className="govuk-body">
            A passkey lets you confirm it is you with your device&apos;s fingerprint, face or screen
            lock instead of a code from your authenticator app. You still sign in with your password
            first.
          </p>
          <div id="passkeys" tabIndex={-1}>
            {page.passkeys.length > 0 ? (
              <Table
                caption="Passkeys on your account"
                columns={[
                  { label: "Name" },
                  { label: "Added" },
                  { label: "Last used" },
                  { label: "Action", hidden: true },
                ]}
                rows={page.passkeys.map((passkey) => ({
                  key: passkey.id,
                  cells: [
                    passkey.name,
                    passkey.added,
                    passkey.lastUsed,
                    <PostForm key="remove">
                      <input type="hidden" name="passkey" value={passkey.id} />
                      <LinkButton hiddenContext={` passkey ${passkey.name}`}>Remove</LinkButton>
                    </PostForm>,
                  ],
                }))}
              />
            ) : (
              <p className="govuk-body">You have not added any passkeys.</p>
            )}
          </div>
          {page.authenticatorApp ? null : (
            <p className="govuk-body">
              You have no authenticator app set up, so your last passkey cannot be removed.
            </p>
          )}
          <h2 className="govuk-heading-m">Add a passkey</h2>
          <AddPasskeyForm
            available={page.available}
            onProblem={setAddProblem}
            error={addProblem?.field === "passkeyName" ? addProblem.message : undefined}
          />
        </div>
      </div>
    </>
  );
}
