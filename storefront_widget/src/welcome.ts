// The friend's side of a member's share link (`/?ref=CODE`): a panel that offers the friend their welcome code
// for their e-mail address (`POST <api>/welcome`), then shows it with a copy button (and on Shopify the apply link).
// Its own small file: loader.ts loads it only on a page a share link led to, so no other page view pays for it; a
// Saleor storefront adds it itself. It reads the widget element's `api`, `lang`, `saleor-api-url`, `position` and
// theme colours. A setting the element does not give, or a page without one (a Saleor page with this script only),
// comes from this script's own tag: `data-api`, `data-lang`, `data-saleor-api-url`, `data-position`. With neither it
// asks Shopify's app proxy, in English. `position` is the widget's side: the panel takes the other. `api` and
// `saleor-api-url` are read again when the friend asks (an element added later still counts for them); the language,
// side and colours when this script runs.
// The code is kept for the visit (sessionStorage): a friend who browses on before asking sees the offer again,
// until they close it or have their code.

import { KEPT, REF } from "./referral";

const TEXTS = {
  en: {
    title: "A friend invited you: get your welcome code",
    email: "Your e-mail address",
    ask: "Get my welcome code",
    code: "Your welcome code",
    copy: "Copy",
    copied: "Code copied",
    apply: "Use at checkout",
    close: "Close",
    invalid: "Enter a valid e-mail address.",
    unknown: "This invitation link is not valid.",
    off: "This shop gives no welcome codes at the moment.",
    error: "That did not work. Try again.",
  },
  nl: {
    title: "Een vriend heeft je uitgenodigd: vraag je welkomstcode",
    email: "Je e-mailadres",
    ask: "Vraag mijn welkomstcode",
    code: "Je welkomstcode",
    copy: "Kopiëren",
    copied: "Code gekopieerd",
    apply: "Gebruik bij afrekenen",
    close: "Sluiten",
    invalid: "Vul een geldig e-mailadres in.",
    unknown: "Deze uitnodigingslink is niet geldig.",
    off: "Deze winkel geeft op dit moment geen welkomstcodes.",
    error: "Dat lukte niet. Probeer het opnieuw.",
  },
};

const STYLE = `
:host{--a:var(--loyalty-accent,#1f5f4a);--at:var(--loyalty-accent-text,#fff);position:fixed;bottom:20px;left:20px;
z-index:2147483000;width:min(340px,calc(100vw - 24px));padding:16px 18px;border-radius:var(--loyalty-radius,12px);
background:var(--loyalty-background,#fff);color:var(--loyalty-text,#1f2933);font:var(--loyalty-font,inherit);
box-shadow:0 10px 40px rgba(0,0,0,.25)}
:host([position=left]){left:auto;right:20px}
@media (max-width:600px){:host,:host([position=left]){left:12px;right:12px;width:auto;bottom:84px}}
*{box-sizing:border-box}
h2{margin:0 32px 8px 0;font-size:1em}
p{margin:8px 0}
label,input{display:block;width:100%}
input{font:inherit;margin:4px 0 10px;padding:6px 8px}
button,a{font:inherit;color:inherit;cursor:pointer}
:focus-visible{outline:3px solid var(--loyalty-focus,#2b6cb0);outline-offset:2px}
.act{display:inline-block;border:0;border-radius:8px;padding:7px 12px;background:var(--a);color:var(--at);
font-weight:700;text-decoration:none;margin:0 6px 0 0}
.alt{background:none;color:var(--a);border:1px solid var(--a)}
.close{position:absolute;top:8px;right:8px;width:36px;height:36px;border:0;border-radius:50%;background:none;
font-size:24px;line-height:1}
code{font:inherit;font-weight:700;letter-spacing:.03em;white-space:nowrap}
[role=status]{min-height:1.4em;font-size:.9em}
`;

type Texts = typeof TEXTS.en;

// This script's own tag: the browser names it only while the script first runs.
const tag = document.currentScript;

function esc(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The share link's code: from this page's address (and kept for the visit), else the one kept from an earlier page. */
function referralCode(): string | null {
  const linked = new URLSearchParams(location.search).get("ref");
  try {
    if (linked && REF.test(linked)) sessionStorage.setItem(KEPT, linked);
    const kept = sessionStorage.getItem(KEPT);
    return kept && REF.test(kept) ? kept : null;
  } catch {
    // No storage (a browser that refuses it): this page's link only.
    return linked && REF.test(linked) ? linked : null;
  }
}

function forget(): void {
  try {
    sessionStorage.removeItem(KEPT);
  } catch {
    // Nothing was kept.
  }
}

/** A setting of the widget element, else the same one on this script's tag (`data-<name>`): the element wins. */
function setting(widget: Element | null, name: string): string | null {
  return widget?.getAttribute(name) || tag?.getAttribute(`data-${name}`) || null;
}

/** The page's language as the widget picks it: its `lang` setting, else Shopify's, else the page's, else English. */
function language(widget: Element | null): "en" | "nl" {
  const shopify = (window as unknown as { Shopify?: { locale?: string } }).Shopify;
  const wanted = setting(widget, "lang") || shopify?.locale || document.documentElement.lang || "en";
  return wanted.slice(0, 2).toLowerCase() === "nl" ? "nl" : "en";
}

/** The floating widget (an inline one sits in the page, not in a corner), else any widget. */
function widgetElement(): Element | null {
  return document.querySelector("loyalty-widget:not([inline])") || document.querySelector("loyalty-widget");
}

function welcome(ref: string): void {
  const widget = widgetElement();
  const lang = language(widget);
  const t: Texts = TEXTS[lang];
  const host = document.createElement("loyalty-welcome");
  // The widget's theme colours; the panel sits on the other side from the widget's launcher.
  host.setAttribute("style", widget?.getAttribute("style") || "");
  host.setAttribute("position", setting(widget, "position") || "right");
  host.setAttribute("lang", lang);
  const root = host.attachShadow({ mode: "open" });
  root.innerHTML =
    `<style>${STYLE}</style><section role="region" aria-labelledby="title">` +
    `<h2 id="title">${esc(t.title)}</h2>` +
    `<button class="close" data-act="close" aria-label="${esc(t.close)}">×</button>` +
    `<form novalidate><label for="email">${esc(t.email)}</label>` +
    `<input id="email" type="email" name="email" autocomplete="email" required aria-describedby="said">` +
    `<button class="act">${esc(t.ask)}</button></form>` +
    `<p id="said" role="status" aria-live="polite"></p></section>`;
  document.body.append(host);
  const form = root.querySelector("form")!;
  const email = root.getElementById("email") as HTMLInputElement;
  const said = root.getElementById("said")!;
  let code = "";

  const close = (): void => {
    forget();
    host.remove();
  };

  const claim = async (): Promise<void> => {
    const widget = widgetElement();
    const api = setting(widget, "api") || "/apps/loyalty/api";
    const headers: Record<string, string> = { Accept: "application/json", "Content-Type": "application/json" };
    const saleor = setting(widget, "saleor-api-url");
    if (saleor) headers["Saleor-Api-Url"] = saleor;
    let answer: { status: number; data: { code?: string; apply_url?: string | null; error?: string } } | null = null;
    try {
      const response = await fetch(`${api}/welcome?lang=${lang}`, {
        method: "POST",
        headers,
        body: JSON.stringify({ ref, email: email.value.trim(), lang }),
        credentials: "same-origin",
      });
      answer = { status: response.status, data: await response.json() };
    } catch {
      answer = null;
    }
    if (answer?.status === 200 && answer.data.code) {
      code = answer.data.code;
      forget();
      const apply = answer.data.apply_url;
      form.outerHTML =
        `<p>${esc(t.code)}:<br><code>${esc(code)}</code></p><p>` +
        `<button class="act alt" data-act="copy">${esc(t.copy)}</button>` +
        (apply ? `<a class="act" href="${esc(apply)}">${esc(t.apply)}</a>` : "") +
        `</p>`;
      said.textContent = "";
      root.querySelector<HTMLElement>("[data-act=copy]")!.focus();
      return;
    }
    const error = answer?.data.error;
    const invalid = error === "invalid_email";
    email.setAttribute("aria-invalid", String(invalid));
    said.textContent = invalid
      ? t.invalid
      : error === "unknown_referral_code"
        ? t.unknown
        : error === "referrals_off"
          ? t.off
          : t.error;
    // A link that can never give a code: the panel does not come back on the next page.
    if (error === "unknown_referral_code" || error === "referrals_off") forget();
    if (invalid) email.focus();
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!email.checkValidity() || !email.value.trim()) {
      email.setAttribute("aria-invalid", "true");
      said.textContent = t.invalid;
      email.focus();
      return;
    }
    const button = form.querySelector("button")!;
    button.disabled = true;
    void claim().finally(() => {
      button.disabled = false;
    });
  });
  root.addEventListener("click", async (event) => {
    const act = (event.target as HTMLElement).closest<HTMLElement>("[data-act]")?.dataset.act;
    if (act === "close") close();
    else if (act === "copy") {
      try {
        await navigator.clipboard.writeText(code);
        said.textContent = t.copied;
      } catch {
        // Clipboard refused: select the code so the friend can copy it by hand.
        const shown = root.querySelector("code");
        if (shown) getSelection()?.selectAllChildren(shown);
      }
    }
  });
  host.addEventListener("keydown", (event) => {
    if (event.key === "Escape") close();
  });
}

const page = window as unknown as { loyaltyWelcome?: boolean };
const ref = referralCode();
if (ref && !page.loyaltyWelcome) {
  page.loyaltyWelcome = true;
  welcome(ref);
}

export {}; // a module: its names are its own, not the loader's
