// Builds src/ into ONE minified file named by its content hash, and records the name in manifest.json
// so the app (and the Shopify theme extension copy) can serve it without npm. Beside it goes its gzipped
// copy (`.js.gz`), which the app serves to every browser that accepts gzip, without compressing per request.
// `node build.mjs --check` writes nothing and fails if the committed files differ from a build of src/.
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { gunzipSync, gzipSync } from "node:zlib";
import { build } from "esbuild";

const STATIC = new URL("./static/", import.meta.url);
const THEME_ASSET = new URL("./shopify/theme-extension/assets/loyalty-widget.js", import.meta.url);

const result = await build({
  entryPoints: [new URL("./src/widget.ts", import.meta.url).pathname],
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  legalComments: "none",
  write: false,
});
const code = result.outputFiles[0].contents;
const hash = createHash("sha256").update(code).digest("hex").slice(0, 12);
const name = `loyalty-widget.${hash}.js`;
const manifest = JSON.stringify({ "loyalty-widget.js": name }, null, 2) + "\n";
const gzipped = gzipSync(code, { level: 9 });

if (process.argv.includes("--check")) {
  const same = (url, expected) => existsSync(url) && Buffer.compare(readFileSync(url), Buffer.from(expected)) === 0;
  const stale = [
    [new URL(name, STATIC), code],
    [new URL("manifest.json", STATIC), manifest],
    [THEME_ASSET, code],
  ].filter(([url, expected]) => !same(url, expected));
  // zlib's bytes differ between Node versions; what must match is what the copy unpacks to.
  const packed = new URL(`${name}.gz`, STATIC);
  if (!existsSync(packed) || Buffer.compare(gunzipSync(readFileSync(packed)), Buffer.from(code)) !== 0) stale.push([packed]);
  for (const [url] of stale) console.error(`out of date: ${url.pathname} (run make widget)`);
  process.exit(stale.length ? 1 : 0);
}

for (const old of readdirSync(STATIC)) {
  if (/^loyalty-widget\.[0-9a-f]+\.js(\.gz)?$/.test(old) && !old.startsWith(name)) rmSync(new URL(old, STATIC));
}
writeFileSync(new URL(name, STATIC), code);
writeFileSync(new URL(`${name}.gz`, STATIC), gzipped);
writeFileSync(new URL("manifest.json", STATIC), manifest);
copyFileSync(new URL(name, STATIC), THEME_ASSET);
console.log(`built static/${name} (${code.length} bytes, ${gzipped.length} gzipped)`);
