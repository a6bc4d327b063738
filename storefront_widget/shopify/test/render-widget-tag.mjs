// Renders the theme extension's widget tag (snippets/loyalty-widget-tag.liquid) with liquidjs, as a second Liquid
// beside the python-liquid the demo page uses, with Shopify's `t` (named values put in escaped) and `asset_url`.
// Usage: node test/render-widget-tag.mjs '{"language": "nl", "inline": true, "objects": {...}}'; prints the HTML.
import {readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {Liquid} from 'liquidjs';

const EXTENSION = join(dirname(fileURLToPath(import.meta.url)), '..', 'theme-extension');
const MANIFEST = join(EXTENSION, '..', '..', 'static', 'manifest.json');
const {language, inline, settings, objects} = JSON.parse(process.argv[2]);

const locale = (name) => JSON.parse(readFileSync(join(EXTENSION, 'locales', `${name}.json`)));
const [texts, english] = [locale(language === 'en' ? 'en.default' : language), locale('en.default')];
const find = (tree, key) => key.split('.').reduce((node, part) => node?.[part], tree);
const ESCAPED = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;'};
const escape = (value) => String(value).replace(/[&<>"']/g, (c) => ESCAPED[c]);
// Shopify's objects (customer, shop, request, routes) are globals: a rendered snippet sees them.
const liquid = new Liquid({root: join(EXTENSION, 'snippets'), extname: '.liquid', globals: objects});
liquid.registerFilter('t', (key, ...named) => {
  const values = Object.fromEntries(named);
  return (find(texts, key) ?? find(english, key) ?? key).replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name) =>
    escape(values[name] ?? ''),
  );
});
const built = JSON.parse(readFileSync(MANIFEST));
liquid.registerFilter('asset_url', (name) => `/widget/${built[name]}`);
const html = await liquid.parseAndRender("{% render 'loyalty-widget-tag', block: block, inline: inline %}", {
  inline,
  block: {settings},
});
process.stdout.write(html);
