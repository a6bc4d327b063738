// The few bytes a page loads for the widget: the theme has drawn its first view (snippets/loyalty-widget-tag.liquid),
// and the widget's script comes when the customer reaches for it (points at it, tabs to it, touches or clicks it).
// A button clicked before the script was there is clicked again once it is, so the click does what was meant.
// The script's address is the `data-widget` of this script's own tag. On a page a member's share link led to
// (`?ref=CODE`, or one kept from an earlier page of the visit), `data-welcome` names the friend's welcome panel.

import { KEPT, REF } from "./referral";

const EVENTS = ["pointerover", "focusin", "touchstart", "click"];
// After a failed load only a click or focus tries again (not every pointer move or change to the page), at most so often.
const RETRIES = ["focusin", "click"];
const ATTEMPTS = 3;
const loader = document.currentScript as HTMLScriptElement | null;
const page = window as unknown as { loyaltyLoader?: boolean };

function referred(): boolean {
  const linked = new URLSearchParams(location.search).get("ref");
  if (linked && REF.test(linked)) return true;
  try {
    return !!sessionStorage.getItem(KEPT);
  } catch {
    return false; // no storage: this page's link only
  }
}

if (loader && !page.loyaltyLoader) {
  page.loyaltyLoader = true;
  let clicked: HTMLElement | null = null;
  let loading = false;
  let attempts = 0;
  const widgets = document.getElementsByTagName("loyalty-widget");
  const load = (): void => {
    loading = true;
    attempts += 1;
    const script = document.createElement("script");
    script.src = loader.dataset.widget!;
    // The widget listens from here on, to elements added later too; a click it did not hear is clicked again.
    script.onload = () => {
      for (const name of EVENTS) document.removeEventListener(name, wake, true);
      added.disconnect();
      clicked?.click();
    };
    // Not loaded (the network dropped, a blocker): the next click or focus tries again, a few times only.
    script.onerror = () => {
      loading = false;
      script.remove();
    };
    document.head.append(script);
  };
  const wake = (event: Event): void => {
    if (!(event.target as Element).closest?.("loyalty-widget")) return;
    if (event.type === "click") clicked = (event.composedPath()[0] as Element).closest("button");
    if (!loading && attempts < ATTEMPTS && (!attempts || RETRIES.includes(event.type))) load();
  };
  // An element without a shadow root shows nothing until the script draws it: a browser without declarative shadow
  // DOM, or a section put in later with innerHTML (the theme editor, the Section Rendering API). Load it now.
  const bare = (): void => {
    if (!loading && !attempts && Array.prototype.some.call(widgets, (widget: Element) => !widget.shadowRoot)) load();
  };
  const added = new MutationObserver(bare);
  for (const name of EVENTS) document.addEventListener(name, wake, { capture: true, passive: true });
  bare();
  added.observe(document.body, { childList: true, subtree: true });
  const welcome = loader.dataset.welcome;
  if (welcome && referred()) {
    const script = document.createElement("script");
    script.src = welcome;
    document.head.append(script);
  }
}
