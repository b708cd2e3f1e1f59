import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import {
  accessMatrix,
  AGENCY_KIND_LABELS,
  lifecycleTable,
  ROLE_DESCRIPTIONS,
  ROLES,
  SHARING_PURPOSE_LABELS,
  type MatrixCell,
  type Role,
} from "../../policies";
import { requireActor } from "~/auth/session.server";
import { serviceCall } from "~/http.server";
import { getSharingAgreement } from "~/services/sharing-agreement.server";
import { Table } from "~/ui/table";

export const meta: MetaFunction = () => [{ title: "Who can do what – Crosswalk" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const ctx = await requireActor(request, context);
  const agreement = await serviceCall(() => getSharingAgreement(ctx));
  return {
    matrix: accessMatrix(),
    lifecycle: lifecycleTable(),
    agreement,
    viewerRole: ctx.actor.role,
  };
}

function cellSummary(cell: MatrixCell): string {
  if (cell.kind === "always") return "Yes";
  if (cell.kind === "never") return "No";
  return "In some cases";
}

export default function AccessMatrix() {
  const { matrix, lifecycle, agreement, viewerRole } = useLoaderData<typeof loader>();
  const areas = [...new Set(matrix.map((row) => row.area))];
  return (
    <>
      <h1 className="govuk-heading-l">Who can do what</h1>
      <p className="govuk-body-l">
        Crosswalk decides every access with one set of rules. This page is generated from those
        rules, so it always shows what the service actually does.
      </p>
      <p className="govuk-body">
        Nobody can see anything in another partnership. Anything not listed as allowed is refused,
        and every refusal is recorded in the access log. A refused look at a young person&apos;s
        record is answered as if the record did not exist.
      </p>

      <h2 className="govuk-heading-m">Summary</h2>
      <table className="govuk-table" data-testid="access-summary">
        <caption className="govuk-table__caption govuk-table__caption--s">
          What each role may do: Yes, No, or In some cases (the conditions are listed for each role
          below)
        </caption>
        <thead className="govuk-table__head">
          <tr className="govuk-table__row">
            <th scope="col" className="govuk-table__header">
              Action
            </th>
            {ROLES.map((role) => (
              <th scope="col" className="govuk-table__header" key={role}>
                {ROLE_DESCRIPTIONS[role].label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="govuk-table__body">
          {matrix.map((row) => (
            <tr className="govuk-table__row" key={row.action} data-action={row.action}>
              <th scope="row" className="govuk-table__header">
                {capitalise(row.label)}
              </th>
              {ROLES.map((role) => (
                <td className="govuk-table__cell" key={role} data-role={role}>
                  {cellSummary(row.cells[role])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>

      <section aria-labelledby="referral-lifecycle" className="govuk-!-margin-bottom-8">
        <h2 className="govuk-heading-m" id="referral-lifecycle">
          How a referral moves
        </h2>
        <p className="govuk-body">
          A referral starts as a draft and ends closed, withdrawn or discarded. On the way it takes
          one step at a time. Each step can only be taken at the stages listed, and only by the
          roles listed, under the conditions given for each role below. A step that does not fit the
          stage the referral has reached is refused, with a message saying why.
        </p>
        <p className="govuk-body">
          Once a referral is closed, withdrawn or discarded, no step can be taken from it.
        </p>
        <Table
          caption="The steps a referral can take, where from, where to and who may take them"
          captionSize="s"
          columns={[
            { label: "Step" },
            { label: "Can be taken when the referral is" },
            { label: "Leads to" },
            { label: "Who may take it" },
          ]}
          rows={lifecycle.map((step) => ({
            key: step.transition,
            cells: [
              step.label,
              <ul className="govuk-list" key="from">
                {step.from.map((state) => (
                  <li key={state}>{state}</li>
                ))}
              </ul>,
              step.to,
              <ul className="govuk-list" key="roles">
                {step.roles.map((role) => (
                  <li key={role}>{ROLE_DESCRIPTIONS[role].label}</li>
                ))}
              </ul>,
            ],
          }))}
        />
      </section>

      {orderRoles(viewerRole).map((role) => (
        <section key={role} aria-labelledby={`role-${role}`} className="govuk-!-margin-bottom-8">
          <h2 className="govuk-heading-m" id={`role-${role}`}>
            {ROLE_DESCRIPTIONS[role].label}
            {role === viewerRole ? " (your role)" : ""}
          </h2>
          <p className="govuk-body">{ROLE_DESCRIPTIONS[role].summary}</p>
          {areas.map((area) => {
            const rows = matrix.filter(
              (row) => row.area === area && row.cells[role].kind !== "never",
            );
            if (rows.length === 0) return null;
            return (
              <div key={area}>
                <h3 className="govuk-heading-s">{area}</h3>
                <ul className="govuk-list govuk-list--bullet">
                  {rows.map((row) => {
                    const cell = row.cells[role];
                    return (
                      <li key={row.action}>
                        {capitalise(row.label)}
                        {cell.kind === "conditional" ? (
                          <ul className="govuk-list govuk-list--bullet">
                            {cell.when.map((condition) => (
                              <li key={condition}>{condition.replace(/^When /, "when ")}</li>
                            ))}
                          </ul>
                        ) : null}
                      </li>
                    );
                  })}
                </ul>
              </div>
            );
          })}
          <details className="govuk-details">
            <summary className="govuk-details__summary">
              <span className="govuk-details__summary-text">
                What a {ROLE_DESCRIPTIONS[role].label.toLowerCase()} cannot do
              </span>
            </summary>
            <div className="govuk-details__text">
              <ul className="govuk-list govuk-list--bullet">
                {matrix
                  .filter((row) => row.cells[role].kind === "never")
                  .map((row) => (
                    <li key={row.action}>{capitalise(row.label)}</li>
                  ))}
              </ul>
            </div>
          </details>
        </section>
      ))}

      <h2 className="govuk-heading-m">The information sharing agreement</h2>
      <p className="govuk-body">
        A decision to share must also fall within the partnership&apos;s agreement: which kinds of
        agency may share with which, and why.{" "}
        {agreement.reviewDate
          ? `The agreement is due for review by ${formatDate(agreement.reviewDate)}.`
          : "No review date is set."}
      </p>
      {agreement.permissions.length === 0 ? (
        <p className="govuk-body">The agreement permits no sharing yet.</p>
      ) : (
        <table className="govuk-table">
          <caption className="govuk-table__caption govuk-table__caption--s">
            Permitted sharing
          </caption>
          <thead className="govuk-table__head">
            <tr className="govuk-table__row">
              <th scope="col" className="govuk-table__header">
                From
              </th>
              <th scope="col" className="govuk-table__header">
                To
              </th>
              <th scope="col" className="govuk-table__header">
                For
              </th>
            </tr>
          </thead>
          <tbody className="govuk-table__body">
            {agreement.permissions.map((permission) => (
              <tr className="govuk-table__row" key={`${permission.fromKind}-${permission.toKind}`}>
                <td className="govuk-table__cell">{AGENCY_KIND_LABELS[permission.fromKind]}</td>
                <td className="govuk-table__cell">{AGENCY_KIND_LABELS[permission.toKind]}</td>
                <td className="govuk-table__cell">
                  {permission.purposes.map((purpose) => SHARING_PURPOSE_LABELS[purpose]).join(", ")}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function orderRoles(viewer: Role): Role[] {
  return [viewer, ...ROLES.filter((role) => role !== viewer)];
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function formatDate(isoDate: string): string {
  return new Date(`${isoDate}T12:00:00Z`).toLocaleDateString("en-GB", {
    day: "numeric",
    month: "long",
    year: "numeric",
    timeZone: "Europe/London",
  });
}
