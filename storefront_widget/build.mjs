// Builds src/ into ONE minified widget file named by its content hash, a tiny loader and the friend's welcome panel
// (welcome.ts, loaded only on a page a share link led to) beside it, and records
// the names in manifest.json so the app (and the Shopify theme extension's copies) can serve them without npm.
// Beside each goes its gzipped copy (`.js.gz`), which the app serves to every browser that accepts gzip, without
// compressing per request. The widget's style also goes into the theme extension as a snippet, for the first view
// the theme draws. `node build.mjs --check` writes nothing and fails if the committed files differ from a build.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { gunzipSync, gzipSync } from "node:zlib";
import { build } from "esbuild";

const STATIC = new URL("./static/", import.meta.url);
const THEME = new URL("./shopify/theme-extension/", import.meta.url);
// The widget's own members and the names of its texts, renamed short in the build: none is a name of the API's
// JSON, the DOM or the language (those keep theirs). The bundle's 8 KB gzipped holds with every feature so.
const SHORT_NAMES = new RegExp(
  "^(root|failed|fresh|redeeming|asking|chosen|focusNext|born|started|launcher|panel|draw|pickLanguage|request|" +
    "take|show|badge|number|money|choice|slider|onSlide|render|refocus|ask|birthdayCall|shareLink|onClick|question|" +
    "handBack|say|onKey|near|link|group|signIn|signInLink|joinTitle|joinBonus|joined|toNext|cost|choose|worth|minOrder|" +
    "confirmSpend|confirm|cancel|needMore|copied|confirmBack|beingReturned|handedBack|codeUsed|notReturnable|" +
    "onItsWay|yourCode|codeComing|codeLater|refused|validUntil|noHistory|notEnough|tierRequired|creditComing|" +
    "creditAdded|save|birthdayBonus|birthdaySaved|notADate|share|shareAsk|linkCopied|loading)$",
);

async function bundle(entry, options = {}) {
  const result = await build({
    entryPoints: [new URL(`./src/${entry}`, import.meta.url).pathname],
    bundle: true,
    minify: true,
    format: "iife",
    target: ["es2020"],
    legalComments: "none",
    write: false,
    ...options,
  });
  return result.outputFiles[0].contents;
}

function hashed(stem, code) {
  return `${stem}.${createHash("sha256").update(code).digest("hex").slice(0, 12)}.js`;
}

const widget = await bundle("widget.ts", { mangleProps: SHORT_NAMES });
const loader = await bundle("loader.ts");
const welcome = await bundle("welcome.ts");
const styleModule = await bundle("style.ts", { format: "esm", minify: false });
const { STYLE } = await import(`data:text/javascript,${encodeURIComponent(Buffer.from(styleModule).toString())}`);
const built = {
  "loyalty-widget.js": [hashed("loyalty-widget", widget), widget],
  "loyalty-loader.js": [hashed("loyalty-loader", loader), loader],
  "loyalty-welcome.js": [hashed("loyalty-welcome", welcome), welcome],
};
const manifest = JSON.stringify(Object.fromEntries(Object.entries(built).map(([key, [name]]) => [key, name])), null, 2) + "\n";
const snippet =
  "{%- comment -%} Written by storefront_widget/build.mjs from src/style.ts: the widget's style, for the first view " +
  "the theme draws. {%- endcomment -%}\n" +
  // No newline at the end: the tag is rendered as it is, whatever a Liquid does with a file's last newline.
  `<style>${STYLE}</style>`;
const outputs = [
  [new URL("manifest.json", STATIC), manifest],
  [new URL("snippets/loyalty-widget-style.liquid", THEME), snippet],
  ...Object.entries(built).flatMap(([key, [name, code]]) => [
    [new URL(name, STATIC), code],
    [new URL(`assets/${key}`, THEME), code],
  ]),
];

if (process.argv.includes("--check")) {
  const same = (url, expected) => existsSync(url) && Buffer.compare(readFileSync(url), Buffer.from(expected)) === 0;
  const stale = outputs.filter(([url, expected]) => !same(url, expected));
  // zlib's bytes differ between Node versions; what must match is what the copy unpacks to.
  for (const [name, code] of Object.values(built)) {
    const packed = new URL(`${name}.gz`, STATIC);
    if (!existsSync(packed) || Buffer.compare(gunzipSync(readFileSync(packed)), Buffer.from(code)) !== 0) stale.push([packed]);
  }
  for (const [url] of stale) console.error(`out of date: ${url.pathname} (run make widget)`);
  process.exit(stale.length ? 1 : 0);
}

const names = Object.values(built).map(([name]) => name);
for (const old of readdirSync(STATIC)) {
  if (/^loyalty-(widget|loader|welcome)\.[0-9a-f]+\.js(\.gz)?$/.test(old) && !names.some((name) => old.startsWith(name)))
    rmSync(new URL(old, STATIC));
}
for (const [url, content] of outputs) writeFileSync(url, content);
for (const [name, code] of Object.values(built)) {
  const gzipped = gzipSync(code, { level: 9 });
  writeFileSync(new URL(`${name}.gz`, STATIC), gzipped);
  console.log(`built static/${name} (${code.length} bytes, ${gzipped.length} gzipped)`);
}
