import { ChoiceFieldset, type ChoiceFieldsetProps } from "./choices";

export type { Choice } from "./choices";

/** GOV.UK radios: one choice of several, `value` selected. */
export function Radios({ value, ...props }: ChoiceFieldsetProps & { value?: string }) {
  return <ChoiceFieldset kind="radios" isChecked={(choice) => choice === value} {...props} />;
}
