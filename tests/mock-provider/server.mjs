// Mock LLM provider for the end-to-end tests. The web app calls providers straight from
// the page, so this speaks the Anthropic, OpenAI (and OpenAI-compatible) and Gemini wire
// formats on their real paths, with their real error shapes and CORS behaviour, over real
// HTTP on 127.0.0.1. Node built-ins only: the test command must not need an npm install.
// Failure modes and keys are documented in README.md next to this file.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';

const REPLIES = new URL('./replies/', import.meta.url);

/** Every mode a key (`-fail-<mode>-`), `x-mock-fail` or `[[mock:<mode>]]` can ask for. */
export const FAIL_MODES = [
  '401', '403', 'cors-org', '404', '429', 'quota', '500', '529',
  'nocors', 'cut', 'stall', 'malformed', 'slow', 'stream-error', 'redirect', 'echo',
];
// When several status modes are asked for at once, the first one here wins.
const STATUS_MODES = ['cors-org', '403', 'quota', '429', '500', '529', '404', 'echo'];

const DEFAULT_DELTA_SIZE = 5;
const SLOW_MS = 100;
const CUT_PAUSE_MS = 150;
const RETRY_AFTER = '7';
const UNKNOWN_MODEL = 'does-not-exist';

const MODELS = {
  // Newest first, as Anthropic lists them; OpenAI's order means nothing (an old snapshot
  // often comes first). The app must start a chat with neither first entry.
  anthropic: [
    ['claude-opus-4-5-20251101', 'Claude Opus 4.5', '2025-11-01T00:00:00Z'],
    ['claude-sonnet-4-5-20250929', 'Claude Sonnet 4.5', '2025-09-29T00:00:00Z'],
    ['claude-haiku-4-5-20251001', 'Claude Haiku 4.5', '2025-10-01T00:00:00Z'],
    ['claude-opus-4-1-20250805', 'Claude Opus 4.1', '2025-08-05T00:00:00Z'],
  ],
  openai: [
    ['gpt-4-0613', 'openai'], ['gpt-4o-mini', 'system'], ['o3-mini', 'system'],
    ['text-embedding-3-small', 'system'], ['dall-e-3', 'system'],
  ],
  'openai-compatible': [['mock/llama-3.1-8b-instruct', 'mock'], ['mock/mistral-small', 'mock']],
  // An embedding-only model is listed so the app's "can it chat?" filter gets exercised.
  gemini: [
    ['gemini-2.5-flash', 'Gemini 2.5 Flash', ['generateContent', 'countTokens', 'createCachedContent', 'batchGenerateContent']],
    ['gemini-2.5-pro', 'Gemini 2.5 Pro', ['generateContent', 'countTokens', 'createCachedContent', 'batchGenerateContent']],
    ['text-embedding-004', 'Text Embedding 004', ['embedContent']],
  ],
};

const KEY_PREFIX = {
  anthropic: 'sk-ant-api03-FAKEFAKEFAKEFAKEFAKE',
  openai: 'sk-proj-FAKEFAKEFAKEFAKEFAKE',
  'openai-compatible': 'sk-or-v1-FAKEFAKEFAKEFAKEFAKE',
  gemini: 'AIzaFAKEFAKEFAKEFAKEFAKE',
};

/** A plausible-looking key for `provider` that the mock accepts, or fails with `mode`. */
export function mockKey(provider, mode) {
  const prefix = KEY_PREFIX[provider] ?? KEY_PREFIX.openai;
  return mode ? `${prefix}-fail-${mode}-mock` : `${prefix}-ok-mock`;
}

// ---------------------------------------------------------------------------------------
// Request helpers

const words = (text) => text.split(/\s+/).filter(Boolean).length;
const truncate = (text, n) => Array.from(text).slice(0, n).join('');

function textOf(content) {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((p) => (typeof p === 'string' ? p : p?.text ?? '')).join(' ');
  }
  return '';
}

/** { all: every text in the request incl. system, last: the last user message }. */
function conversation(provider, body) {
  const texts = [];
  let last = '';
  if (provider === 'gemini') {
    for (const p of body.systemInstruction?.parts ?? []) texts.push(p?.text ?? '');
    for (const c of body.contents ?? []) {
      const t = textOf(c?.parts);
      texts.push(t);
      if ((c?.role ?? 'user') === 'user') last = t;
    }
  } else {
    if (body.system !== undefined) texts.push(textOf(body.system));
    for (const m of body.messages ?? []) {
      const t = textOf(m?.content);
      texts.push(t);
      if (m?.role === 'user') last = t;
    }
  }
  return { all: texts.join(' '), last };
}

/** Markers in the last user message: modes, and reply/deltas/cached settings; split:N and rate:R (benchmarks) cut the answer into N deltas and send R a second; think:MS waits before the first delta. */
function markers(text) {
  const out = { modes: [], reply: null, deltas: null, deltaSize: null, cached: null, split: null, rate: null, think: null };
  for (const [, name, arg] of text.matchAll(/\[\[mock:([a-z0-9-]+)(?::([^\]]*))?\]\]/g)) {
    if (name === 'reply') out.reply = arg;
    else if (name === 'deltas') {
      const [n, size] = (arg ?? '').split(':');
      out.deltas = Number.parseInt(n, 10);
      if (size) out.deltaSize = Number.parseInt(size, 10);
    } else if (name === 'cached') out.cached = Number.parseInt(arg, 10);
    else if (name === 'split') out.split = Number.parseInt(arg, 10);
    else if (name === 'rate') out.rate = Number.parseInt(arg, 10);
    else if (name === 'think') out.think = Number.parseInt(arg, 10);
    else if (FAIL_MODES.includes(name)) out.modes.push(name);
  }
  return out;
}

function keyModes(key) {
  const modes = FAIL_MODES.filter((m) => key.includes(`-fail-${m}-`));
  // A key that says "-fail-" but names no mode is simply a wrong key: tests get an easy
  // way to write an invalid key without remembering a mode name.
  if (key.includes('-fail-') && modes.length === 0) modes.push('401');
  return modes;
}

function headerInt(headers, name) {
  const v = Number.parseInt(headers[name] ?? '', 10);
  return Number.isFinite(v) && v >= 0 ? v : null;
}

// OpenAI echoes a masked key in its 401 message; mirror it without ever echoing the secret.
const maskKey = (key) => (key.length >= 12 ? `${key.slice(0, 3)}...${key.slice(-4)}` : '***');

const chunk = (text, size) => {
  const chars = Array.from(text);
  const out = [];
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(''));
  return out.length ? out : [''];
};

const FILLER = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor ';
function benchDeltas(n, size) {
  const out = [];
  for (let i = 0; i < n; i++) {
    let s = '';
    let at = (i * size) % FILLER.length;
    while (s.length < size) { s += FILLER.slice(at, at + size - s.length); at = 0; }
    out.push(s);
  }
  return out;
}

/** `text` in exactly `n` pieces of near-equal length (fewer if it has fewer characters). */
function splitInto(text, n) {
  const chars = Array.from(text);
  const k = Math.max(1, Math.min(n, chars.length));
  const out = [];
  for (let i = 0; i < k; i++) {
    out.push(chars.slice(Math.floor((i * chars.length) / k), Math.floor(((i + 1) * chars.length) / k)).join(''));
  }
  return out;
}

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms).unref());

// ---------------------------------------------------------------------------------------
// Error bodies, per provider, as the real APIs send them

const anthropicError = (type, message) => ({ type: 'error', error: { type, message } });
const openaiError = (message, type, code = null, param = null) => ({ error: { message, type, param, code } });
const geminiError = (code, status, message, details) => ({
  error: { code, message, status, ...(details ? { details } : {}) },
});
const GEMINI_KEY_INVALID = [
  {
    '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
    reason: 'API_KEY_INVALID',
    domain: 'googleapis.com',
    metadata: { service: 'generativelanguage.googleapis.com' },
  },
  {
    '@type': 'type.googleapis.com/google.rpc.LocalizedMessage',
    locale: 'en-US',
    message: 'API key not valid. Please pass a valid API key.',
  },
];

/** [status, body, extra headers] for a failing mode, in `provider`'s own shape. */
function failure(provider, mode, ctx) {
  const model = ctx.model;
  if (provider === 'anthropic') {
    switch (mode) {
      case '401': return [401, anthropicError('authentication_error', 'invalid x-api-key')];
      case '403': return [403, anthropicError('permission_error', 'Your API key does not have permission to use the specified resource.')];
      case 'cors-org': return [403, anthropicError('permission_error', 'CORS requests are not allowed for this Organization because of an organization setting. Please contact your organization administrator.')];
      case '404': return [404, anthropicError('not_found_error', model ? `model: ${model}` : 'Not found')];
      case '429': return [429, anthropicError('rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit (https://docs.anthropic.com/en/api/rate-limits); see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later.'), { 'retry-after': RETRY_AFTER }];
      case 'quota': return [400, anthropicError('invalid_request_error', 'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.')];
      case '500': return [500, anthropicError('api_error', 'Internal server error')];
      case '529': return [529, anthropicError('overloaded_error', 'Overloaded')];
    }
  } else if (provider === 'gemini') {
    switch (mode) {
      // Real Gemini answers a bad key with 400, not 401.
      case '401': return [400, geminiError(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', GEMINI_KEY_INVALID)];
      case '403':
      case 'cors-org': return [403, geminiError(403, 'PERMISSION_DENIED', `Requests to this API generativelanguage.googleapis.com method google.ai.generativelanguage.v1beta.GenerativeService.${ctx.method ?? 'ListModels'} are blocked.`, [
        { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_SERVICE_BLOCKED', domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } },
      ])];
      case '404': return [404, geminiError(404, 'NOT_FOUND', model
        ? `models/${model} is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.`
        : 'Requested entity was not found.')];
      case '429': return [429, geminiError(429, 'RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).'), { 'retry-after': RETRY_AFTER }];
      case 'quota': return [429, geminiError(429, 'RESOURCE_EXHAUSTED', 'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.', [
        { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests', quotaId: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier' }] },
      ])];
      case '500': return [500, geminiError(500, 'INTERNAL', 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting')];
      case '529': return [503, geminiError(503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.')];
    }
  } else {
    switch (mode) {
      case '401': return [401, openaiError(`Incorrect API key provided: ${maskKey(ctx.key)}. You can find your API key at https://platform.openai.com/account/api-keys.`, 'invalid_request_error', 'invalid_api_key')];
      case '403':
      case 'cors-org': return [403, openaiError('You have insufficient permissions for this operation. Missing scopes: model.request. Check that you have the correct role in your organization (Reader, Writer, Owner) and project (Member, Owner), and if you\'re using a restricted API key, that it has the necessary scopes.', 'invalid_request_error')];
      case '404': return [404, model
        ? openaiError(`The model \`${model}\` does not exist or you do not have access to it.`, 'invalid_request_error', 'model_not_found')
        : openaiError(`Invalid URL (${ctx.req.method} ${ctx.path})`, 'invalid_request_error')];
      case '429': return [429, openaiError(`Rate limit reached for ${model ?? 'requests'} in organization org-mock on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 7s. Visit https://platform.openai.com/account/rate-limits to learn more.`, 'requests', 'rate_limit_exceeded'), { 'retry-after': RETRY_AFTER }];
      case 'quota': return [429, openaiError('You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.', 'insufficient_quota', 'insufficient_quota')];
      case '500': return [500, openaiError('The server had an error while processing your request. Sorry about that!', 'server_error')];
      case '529': return [503, openaiError('The engine is currently overloaded, please try again later.', 'server_error')];
      // A careless proxy quoting the whole key back (the real APIs mask it).
      case 'echo': return [400, openaiError(`Invalid key ${ctx.key} for this server.`, 'invalid_request_error')];
    }
  }
  throw new Error(`no failure body for ${provider} ${mode}`);
}

function badRequest(provider, message) {
  if (provider === 'anthropic') return [400, anthropicError('invalid_request_error', message)];
  if (provider === 'gemini') return [400, geminiError(400, 'INVALID_ARGUMENT', message)];
  return [400, openaiError(message, 'invalid_request_error')];
}

// ---------------------------------------------------------------------------------------
// Responses

function corsHeaders(ctx) {
  if (!ctx.cors) return {};
  return {
    'access-control-allow-origin': ctx.origin ?? '*',
    'access-control-expose-headers': 'retry-after, request-id',
    vary: 'Origin',
  };
}

function sendJson(ctx, status, obj, extra = {}) {
  const { res, modes } = ctx;
  let text = JSON.stringify(obj);
  const headers = { 'request-id': ctx.requestId, ...corsHeaders(ctx), 'content-type': 'application/json', ...extra };
  if (status === 200 && modes.has('stall')) {
    // Headers only: a key test or non-streaming call that never completes.
    res.writeHead(200, headers);
    res.flushHeaders();
    return;
  }
  if (status === 200 && modes.has('cut')) {
    res.writeHead(200, { ...headers, 'content-length': Buffer.byteLength(text) });
    res.write(text.slice(0, text.length >> 1), () => res.destroy());
    return;
  }
  if (status === 200 && modes.has('malformed')) text = text.slice(0, text.length >> 1);
  res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const sendFailure = (ctx, [status, body, extra]) => sendJson(ctx, status, body, extra);

function waitDrainOrClose(res) {
  return new Promise((ok) => {
    const done = () => { res.off('drain', done); res.off('close', done); ok(); };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Streams one SSE response. `fmt` gives the frames: head (before the first delta),
 * delta(text, i, n), tail (after the last), malformed and error (one frame each).
 */
async function streamSse(ctx, fmt, deltas, pace) {
  const { res, modes } = ctx;
  let started = performance.now();
  res.writeHead(200, {
    'request-id': ctx.requestId,
    ...corsHeaders(ctx),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
  });
  let closed = false;
  res.on('close', () => { closed = true; });
  const write = async (frame) => {
    if (closed) return;
    if (!res.write(frame)) await waitDrainOrClose(res);
  };
  // Resolves once the frame has reached the socket, so a following destroy cannot eat it.
  const writeFlushed = (frame) => new Promise((ok) => { if (closed) ok(); else res.write(frame, () => ok()); });

  const n = deltas.length;
  const cutAt = Math.max(1, Math.ceil(n / 2));
  const midAt = Math.floor(n / 2);
  for (const frame of fmt.head) await write(frame);
  // A model that thinks before it writes: the stream is open, and no text comes yet.
  if (ctx.think > 0) {
    await sleep(ctx.think);
    started = performance.now(); // a paced stream's schedule starts with its first delta
  }
  for (let i = 0; i < n; i++) {
    if (closed) return;
    if (modes.has('malformed') && i === midAt) await write(fmt.malformed);
    if (modes.has('stream-error') && i === midAt) {
      await write(fmt.error);
      res.end();
      return;
    }
    const frame = fmt.delta(deltas[i], i, n);
    if (modes.has('cut') && i === cutAt - 1) {
      await writeFlushed(frame);
      // A pause before the drop: a browser that sees data and reset together errors the
      // body stream and discards the queued chunks, so the partial answer would be lost.
      await sleep(CUT_PAUSE_MS);
      // No final events and no terminating chunk: the client sees the connection drop.
      res.destroy();
      return;
    }
    await write(frame);
    if (modes.has('stall')) return; // headers and one delta, then silence until stop()/abort
    if (pace === 'slow') await sleep(SLOW_MS);
    else if (pace === 'yield') await new Promise(setImmediate);
    else if (pace === 'rate') {
      // Delta i+1 is due at (i+1)/rate seconds after the first: a late timer catches up
      // instead of drifting.
      const wait = started + ((i + 1) * 1000) / ctx.rate - performance.now();
      if (wait >= 1) await sleep(wait);
    }
  }
  for (const frame of fmt.tail) await write(frame);
  if (!closed) res.end();
}

const sseEvent = (event, data) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
const sseData = (data) => `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
// The real Gemini API ends its SSE events with CRLF pairs; parsers that only split on
// "\n\n" break against it, so the mock does the same.
const sseDataCrlf = (data) => `data: ${JSON.stringify(data)}\r\n\r\n`;

// ---------------------------------------------------------------------------------------
// The server

/**
 * Starts the mock provider on 127.0.0.1. Resolves to
 * { url, port, requests, stop(), reset() }; `requests` records every request received.
 */
export async function startMockProvider({ port = 0 } = {}) {
  const requests = [];
  const sockets = new Set();
  let counter = 0;

  const server = createServer((req, res) => {
    const parts = [];
    req.on('data', (d) => parts.push(d));
    req.on('error', () => {});
    req.on('end', () => {
      const body = Buffer.concat(parts).toString('utf8');
      const rec = { method: req.method, path: req.url, headers: { ...req.headers }, body, at: Date.now(), closedEarly: false };
      requests.push(rec);
      // The client went away before the answer was over (Stop in the app aborts its fetch).
      res.on('close', () => { if (!res.writableEnded) rec.closedEarly = true; });
      handle(req, res, body).catch((err) => {
        process.stderr.write(`mock provider: ${err.stack ?? err}\n`);
        if (!res.headersSent) { res.writeHead(500, { 'content-type': 'text/plain' }); res.end('mock provider bug'); } else res.destroy();
      });
    });
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });

  async function handle(req, res, rawBody) {
    const url = new URL(req.url, 'http://127.0.0.1');
    const requestId = `req_mock_${String(++counter).padStart(6, '0')}`;
    const origin = req.headers.origin;

    if (req.method === 'OPTIONS') {
      // Preflights carry no key, so every preflight is allowed; `nocors` only strips the
      // headers from the actual response, which is what makes the browser block it.
      const h = {
        'access-control-allow-origin': origin ?? '*',
        'access-control-allow-methods': 'GET, POST, OPTIONS',
        'access-control-max-age': '86400',
        vary: 'Origin, Access-Control-Request-Headers',
      };
      const asked = req.headers['access-control-request-headers'];
      if (asked) h['access-control-allow-headers'] = asked;
      // Chromium's Private Network Access may ask when the page is not itself on loopback.
      if (req.headers['access-control-request-private-network'] === 'true') {
        h['access-control-allow-private-network'] = 'true';
      }
      res.writeHead(204, h);
      res.end();
      return;
    }

    let path = url.pathname;
    let compat = false;
    if (path.startsWith('/compat/')) { compat = true; path = path.slice('/compat'.length); }

    let route = null;
    let geminiModel = null;
    let geminiMethod = null;
    const gm = path.match(/^\/v1beta\/models\/([^/:]+):(streamGenerateContent|generateContent)$/);
    if (req.method === 'POST' && path === '/v1/messages' && !compat) route = ['anthropic', 'chat'];
    else if (req.method === 'POST' && path === '/v1/chat/completions') route = [compat ? 'openai-compatible' : 'openai', 'chat'];
    else if (req.method === 'GET' && path === '/v1/models') {
      // Anthropic and OpenAI share this path; the auth headers tell them apart.
      const anthropic = !compat && (req.headers['x-api-key'] !== undefined || req.headers['anthropic-version'] !== undefined);
      route = [anthropic ? 'anthropic' : compat ? 'openai-compatible' : 'openai', 'models'];
    } else if (req.method === 'GET' && path === '/v1beta/models' && !compat) route = ['gemini', 'models'];
    else if (req.method === 'POST' && gm && !compat) {
      route = ['gemini', 'chat'];
      geminiModel = decodeURIComponent(gm[1]);
      geminiMethod = gm[2];
    }

    const ctx = {
      req, res, requestId, origin, path: url.pathname + url.search, cors: true,
      modes: new Set(), key: '', model: null, method: null,
    };
    if (!route) {
      sendJson(ctx, 404, { error: { message: `mock provider: no route for ${req.method} ${url.pathname}`, type: 'invalid_request_error' } });
      return;
    }
    const [provider, kind] = route;

    let body = {};
    if (req.method === 'POST') {
      try { body = JSON.parse(rawBody || 'null') ?? {}; } catch { body = null; }
    }
    const conv = body ? conversation(provider, body) : { all: '', last: '' };
    const mark = markers(conv.last);

    const key = provider === 'anthropic' ? req.headers['x-api-key']
      : provider === 'gemini' ? req.headers['x-goog-api-key']
      : (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
    ctx.key = key ?? '';
    const headerModes = (req.headers['x-mock-fail'] ?? '').split(',').map((s) => s.trim()).filter((m) => FAIL_MODES.includes(m));
    ctx.modes = new Set([...keyModes(ctx.key), ...headerModes, ...mark.modes]);
    ctx.cors = !ctx.modes.has('nocors');
    if (ctx.modes.has('redirect')) {
      // Same origin, another path: a client that follows it sends the key there, and
      // the request shows up in `requests` under /redirected.
      res.writeHead(307, { location: `/redirected${url.pathname}${url.search}`, ...corsHeaders(ctx) });
      res.end();
      return;
    }
    ctx.model = kind === 'chat' ? (provider === 'gemini' ? geminiModel : body?.model ?? null) : null;
    ctx.method = geminiMethod === 'streamGenerateContent' ? 'StreamGenerateContent'
      : geminiMethod === 'generateContent' ? 'GenerateContent' : 'ListModels';

    // --- authentication, in the order the real APIs check it
    if (provider === 'anthropic') {
      if (origin !== undefined && req.headers['anthropic-dangerous-direct-browser-access'] !== 'true') {
        sendJson(ctx, 401, anthropicError('authentication_error', "CORS requests must set 'anthropic-dangerous-direct-browser-access' header"));
        return;
      }
      if (!key) { sendJson(ctx, 401, anthropicError('authentication_error', 'x-api-key header is required')); return; }
      if (ctx.modes.has('401')) { sendFailure(ctx, failure(provider, '401', ctx)); return; }
      if (!req.headers['anthropic-version']) {
        sendJson(ctx, 400, anthropicError('invalid_request_error', 'anthropic-version: header is required'));
        return;
      }
    } else if (provider === 'gemini') {
      if (url.searchParams.has('key')) {
        // The real API accepts this, but a key in a URL leaks into logs and history; the
        // app must never do it, so the mock refuses loudly (and `requests` keeps the proof).
        sendJson(ctx, 400, geminiError(400, 'INVALID_ARGUMENT', 'mock provider: API key passed in the URL query (?key=); send it in the x-goog-api-key header'));
        return;
      }
      if (!key) {
        sendJson(ctx, 403, geminiError(403, 'PERMISSION_DENIED', 'Method doesn\'t allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.'));
        return;
      }
      if (ctx.modes.has('401')) { sendFailure(ctx, failure(provider, '401', ctx)); return; }
    } else {
      if (!key) {
        sendJson(ctx, 401, openaiError('You didn\'t provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).', 'invalid_request_error'));
        return;
      }
      if (ctx.modes.has('401')) { sendFailure(ctx, failure(provider, '401', ctx)); return; }
    }

    // --- failures asked for by key, header or message
    const statusMode = STATUS_MODES.find((m) => ctx.modes.has(m));
    if (statusMode) { sendFailure(ctx, failure(provider, statusMode, ctx)); return; }

    if (kind === 'models') { sendJson(ctx, 200, modelList(provider)); return; }

    // --- chat
    if (!body) { sendFailure(ctx, badRequest(provider, 'mock provider: request body is not valid JSON')); return; }
    if (provider === 'gemini') {
      if (!Array.isArray(body.contents) || body.contents.length === 0) { sendFailure(ctx, badRequest(provider, '* GenerateContentRequest.contents: contents is not specified')); return; }
    } else {
      if (!body.model) { sendFailure(ctx, badRequest(provider, provider === 'anthropic' ? 'model: Field required' : 'you must provide a model parameter')); return; }
      if (!Array.isArray(body.messages) || body.messages.length === 0) { sendFailure(ctx, badRequest(provider, provider === 'anthropic' ? 'messages: Field required' : "Missing required parameter: 'messages'.")); return; }
      // Anthropic really refuses a request without max_tokens; the app must send it.
      if (provider === 'anthropic' && body.max_tokens === undefined) { sendFailure(ctx, badRequest(provider, 'max_tokens: Field required')); return; }
    }
    if (ctx.model === UNKNOWN_MODEL) { sendFailure(ctx, failure(provider, '404', ctx)); return; }

    const h = req.headers;
    const size = mark.deltaSize ?? headerInt(h, 'x-mock-delta-size') ?? DEFAULT_DELTA_SIZE;
    const benchN = mark.deltas ?? headerInt(h, 'x-mock-deltas');
    let deltas;
    if (benchN !== null && Number.isFinite(benchN)) {
      deltas = benchDeltas(Math.max(1, benchN), Math.max(1, size));
    } else {
      let text;
      if (mark.reply !== null) {
        if (!/^[a-z0-9-]+$/.test(mark.reply)) { sendFailure(ctx, badRequest(provider, `mock provider: bad canned reply name '${mark.reply}'`)); return; }
        try {
          text = await readFile(new URL(`${mark.reply}.md`, REPLIES), 'utf8');
        } catch {
          sendFailure(ctx, badRequest(provider, `mock provider: no canned reply '${mark.reply}' in tests/mock-provider/replies/`));
          return;
        }
      } else {
        text = `Mock ${provider} reply to: ${truncate(conv.last, 200)}`;
      }
      const split = mark.split ?? headerInt(h, 'x-mock-split');
      deltas = split ? splitInto(text, split) : chunk(text, Math.max(1, size));
    }
    const usage = {
      input: words(conv.all),
      output: deltas.length,
      cached: mark.cached ?? headerInt(h, 'x-mock-cached') ?? 0,
    };
    const rate = mark.rate ?? headerInt(h, 'x-mock-rate');
    if (rate) ctx.rate = rate;
    if (mark.think > 0) ctx.think = mark.think;
    const pace = ctx.modes.has('slow') ? 'slow' : rate ? 'rate'
      : benchN !== null || mark.split !== null || h['x-mock-split'] !== undefined ? 'fast' : 'yield';
    const id = requestId.replace('req_', '');
    const model = ctx.model;

    if (provider === 'anthropic') {
      if (body.stream !== true) { sendJson(ctx, 200, anthropicMessage(id, model, deltas.join(''), usage)); return; }
      await streamSse(ctx, anthropicStream(id, model, usage), deltas, pace);
    } else if (provider === 'gemini') {
      if (geminiMethod === 'generateContent') {
        sendJson(ctx, 200, geminiChunk(id, model, deltas.join(''), usage, usage.output, true));
        return;
      }
      if (url.searchParams.get('alt') !== 'sse') {
        // Without alt=sse the real API streams one JSON array; served whole here.
        const n = deltas.length;
        sendJson(ctx, 200, deltas.map((d, i) => geminiChunk(id, model, d, usage, i + 1, i === n - 1)));
        return;
      }
      await streamSse(ctx, geminiStream(id, model, usage), deltas, pace);
    } else {
      if (body.stream !== true) { sendJson(ctx, 200, openaiCompletion(id, model, deltas.join(''), usage)); return; }
      await streamSse(ctx, openaiStream(id, model, usage, body.stream_options?.include_usage === true), deltas, pace);
    }
  }

  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => { server.off('error', fail); ok(); });
  });
  const actualPort = server.address().port;
  let stopped = null;
  return {
    url: `http://127.0.0.1:${actualPort}`,
    port: actualPort,
    requests,
    reset() { requests.length = 0; },
    stop() {
      stopped ??= new Promise((ok) => {
        server.close(() => ok());
        // Stalled streams never end by themselves; without this the test process hangs.
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}

// ---------------------------------------------------------------------------------------
// Wire formats

function modelList(provider) {
  if (provider === 'anthropic') {
    const data = MODELS.anthropic.map(([id, display_name, created_at]) => ({ type: 'model', id, display_name, created_at }));
    return { data, has_more: false, first_id: data[0].id, last_id: data.at(-1).id };
  }
  if (provider === 'gemini') {
    return {
      models: MODELS.gemini.map(([id, displayName, supportedGenerationMethods]) => ({
        name: `models/${id}`, version: '001', displayName, description: `Mock ${displayName}`,
        inputTokenLimit: 1048576, outputTokenLimit: 65536, supportedGenerationMethods,
      })),
    };
  }
  return {
    object: 'list',
    data: MODELS[provider].map(([id, owned_by]) => ({ id, object: 'model', created: 1700000000, owned_by })),
  };
}

function anthropicMessage(id, model, text, usage) {
  return {
    id: `msg_${id}`, type: 'message', role: 'assistant', model,
    content: [{ type: 'text', text }],
    stop_reason: 'end_turn', stop_sequence: null,
    usage: { input_tokens: usage.input, cache_creation_input_tokens: 0, cache_read_input_tokens: usage.cached, output_tokens: usage.output },
  };
}

function anthropicStream(id, model, usage) {
  return {
    head: [
      sseEvent('message_start', {
        type: 'message_start',
        message: {
          id: `msg_${id}`, type: 'message', role: 'assistant', model, content: [],
          stop_reason: null, stop_sequence: null,
          usage: { input_tokens: usage.input, cache_creation_input_tokens: 0, cache_read_input_tokens: usage.cached, output_tokens: 1 },
        },
      }),
      sseEvent('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
      sseEvent('ping', { type: 'ping' }),
    ],
    delta: (text) => sseEvent('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }),
    tail: [
      sseEvent('content_block_stop', { type: 'content_block_stop', index: 0 }),
      sseEvent('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: usage.output } }),
      sseEvent('message_stop', { type: 'message_stop' }),
    ],
    malformed: 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":\n\n',
    error: sseEvent('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }),
  };
}

function openaiCompletion(id, model, text, usage) {
  return {
    id: `chatcmpl-${id}`, object: 'chat.completion', created: Math.floor(Date.now() / 1000), model,
    choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: openaiUsage(usage),
    system_fingerprint: 'fp_mock',
  };
}

function openaiUsage(usage) {
  return {
    prompt_tokens: usage.input,
    completion_tokens: usage.output,
    total_tokens: usage.input + usage.output,
    prompt_tokens_details: { cached_tokens: usage.cached, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

function openaiStream(id, model, usage, includeUsage) {
  const created = Math.floor(Date.now() / 1000);
  const base = { id: `chatcmpl-${id}`, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_mock' };
  // With include_usage every chunk carries "usage": null until the final usage chunk.
  const u = includeUsage ? { usage: null } : {};
  const choice = (delta, finish_reason = null) => [{ index: 0, delta, logprobs: null, finish_reason }];
  return {
    head: [sseData({ ...base, choices: choice({ role: 'assistant', content: '', refusal: null }), ...u })],
    delta: (text) => sseData({ ...base, choices: choice({ content: text }), ...u }),
    tail: [
      sseData({ ...base, choices: choice({}, 'stop'), ...u }),
      ...(includeUsage ? [sseData({ ...base, choices: [], usage: openaiUsage(usage) })] : []),
      sseData('[DONE]'),
    ],
    malformed: `data: {"id":"chatcmpl-${id}","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":\n\n`,
    error: sseData({ error: { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', param: null, code: null } }),
  };
}

function geminiChunk(id, model, text, usage, outputSoFar, last) {
  return {
    candidates: [{ content: { parts: [{ text }], role: 'model' }, ...(last ? { finishReason: 'STOP' } : {}), index: 0 }],
    usageMetadata: {
      promptTokenCount: usage.input,
      candidatesTokenCount: outputSoFar,
      totalTokenCount: usage.input + outputSoFar,
      ...(usage.cached ? { cachedContentTokenCount: usage.cached } : {}),
    },
    modelVersion: model,
    responseId: id,
  };
}

function geminiStream(id, model, usage) {
  return {
    head: [],
    // Gemini's usage is cumulative per chunk; the last chunk carries finishReason.
    delta: (text, i, n) => sseDataCrlf(geminiChunk(id, model, text, usage, i + 1, i === n - 1)),
    tail: [],
    malformed: `data: {"candidates":[{"content":{"parts":[{"text":\r\n\r\n`,
    error: sseDataCrlf(geminiError(503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.')),
  };
}

// ---------------------------------------------------------------------------------------
// Standalone: node tests/mock-provider/server.mjs --port 9999

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  let port = 0;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--port') port = Number(args[++i]);
    else if (args[i].startsWith('--port=')) port = Number(args[i].slice(7));
  }
  const mock = await startMockProvider({ port });
  console.log(`mock provider on ${mock.url}`);
  for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => mock.stop().then(() => process.exit(0)));
}
