// A fake of the `shopify` global a checkout or customer-account UI extension (API 2026-10) runs against,
// answering as Shopify's host does: values are signals made with the extension's own Signal class (its
// `@shopify/ui-extensions/preact` import hands it over through setSignals), attribute changes answer
// {type: 'success'} or {type: 'error', message} and a successful one updates `attributes`, and
// app-owned metafields come with the namespace `$app`. Discount code changes answer the same way and a successful
// one updates `discountCodes`; `sessionToken.get()` gives the token the test signed.
// It runs in node and, imported as a module, in a browser page (tests/browser): there the page passes `texts`.

export function fakeShopify({
  directory,
  target,
  locale = 'en',
  attributes = [],
  canUpdateAttributes = true,
  appMetafields = [],
  refuseAttributeChanges = false,
  discountCodes = [],
  canUpdateDiscountCodes = true,
  refuseDiscountCodes = false,
  sessionToken = 'session-token',
  texts = localeTexts(directory, locale),
}) {
  const targets = new Map();
  const attributeChanges = [];
  let signal = null;
  const values = {attributes, instructions: {attributes: {canUpdateAttributes}}, appMetafields};
  const discountCodeChanges = [];
  values.discountCodes = discountCodes;
  values.instructions.discounts = {canUpdateDiscountCodes};

  const shopify = {
    extension: {target},
    localization: {language: {isoCode: locale}},
    i18n: translator(texts, locale),
    setSignals(Signal) {
      signal = Signal;
      for (const [name, value] of Object.entries(values)) shopify[name] = new Signal(value);
      shopify.localization.extensionLanguage = new Signal({isoCode: locale});
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
    sessionToken: {
      async get() {
        return sessionToken;
      },
    },
    async applyDiscountCodeChange(change) {
      discountCodeChanges.push(change);
      if (refuseDiscountCodes) {
        return {type: 'error', message: 'Discount code could not be applied.'};
      }
      const others = shopify.discountCodes.value.filter(({code}) => code.toUpperCase() !== change.code.toUpperCase());
      shopify.discountCodes.value = change.type === 'addDiscountCode' ? [...others, {code: change.code}] : others;
      return {type: 'success'};
    },
  };

  return {
    shopify,
    attributeChanges,
    discountCodeChanges,
    start() {
      if (!signal) throw new Error('the extension never imported @shopify/ui-extensions/preact');
      const render = targets.get(target);
      if (!render) throw new Error(`the extension registers no ${target}`);
      return render(shopify);
    },
  };
}

// The app behind a stubbed fetch: each call's action (the URL's last path segment) takes its answers'
// successive {status, body} in order, the last one repeating; an action without answers fails as a dropped line
// does. `requests` records what the extension sent.
export function fakeApp(answers = {}) {
  const requests = [];
  const asked = {};
  async function fetch(url, options) {
    const action = new URL(url).pathname.split('/').pop();
    requests.push({
      url,
      method: options.method,
      authorization: options.headers.Authorization,
      body: options.body ? JSON.parse(options.body) : null,
    });
    const given = answers[action];
    if (!given) throw new TypeError('Failed to fetch');
    const {status, body} = given[Math.min(asked[action] ?? 0, given.length - 1)];
    asked[action] = (asked[action] ?? 0) + 1;
    return {ok: status < 300, status, json: async () => body};
  }
  return {fetch, requests};
}

// The texts Shopify gives an extension: the buyer's locale file over en.default.json. Node only (a browser has
// no files to read), so the modules are asked for here rather than imported.
export function localeTexts(directory, locale) {
  const {readFileSync, existsSync} = process.getBuiltinModule('node:fs');
  const {join} = process.getBuiltinModule('node:path');
  const read = (name) => {
    const path = join(directory, 'locales', name);
    return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : {};
  };
  return {...read('en.default.json'), ...read(`${locale}.json`)};
}

// i18n.translate as Shopify does it: a `count` option picks the plural form (Intl.PluralRules) and {{name}}
// placeholders take the options' values.
function translator(texts, locale) {
  const plurals = new Intl.PluralRules(locale);
  return {
    translate(key, options = {}) {
      let text = texts[key];
      if (text !== null && typeof text === 'object') text = text[plurals.select(options.count)] ?? text.other;
      if (typeof text !== 'string') throw new Error(`no text for ${key} in ${locale}`);
      return text.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name) => String(options[name]));
    },
    // Numbers, money and dates in the buyer's locale with Intl, as Shopify's i18n formats them (dates in UTC,
    // so that a test reads the same on any machine).
    formatNumber(number, options) {
      return new Intl.NumberFormat(locale, options).format(number);
    },
    formatCurrency(number, options) {
      return new Intl.NumberFormat(locale, {style: 'currency', ...options}).format(number);
    },
    formatDate(date, options) {
      return new Intl.DateTimeFormat(locale, {timeZone: 'UTC', ...options}).format(date);
    },
  };
}
