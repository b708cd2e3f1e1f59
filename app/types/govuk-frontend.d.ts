declare module "govuk-frontend" {
  /** Initialise every GOV.UK Frontend component on the page. */
  export function initAll(): void;
}
