import type { ReactNode } from "react";

export interface TableColumn {
  /** What the header cell says; `hidden` keeps it for screen readers only (an actions column). */
  label: string;
  hidden?: boolean;
  numeric?: boolean;
}

export interface TableRow {
  key: string;
  cells: readonly ReactNode[];
}

/** GOV.UK table with a caption and column headers; the first cell of each row is its row header. */
export function Table({
  caption,
  captionSize = "m",
  columns,
  rows,
}: {
  caption: string;
  captionSize?: "s" | "m" | "l";
  columns: readonly TableColumn[];
  rows: readonly TableRow[];
}) {
  return (
    <table className="govuk-table">
      <caption className={`govuk-table__caption govuk-table__caption--${captionSize}`}>
        {caption}
      </caption>
      <thead className="govuk-table__head">
        <tr className="govuk-table__row">
          {columns.map((column) => (
            <th
              scope="col"
              key={column.label}
              className={`govuk-table__header${column.numeric ? " govuk-table__header--numeric" : ""}`}
            >
              {column.hidden ? (
                <span className="govuk-visually-hidden">{column.label}</span>
              ) : (
                column.label
              )}
            </th>
          ))}
        </tr>
      </thead>
      <tbody className="govuk-table__body">
        {rows.map((row) => (
          <tr className="govuk-table__row" key={row.key}>
            {row.cells.map((cell, index) => {
              const numeric = columns[index]?.numeric ? " govuk-table__cell--numeric" : "";
              return index === 0 ? (
                <th scope="row" className={`govuk-table__header${numeric}`} key={index}>
                  {cell}
                </th>
              ) : (
                <td className={`govuk-table__cell${numeric}`} key={index}>
                  {cell}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
