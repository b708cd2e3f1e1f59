import { Link } from "@remix-run/react";

function Arrow({ direction }: { direction: "prev" | "next" }) {
  return (
    <svg
      className={`govuk-pagination__icon govuk-pagination__icon--${direction}`}
      xmlns="http://www.w3.org/2000/svg"
      height="13"
      width="15"
      aria-hidden="true"
      focusable="false"
      viewBox="0 0 15 13"
    >
      <path
        d={
          direction === "prev"
            ? "m6.5938-0.0078125-6.7266 6.7266 6.7441 6.4062 1.377-1.449-4.1856-3.9768h12.896v-2h-12.984l4.2931-4.293-1.414-1.414z"
            : "m8.107-0.0078125-1.4136 1.414 4.2926 4.293h-12.986v2h12.896l-4.1855 3.9766 1.377 1.4492 6.7441-6.4062-6.7246-6.7266z"
        }
      />
    </svg>
  );
}

/**
 * GOV.UK pagination for a long list, as previous and next links (the block style), each saying
 * which page it leads to. `hrefFor` builds a page's address, so the links keep the list's filters.
 * Nothing is shown when everything fits on one page.
 */
export function Pagination({
  page,
  pageCount,
  hrefFor,
  label = "Pages",
  unit = "page",
  describe = (to: number) => `Page ${to} of ${pageCount}`,
}: {
  page: number;
  pageCount: number;
  hrefFor: (page: number) => string;
  /** The navigation landmark's name, when a page has more than one list. */
  label?: string;
  /** What is paged through, read after "Previous" and "Next" by screen readers. */
  unit?: string;
  /** What a link's label says of the page it leads to. */
  describe?: (page: number) => string;
}) {
  if (pageCount <= 1) return null;
  return (
    <nav className="govuk-pagination govuk-pagination--block" aria-label={label}>
      {page > 1 ? (
        <div className="govuk-pagination__prev">
          <Link className="govuk-link govuk-pagination__link" to={hrefFor(page - 1)} rel="prev">
            <Arrow direction="prev" />
            <span className="govuk-pagination__link-title">
              Previous<span className="govuk-visually-hidden"> {unit}</span>
            </span>
            <span className="govuk-visually-hidden">:</span>
            <span className="govuk-pagination__link-label">{describe(page - 1)}</span>
          </Link>
        </div>
      ) : null}
      {page < pageCount ? (
        <div className="govuk-pagination__next">
          <Link className="govuk-link govuk-pagination__link" to={hrefFor(page + 1)} rel="next">
            <Arrow direction="next" />
            <span className="govuk-pagination__link-title">
              Next<span className="govuk-visually-hidden"> {unit}</span>
            </span>
            <span className="govuk-visually-hidden">:</span>
            <span className="govuk-pagination__link-label">{describe(page + 1)}</span>
          </Link>
        </div>
      ) : null}
    </nav>
  );
}
