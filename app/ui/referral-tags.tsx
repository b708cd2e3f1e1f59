import { Link } from "@remix-run/react";
import type { ReactNode } from "react";
import {
  RAG_RATINGS,
  REFERRAL_STATE_LABELS,
  THEMES,
  type RagRating,
  type ReferralState,
  type Theme,
} from "../../policies";
import { Tag, type TagColour } from "./tag";

const STATE_COLOURS: Record<ReferralState, TagColour> = {
  draft: "grey",
  submitted: "blue",
  screened: "light-blue",
  allocated: "yellow",
  active: "green",
  panel: "purple",
  closed: "grey",
  withdrawn: "grey",
  discarded: "grey",
};

// Amber is shown in GOV.UK orange: the Design System has no amber tag.
const RAG_COLOURS: Record<RagRating, TagColour> = {
  red: "red",
  amber: "orange",
  green: "green",
};

/** Where a referral is in its life, in the words of REFERRAL_STATE_LABELS. */
export function StateTag({ state }: { state: ReferralState }) {
  return <Tag colour={STATE_COLOURS[state]}>{REFERRAL_STATE_LABELS[state]}</Tag>;
}

/** A referral's screening rating, always with its word; "Not rated yet" before screening. */
export function RagTag({ rag }: { rag: RagRating | null }) {
  if (!rag) return <>Not rated yet</>;
  return <Tag colour={RAG_COLOURS[rag]}>{RAG_RATINGS[rag]}</Tag>;
}

/** The red tag beside a date that has passed without the response it was due for. */
export function OverdueTag() {
  return <Tag colour="red">Overdue</Tag>;
}

/**
 * The first cells of a row in a list of referrals: its reference (linked to it), the young person,
 * its status, its RAG rating, its themes and the agency that made it.
 */
export function referralSummaryCells(row: {
  id: string;
  reference: string;
  youngPersonName: string;
  state: ReferralState;
  rag: RagRating | null;
  themes: readonly Theme[];
  referrerAgencyName: string;
}): ReactNode[] {
  return [
    <Link key="reference" to={`/referrals/${row.id}`} className="govuk-link">
      {row.reference}
    </Link>,
    row.youngPersonName,
    <StateTag key="state" state={row.state} />,
    <RagTag key="rag" rag={row.rag} />,
    <ul key="themes" className="govuk-list govuk-!-font-size-16">
      {row.themes.map((theme) => (
        <li key={theme}>{THEMES[theme]}</li>
      ))}
    </ul>,
    row.referrerAgencyName,
  ];
}
