// Theme Check on a theme app extension with the config `shopify app build` uses for one
// (theme-check:theme-app-extension). Usage: node test/theme-check.mjs [root]; prints the offenses as JSON.
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {check} from '@shopify/theme-check-node';

const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'theme-extension');
const offenses = await check(root, 'theme-check:theme-app-extension');
console.log(
  JSON.stringify(offenses.map(({check: name, message, uri, severity}) => ({check: name, message, uri, severity}))),
);
