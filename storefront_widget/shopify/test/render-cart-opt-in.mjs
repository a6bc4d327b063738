// Renders the theme extension's cart opt-in block (blocks/cart-opt-in.liquid) with Liquid as a storefront
// would, runs its script in a cart page with a stubbed fetch, ticks or unticks the checkbox if asked, then
// lets the theme re-render its cart drawer, and prints what happened.
// Usage: node test/render-cart-opt-in.mjs '{"locale": "nl", "attribute": "yes", "toggles": [false]}'
// Prints {label, checkedAtFirst, requests: [{url, method, body}], checkboxesAfterDrawer} as JSON.
import {readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {Liquid} from 'liquidjs';
import {parseHTML} from 'linkedom';

const EXTENSION = join(dirname(fileURLToPath(import.meta.url)), '..', 'theme-extension');
const scenario = JSON.parse(process.argv[2]);

const texts = JSON.parse(readFileSync(join(EXTENSION, 'locales', `${scenario.locale === 'nl' ? 'nl' : 'en.default'}.json`)));
const liquid = new Liquid({root: join(EXTENSION, 'snippets')});
liquid.registerFilter('t', (key) => key.split('.').reduce((node, part) => node[part], texts));
// {% schema %} is the theme editor's; a storefront renders nothing for it.
liquid.registerTag('schema', {
  parse(token, remaining) {
    for (let next = remaining.shift(); next && next.name !== 'endschema'; next = remaining.shift());
  },
  render() {
    return '';
  },
});
const block = await liquid.parseAndRender(readFileSync(join(EXTENSION, 'blocks', 'cart-opt-in.liquid'), 'utf8'), {
  cart: {attributes: scenario.attribute ? {loyalty_opt_in: scenario.attribute} : {}},
  routes: {cart_update_url: '/cart/update'},
});

const cartForm = '<form action="/cart" method="post"><button type="submit" name="checkout">Check out</button></form>';
const {document, window, Event} = parseHTML(`<!doctype html><html><body>${cartForm}<div id="block"></div></body></html>`);
const requests = [];
globalThis.document = document;
globalThis.MutationObserver = window.MutationObserver;
globalThis.fetch = async (url, options) => {
  requests.push({url, method: options.method, body: JSON.parse(options.body)});
  return {ok: true, json: async () => ({})};
};
const host = document.getElementById('block');
host.innerHTML = block.replace(/<script>[\s\S]*<\/script>/, '');
new Function(block.match(/<script>([\s\S]*)<\/script>/)[1])();

const box = () => document.querySelector('.loyalty-opt-in input[type="checkbox"]');
const placed = box();
const label = placed?.closest('label').textContent.trim();
const checkedAtFirst = placed?.hasAttribute('checked') ?? false;
for (const checked of scenario.toggles ?? []) {
  box().checked = checked; // what the browser sets on a click, before it fires `change`
  box().dispatchEvent(new Event('change', {bubbles: true}));
}
await settled();

// A theme re-renders its cart drawer: a new cart form appears and gets its own checkbox.
document.body.insertAdjacentHTML('beforeend', `<aside id="drawer">${cartForm}</aside>`);
await settled();

console.log(
  JSON.stringify({
    label,
    checkedAtFirst,
    beforeCheckout: placed?.closest('form')?.querySelector('.loyalty-opt-in + [name="checkout"]') != null,
    requests,
    checkboxesAfterDrawer: document.querySelectorAll('form .loyalty-opt-in input[type="checkbox"]').length,
  }),
);

function settled() {
  return new Promise((resolve) => setTimeout(resolve, 10));
}
