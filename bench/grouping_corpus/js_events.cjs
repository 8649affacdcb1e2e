// Runs the Node and browser scenarios with the real @sentry/node and @sentry/browser and prints
// one JSON line per event: {"scenario": id, "event": <the event the SDK would send>}.
//
//     NODE_PATH=<dir with @sentry/node and @sentry/browser> node js_events.cjs ROOT RELEASE OFFSET
//
// Node: the app's modules are written under ROOT (OFFSET blank lines first, so line numbers move
// between releases) and really throw; fetch really fails (a closed port). Browser: errors carry the
// stack text each engine writes (Chrome/V8, Safari/JavaScriptCore, Firefox/SpiderMonkey) and go
// through the browser SDK's own stack parsers, linked errors and event builder (BrowserClient).
'use strict';
const fs = require('fs');
const path = require('path');
const [root, release, offset] = process.argv.slice(2);
const pad = '\n'.repeat(Number(offset));

const APP = {
  'app/errors.js': `
class DbError extends Error { constructor(m) { super(m); this.name = 'DbError'; } }
class TimeoutError extends Error { constructor(m) { super(m); this.name = 'TimeoutError'; } }
class ValidationError extends Error { constructor(m) { super(m); this.name = 'ValidationError'; } }
module.exports = { DbError, TimeoutError, ValidationError };
`,
  'app/orders.js': `
const { DbError, TimeoutError } = require('./errors');
function parseOrders(body) { return JSON.parse(body); }
async function fetchRemote(port) { const r = await fetch('http://127.0.0.1:' + port + '/orders'); return r.json(); }
function queryOrders(shard) { throw new DbError('relation "orders_' + shard + '" does not exist'); }
async function waitForLock(ms) { throw new TimeoutError('lock not acquired after ' + ms + 'ms'); }
async function loadBatch(source, arg) {
  if (source === 'json') return parseOrders(arg);
  if (source === 'remote') return fetchRemote(arg);
  if (source === 'lock') return waitForLock(arg);
  return queryOrders(arg);
}
async function syncOrders(batch, source, arg) {
  try {
    return await loadBatch(source, arg);
  } catch (cause) {
    throw new Error('Order sync failed for batch ' + batch, { cause });
  }
}
module.exports = { syncOrders };
`,
  'app/validation.js': `
const { ValidationError } = require('./errors');
function validateCart(order) { if (!order.items) throw new ValidationError('Invalid order'); }
function validateAddress(order) { if (!order.zip) throw new ValidationError('Invalid order'); }
function validateCoupon(order) { if (order.coupon === 'EXPIRED') throw new ValidationError('Invalid order'); }
function validatePayment(order) { if (!order.card) throw new ValidationError('Invalid order'); }
function checkout(order, check) { check(order); return order; }
module.exports = { validateCart, validateAddress, validateCoupon, validatePayment, checkout };
`,
  'app/billing.js': `
function computeTotal(cart) { return cart.summary.total * 100; }
function listItems(cart) { return cart.lines.items.map((i) => i.sku); }
function allocate(n) { return new Array(n); }
module.exports = { computeTotal, listItems, allocate };
`,
};
for (const [name, source] of Object.entries(APP)) {
  fs.mkdirSync(path.join(root, path.dirname(name)), { recursive: true });
  fs.writeFileSync(path.join(root, name), pad + source);
}
process.chdir(root);

const Sentry = require('@sentry/node');
const Browser = require('@sentry/browser');
const captured = [];
Sentry.init({
  dsn: 'http://0123456789abcdef0123456789abcdef@127.0.0.1:9/1', release,
  beforeSend: (event) => { captured.push(event); return null; },
});
const browser = new Browser.BrowserClient({
  dsn: 'https://0123456789abcdef0123456789abcdef@o.example.com/1', release,
  transport: () => ({ send: async () => ({}), flush: async () => true }),
  stackParser: Browser.defaultStackParser,
  integrations: [Browser.linkedErrorsIntegration(), Browser.dedupeIntegration()],
  beforeSend: (event) => { captured.push(event); return null; },
});

const orders = require(path.join(root, 'app/orders.js'));
const validation = require(path.join(root, 'app/validation.js'));
const billing = require(path.join(root, 'app/billing.js'));

async function rejects(call) {
  try { await call(); } catch (error) { Sentry.captureException(error); }
}

const NODE = {
  'node-sync-json': [['17', '{bad json'], ['18', ''], ['231', '[1, 2,']].map(([b, a]) => () => rejects(() => orders.syncOrders(b, 'json', a))),
  'node-sync-conn': [['17', 59998], ['42', 59997]].map(([b, a]) => () => rejects(() => orders.syncOrders(b, 'remote', a))),
  'node-sync-db': [['5', 'eu'], ['6', 'us']].map(([b, a]) => () => rejects(() => orders.syncOrders(b, 'db', a))),
  'node-sync-lock': [['8', 250], ['9', 1000]].map(([b, a]) => () => rejects(() => orders.syncOrders(b, 'lock', a))),
  'node-validate-cart': [{}, { zip: '1010' }].map((o) => () => rejects(() => validation.checkout(o, validation.validateCart))),
  'node-validate-address': [{ items: [1] }, {}].map((o) => () => rejects(() => validation.checkout(o, validation.validateAddress))),
  'node-validate-coupon': [{ coupon: 'EXPIRED' }, { coupon: 'EXPIRED', zip: '1' }].map((o) => () => rejects(() => validation.checkout(o, validation.validateCoupon))),
  'node-validate-payment': [{ card: null }, {}].map((o) => () => rejects(() => validation.checkout(o, validation.validatePayment))),
  'node-undefined-total': [{}, { summary: undefined }].map((c) => () => rejects(() => billing.computeTotal(c))),
  'node-undefined-items': [{}, { lines: null }].map((c) => () => rejects(() => billing.listItems(c))),
  'node-range': [-1, -5].map((n) => () => rejects(() => billing.allocate(n))),
  'node-msg-cache': [87, 93].map((n) => () => { Sentry.captureMessage('Cache miss rate ' + n + '% above threshold', 'warning'); }),
};

// == Browser: what each engine writes ==

const ENGINES = {
  chrome: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  safari: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15',
  firefox: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
};
const DEPLOYS = ['https://shop.example.com/assets/index-3f9a1c2b.js', 'https://shop.example.com/assets/index-8d41e07a.js',
                 'https://shop.example.com/assets/index-DiwrgTda.js'];

// A call site: frames newest first as [function, chrome prefix, column]; 'native:forEach' is a
// built-in between two frames; a null function is an anonymous function.
function stackText(engine, frames, bundle, shift, message, type, prefixStyle) {
  const lines = [];
  for (const frame of frames) {
    if (typeof frame === 'string' && frame.startsWith('native:')) {
      const fn = frame.slice(7);
      if (engine === 'chrome') lines.push(`    at Array.${fn} (<anonymous>)`);
      if (engine === 'safari') lines.push(`${fn}@[native code]`);
      continue;  // Firefox shows no frame for a built-in
    }
    const [fn, prefix, col, parent] = frame;
    const where = `${bundle}:2:${col + shift + (engine === 'safari' ? 8 : engine === 'firefox' ? 6 : 0)}`;
    if (engine === 'chrome') {
      const name = fn === null ? null : prefixStyle === 0 ? `${prefix}.${fn}` : prefixStyle === 1 ? `Object.${fn}` : fn;
      lines.push(name === null ? `    at ${where}` : `    at ${name} (${where})`);
    } else if (engine === 'safari') {
      lines.push(`${fn === null ? '' : fn}@${where}`);
    } else {
      lines.push(`${fn === null ? `${parent}/<` : fn}@${where}`);
    }
  }
  return (engine === 'chrome' ? `${type}: ${message}\n` : '') + lines.join('\n');
}

function browserError(type, messages, frames) {
  // one event per engine and deploy; Chrome alternates its method prefixes
  return Object.keys(ENGINES).flatMap((engine) => DEPLOYS.slice(0, 2).map((bundle, deploy) => () => {
    const Ctor = { TypeError, ReferenceError, SyntaxError, RangeError }[type] || Error;
    const error = new Ctor(messages[engine]);
    error.stack = frames === null ? '' : stackText(engine, frames, bundle, deploy * 131, messages[engine], type, deploy);
    const scope = new Browser.Scope();
    scope.setClient(browser);
    browser.captureException(error, { mechanism: { type: 'onerror', handled: false } }, scope);
    captured[captured.length - 1].request = { url: 'https://shop.example.com/checkout', headers: { 'User-Agent': ENGINES[engine] } };
  }));
}

const READ_COUPON = {
  chrome: "Cannot read properties of undefined (reading 'coupon')",
  safari: "undefined is not an object (evaluating 't.coupon')",
  firefox: 'can\'t access property "coupon", t is undefined',
};
const READ_ITEMS = {
  chrome: "Cannot read properties of null (reading 'items')",
  safari: "null is not an object (evaluating 'e.items')",
  firefox: 'can\'t access property "items", e is null',
};
const NOT_FUNCTION = {
  chrome: 't.track is not a function',
  safari: "t.track is not a function. (In 't.track(\"checkout\")', 't.track' is undefined)",
  firefox: 't.track is not a function',
};
const GTAG = { chrome: 'gtag is not defined', safari: "Can't find variable: gtag", firefox: 'gtag is not defined' };
const FBQ = { chrome: 'fbq is not defined', safari: "Can't find variable: fbq", firefox: 'fbq is not defined' };
const JSON_PARSE = {
  chrome: 'Unexpected token \'<\', "<!DOCTYPE "... is not valid JSON',
  safari: "JSON Parse error: Unrecognized token '<'",
  firefox: 'JSON.parse: unexpected character at line 1 column 1 of the JSON data',
};
const FETCH = { chrome: 'Failed to fetch', safari: 'Load failed', firefox: 'NetworkError when attempting to fetch resource.' };
const READ_PRICE = {
  chrome: "Cannot read properties of undefined (reading 'price')",
  safari: "undefined is not an object (evaluating 'n.price')",
  firefox: 'can\'t access property "price", n is undefined',
};

const BROWSER = {
  'br-coupon-onpay': browserError('TypeError', READ_COUPON,
    [['onPay', 'HTMLButtonElement', 14503], 'native:forEach', ['applyDiscounts', 'Object', 13980], [null, null, 9120, 'setup']]),
  'br-coupon-summary': browserError('TypeError', READ_COUPON,
    [['renderSummary', 'Object', 20117], ['render', 'Yn', 19870], [null, null, 310, 'mount']]),
  'br-items-map': browserError('TypeError', READ_ITEMS,
    [['mapItems', 'Object', 8801], 'native:map', ['showCart', 'HTMLDivElement', 8455]]),
  'br-notfn-track': browserError('TypeError', NOT_FUNCTION, [['sendAnalytics', 'Object', 501], [null, null, 488, 'init']]),
  'br-undefvar-gtag': browserError('ReferenceError', GTAG, [['trackPurchase', 'Object', 3120], ['onPaid', 'HTMLFormElement', 3007]]),
  'br-json-config': browserError('SyntaxError', JSON_PARSE, [['loadConfig', 'Object', 777], [null, null, 760, 'boot']]),
  'br-fetch-cart': browserError('TypeError', FETCH, [['loadCart', 'Object', 1200], ['refresh', 'Object', 1100]]),
  'br-fetch-save': browserError('TypeError', FETCH, [['saveOrder', 'Object', 4400], ['submit', 'HTMLFormElement', 4300]]),
  'br-fetch-nostack': browserError('TypeError', FETCH, null),
  'br-fbq-nostack': browserError('ReferenceError', FBQ, null),
  'br-price-nostack': browserError('TypeError', READ_PRICE, null),
};

(async () => {
  // every variant from a timer callback: the first one would otherwise run inside the module's
  // load and carry the loader's frames (another call path, so another group for Sentry too)
  await new Promise((resolve) => setTimeout(resolve, 10));
  for (const [scenario, variants] of Object.entries({ ...NODE, ...BROWSER })) {
    for (const variant of variants) {
      captured.length = 0;
      await variant();
      await new Promise((resolve) => setTimeout(resolve, 20));
      for (const event of captured) process.stdout.write(JSON.stringify({ scenario, event }) + '\n');
    }
  }
  await Sentry.close(100);
  process.exit(0);
})();
