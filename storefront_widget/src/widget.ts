// <loyalty-widget>: the customer's points, tier, rewards, codes and history, for Shopify and Saleor.
// It talks only to the app's API (the `api` attribute); everything it shows comes from that JSON.
// On Shopify the theme draws the first view (a declarative shadow root, snippets/loyalty-widget-tag.liquid) and
// loader.ts loads this file when the customer reaches for the widget: it takes over that view as it is.

import { STYLE } from "./style";
import { say, TEXTS, type Texts } from "./texts";

interface Reward {
  id: string;
  title: string; // as the server names it in the customer's language, money included (a reward of any kind)
  points: number;
  affordable: boolean;
  amount: string | null;
  currency?: string;
  product?: Product;
  // A variable reward: every `points` buy `amount` off, from `least` to `most` (what this member may spend now);
  // `order_share`: the code is at most that % of the order, so it needs an order of amount * 100 / share.
  least?: number;
  most?: number;
  offer?: string; // what the chosen points buy, in the customer's language: "{x} off", "{x} store credit"
  order_share?: string | null;
  store_credit?: boolean; // credit onto the customer's account (Saleor: their gift card), never a code to type
}

// A free product's name and image, as the owner's program keeps them.
interface Product {
  title: string | null;
  image: string | null;
}

interface Code {
  redemption: string; // what `return-code` takes
  code: string | null; // null until the platform has made it
  status: string; // "returning" once handed back, until the platform has deleted it
  returnable?: boolean; // issued and unused: it may be handed back
  points: number;
  expires_on: string; // the day, as the server writes it in the customer's language
  title: string;
  product?: Product;
}

// The member's birthday (`GET birthday`): set once by them, then `locked` (the shop changes it); `bonus` its points.
interface Born {
  birthday: { day: number; month: number; year: number | null } | null;
  locked: boolean;
  bonus: number;
}

interface State {
  signed_in: boolean;
  member: boolean;
  currency: string;
  available: number;
  pending: number;
  tier: string | null;
  next_tier: { name: string; to_go: number } | null;
  lifetime: number;
  rewards: Reward[];
  // `day`: the date as the server writes it in the customer's language (CLDR), so the page needs no Intl for it.
  history: { kind: string; points: number; reason: string; day: string }[];
  expiring: { points: number; day: string } | null;
  codes: Code[];
  join: { consent: string; signup_bonus: number };
  // The campaigns the customer earns under now, worded by the server: "2× points", "on every order", "until …".
  campaigns: { name: string; gives: string; for: string; until: string }[];
  referrals: boolean; // the member may ask for a share link
}

// What the API said: its status and JSON (a card, a card under `state`, or an error), or null when the line dropped.
type Answer = {
  status: number;
  data: Partial<State> &
    Partial<Born> & { state?: State; redemption?: { code?: string }; error?: string; path?: string };
} | null;

type TokenSource = () => string | null | Promise<string | null>;

const SHARED = "loyalty:state";
// A code still being made (202) is asked for again with the same request id, every 3 s for half a minute.
const POLL_MS = 3000;
const POLLS = 10;
const FOCUSABLE = "button:not([disabled]),input,a[href],[tabindex='0']";
// The widget is drawn with the member's card when that comes within this time, so the page lays it out and paints it
// once rather than a "Loading…" first. A slower answer finds it drawn and loading; a first view drawn by the theme
// is taken over at once.
const DRAW_WAIT_MS = 1000;

// Every widget element on a page shows the same customer: those that start together share one member request
// (an element added later, as a storefront app navigates, asks afresh).
const members = new Map<string, Promise<Answer>>();
// Intl's first use in a page costs more main-thread time than the rest of the widget: the card comes with its
// dates and reward names written by the server, points are grouped here, and only a variable reward's slider,
// whose amounts change as it moves, makes a money format (once per currency).
const moneyFormats = new Map<string, Intl.NumberFormat>();
let sheet: CSSStyleSheet | undefined;

function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// A free product's picture: lazy, and sized before it loads so nothing below it moves.
function pic(product?: Product): string {
  return product?.image
    ? `<img class="pic" src="${esc(product.image)}" alt="${esc(product.title || "")}" width="48" height="48" loading="lazy">`
    : "";
}

function requestId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

class LoyaltyWidget extends HTMLElement {
  /** Saleor storefronts hand the widget the customer's access token (or a function giving it). */
  token: string | TokenSource | null = null;

  // The theme's first view comes as a declarative shadow root: kept, with what has focus in it. An element put in
  // with innerHTML (a re-rendered section) has none, only an inert <template shadowrootmode>: it is drawn here.
  private root = this.shadowRoot || this.attachShadow({ mode: "open" });
  private state: State | null = null;
  private failed = false;
  private fresh = "";
  // One request id per reward while its redeem is in flight: a double click makes one code.
  private redeeming = new Map<string, string>();
  // The one question on screen, "r:<reward>" or "h:<redemption>": nothing is spent or handed back unasked.
  private asking = "";
  // The points chosen on each variable reward's slider: a render keeps them.
  private chosen = new Map<string, number>();
  // The member's share link once asked for: shown under the rewards.
  private link = "";
  // What gets focus at the next render: a click on the first view waits for the card.
  private focusNext = "";
  // Asked for when a member comes to the widget, not on a page view: undefined until then, null while asked.
  private born?: Born | null;
  private t: Texts = TEXTS.en;
  private language = "en";
  private started = false;
  private launcher: HTMLButtonElement | null = null;
  private panel!: HTMLElement;
  private body!: HTMLElement;
  private status!: HTMLElement;

  connectedCallback(): void {
    if (this.started) return; // moved within the page
    this.started = true;
    this.language = this.pickLanguage();
    this.t = TEXTS[this.language];
    // One parsed style sheet for every widget element of the page, where the browser can share one; adopted now,
    // so the element's own box (the fixed launcher's place, the inline panel's height) is there before it is drawn.
    // A first view from the theme brings its own.
    const drawn = this.root.querySelector(".panel");
    if (!drawn && "adoptedStyleSheets" in this.root) {
      if (!sheet) (sheet = new CSSStyleSheet()).replaceSync(STYLE);
      this.root.adoptedStyleSheets = [sheet];
    }
    document.addEventListener(SHARED, (event) => {
      const { source, state } = (event as CustomEvent).detail;
      if (source !== this) this.show(state, false);
    });
    const key = this.url("member");
    let answer = members.get(key);
    if (!answer) {
      members.set(key, (answer = this.request("member")));
      void answer.then(() => members.delete(key));
    }
    void answer.then((shared) => this.take(shared, false));
    if (drawn || this.hasAttribute("balance")) this.draw();
    else setTimeout(() => this.draw(), DRAW_WAIT_MS);
  }

  /** The launcher (or the inline panel) and the panel, loading: once, when the card comes or the wait is over. */
  private draw(): void {
    if (this.panel) return;
    const inline = this.hasAttribute("inline");
    const t = this.t;
    // The launcher's name is its visible text (and the badge's points), so speech input finds it by what it shows.
    if (!this.root.querySelector(".panel"))
      this.root.innerHTML =
        (sheet ? "" : `<style>${STYLE}</style>`) +
        (inline
          ? ""
          : `<button class="launcher" part="launcher" aria-haspopup="dialog" aria-expanded="false" ` +
            `aria-controls="panel"><span aria-hidden="true">★</span>${esc(t.launcher)}` +
            `<span class="badge" hidden></span></button>`) +
        `<section class="panel" part="panel" id="panel" ${inline ? "" : 'role="dialog" aria-modal="true" hidden'} ` +
        `aria-labelledby="title"><div class="head"><h2 id="title" tabindex="-1">${esc(t.title)}</h2>` +
        (inline ? "" : `<button class="close" data-act="close" aria-label="${esc(t.close)}">×</button>`) +
        `</div><div class="body"><p class="mu">${esc(t.loading)}</p></div>` +
        `<p class="status" role="status" aria-live="polite"></p></section>`;
    this.panel = this.root.querySelector(".panel")!;
    this.body = this.root.querySelector(".body")!;
    this.status = this.root.querySelector(".status")!;
    this.launcher = this.root.querySelector(".launcher");
    // First paint from a balance the page already has (the `balance` attribute), before the API answers.
    const balance = this.getAttribute("balance");
    if (balance) this.badge(Number(balance));
    this.root.addEventListener("click", (event) => this.onClick(event));
    this.root.addEventListener("input", (event) => this.onSlide(event.target as HTMLInputElement));
    this.panel.addEventListener("keydown", (event) => this.onKey(event));
    for (const name of ["pointerover", "focusin"]) this.addEventListener(name, () => this.near());
  }

  /** The birthday is asked for when a member points at or tabs to the widget, never on a page view alone: also when
   * the card comes after the pointer or the focus did (this script loads as the customer reaches for the widget). */
  private near(): void {
    if (this.state?.member && this.born === undefined && this.matches(":hover,:focus-within")) void this.birthdayCall();
  }

  private pickLanguage(): string {
    const shopify = (window as unknown as { Shopify?: { locale?: string } }).Shopify;
    const wanted = this.getAttribute("lang") || shopify?.locale || document.documentElement.lang || "en";
    const base = wanted.slice(0, 2).toLowerCase();
    return base in TEXTS ? base : "en";
  }

  private get locale(): string {
    return this.getAttribute("locale") || document.documentElement.lang || this.language;
  }

  private url(action: string): string {
    const api = this.getAttribute("api") || "/apps/loyalty/api";
    const channel = this.getAttribute("channel"); // Saleor: the channel whose rewards the storefront sells in
    return `${api}/${action}?lang=${this.language}${channel ? `&channel=${encodeURIComponent(channel)}` : ""}`;
  }

  private async request(action: string, payload?: Record<string, unknown>): Promise<Answer> {
    const headers: Record<string, string> = { Accept: "application/json" };
    const token = typeof this.token === "function" ? await this.token() : this.token || this.getAttribute("token");
    if (token) headers.Authorization = `Bearer ${token}`;
    const saleor = this.getAttribute("saleor-api-url");
    if (saleor) headers["Saleor-Api-Url"] = saleor;
    if (payload) headers["Content-Type"] = "application/json";
    try {
      const response = await fetch(this.url(action), {
        method: payload ? "POST" : "GET",
        headers,
        body: payload ? JSON.stringify({ ...payload, lang: this.language }) : undefined,
        credentials: "same-origin",
      });
      return { status: response.status, data: await response.json() };
    } catch {
      return null;
    }
  }

  private async call(action: string, payload?: Record<string, unknown>): Promise<Answer> {
    const answer = await this.request(action, payload);
    this.take(answer, true);
    return answer;
  }

  private take(answer: Answer, share: boolean): void {
    this.draw();
    const data = answer?.data;
    const state = data && (data.state || (data.available === undefined ? null : (data as State)));
    if (state) this.show(state, share);
    else if (!this.state) {
      this.failed = true;
      this.render();
    }
  }

  private show(state: State, share: boolean): void {
    this.draw();
    this.state = state;
    this.failed = false;
    this.badge(state.member ? state.available : null);
    this.render();
    this.near();
    if (share) document.dispatchEvent(new CustomEvent(SHARED, { detail: { source: this, state } }));
  }

  private badge(points: number | null): void {
    const badge = this.root.querySelector<HTMLElement>(".badge");
    if (!badge) return;
    badge.hidden = points === null;
    badge.innerHTML = points === null ? "" : `${esc(this.number(points))}<span class="sr"> ${esc(this.t.points)}</span>`;
  }

  /** Points are whole numbers: 1,021 in English, 1.021 in Dutch (the language's mark between thousands). */
  private number(value: number): string {
    return String(value).replace(/\B(?=(\d{3})+$)/g, this.t.group);
  }

  private money(amount: number, currency: string): string {
    const key = `${this.locale} ${currency}`;
    let made = moneyFormats.get(key);
    if (!made) moneyFormats.set(key, (made = new Intl.NumberFormat(this.locale, { style: "currency", currency })));
    return made.format(amount);
  }

  /** A variable reward's chosen points (within what the member may spend), what they buy, and both as one phrase. */
  private choice(reward: Reward): { n: number; offer: string; worth: string } {
    const step = reward.points;
    const most = reward.most ?? step;
    const least = reward.least ?? step;
    // It starts at the least: spending more is the customer's choice, never a default.
    const n = Math.max(least, Math.min(this.chosen.get(reward.id) ?? least, most));
    const currency = reward.currency || this.state?.currency || "EUR";
    const amount = (Number(reward.amount) * n) / step;
    const money = (value: number) => this.money(value, currency);
    let offer = say(reward.offer!, { x: money(amount) });
    if (reward.order_share) offer += `, ${say(this.t.minOrder, { x: money((amount * 100) / Number(reward.order_share)) })}`;
    return { n, offer, worth: say(this.t.worth, { n: this.number(n), x: offer }) };
  }

  /** A variable reward's price: from its least points; for a member who can spend them, a slider and its value. */
  private slider(reward: Reward, member: boolean, worth: string): string {
    const id = esc(reward.id);
    if (!member || !reward.affordable) return `${esc(say(this.t.from, { n: this.number(reward.least!) }))}</p>`;
    return `<span id="w-${id}">${esc(worth)}</span></p><label class="mu" for="v-${id}">${esc(this.t.choose)}</label>` +
      `<input type="range" id="v-${id}" data-key="v-${id}" min="${reward.least}" max="${reward.most}" ` +
      `step="${reward.points}" value="${this.choice(reward).n}" aria-valuetext="${esc(worth)}">`;
  }

  /** The slider moved: its value shown live, and read out, without drawing the card again. */
  private onSlide(slider: HTMLInputElement): void {
    const reward = this.state?.rewards.find((r) => `v-${r.id}` === slider.id);
    if (!reward) return;
    this.chosen.set(reward.id, Number(slider.value));
    const { worth } = this.choice(reward);
    slider.setAttribute("aria-valuetext", worth);
    this.root.getElementById(`w-${reward.id}`)!.textContent = worth;
  }

  private render(): void {
    // A closed panel shows nothing: it is drawn when it opens, so a page view pays only for the launcher.
    // The theme's first view stays until the card comes.
    const s = this.state;
    if (this.panel.hidden || (!s && !this.failed && this.body.children.length)) return;
    const t = this.t;
    const focused = this.focusNext || (this.root.activeElement as HTMLElement | null)?.dataset.key;
    this.focusNext = "";
    let html = "";
    if (this.failed || !s) {
      html = `<p class="mu">${esc(this.failed ? t.failed : t.loading)}</p>`;
    } else if (!s.signed_in) {
      const login = this.getAttribute("login-url") || "/account/login";
      html = `<h3>${esc(t.signIn)}</h3>` +
        `<p><a class="act" data-key="login" href="${esc(login)}">${esc(t.signInLink)}</a></p>` +
        this.campaigns(s) + this.rewards(s, false);
    } else if (!s.member) {
      html = `<h3>${esc(t.joinTitle)}</h3>` +
        (s.join.signup_bonus ? `<p>${esc(say(t.joinBonus, { n: this.number(s.join.signup_bonus) }))}</p>` : "") +
        `<p class="mu" id="consent">${esc(s.join.consent)}</p>` +
        `<p><button class="act" data-act="join" data-key="join" aria-describedby="consent">${esc(t.join)}</button></p>` +
        this.campaigns(s) + this.rewards(s, false);
    } else {
      html = `<p class="big" data-balance>${esc(this.number(s.available))}</p><p class="mu">${esc(t.available)}</p>`;
      if (s.pending) html += `<p class="mu">${esc(say(t.pending, { n: this.number(s.pending) }))}</p>`;
      if (s.tier) html += `<p>${esc(say(t.tier, { tier: s.tier }))}</p>`;
      if (s.next_tier) {
        const share = Math.round((100 * s.lifetime) / (s.lifetime + s.next_tier.to_go));
        const label = say(t.toNext, { n: this.number(s.next_tier.to_go), tier: s.next_tier.name });
        html += `<div class="bar" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="${share}" ` +
          `aria-label="${esc(label)}"><i style="width:${share}%"></i></div><p class="mu">${esc(label)}</p>`;
      }
      if (s.expiring)
        html += `<p class="mu">${esc(say(t.expiring, { n: this.number(s.expiring.points), date: s.expiring.day }))}</p>`;
      // The birthday comes last: it is asked for as the customer comes to the widget, and moves nothing below it.
      html += this.campaigns(s) + this.codes(s) + this.rewards(s, true) + this.share(s) + this.history(s) + this.birthday();
    }
    this.body.innerHTML = html;
    this.refocus(focused);
  }

  /** Focus the element with this data-key again after a render, else the title (focus never drops to the page). */
  private refocus(key: string | undefined): void {
    const again = key && this.root.querySelector<HTMLElement>(`[data-key="${key}"]`);
    if (again) again.focus();
    else if (key) this.root.getElementById("title")?.focus();
  }

  /** The question that replaces a reward's or a code's row until the customer answers it. */
  private ask(question: string): string {
    const t = this.t;
    return `<li class="wrap ask"><p id="ask">${esc(question)}</p><span class="acts" role="group" aria-labelledby="ask">` +
      // Cancel sits where the clicked button was: a double click lands on it, never on Confirm.
      `<button class="act" data-act="yes" data-key="yes">${esc(t.confirm)}</button>` +
      `<button class="act alt" data-act="no" data-key="no">${esc(t.cancel)}</button></span></li>`;
  }

  /** The member's share link: a button that asks for it, then the link and a copy button. */
  private share(s: State): string {
    const t = this.t;
    if (!s.referrals) return "";
    const link = esc(this.link);
    return `<h3>${esc(t.share)}</h3>` +
      (link
        ? `<p><code>${link}</code></p><p><button class="act alt" data-act="copy" data-code="${link}" data-key="c-link">` +
          `${esc(t.copy)}</button></p>`
        : `<p><button class="act" data-act="share" data-key="share">${esc(t.shareAsk)}</button></p>`);
  }

  /** Ask the app for the member's referral code and make the link on this shop's own address. */
  private async shareLink(): Promise<void> {
    const answer = await this.request("share-link", {});
    const path = answer?.status === 200 && answer.data.path;
    if (path) {
      this.link = location.origin + path;
      this.focusNext = "c-link";
      this.render();
    }
    this.say(path ? "" : this.t.error);
  }

  /** The campaigns running now, each its name, what it gives on what, and until when. */
  private campaigns(s: State): string {
    const items = s.campaigns.map(
      (c) => `<li><div><strong>${esc(c.name)}</strong><p class="mu">${esc(`${c.gives} ${c.for} · ${c.until}`)}</p></div></li>`,
    );
    return items.length ? `<h3>${esc(this.t.campaigns)}</h3><ul>${items.join("")}</ul>` : "";
  }

  /** The member's birthday, when the program gives points on it: day, month and an optional year, fixed once set. */
  private birthday(): string {
    const born = this.born;
    if (!born?.bonus) return "";
    const t = this.t;
    const field = (key: "day" | "month" | "year") => {
      // What the customer has typed outlives a render (another element's card, a redeem's answer).
      const typed = (this.root.getElementById(key) as HTMLInputElement | null)?.value;
      const value = born.locked ? born.birthday?.[key] : typed;
      return `<div><label class="mu" for="${key}">${esc(t[key])}</label><input id="${key}" data-key="${key}" ` +
        `type="number" value="${esc(value ?? "")}"` +
        `${born.locked ? ' readonly aria-describedby="bd"' : ""}></div>`;
    };
    return `<h3>${esc(t.birthday)}</h3><p class="mu">${esc(say(t.birthdayBonus, { n: this.number(born.bonus) }))}</p>` +
      `<div class="bd">${field("day")}${field("month")}${field("year")}</div>` +
      (born.locked
        ? `<p class="mu" id="bd">${esc(t.birthdaySaved)}</p>`
        : `<p><button class="act" data-act="birthday" data-key="bd">${esc(t.save)}</button></p>`);
  }

  /** Ask for the member's birthday, or with what they typed in its fields, set it. */
  private async birthdayCall(save?: boolean): Promise<void> {
    this.born ??= null;
    const typed = (key: string) => (this.root.getElementById(key) as HTMLInputElement).value;
    // An empty year is left out (JSON drops undefined): the year is optional.
    const date = save ? { day: +typed("day"), month: +typed("month"), year: +typed("year") || undefined } : undefined;
    const answer = await this.request("birthday", date);
    const ok = answer?.status === 200;
    if (ok) {
      this.born = answer.data as Born;
      this.render();
    }
    if (!save) return;
    // Saved: the first field, read-only now, is described by the sentence that says why.
    if (ok) this.refocus("day");
    this.say(ok ? "" : answer?.status === 400 ? this.t.notADate : this.t.error);
  }

  private rewards(s: State, member: boolean): string {
    const t = this.t;
    const items = s.rewards.map((reward) => {
      const name = reward.title;
      const slide = reward.least === undefined ? null : this.choice(reward);
      const cost = this.number(slide ? slide.n : reward.points);
      // A redeem clicked on the theme's first view is asked about only if the live card says it is affordable.
      if (member && reward.affordable && this.asking === `r:${reward.id}`)
        return this.ask(say(t.confirmSpend, { n: cost, reward: slide ? slide.offer : name }));
      const busy = this.redeeming.has(reward.id);
      const action = member
        ? `<button class="act" data-act="redeem" data-reward="${esc(reward.id)}" data-key="r-${esc(reward.id)}"` +
          `${reward.affordable && !busy ? "" : " disabled"}>${esc(t.redeem)}</button>`
        : "";
      const short = Math.max(0, (reward.least ?? reward.points) - s.available);
      const note = member && !reward.affordable ? `<p class="mu">${esc(say(t.needMore, { n: this.number(short) }))}</p>` : "";
      return `<li class="wrap"><div>${pic(reward.product)}<strong>${esc(name)}</strong><p class="mu">` +
        `${slide ? this.slider(reward, member, slide.worth) : `${esc(say(t.cost, { n: cost }))}</p>`}${note}</div>${action}</li>`;
    });
    return items.length ? `<h3>${esc(t.rewards)}</h3><ul>${items.join("")}</ul>` : "";
  }

  private codes(s: State): string {
    const t = this.t;
    if (!s.codes.length) return "";
    const apply = this.getAttribute("platform") === "shopify";
    const items = s.codes.map((code) => {
      const name = esc(code.title);
      const until = esc(say(t.validUntil, { date: code.expires_on }));
      // No text before the platform has the code: nothing to copy or use yet.
      if (code.status === "reserved") return `<li><div><strong>${name}</strong><p class="mu">${esc(t.onItsWay)}</p></div></li>`;
      // What has no code to type (store credit on the customer's account) shows what it is and until when.
      if (!code.code) return `<li><div><strong>${name}</strong><p class="mu">${until}</p></div></li>`;
      const text = esc(code.code);
      if (this.asking === `h:${code.redemption}`)
        return this.ask(say(t.confirmBack, { code: code.code, n: this.number(code.points) }));
      if (code.status === "returning")
        return `<li><div><code>${text}</code><p class="mu">${name} · ${esc(t.beingReturned)}</p></div></li>`;
      return `<li class="wrap"${code.code === this.fresh ? " data-fresh" : ""}><div>${pic(code.product)}<code>${text}</code>` +
        `<p class="mu">${name} · ${until}</p></div>` +
        `<span class="acts"><button class="act alt" data-act="copy" data-code="${text}" data-key="c-${text}">` +
        `${esc(t.copy)}</button>` +
        (apply ? `<a class="act" href="/discount/${encodeURIComponent(code.code)}" data-key="${text}">${esc(t.apply)}</a>` : "") +
        (code.returnable
          ? `<button class="act alt" data-act="back" data-id="${esc(code.redemption)}" data-key="h-${esc(code.redemption)}">` +
            `${esc(t.handBack)}</button>`
          : "") +
        `</span></li>`;
    });
    return `<h3>${esc(t.codes)}</h3><ul>${items.join("")}</ul>`;
  }

  private history(s: State): string {
    const t = this.t;
    if (!s.history.length) return `<h3>${esc(t.history)}</h3><p class="mu">${esc(t.noHistory)}</p>`;
    const items = s.history.map((entry) => {
      const sign = entry.points > 0 ? "+" : entry.points < 0 ? "−" : "";
      const tone = entry.points >= 0 ? "plus" : "minus";
      return `<li><div>${esc(entry.reason)}<p class="mu">${esc(entry.day)}</p></div>` +
        (entry.points ? `<span class="${tone}">${sign}${esc(this.number(Math.abs(entry.points)))}</span>` : "") + `</li>`;
    });
    return `<h3>${esc(t.history)}</h3><ul>${items.join("")}</ul>`;
  }

  private async onClick(event: Event): Promise<void> {
    const target = (event.target as HTMLElement).closest("button");
    if (!target) return;
    if (target === this.launcher) return this.panel.hidden ? this.open() : this.close();
    const act = target.dataset.act;
    if (act === "close") this.close();
    // A join or redeem on the theme's first view waits for the card: the consent text and the question come with it.
    else if (act === "join") this.state ? await this.join(target) : (this.focusNext = "join");
    else if (act === "share") await this.shareLink();
    else if (act === "redeem") this.question(`r:${target.dataset.reward}`, "yes");
    else if (act === "back") this.question(`h:${target.dataset.id}`, "yes");
    else if (act === "no") this.question("", this.asking.replace(":", "-"));
    else if (act === "yes") {
      const [kind, id] = [this.asking[0], this.asking.slice(2)];
      this.asking = "";
      await (kind === "r" ? this.redeem(id) : this.handBack(id));
    } else if (act === "copy") await this.copy(target.dataset.code!);
    else if (act === "birthday") await this.birthdayCall(true);
  }

  /** Show (or with "" take away) the question, and put focus on the button with data-key `focus`. */
  private question(asking: string, focus: string): void {
    this.asking = asking;
    this.focusNext = focus;
    this.render();
  }

  private async join(button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    const answer = await this.call("opt-in", { consent: true });
    const ok = answer?.status === 200;
    this.say(ok ? this.t.joined : this.t.error);
    if (!ok) this.render();
  }

  private async redeem(reward: string): Promise<void> {
    if (this.redeeming.has(reward)) return;
    const offered = this.state?.rewards.find((r) => r.id === reward);
    // A variable reward takes exactly the points on its slider; a fixed one its own.
    const chosen = offered?.least === undefined ? undefined : this.choice(offered).n;
    const click = { reward_id: reward, request_id: requestId(), points: chosen };
    this.redeeming.set(reward, click.request_id);
    this.render();
    const points = this.number(chosen ?? offered?.points ?? 0);
    const t = this.t;
    // Store credit goes onto the customer's account (on Saleor their gift card): there is no code to show.
    const credit = offered?.store_credit;
    let answer = await this.call("redeem", click);
    // 202: the platform is still making the code. The same request again only reads what became of it.
    const waited = answer?.status === 202;
    if (waited) this.say(say(credit ? t.creditComing : t.codeComing, { n: points }));
    for (let poll = 0; answer?.status === 202 && poll < POLLS; poll++) {
      await new Promise((done) => setTimeout(done, POLL_MS));
      answer = await this.call("redeem", click);
    }
    const code = answer?.data?.redemption?.code;
    if (answer?.status === 200 && code) this.fresh = code;
    this.redeeming.delete(reward);
    this.render();
    if (answer?.status === 200) {
      this.say(say(credit ? t.creditAdded : t.yourCode, { n: points, code: this.fresh }));
      if (!credit) this.root.querySelector<HTMLElement>(`[data-key="c-${this.fresh}"]`)?.focus();
    } else if (answer?.status === 502) {
      this.say(t.refused);
    } else if (waited) {
      // Still being made, or the line dropped: the card shows it when it is there (credit: as said while waiting).
      if (!credit) this.say(t.codeLater);
    } else {
      this.say(answer?.data?.error === "tier_required" ? t.tierRequired : answer?.status === 409 ? t.notEnough : t.error);
    }
  }

  private async handBack(redemption: string): Promise<void> {
    this.render();
    const code = this.state?.codes.find((c) => c.redemption === redemption);
    if (!code?.code) return;
    const values = { code: code.code, n: this.number(code.points) };
    const answer = await this.call("return-code", { redemption });
    const error = answer?.data?.error;
    const t = this.t;
    const message =
      answer?.status === 200 ? t.handedBack : error === "code_used" ? t.codeUsed : error === "not_returnable" ? t.notReturnable : t.error;
    this.say(say(message, values));
  }

  private async copy(code: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(code);
      this.say(code === this.link ? this.t.linkCopied : this.t.copied);
    } catch {
      // Clipboard refused (permissions): select the code so the customer can copy it by hand.
      const shown = Array.from(this.root.querySelectorAll("code")).find((node) => node.textContent === code);
      if (shown) getSelection()?.selectAllChildren(shown);
    }
  }

  private say(message: string): void {
    this.status.textContent = message;
  }

  private open(): void {
    this.panel.hidden = false;
    this.launcher?.setAttribute("aria-expanded", "true");
    this.render();
    this.root.getElementById("title")?.focus();
    if (this.failed) void this.call("member");
  }

  private close(): void {
    this.panel.hidden = true;
    this.launcher?.setAttribute("aria-expanded", "false");
    this.launcher?.focus();
  }

  private onKey(event: KeyboardEvent): void {
    if (this.hasAttribute("inline")) return;
    if (event.key === "Escape") {
      event.preventDefault();
      this.close();
    } else if (event.key === "Tab") {
      // Keep focus inside the open dialog (WAI-ARIA dialog pattern).
      const stops = Array.from(this.panel.querySelectorAll<HTMLElement>(FOCUSABLE));
      if (!stops.length) return;
      const first = stops[0];
      const last = stops[stops.length - 1];
      const active = this.root.activeElement;
      if (event.shiftKey && (active === first || !stops.includes(active as HTMLElement))) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && active === last) {
        event.preventDefault();
        first.focus();
      }
    }
  }
}

if (!customElements.get("loyalty-widget")) customElements.define("loyalty-widget", LoyaltyWidget);
