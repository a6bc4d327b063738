// A fake of the `shopify` global a checkout or customer-account UI extension (API 2026-10) runs against,
// answering as Shopify's host does: values are signals made with the extension's own Signal class (its
// `@shopify/ui-extensions/preact` import hands it over through setSignals), attribute changes answer
// {type: 'success'} or {type: 'error', message} and a successful one updates `attributes`, and
// app-owned metafields come with the namespace `$app`.
import {readFileSync, existsSync} from 'node:fs';
import {join} from 'node:path';

export function fakeShopify({
  directory,
  target,
  locale = 'en',
  attributes = [],
  canUpdateAttributes = true,
  appMetafields = [],
  refuseAttributeChanges = false,
}) {
  const targets = new Map();
  const attributeChanges = [];
  let signal = null;
  const values = {attributes, instructions: {attributes: {canUpdateAttributes}}, appMetafields};

  const shopify = {
    extension: {target},
    localization: {language: {isoCode: locale}},
    i18n: translator(directory, locale),
    setSignals(Signal) {
      signal = Signal;
      for (const [name, value] of Object.entries(values)) shopify[name] = new Signal(value);
    },
    extend(name, render) {
      targets.set(name, render);
    },
    async applyAttributeChange(change) {
      attributeChanges.push(change);
      if (refuseAttributeChanges) {
        return {type: 'error', message: 'Attributes cannot be changed in this checkout.'};
      }
      const others = shopify.attributes.value.filter(({key}) => key !== change.key);
      shopify.attributes.value =
        change.type === 'updateAttribute' ? [...others, {key: change.key, value: change.value}] : others;
      return {type: 'success'};
    },
  };

  return {
    shopify,
    attributeChanges,
    start() {
      if (!signal) throw new Error('the extension never imported @shopify/ui-extensions/preact');
      const render = targets.get(target);
      if (!render) throw new Error(`the extension registers no ${target}`);
      return render(shopify);
    },
  };
}

// i18n.translate as Shopify does it: the buyer's locale file over en.default.json, a `count` option picks
// the plural form (Intl.PluralRules) and {{name}} placeholders take the options' values.
function translator(directory, locale) {
  const read = (name) => {
    const path = join(directory, 'locales', name);
    return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : {};
  };
  const texts = {...read('en.default.json'), ...read(`${locale}.json`)};
  const plurals = new Intl.PluralRules(locale);
  return {
    translate(key, options = {}) {
      let text = texts[key];
      if (text !== null && typeof text === 'object') text = text[plurals.select(options.count)] ?? text.other;
      if (typeof text !== 'string') throw new Error(`no text for ${key} in ${locale}`);
      return text.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name) => String(options[name]));
    },
  };
}
