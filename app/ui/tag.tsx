import type { ReactNode } from "react";

export type TagColour =
  | "grey"
  | "green"
  | "turquoise"
  | "blue"
  | "light-blue"
  | "purple"
  | "pink"
  | "red"
  | "orange"
  | "yellow";

/** GOV.UK tag, for a status. Colour adds meaning for sighted people; the words carry it alone. */
export function Tag({ colour, children }: { colour?: TagColour; children: ReactNode }) {
  return (
    <strong className={`govuk-tag${colour ? ` govuk-tag--${colour}` : ""}`}>{children}</strong>
  );
}
