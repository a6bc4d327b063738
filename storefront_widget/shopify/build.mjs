// Bundles the UI extensions in extensions/ as `shopify app build` does: one entry per extension that imports
// each target's module and registers it with `shopify.extend`, JSX by the extension's tsconfig.json (Preact),
// packages from the extension's own node_modules (its lock file). `node build.mjs [directory]` writes
// <handle>.js into the directory (build/ by default); the rendering tests call bundle() and run what it returns.
import {readdirSync, readFileSync, mkdirSync, writeFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {build} from 'esbuild';
import {parse} from 'smol-toml';

const HERE = dirname(fileURLToPath(import.meta.url));
export const EXTENSIONS = join(HERE, 'extensions');

export function extensionConfig(directory) {
  const config = parse(readFileSync(join(directory, 'shopify.extension.toml'), 'utf8'));
  return config.extensions[0];
}

// The CLI's entry for an API version with Preact and remote DOM (2025-10 and later).
export function entry(extension) {
  return extension.targeting
    .map(
      ({module, target}, index) =>
        `import Target_${index} from '${module}';shopify.extend('${target}', (...args) => Target_${index}(...args));`,
    )
    .join('\n');
}

export async function bundle(directory) {
  const result = await build({
    stdin: {contents: entry(extensionConfig(directory)), resolveDir: directory, loader: 'tsx'},
    bundle: true,
    write: false,
    jsx: 'automatic',
    loader: {'.esnext': 'ts', '.js': 'jsx'},
    legalComments: 'none',
    minify: true,
    target: 'es6',
    define: {'process.env.NODE_ENV': '"production"'},
    resolveExtensions: ['.tsx', '.ts', '.js', '.json', '.esnext', '.mjs', '.ejs'],
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}

export function extensionDirectories() {
  return readdirSync(EXTENSIONS, {withFileTypes: true})
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(EXTENSIONS, entry.name));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = process.argv[2] ?? join(HERE, 'build');
  mkdirSync(out, {recursive: true});
  for (const directory of extensionDirectories()) {
    const {handle} = extensionConfig(directory);
    const code = await bundle(directory);
    writeFileSync(join(out, `${handle}.js`), code);
    console.log(`${join(out, `${handle}.js`)}: ${code.length} bytes`);
  }
}
