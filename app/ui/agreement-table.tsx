import { LinkButton } from "./form";
import { PostForm } from "./post-form";

/** One permission of the agreement, with the words people read. */
export interface PermissionRow {
  toKind: string;
  toLabel: string;
  purposeLabels: readonly string[];
}

/** The permissions of one kind of agency that shares. */
export interface PermissionGroup {
  fromKind: string;
  fromLabel: string;
  rows: readonly PermissionRow[];
}

/**
 * The information sharing agreement as a GOV.UK table, one row group per kind of agency that
 * shares, each row with a form that removes it (posting `intent=remove`, `fromKind`, `toKind`).
 */
export function AgreementTable({
  groups,
  action,
}: {
  groups: readonly PermissionGroup[];
  action: string;
}) {
  return (
    <table className="govuk-table">
      <caption className="govuk-table__caption govuk-table__caption--m">Permissions</caption>
      <thead className="govuk-table__head">
        <tr className="govuk-table__row">
          <th scope="col" className="govuk-table__header">
            From
          </th>
          <th scope="col" className="govuk-table__header">
            To
          </th>
          <th scope="col" className="govuk-table__header">
            Purposes
          </th>
          <th scope="col" className="govuk-table__header">
            <span className="govuk-visually-hidden">Action</span>
          </th>
        </tr>
      </thead>
      {groups.map((group) => (
        <tbody className="govuk-table__body app-table-group" key={group.fromKind}>
          {group.rows.map((row, index) => (
            <tr className="govuk-table__row" key={row.toKind}>
              {index === 0 ? (
                <th scope="rowgroup" rowSpan={group.rows.length} className="govuk-table__header">
                  {group.fromLabel}
                </th>
              ) : null}
              <td className="govuk-table__cell">{row.toLabel}</td>
              <td className="govuk-table__cell">
                <ul className="govuk-list govuk-!-margin-bottom-0">
                  {row.purposeLabels.map((label) => (
                    <li key={label}>{label}</li>
                  ))}
                </ul>
              </td>
              <td className="govuk-table__cell">
                <PostForm action={action}>
                  <input type="hidden" name="intent" value="remove" />
                  <input type="hidden" name="fromKind" value={group.fromKind} />
                  <input type="hidden" name="toKind" value={row.toKind} />
                  <LinkButton
                    hiddenContext={` the permission for ${group.fromLabel} to share with ${row.toLabel}`}
                  >
                    Remove
                  </LinkButton>
                </PostForm>
              </td>
            </tr>
          ))}
        </tbody>
      ))}
    </table>
  );
}
