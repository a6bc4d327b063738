// Builds one UI extension from source (build.mjs, as the CLI bundles it), runs the bundle against the fake
// extension API in a DOM and prints what a buyer sees, after ticking or unticking its checkbox if asked.
// Usage: node test/render-extension.mjs '{"extension": "...", "target": "...", "locale": "nl", ...}'
// Prints {text, headings, checkboxes: [{label, checked}], attributeChanges, attributes} as JSON.
import {join} from 'node:path';
import {runInThisContext} from 'node:vm';
import {parseHTML} from 'linkedom';
import {EXTENSIONS, bundle} from '../build.mjs';
import {fakeShopify} from './fake-extension-api.mjs';

const scenario = JSON.parse(process.argv[2]);
const directory = join(EXTENSIONS, scenario.extension);
const code = await bundle(directory);

const {document, Event} = parseHTML('<!doctype html><html><body></body></html>');
const fake = fakeShopify({...scenario, directory});
globalThis.document = document;
globalThis.shopify = fake.shopify;
runInThisContext(code);
await fake.start();
await settled();

for (const checked of scenario.toggles ?? []) {
  const box = document.querySelector('s-checkbox');
  box.checked = checked; // what the host sets before it reports the buyer's click
  box.dispatchEvent(new Event('change'));
  await settled();
}

const checkboxes = [...document.querySelectorAll('s-checkbox')].map((box) => ({
  label: box.getAttribute('label'),
  checked: "checked" in box ? box.checked === true : box.hasAttribute("checked"),
}));
console.log(
  JSON.stringify({
    text: document.body.textContent.replace(/\s+/g, ' ').trim(),
    headings: [...document.querySelectorAll('[heading]')].map((element) => element.getAttribute('heading')),
    checkboxes,
    attributeChanges: fake.attributeChanges,
    attributes: fake.shopify.attributes?.value ?? [],
  }),
);

// Preact renders again on the next tick after a signal or state changes.
function settled() {
  return new Promise((resolve) => setTimeout(resolve, 10));
}
