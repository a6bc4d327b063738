// Builds the spend-points checkout extension from source, runs it against the fake extension API with the app's
// answers stubbed (fetch), presses the buttons asked for, and prints what the buyer sees and what was sent.
// Usage: node test/render-checkout-points.mjs '{"locale": "nl", "answers": {"offer": [...], "code": [...]}, "press": [...]}'
// `answers` give each call's successive {status, body}; `press` names buttons by their text, or {"points": 750}
// types into the points field first. Prints {text, buttons, requests, discountCodeChanges, discountCodes} as JSON.
import {join} from 'node:path';
import {runInThisContext} from 'node:vm';
import {parseHTML} from 'linkedom';
import {EXTENSIONS, bundle} from '../build.mjs';
import {fakeApp, fakeShopify} from './fake-extension-api.mjs';

const scenario = JSON.parse(process.argv[2]);
const directory = join(EXTENSIONS, 'loyalty-checkout-points');
const code = await bundle(directory);

const {document, Event} = parseHTML('<!doctype html><html><body></body></html>');
const fake = fakeShopify({...scenario, directory, target: 'purchase.checkout.reductions.render-after'});
const app = fakeApp(scenario.answers);
const {requests} = app;
globalThis.document = document;
globalThis.shopify = fake.shopify;
globalThis.fetch = app.fetch;
const wait = globalThis.setTimeout;
const stop = globalThis.clearTimeout;
const pending = new Set(); // the extension's timers (polls, Preact's effects) not fired or cleared yet
globalThis.setTimeout = (done, ms) => {
  const timer = wait(() => {
    pending.delete(timer);
    done();
  }, Math.min(ms ?? 0, 1));
  pending.add(timer);
  return timer;
};
globalThis.clearTimeout = (timer) => {
  pending.delete(timer);
  stop(timer);
};
runInThisContext(code);
await fake.start();
await settled();

for (const press of scenario.press ?? []) {
  if (typeof press === 'object') {
    const field = document.querySelector('s-number-field');
    field.value = String(press.points); // what the host sets before it reports the buyer's typing
    field.dispatchEvent(new Event('change'));
    await settled();
    continue;
  }
  const button = [...document.querySelectorAll('s-button')].find((element) => element.textContent.includes(press));
  if (!button) throw new Error(`no button says ${press}`);
  button.dispatchEvent(new Event('click'));
  await settled();
}

console.log(
  JSON.stringify({
    text: document.body.textContent.replace(/\s+/g, ' ').trim(),
    buttons: [...document.querySelectorAll('s-button')].map((button) => button.textContent.trim()),
    fields: [...document.querySelectorAll('s-number-field')].map((field) => field.getAttribute('label')),
    banners: [...document.querySelectorAll('s-banner')].map((banner) => [banner.getAttribute('tone'), banner.textContent.trim()]),
    requests,
    discountCodeChanges: fake.discountCodeChanges,
    discountCodes: fake.shopify.discountCodes.value,
  }),
);

// Preact renders again on the next tick after a signal or state changes; fetches and polls take a few more,
// so this waits until no poll is pending and nothing was asked for a while.
async function settled() {
  let asked;
  do {
    asked = requests.length;
    await new Promise((resolve) => wait(resolve, 30));
  } while (pending.size > 0 || requests.length !== asked);
}
