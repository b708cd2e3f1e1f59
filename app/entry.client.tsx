import { RemixBrowser } from "@remix-run/react";
import { startTransition, StrictMode } from "react";
import { hydrateRoot } from "react-dom/client";
import { forgetSubmission, keptSubmission, rememberSubmission } from "./ui/kept-answers";

interface RouterState {
  navigation: { state: string };
  errors: Record<string, unknown> | null;
}
type Router = { subscribe(listener: (state: RouterState) => void): () => void };

let watching = false;
/** A navigation that ends without an error saved what was sent: forget it then. */
function forgetOnceSaved(): void {
  const router = (window as { __remixRouter?: Router }).__remixRouter;
  if (watching || !router) return;
  watching = true;
  router.subscribe((state) => {
    if (state.navigation.state === "idle" && !state.errors) forgetSubmission();
  });
}

// Every form sent is kept until its answer comes back, so that if the save fails (the database
// unavailable) the error page that replaces the form can give the person's answers back. Captured
// before Remix's own handler takes the submission over.
window.addEventListener(
  "submit",
  (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    // Attributes, not form.method and form.action: a field named "method" or "action" hides those.
    const submitter = event.submitter;
    const method = submitter?.getAttribute("formmethod") ?? form.getAttribute("method") ?? "get";
    if (method.toLowerCase() !== "post") return;
    let data: FormData;
    try {
      data = new FormData(form, event.submitter);
    } catch {
      data = new FormData(form);
    }
    const target = submitter?.getAttribute("formaction") ?? form.getAttribute("action");
    const action = new URL(target || window.location.href, window.location.href);
    if (action.origin !== window.location.origin) return;
    rememberSubmission(keptSubmission(`${action.pathname}${action.search}`, data.entries()));
    forgetOnceSaved();
  },
  true,
);

startTransition(() => {
  hydrateRoot(
    document,
    <StrictMode>
      <RemixBrowser />
    </StrictMode>,
  );
});
