import {
  RAG_RATINGS,
  REFERRAL_STATE_LABELS,
  type RagRating,
  type ReferralState,
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
