// <loyalty-widget>: the customer's points, tier, rewards, codes and history, for Shopify and Saleor.
// It talks only to the app's API (the `api` attribute); everything it shows comes from that JSON.

import { STYLE } from "./style";
import { say, TEXTS, type Texts } from "./texts";

interface Reward {
  id: string;
  kind: string;
  title: string;
  points: number;
  affordable: boolean;
  amount: string | null;
  currency?: string;
  product?: Product;
  // A variable reward: every `points` buy `amount` off, from `least` to `most` (what this member may spend now);
  // `order_share`: the code is at most that % of the order, so it needs an order of amount * 100 / share.
  least?: number;
  most?: number;
  order_share?: string | null;
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
  expires_at: string;
  kind: string;
  title: string;
  amount: string | null;
  product?: Product;
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
  history: { kind: string; points: number; reason: string; date: string }[];
  expiring: { points: number; date: string } | null;
  codes: Code[];
  join: { consent: string; signup_bonus: number };
}

// What the API said: its status and JSON (a card, a card under `state`, or an error), or null when the line dropped.
type Answer = {
  status: number;
  data: Partial<State> & { state?: State; redemption?: { code?: string }; error?: string };
} | null;

type TokenSource = () => string | null | Promise<string | null>;

const SHARED = "loyalty:state";
// A code still being made (202) is asked for again with the same request id, every 3 s for half a minute.
const POLL_MS = 3000;
const POLLS = 10;
const FOCUSABLE = "button:not([disabled]),input,a[href],[tabindex='0']";

// Every widget element on a page shows the same customer: those that start together share one member request
// (an element added later, as a storefront app navigates, asks afresh).
const members = new Map<string, Promise<Answer>>();
// Making an Intl formatter costs far more than using one, and a card formats dozens of numbers and dates.
const formats = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();
let sheet: CSSStyleSheet | undefined;

function format<F extends Intl.NumberFormat | Intl.DateTimeFormat>(key: string, make: () => F): F {
  let made = formats.get(key);
  if (!made) formats.set(key, (made = make()));
  return made as F;
}

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

  private root = this.attachShadow({ mode: "open" });
  private state: State | null = null;
  private failed = false;
  private fresh = "";
  // One request id per reward while its redeem is in flight: a double click makes one code.
  private redeeming = new Map<string, string>();
  // The one question on screen, "r:<reward>" or "h:<redemption>": nothing is spent or handed back unasked.
  private asking = "";
  // The points chosen on each variable reward's slider: a render keeps them.
  private chosen = new Map<string, number>();
  private t: Texts = TEXTS.en;
  private language = "en";
  private launcher: HTMLButtonElement | null = null;
  private panel!: HTMLElement;
  private body!: HTMLElement;
  private status!: HTMLElement;

  connectedCallback(): void {
    if (this.panel) return;
    this.language = this.pickLanguage();
    this.t = TEXTS[this.language];
    const inline = this.hasAttribute("inline");
    const t = this.t;
    // One parsed style sheet for every widget element of the page, where the browser can share one.
    if ("adoptedStyleSheets" in this.root) {
      if (!sheet) (sheet = new CSSStyleSheet()).replaceSync(STYLE);
      this.root.adoptedStyleSheets = [sheet];
    }
    // The launcher's name is its visible text (and the badge's points), so speech input finds it by what it shows.
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
    // First paint from the theme's copy of the balance (Shopify metafield), before the API answers.
    const balance = this.getAttribute("balance");
    if (balance) this.badge(Number(balance));
    this.root.addEventListener("click", (event) => this.onClick(event));
    this.root.addEventListener("input", (event) => this.onSlide(event.target as HTMLInputElement));
    this.panel.addEventListener("keydown", (event) => this.onKey(event));
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
    const data = answer?.data;
    const state = data && (data.state || (data.available === undefined ? null : (data as State)));
    if (state) this.show(state, share);
    else if (!this.state) {
      this.failed = true;
      this.render();
    }
  }

  private show(state: State, share: boolean): void {
    this.state = state;
    this.failed = false;
    this.badge(state.member ? state.available : null);
    this.render();
    if (share) document.dispatchEvent(new CustomEvent(SHARED, { detail: { source: this, state } }));
  }

  private badge(points: number | null): void {
    const badge = this.root.querySelector<HTMLElement>(".badge");
    if (!badge) return;
    badge.hidden = points === null;
    badge.innerHTML = points === null ? "" : `${esc(this.number(points))}<span class="sr"> ${esc(this.t.points)}</span>`;
  }

  private number(value: number): string {
    return format(`n${this.locale}`, () => new Intl.NumberFormat(this.locale)).format(value);
  }

  private money(amount: string, currency: string): string {
    const style = { style: "currency", currency } as const;
    return format(`m${this.locale}${currency}`, () => new Intl.NumberFormat(this.locale, style)).format(Number(amount));
  }

  private date(iso: string): string {
    const style = { dateStyle: "medium" } as const;
    return format(`d${this.locale}`, () => new Intl.DateTimeFormat(this.locale, style)).format(new Date(iso));
  }

  private rewardName(reward: { kind: string; title: string; amount?: string | null; currency?: string }): string {
    const currency = reward.currency || this.state?.currency || this.getAttribute("currency") || "EUR";
    if (reward.kind === "fixed_amount" && reward.amount)
      return say(this.t.off, { x: this.money(reward.amount, currency) });
    return reward.title;
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
    const money = (value: number) => this.money(String(value), currency);
    let offer = say(this.t.off, { x: money(amount) });
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
    if (this.panel.hidden) return;
    const t = this.t;
    const s = this.state;
    const focused = (this.root.activeElement as HTMLElement | null)?.dataset.key;
    let html = "";
    if (this.failed || !s) {
      html = `<p class="mu">${esc(this.failed ? t.failed : t.loading)}</p>`;
    } else if (!s.signed_in) {
      const login = this.getAttribute("login-url") || "/account/login";
      html = `<p class="big" style="font-size:1.2em">${esc(t.signIn)}</p>` +
        `<p><a class="act" data-key="login" href="${esc(login)}">${esc(t.signInLink)}</a></p>` + this.rewards(s, false);
    } else if (!s.member) {
      html = `<h3>${esc(t.joinTitle)}</h3>` +
        (s.join.signup_bonus ? `<p>${esc(say(t.joinBonus, { n: this.number(s.join.signup_bonus) }))}</p>` : "") +
        `<p class="mu" id="consent">${esc(s.join.consent)}</p>` +
        `<p><button class="act" data-act="join" data-key="join" aria-describedby="consent">${esc(t.join)}</button></p>` +
        this.rewards(s, false);
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
        html += `<p class="mu">${esc(say(t.expiring, { n: this.number(s.expiring.points), date: this.date(s.expiring.date) }))}</p>`;
      html += this.codes(s) + this.rewards(s, true) + this.history(s);
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

  private rewards(s: State, member: boolean): string {
    const t = this.t;
    const items = s.rewards.map((reward) => {
      const name = this.rewardName(reward);
      const slide = reward.least === undefined ? null : this.choice(reward);
      const cost = this.number(slide ? slide.n : reward.points);
      if (member && this.asking === `r:${reward.id}`)
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
      const name = esc(this.rewardName(code));
      // No text before the platform has the code: nothing to copy or use yet.
      if (!code.code) return `<li><div><strong>${name}</strong><p class="mu">${esc(t.onItsWay)}</p></div></li>`;
      const text = esc(code.code);
      if (this.asking === `h:${code.redemption}`)
        return this.ask(say(t.confirmBack, { code: code.code, n: this.number(code.points) }));
      if (code.status === "returning")
        return `<li><div><code>${text}</code><p class="mu">${name} · ${esc(t.beingReturned)}</p></div></li>`;
      return `<li class="wrap"${code.code === this.fresh ? ' data-fresh=""' : ""}><div>${pic(code.product)}<code>${text}</code>` +
        `<p class="mu">${name} · ${esc(say(t.validUntil, { date: this.date(code.expires_at) }))}</p></div>` +
        `<span class="acts"><button class="act alt" data-act="copy" data-code="${text}" data-key="c-${text}">` +
        `${esc(t.copy)}</button>` +
        (apply ? `<a class="act" href="/discount/${encodeURIComponent(code.code)}">${esc(t.apply)}</a>` : "") +
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
      return `<li><div>${esc(entry.reason)}<p class="mu">${esc(this.date(entry.date))}</p></div>` +
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
    else if (act === "join") await this.join(target);
    else if (act === "redeem") this.question(`r:${target.dataset.reward}`, "yes");
    else if (act === "back") this.question(`h:${target.dataset.id}`, "yes");
    else if (act === "no") this.question("", this.asking.replace(":", "-"));
    else if (act === "yes") {
      const [kind, id] = [this.asking[0], this.asking.slice(2)];
      this.asking = "";
      await (kind === "r" ? this.redeem(id) : this.handBack(id));
    } else if (act === "copy") await this.copy(target.dataset.code!);
  }

  /** Show (or with "" take away) the question, and put focus on the button with data-key `focus`. */
  private question(asking: string, focus: string): void {
    this.asking = asking;
    this.render();
    this.refocus(focus);
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
    let answer = await this.call("redeem", click);
    // 202: the platform is still making the code. The same request again only reads what became of it.
    const waited = answer?.status === 202;
    if (waited) this.say(say(this.t.codeComing, { n: points }));
    for (let poll = 0; answer?.status === 202 && poll < POLLS; poll++) {
      await new Promise((done) => setTimeout(done, POLL_MS));
      answer = await this.call("redeem", click);
    }
    const code = answer?.data?.redemption?.code;
    if (answer?.status === 200 && code) this.fresh = code;
    this.redeeming.delete(reward);
    this.render();
    if (answer?.status === 200) {
      this.say(say(this.t.yourCode, { n: points, code: this.fresh }));
      this.root.querySelector<HTMLElement>(`[data-key="c-${this.fresh}"]`)?.focus();
    } else if (answer?.status === 502) {
      this.say(this.t.refused);
    } else if (waited) {
      this.say(this.t.codeLater); // still being made, or the line dropped: the card shows it when it is there
    } else {
      this.say(answer?.status === 409 ? this.t.notEnough : this.t.error);
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
      this.say(this.t.copied);
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
    if (!this.state || this.failed) void this.call("member");
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
