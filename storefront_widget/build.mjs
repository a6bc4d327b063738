// Builds src/ into ONE minified file named by its content hash, and records the name in manifest.json
// so the app (and the Shopify theme extension copy) can serve it without npm.
// `node build.mjs --check` writes nothing and fails if the committed files differ from a build of src/.
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
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

if (process.argv.includes("--check")) {
  const same = (url, expected) => existsSync(url) && Buffer.compare(readFileSync(url), Buffer.from(expected)) === 0;
  const stale = [
    [new URL(name, STATIC), code],
    [new URL("manifest.json", STATIC), manifest],
    [THEME_ASSET, code],
  ].filter(([url, expected]) => !same(url, expected));
  for (const [url] of stale) console.error(`out of date: ${url.pathname} (run make widget)`);
  process.exit(stale.length ? 1 : 0);
}

for (const old of readdirSync(STATIC)) {
  if (/^loyalty-widget\.[0-9a-f]+\.js$/.test(old) && old !== name) rmSync(new URL(old, STATIC));
}
writeFileSync(new URL(name, STATIC), code);
writeFileSync(new URL("manifest.json", STATIC), manifest);
copyFileSync(new URL(name, STATIC), THEME_ASSET);
console.log(`built static/${name} (${code.length} bytes)`);
