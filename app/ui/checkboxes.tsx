import { ChoiceFieldset, type ChoiceFieldsetProps } from "./choices";

/** GOV.UK checkboxes: any number of choices, those in `values` ticked. */
export function Checkboxes({
  values = [],
  ...props
}: ChoiceFieldsetProps & { values?: readonly string[] }) {
  return (
    <ChoiceFieldset kind="checkboxes" isChecked={(choice) => values.includes(choice)} {...props} />
  );
}
