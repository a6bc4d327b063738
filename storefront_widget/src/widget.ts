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
  percentage: string | null;
}

interface Code {
  code: string | null; // null until the platform has made it
  status: string;
  expires_at: string;
  kind: string;
  title: string;
  amount: string | null;
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

type TokenSource = () => string | null | Promise<string | null>;

const SHARED = "loyalty:state";
// A code still being made (202) is asked for again with the same request id, every 3 s for half a minute.
const POLL_MS = 3000;
const POLLS = 10;
const FOCUSABLE = "button:not([disabled]),a[href],[tabindex='0']";

function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
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
    this.root.innerHTML =
      `<style>${STYLE}</style>` +
      (inline
        ? ""
        : `<button class="launcher" part="launcher" aria-haspopup="dialog" aria-expanded="false" ` +
          `aria-controls="panel"><span aria-hidden="true">★</span><span>${esc(t.launcher)}</span>` +
          `<span class="badge" aria-hidden="true" hidden></span></button>`) +
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
    this.panel.addEventListener("keydown", (event) => this.onKey(event));
    document.addEventListener(SHARED, (event) => {
      const { source, state } = (event as CustomEvent).detail;
      if (source !== this) this.show(state, false);
    });
    void this.call("member");
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

  private async call(action: string, payload?: Record<string, unknown>): Promise<Response | null> {
    const api = this.getAttribute("api") || "/apps/loyalty/api";
    const headers: Record<string, string> = { Accept: "application/json" };
    const token = typeof this.token === "function" ? await this.token() : this.token || this.getAttribute("token");
    if (token) headers.Authorization = `Bearer ${token}`;
    const saleor = this.getAttribute("saleor-api-url");
    if (saleor) headers["Saleor-Api-Url"] = saleor;
    if (payload) headers["Content-Type"] = "application/json";
    try {
      const response = await fetch(`${api}/${action}?lang=${this.language}`, {
        method: payload ? "POST" : "GET",
        headers,
        body: payload ? JSON.stringify({ ...payload, lang: this.language }) : undefined,
        credentials: "same-origin",
      });
      const data = await response.json();
      const state = data.state || (data.available === undefined ? null : data);
      if (state) this.show(state, true);
      else if (!this.state) this.fail();
      if (data.redemption?.code) this.fresh = data.redemption.code;
      return response;
    } catch {
      if (!this.state) this.fail();
      return null;
    }
  }

  private fail(): void {
    this.failed = true;
    this.render();
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
    if (!badge || !this.launcher) return;
    badge.hidden = points === null;
    badge.textContent = points === null ? "" : this.number(points);
    this.launcher.setAttribute(
      "aria-label",
      points === null ? this.t.launcher : say(this.t.launcherPoints, { n: this.number(points) }),
    );
  }

  private number(value: number): string {
    return new Intl.NumberFormat(this.locale).format(value);
  }

  private money(amount: string, currency: string): string {
    return new Intl.NumberFormat(this.locale, { style: "currency", currency }).format(Number(amount));
  }

  private date(iso: string): string {
    return new Intl.DateTimeFormat(this.locale, { dateStyle: "medium" }).format(new Date(iso));
  }

  private rewardName(reward: { kind: string; title: string; amount?: string | null; percentage?: string | null }): string {
    const currency = this.state?.currency || this.getAttribute("currency") || "EUR";
    if (reward.kind === "fixed_amount" && reward.amount)
      return say(this.language === "nl" ? "{x} korting" : "{x} off", { x: this.money(reward.amount, currency) });
    return reward.title;
  }

  private render(): void {
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
    const again = focused && this.root.querySelector<HTMLElement>(`[data-key="${focused}"]`);
    if (again) again.focus();
    else if (focused) this.root.getElementById("title")?.focus();
  }

  private rewards(s: State, member: boolean): string {
    const t = this.t;
    const items = s.rewards.map((reward) => {
      const busy = this.redeeming.has(reward.id);
      const short = Math.max(0, reward.points - s.available);
      const action = member
        ? `<button class="act" data-act="redeem" data-reward="${esc(reward.id)}" data-key="r-${esc(reward.id)}"` +
          `${reward.affordable && !busy ? "" : " disabled"}>${esc(t.redeem)}</button>`
        : "";
      const note = member && !reward.affordable ? `<p class="mu">${esc(say(t.needMore, { n: this.number(short) }))}</p>` : "";
      return `<li><div><strong>${esc(this.rewardName(reward))}</strong><p class="mu">` +
        `${esc(say(t.cost, { n: this.number(reward.points) }))}</p>${note}</div>${action}</li>`;
    });
    return items.length ? `<h3>${esc(t.rewards)}</h3><ul>${items.join("")}</ul>` : "";
  }

  private codes(s: State): string {
    const t = this.t;
    if (!s.codes.length) return "";
    const apply = this.getAttribute("platform") === "shopify";
    const items = s.codes.map((code) => {
      // No text before the platform has the code: nothing to copy or use yet.
      if (!code.code) return `<li><div><strong>${esc(this.rewardName(code))}</strong><p class="mu">${esc(t.onItsWay)}</p></div></li>`;
      return `<li class="wrap"${code.code === this.fresh ? ' data-fresh=""' : ""}><div><code>${esc(code.code)}</code>` +
        `<p class="mu">${esc(this.rewardName(code))} · ${esc(say(t.validUntil, { date: this.date(code.expires_at) }))}</p></div>` +
        `<span class="acts"><button class="act alt" data-act="copy" data-code="${esc(code.code)}" data-key="c-${esc(code.code)}">` +
        `${esc(t.copy)}</button>` +
        (apply ? `<a class="act" href="/discount/${encodeURIComponent(code.code)}">${esc(t.apply)}</a>` : "") +
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
    else if (act === "redeem") await this.redeem(target.dataset.reward!);
    else if (act === "copy") await this.copy(target.dataset.code!);
  }

  private async join(button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    const response = await this.call("opt-in", { consent: true });
    this.say(response?.ok ? this.t.joined : this.t.error);
    if (!response?.ok) this.render();
  }

  private async redeem(reward: string): Promise<void> {
    if (this.redeeming.has(reward)) return;
    const click = { reward_id: reward, request_id: requestId() };
    this.redeeming.set(reward, click.request_id);
    this.render();
    let response = await this.call("redeem", click);
    // 202: the platform is still making the code. The same request again only reads what became of it.
    const waited = response?.status === 202;
    if (waited) this.say(this.t.codeComing);
    for (let poll = 0; response?.status === 202 && poll < POLLS; poll++) {
      await new Promise((done) => setTimeout(done, POLL_MS));
      response = await this.call("redeem", click);
    }
    this.redeeming.delete(reward);
    this.render();
    if (response?.status === 200) {
      this.say(say(this.t.yourCode, { code: this.fresh }));
      this.root.querySelector<HTMLElement>(`[data-key="c-${this.fresh}"]`)?.focus();
    } else if (response?.status === 502) {
      this.say(this.t.refused);
    } else if (waited) {
      this.say(this.t.codeLater); // still being made, or the line dropped: the card shows it when it is there
    } else {
      this.say(response?.status === 409 ? this.t.notEnough : this.t.error);
    }
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
