// Renders the theme extension's cart points block (blocks/cart-points.liquid) with Liquid as a storefront would,
// for the browser test's cart page. Usage: node test/render-cart-points.mjs '{"locale": "nl", "customer": true}'
// Prints the block's HTML; the asset URL is /assets/<name>.
import {readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {Liquid} from 'liquidjs';

const EXTENSION = join(dirname(fileURLToPath(import.meta.url)), '..', 'theme-extension');
const scenario = JSON.parse(process.argv[2]);

const texts = JSON.parse(readFileSync(join(EXTENSION, 'locales', `${scenario.locale === 'nl' ? 'nl' : 'en.default'}.json`)));
const liquid = new Liquid();
liquid.registerFilter('t', (key) => key.split('.').reduce((node, part) => node[part], texts));
liquid.registerFilter('asset_url', (name) => `/assets/${name}`);
// {% schema %} is the theme editor's; a storefront renders nothing for it.
liquid.registerTag('schema', {
  parse(token, remaining) {
    for (let next = remaining.shift(); next && next.name !== 'endschema'; next = remaining.shift());
  },
  render() {
    return '';
  },
});
const block = await liquid.parseAndRender(readFileSync(join(EXTENSION, 'blocks', 'cart-points.liquid'), 'utf8'), {
  customer: scenario.customer ? {id: 7001} : null,
  block: {settings: {proxy_path: '/apps/loyalty'}},
  routes: {cart_url: '/cart'},
  request: {locale: {iso_code: scenario.locale}},
});
process.stdout.write(block);
