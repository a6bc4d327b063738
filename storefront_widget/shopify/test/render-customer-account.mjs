// Builds a customer-account extension (the loyalty page or the profile block) from source, runs it against the
// fake extension API with the app's member API stubbed (fetch), does what the customer does, and prints what
// they see and what was sent.
// Usage: node test/render-customer-account.mjs '{"extension": "...", "target": "...", "locale": "nl",
//   "answers": {"member": [...], "redeem": [...]}, "steps": [...]}'
// `answers` give each call's successive {status, body} (the last one repeats); a step presses a button by its
// text ({"press": "Redeem", "nth": 1}) or types points into a field by its label ({"fill": "...", "value": 300}).
// Prints {text, lines, headings, banners, buttons, copies, fields, progress, links, requests} as JSON.
import {join} from 'node:path';
import {runInThisContext} from 'node:vm';
import {parseHTML} from 'linkedom';
import {EXTENSIONS, bundle} from '../build.mjs';
import {fakeApp, fakeShopify} from './fake-extension-api.mjs';

const scenario = JSON.parse(process.argv[2]);
const directory = join(EXTENSIONS, scenario.extension);
const code = await bundle(directory);

const {document, Event} = parseHTML('<!doctype html><html><body></body></html>');
const fake = fakeShopify({...scenario, directory});
const app = fakeApp(scenario.answers);
const {requests} = app;
globalThis.document = document;
globalThis.shopify = fake.shopify;
globalThis.fetch = app.fetch;
// Time runs fast: a poll's wait of seconds passes in a millisecond.
const wait = globalThis.setTimeout;
globalThis.setTimeout = (done, ms) => wait(done, Math.min(ms, 1));
runInThisContext(code);
await fake.start();
await settled();

for (const step of scenario.steps ?? []) {
  if (step.fill !== undefined) {
    const field = [...document.querySelectorAll('s-number-field')].find((f) => f.getAttribute('label') === step.fill);
    if (!field) throw new Error(`no field is labelled ${step.fill}`);
    field.value = String(step.value); // what the host sets before it reports the customer's typing
    field.dispatchEvent(new Event('change'));
  } else {
    const buttons = [...document.querySelectorAll('s-button')].filter((b) => b.textContent.trim() === step.press);
    const button = buttons[step.nth ?? 0];
    if (!button) throw new Error(`no button ${step.nth ?? 0} says ${step.press}`);
    button.dispatchEvent(new Event('click'));
  }
  await settled();
}

const all = (selector) => [...document.querySelectorAll(selector)];
const said = (element) => element.textContent.replace(/\s+/g, ' ').trim();
const on = (element, name) => element.hasAttribute(name) && element.getAttribute(name) !== 'false';
console.log(
  JSON.stringify({
    text: said(document.body),
    lines: all('s-text').map(said),
    headings: all('[heading]').map((element) => element.getAttribute('heading')),
    banners: all('s-banner').map((banner) => [banner.getAttribute('tone'), said(banner)]),
    buttons: all('s-button').map((button) => ({label: said(button), disabled: on(button, 'disabled')})),
    // What each copy button copies: the text of the clipboard item it commands.
    copies: all('s-button[command="--copy"]').map((button) => {
      const item = document.getElementById(button.getAttribute('commandFor'));
      return {label: said(button), text: item?.getAttribute('text') ?? null};
    }),
    fields: all('s-number-field').map((field) => ({
      label: field.getAttribute('label'),
      value: field.value ?? field.getAttribute('value'),
      min: Number(field.getAttribute('min')),
      max: Number(field.getAttribute('max')),
      step: Number(field.getAttribute('step')),
    })),
    progress: all('s-progress').map((bar) => ({
      value: Number(bar.getAttribute('value')),
      max: Number(bar.getAttribute('max')),
      label: bar.getAttribute('accessibilityLabel') ?? bar.getAttribute('accessibilitylabel'),
    })),
    links: all('s-link').map((link) => ({href: link.getAttribute('href'), text: said(link)})),
    requests,
  }),
);

// Preact renders again on the next tick after a state change; fetches and polls take a few more. On a busy
// machine ticks come late: wait until neither the page nor the requests have changed for 50 ms.
async function settled() {
  let last = null;
  for (let quiet = 0, round = 0; quiet < 5 && round < 500; round++) {
    await new Promise((resolve) => wait(resolve, 10));
    const now = document.body.innerHTML + requests.length;
    quiet = now === last ? quiet + 1 : 0;
    last = now;
  }
}
