// Builds src/ into ONE minified file named by its content hash, and records the name in manifest.json
// so the app (and the Shopify theme extension copy) can serve it without npm.
import { createHash } from "node:crypto";
import { copyFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
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

for (const old of readdirSync(STATIC)) {
  if (/^loyalty-widget\.[0-9a-f]+\.js$/.test(old) && old !== name) rmSync(new URL(old, STATIC));
}
writeFileSync(new URL(name, STATIC), code);
writeFileSync(new URL("manifest.json", STATIC), JSON.stringify({ "loyalty-widget.js": name }, null, 2) + "\n");
copyFileSync(new URL(name, STATIC), THEME_ASSET);
console.log(`built static/${name} (${code.length} bytes)`);
