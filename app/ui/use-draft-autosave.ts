import { useFetcher } from "@remix-run/react";
import { useEffect, useRef } from "react";

/** How often a changed question page is saved in the background, with JavaScript. */
const AUTOSAVE_EVERY_MS = 15_000;

/**
 * With JavaScript, save a question page's answers in the background while the person types: every
 * 15 seconds when something changed, and as soon as the tab is hidden (switched away from, or being
 * closed). Each save also keeps the session alive, so a long answer does not outlast it. Without
 * JavaScript the page is saved when it is submitted, as before.
 */
export function useDraftAutosave(action: string) {
  const fetcher = useFetcher();
  const form = useRef<HTMLFormElement>(null);
  const changed = useRef(false);

  useEffect(() => {
    const element = form.current;
    if (!element) return;
    const markChanged = () => {
      changed.current = true;
    };
    const save = () => {
      if (!changed.current || !form.current) return;
      changed.current = false;
      const answers = new FormData(form.current);
      answers.set("autosave", "yes");
      fetcher.submit(answers, { method: "post", action });
    };
    const saveWhenHidden = () => {
      if (document.visibilityState === "hidden") save();
    };
    element.addEventListener("input", markChanged);
    element.addEventListener("change", markChanged);
    document.addEventListener("visibilitychange", saveWhenHidden);
    const timer = window.setInterval(save, AUTOSAVE_EVERY_MS);
    return () => {
      element.removeEventListener("input", markChanged);
      element.removeEventListener("change", markChanged);
      document.removeEventListener("visibilitychange", saveWhenHidden);
      window.clearInterval(timer);
    };
    // fetcher.submit is stable for the life of the fetcher.
  }, [action]);

  return form;
}
