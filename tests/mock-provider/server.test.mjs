// The mock provider is a component of the end-to-end suite: if it drifts from the real
// wire formats, the e2e tests prove nothing. These pin its behaviour.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, beforeEach, describe, test } from 'node:test';

import { FAIL_MODES, mockKey, startMockProvider } from './server.mjs';

const SERVER = new URL('./server.mjs', import.meta.url);
const ORIGIN = 'http://127.0.0.1:4173';
const AKEY = mockKey('anthropic');
const OKEY = mockKey('openai');
const GKEY = mockKey('gemini');

let mock;
before(async () => { mock = await startMockProvider(); });
after(async () => { await mock.stop(); });
beforeEach(() => mock.reset());

// --- request helpers ------------------------------------------------------------------

const anthropicHeaders = (key = AKEY, extra = {}) => ({
  'x-api-key': key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json', ...extra,
});
const openaiHeaders = (key = OKEY, extra = {}) => ({ authorization: `Bearer ${key}`, 'content-type': 'application/json', ...extra });
const geminiHeaders = (key = GKEY, extra = {}) => ({ 'x-goog-api-key': key, 'content-type': 'application/json', ...extra });

const anthropicBody = (text, extra = {}) => ({
  model: 'claude-sonnet-4-5-20250929', max_tokens: 256, stream: true, system: 'Be brief.',
  messages: [{ role: 'user', content: text }], ...extra,
});
const openaiBody = (text, extra = {}) => ({
  model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true },
  messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: text }], ...extra,
});
const geminiBody = (text) => ({
  systemInstruction: { parts: [{ text: 'Be brief.' }] },
  contents: [{ role: 'user', parts: [{ text }] }],
});

const post = (path, headers, body) => fetch(mock.url + path, { method: 'POST', headers, body: JSON.stringify(body) });
const GEMINI_STREAM = '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse';

/** One call per provider kind, so every mode can be checked against all four. */
const CALLS = {
  anthropic: (key, text = 'hello', extra = {}) => post('/v1/messages', anthropicHeaders(key, extra), anthropicBody(text)),
  openai: (key, text = 'hello', extra = {}) => post('/v1/chat/completions', openaiHeaders(key, extra), openaiBody(text)),
  'openai-compatible': (key, text = 'hello', extra = {}) => post('/compat/v1/chat/completions', openaiHeaders(key, extra), openaiBody(text, { model: 'mock/mistral-small' })),
  gemini: (key, text = 'hello', extra = {}) => post(GEMINI_STREAM, geminiHeaders(key, extra), geminiBody(text)),
};

function parseSse(text) {
  return text.split(/\r?\n\r?\n/).filter(Boolean).map((block) => {
    const ev = {};
    for (const line of block.split(/\r?\n/)) {
      const at = line.indexOf(': ');
      ev[line.slice(0, at)] = line.slice(at + 2);
    }
    return ev;
  });
}

/** Reads a streamed body chunk by chunk; returns { text, error }. */
async function readAll(res) {
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return { text, error: null };
      text += dec.decode(value, { stream: true });
    }
  } catch (error) {
    return { text, error };
  }
}

/** Reads until `pred(text)` holds; leaves the stream open. */
async function readUntil(reader, pred) {
  const dec = new TextDecoder();
  let text = '';
  while (!pred(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended early: ${text}`);
    text += dec.decode(value, { stream: true });
  }
  return text;
}

const textOfAnthropic = (events) => events.filter((e) => e.event === 'content_block_delta')
  .map((e) => JSON.parse(e.data).delta.text).join('');
const textOfOpenai = (events) => events.filter((e) => e.data !== '[DONE]').map((e) => JSON.parse(e.data))
  .map((c) => c.choices[0]?.delta?.content ?? '').join('');
const textOfGemini = (events) => events.map((e) => JSON.parse(e.data).candidates[0].content.parts[0].text).join('');

// --- models ---------------------------------------------------------------------------

describe('model lists', () => {
  test('Anthropic GET /v1/models', async () => {
    const res = await fetch(`${mock.url}/v1/models`, { headers: anthropicHeaders() });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.has_more, false);
    assert.ok(body.data.length > 0);
    for (const m of body.data) {
      assert.equal(m.type, 'model');
      assert.equal(typeof m.id, 'string');
      assert.equal(typeof m.display_name, 'string');
    }
  });

  test('OpenAI and compatible GET /v1/models', async () => {
    for (const path of ['/v1/models', '/compat/v1/models']) {
      const res = await fetch(mock.url + path, { headers: openaiHeaders() });
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.equal(body.object, 'list');
      for (const m of body.data) {
        assert.equal(m.object, 'model');
        assert.equal(typeof m.owned_by, 'string');
      }
    }
    const compat = await (await fetch(`${mock.url}/compat/v1/models`, { headers: openaiHeaders() })).json();
    assert.ok(compat.data.some((m) => m.id === 'mock/mistral-small'));
  });

  test('Gemini GET /v1beta/models', async () => {
    const res = await fetch(`${mock.url}/v1beta/models`, { headers: geminiHeaders() });
    assert.equal(res.status, 200);
    const { models } = await res.json();
    const flash = models.find((m) => m.name === 'models/gemini-2.5-flash');
    assert.ok(flash.supportedGenerationMethods.includes('generateContent'));
    assert.ok(models.some((m) => !m.supportedGenerationMethods.includes('generateContent')));
  });
});

// --- streaming chat -------------------------------------------------------------------

describe('streaming chat', () => {
  test('Anthropic: real event sequence and framing, usage', async () => {
    const res = await CALLS.anthropic(AKEY, 'hello there friend', { 'x-mock-cached': '12' });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/event-stream/);
    const raw = await res.text();
    assert.match(raw, /^(event: [a-z_]+\ndata: \{.*\}\n\n)+$/);
    const events = parseSse(raw);
    const names = events.map((e) => e.event);
    assert.deepEqual(names.slice(0, 3), ['message_start', 'content_block_start', 'ping']);
    assert.deepEqual(names.slice(-3), ['content_block_stop', 'message_delta', 'message_stop']);
    const deltas = names.filter((n) => n === 'content_block_delta').length;
    assert.ok(deltas > 3);
    for (const e of events) assert.equal(JSON.parse(e.data).type, e.event);

    assert.equal(textOfAnthropic(events), 'Mock anthropic reply to: hello there friend');
    const start = JSON.parse(events[0].data).message;
    assert.equal(start.usage.input_tokens, 5); // "Be brief." + "hello there friend"
    assert.equal(start.usage.cache_read_input_tokens, 12);
    const md = JSON.parse(events.at(-2).data);
    assert.equal(md.usage.output_tokens, deltas);
    assert.equal(md.delta.stop_reason, 'end_turn');
  });

  test('Anthropic: non-streaming JSON', async () => {
    const res = await post('/v1/messages', anthropicHeaders(), anthropicBody('hi', { stream: false }));
    const body = await res.json();
    assert.equal(body.type, 'message');
    assert.equal(body.content[0].text, 'Mock anthropic reply to: hi');
    assert.equal(body.usage.input_tokens, 3);
    assert.equal(body.usage.output_tokens, 6);
  });

  test('OpenAI and compatible: chunks, usage chunk, [DONE]', async () => {
    for (const kind of ['openai', 'openai-compatible']) {
      const res = await CALLS[kind](OKEY, 'hello there', { 'x-mock-cached': '2' });
      assert.equal(res.status, 200);
      const raw = await res.text();
      assert.match(raw, /^(data: .*\n\n)+$/);
      const events = parseSse(raw);
      assert.equal(events.at(-1).data, '[DONE]');
      assert.equal(textOfOpenai(events), `Mock ${kind} reply to: hello there`);
      const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data));
      const usage = chunks.at(-1).usage;
      assert.deepEqual(chunks.at(-1).choices, []);
      assert.equal(usage.prompt_tokens, 4);
      assert.equal(usage.prompt_tokens_details.cached_tokens, 2);
      const contentDeltas = chunks.filter((c) => c.choices[0]?.delta?.content).length;
      assert.equal(usage.completion_tokens, contentDeltas);
      assert.equal(chunks.at(-2).choices[0].finish_reason, 'stop');
      for (const c of chunks.slice(0, -1)) assert.equal(c.usage, null);
    }
  });

  test('OpenAI without include_usage sends no usage chunk', async () => {
    const res = await post('/v1/chat/completions', openaiHeaders(), openaiBody('x', { stream_options: undefined }));
    const events = parseSse(await res.text());
    for (const e of events.slice(0, -1)) assert.equal('usage' in JSON.parse(e.data), false);
  });

  test('Gemini: CRLF-framed data events, cumulative usage, finishReason last', async () => {
    const res = await CALLS.gemini(GKEY, 'hello there', { 'x-mock-cached': '3' });
    assert.equal(res.status, 200);
    const raw = await res.text();
    assert.match(raw, /^(data: \{.*\}\r\n\r\n)+$/);
    const events = parseSse(raw);
    assert.equal(textOfGemini(events), 'Mock gemini reply to: hello there');
    const chunks = events.map((e) => JSON.parse(e.data));
    const last = chunks.at(-1);
    assert.equal(last.candidates[0].finishReason, 'STOP');
    assert.equal(last.candidates[0].content.role, 'model');
    for (const c of chunks.slice(0, -1)) assert.equal(c.candidates[0].finishReason, undefined);
    assert.deepEqual(last.usageMetadata, {
      promptTokenCount: 4, candidatesTokenCount: chunks.length, totalTokenCount: 4 + chunks.length, cachedContentTokenCount: 3,
    });
  });

  test('the echo is truncated to 200 characters', async () => {
    const long = 'y'.repeat(500);
    const events = parseSse(await (await CALLS.openai(OKEY, long)).text());
    assert.equal(textOfOpenai(events), `Mock openai reply to: ${'y'.repeat(200)}`);
  });

  test('canned replies stream the file verbatim', async () => {
    for (const name of ['markdown', 'xss', 'long']) {
      const file = readFileSync(new URL(`./replies/${name}.md`, import.meta.url), 'utf8');
      const events = parseSse(await (await CALLS.anthropic(AKEY, `[[mock:reply:${name}]]`)).text());
      assert.equal(textOfAnthropic(events), file);
    }
    const xss = readFileSync(new URL('./replies/xss.md', import.meta.url), 'utf8');
    for (const needle of ['<img src=x onerror=', '<script>', '](javascript:', '<svg onload=']) assert.ok(xss.includes(needle));
    const res = await CALLS.openai(OKEY, '[[mock:reply:nope]]');
    assert.equal(res.status, 400);
  });

  test('x-mock-deltas / [[mock:deltas:N:S]] stream N deltas of size S', async () => {
    const res = await CALLS.openai(OKEY, 'bench', { 'x-mock-deltas': '300', 'x-mock-delta-size': '7' });
    const chunks = parseSse(await res.text()).slice(0, -1).map((e) => JSON.parse(e.data));
    const contents = chunks.map((c) => c.choices[0]?.delta?.content).filter(Boolean);
    assert.equal(contents.length, 300);
    assert.ok(contents.every((c) => c.length === 7));
    assert.equal(chunks.at(-1).usage.completion_tokens, 300);

    const g = parseSse(await (await CALLS.gemini(GKEY, '[[mock:deltas:40:3]]')).text());
    assert.equal(g.length, 40);
    assert.equal(JSON.parse(g.at(-1).data).usageMetadata.candidatesTokenCount, 40);
  });
});

// --- auth and failures ----------------------------------------------------------------

/** Checks a failure body is in `kind`'s own error shape. */
function assertShape(kind, body) {
  if (kind === 'anthropic') {
    assert.equal(body.type, 'error');
    assert.equal(typeof body.error.type, 'string');
    assert.equal(typeof body.error.message, 'string');
  } else if (kind === 'gemini') {
    assert.equal(typeof body.error.code, 'number');
    assert.equal(typeof body.error.status, 'string');
    assert.equal(typeof body.error.message, 'string');
  } else {
    assert.equal(typeof body.error.message, 'string');
    assert.equal(typeof body.error.type, 'string');
  }
}

// [status, provider-specific field to check] per mode and provider.
const EXPECT = {
  401: { anthropic: [401, 'authentication_error'], openai: [401, 'invalid_api_key'], gemini: [400, 'INVALID_ARGUMENT'] },
  403: { anthropic: [403, 'permission_error'], openai: [403, 'invalid_request_error'], gemini: [403, 'PERMISSION_DENIED'] },
  404: { anthropic: [404, 'not_found_error'], openai: [404, 'model_not_found'], gemini: [404, 'NOT_FOUND'] },
  429: { anthropic: [429, 'rate_limit_error'], openai: [429, 'rate_limit_exceeded'], gemini: [429, 'RESOURCE_EXHAUSTED'] },
  quota: { anthropic: [400, 'invalid_request_error'], openai: [429, 'insufficient_quota'], gemini: [429, 'RESOURCE_EXHAUSTED'] },
  500: { anthropic: [500, 'api_error'], openai: [500, 'server_error'], gemini: [500, 'INTERNAL'] },
  529: { anthropic: [529, 'overloaded_error'], openai: [503, 'server_error'], gemini: [503, 'UNAVAILABLE'] },
};
const tag = (kind, body) => (kind === 'anthropic' ? body.error.type
  : kind === 'gemini' ? body.error.status
  : body.error.code ?? body.error.type);

describe('failure modes', () => {
  for (const [mode, per] of Object.entries(EXPECT)) {
    for (const kind of Object.keys(CALLS)) {
      const [status, want] = per[kind === 'openai-compatible' ? 'openai' : kind];
      test(`${kind} ${mode} by key, header and message`, async () => {
        const triggers = [
          () => CALLS[kind](mockKey(kind, mode)),
          () => CALLS[kind](mockKey(kind), 'hello', { 'x-mock-fail': mode }),
          () => CALLS[kind](mockKey(kind), `please [[mock:${mode}]] now`),
        ];
        for (const call of triggers) {
          const res = await call();
          assert.equal(res.status, status);
          const body = await res.json();
          assertShape(kind, body);
          assert.equal(tag(kind, body), want);
          assert.equal(res.headers.get('retry-after'), mode === '429' ? '7' : null);
          assert.ok(res.headers.get('request-id'));
        }
      });
    }
  }

  test('exact messages the app classifies on', async () => {
    const key = mockKey('openai', '401');
    const o401 = await (await CALLS.openai(key)).json();
    assert.match(o401.error.message, /^Incorrect API key provided: sk-\.\.\.mock\./);
    assert.ok(!o401.error.message.includes(key));
    const o403 = await (await CALLS.openai(mockKey('openai', '403'))).json();
    assert.match(o403.error.message, /Missing scopes: model\.request/);
    const o429 = await (await CALLS.openai(mockKey('openai', '429'))).json();
    assert.equal(o429.error.type, 'requests');
    const a401 = await (await CALLS.anthropic(mockKey('anthropic', '401'))).json();
    assert.equal(a401.error.message, 'invalid x-api-key');
    const aq = await (await CALLS.anthropic(mockKey('anthropic', 'quota'))).json();
    assert.match(aq.error.message, /credit balance is too low/);
    const corsOrg = await CALLS.anthropic(mockKey('anthropic', 'cors-org'));
    assert.equal(corsOrg.status, 403);
    assert.match((await corsOrg.json()).error.message, /^CORS requests are not allowed for this Organization/);
    const g401 = await (await CALLS.gemini(mockKey('gemini', '401'))).json();
    assert.equal(g401.error.message, 'API key not valid. Please pass a valid API key.');
    assert.equal(g401.error.details[0].reason, 'API_KEY_INVALID');
    const gq = await (await CALLS.gemini(mockKey('gemini', 'quota'))).json();
    assert.match(gq.error.message, /^You exceeded your current quota/);
  });

  test('a key with -fail- but no known mode is a wrong key', async () => {
    assert.equal((await CALLS.anthropic('sk-ant-FAKE-fail-whatever-TEST')).status, 401);
    assert.equal((await CALLS.openai('sk-fail-x')).status, 401);
    assert.equal((await CALLS.gemini('AIza-fail-x')).status, 400);
  });

  test('missing keys', async () => {
    const a = await post('/v1/messages', { 'anthropic-version': '2023-06-01' }, anthropicBody('x'));
    assert.equal(a.status, 401);
    assert.equal((await a.json()).error.message, 'x-api-key header is required');
    const o = await post('/v1/chat/completions', {}, openaiBody('x'));
    assert.equal(o.status, 401);
    assertShape('openai', await o.json());
    const g = await post(GEMINI_STREAM, {}, geminiBody('x'));
    assert.equal(g.status, 403);
    assert.equal((await g.json()).error.status, 'PERMISSION_DENIED');
  });

  test('failure modes apply to the model lists too (key test)', async () => {
    const a = await fetch(`${mock.url}/v1/models`, { headers: anthropicHeaders(mockKey('anthropic', '529')) });
    assert.equal(a.status, 529);
    const o = await fetch(`${mock.url}/v1/models`, { headers: openaiHeaders(mockKey('openai', '403')) });
    assert.equal(o.status, 403);
    const g = await fetch(`${mock.url}/v1beta/models`, { headers: geminiHeaders(mockKey('gemini', 'quota')) });
    assert.equal(g.status, 429);
  });

  test(`unknown model '${'does-not-exist'}' is a 404 in each shape`, async () => {
    const a = await post('/v1/messages', anthropicHeaders(), anthropicBody('x', { model: 'does-not-exist' }));
    assert.equal(a.status, 404);
    assert.equal((await a.json()).error.message, 'model: does-not-exist');
    const o = await post('/v1/chat/completions', openaiHeaders(), openaiBody('x', { model: 'does-not-exist' }));
    assert.equal(o.status, 404);
    assert.equal((await o.json()).error.code, 'model_not_found');
    const g = await post('/v1beta/models/does-not-exist:streamGenerateContent?alt=sse', geminiHeaders(), geminiBody('x'));
    assert.equal(g.status, 404);
    assert.match((await g.json()).error.message, /^models\/does-not-exist is not found/);
  });

  test('Anthropic requires anthropic-version and max_tokens', async () => {
    const v = await post('/v1/messages', { 'x-api-key': AKEY }, anthropicBody('x'));
    assert.equal(v.status, 400);
    assert.match((await v.json()).error.message, /anthropic-version/);
    const m = await post('/v1/messages', anthropicHeaders(), anthropicBody('x', { max_tokens: undefined }));
    assert.equal(m.status, 400);
    assert.match((await m.json()).error.message, /max_tokens/);
  });

  test('Gemini: a key in the URL is refused and recorded', async () => {
    const res = await post(`${GEMINI_STREAM}&key=${GKEY}`, geminiHeaders(), geminiBody('x'));
    assert.equal(res.status, 400);
    assert.match((await res.json()).error.message, /URL query/);
    const res2 = await fetch(`${mock.url}/v1beta/models?key=${GKEY}`);
    assert.equal(res2.status, 400);
    assert.equal(mock.requests.filter((r) => r.path.includes(`key=${GKEY}`)).length, 2);
  });
});

// --- CORS -----------------------------------------------------------------------------

describe('CORS', () => {
  test('preflight echoes origin and requested headers, on every path', async () => {
    for (const path of ['/v1/messages', '/v1/chat/completions', '/compat/v1/models', '/v1beta/models/x:streamGenerateContent?alt=sse', '/anything']) {
      const res = await fetch(mock.url + path, {
        method: 'OPTIONS',
        headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-api-key,anthropic-version' },
      });
      assert.equal(res.status, 204);
      assert.equal(res.headers.get('access-control-allow-origin'), ORIGIN);
      assert.equal(res.headers.get('access-control-allow-methods'), 'GET, POST, OPTIONS');
      assert.equal(res.headers.get('access-control-allow-headers'), 'content-type,x-api-key,anthropic-version');
      assert.ok(Number(res.headers.get('access-control-max-age')) > 0);
    }
    assert.equal(mock.requests.length, 5);
    assert.ok(mock.requests.every((r) => r.method === 'OPTIONS'));
  });

  test('real responses, errors and streams carry CORS headers', async () => {
    const origin = { origin: ORIGIN, 'anthropic-dangerous-direct-browser-access': 'true' };
    for (const res of [
      await CALLS.anthropic(AKEY, 'x', origin),
      await CALLS.anthropic(mockKey('anthropic', '429'), 'x', origin),
      await CALLS.openai(OKEY, 'x', { origin: ORIGIN }),
      await CALLS.gemini(mockKey('gemini', '500'), 'x', { origin: ORIGIN }),
    ]) {
      assert.equal(res.headers.get('access-control-allow-origin'), ORIGIN);
      assert.equal(res.headers.get('access-control-expose-headers'), 'retry-after, request-id');
      await res.arrayBuffer();
    }
  });

  test('nocors (key or header) strips every CORS header from the response', async () => {
    for (const res of [
      await CALLS.openai(mockKey('openai', 'nocors'), 'x', { origin: ORIGIN }),
      await CALLS.gemini(GKEY, 'x', { origin: ORIGIN, 'x-mock-fail': 'nocors' }),
      await fetch(`${mock.url}/v1/models`, { headers: anthropicHeaders(mockKey('anthropic', 'nocors'), { origin: ORIGIN, 'anthropic-dangerous-direct-browser-access': 'true' }) }),
    ]) {
      assert.equal(res.status, 200);
      for (const name of res.headers.keys()) assert.ok(!name.startsWith('access-control-'), name);
      await res.arrayBuffer();
    }
  });

  test('Anthropic refuses a browser call without the direct-browser-access header', async () => {
    const res = await CALLS.anthropic(AKEY, 'x', { origin: ORIGIN });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('access-control-allow-origin'), ORIGIN);
    assert.deepEqual(await res.json(), {
      type: 'error',
      error: { type: 'authentication_error', message: "CORS requests must set 'anthropic-dangerous-direct-browser-access' header" },
    });
    const models = await fetch(`${mock.url}/v1/models`, { headers: anthropicHeaders(AKEY, { origin: ORIGIN }) });
    assert.equal(models.status, 401);
    const ok = await CALLS.anthropic(AKEY, 'x', { origin: ORIGIN, 'anthropic-dangerous-direct-browser-access': 'true' });
    assert.equal(ok.status, 200);
    await ok.text();
  });
});

// --- broken streams -------------------------------------------------------------------

describe('broken streams', () => {
  test('cut: some deltas, then the connection drops without the final events', async () => {
    for (const [kind, key, textOf, endMarker] of [
      ['anthropic', mockKey('anthropic', 'cut'), textOfAnthropic, 'message_stop'],
      ['openai', mockKey('openai', 'cut'), textOfOpenai, '[DONE]'],
      ['gemini', mockKey('gemini', 'cut'), textOfGemini, 'finishReason'],
    ]) {
      const res = await CALLS[kind](key, 'a message long enough for several deltas');
      assert.equal(res.status, 200);
      const { text, error } = await readAll(res);
      assert.ok(error, `${kind}: the body read must fail`);
      assert.ok(!text.includes(endMarker), kind);
      const partial = textOf(parseSse(text));
      assert.ok(partial.length > 0 && `Mock ${kind} reply to: a message long enough for several deltas`.startsWith(partial), kind);
    }
  });

  test('stall: headers and one delta, then nothing until the client aborts', async () => {
    const ac = new AbortController();
    const res = await fetch(`${mock.url}/v1/chat/completions`, {
      method: 'POST', headers: openaiHeaders(mockKey('openai', 'stall')), body: JSON.stringify(openaiBody('hi')), signal: ac.signal,
    });
    assert.equal(res.status, 200);
    const reader = res.body.getReader();
    const first = await readUntil(reader, (t) => t.includes('"content":"Mock '));
    const next = reader.read();
    const waited = await Promise.race([next.then(() => 'data'), new Promise((ok) => setTimeout(ok, 300, 'silence'))]);
    assert.equal(waited, 'silence');
    ac.abort();
    await assert.rejects(next);
    assert.ok(!first.includes('[DONE]'));
  });

  test('malformed: one invalid JSON event mid-stream, the valid deltas still carry the text', async () => {
    const raw = await (await CALLS.anthropic(mockKey('anthropic', 'malformed'), 'hello world')).text();
    const events = parseSse(raw);
    const bad = events.filter((e) => { try { JSON.parse(e.data); return false; } catch { return true; } });
    assert.equal(bad.length, 1);
    assert.ok(events.indexOf(bad[0]) > 3 && events.indexOf(bad[0]) < events.length - 3);
    const good = events.filter((e) => !bad.includes(e));
    assert.equal(textOfAnthropic(good), 'Mock anthropic reply to: hello world');
    assert.equal(events.at(-1).event, 'message_stop');

    for (const kind of ['openai', 'gemini']) {
      const evs = parseSse(await (await CALLS[kind](mockKey(kind, 'malformed'), 'hello')).text());
      const n = evs.filter((e) => { try { JSON.parse(e.data); return false; } catch { return e.data !== '[DONE]'; } }).length;
      assert.equal(n, 1, kind);
    }
  });

  test('stream-error: an error event mid-stream, in each format', async () => {
    const a = parseSse(await (await CALLS.anthropic(mockKey('anthropic', 'stream-error'))).text());
    assert.equal(a.at(-1).event, 'error');
    assert.equal(JSON.parse(a.at(-1).data).error.type, 'overloaded_error');
    const o = parseSse(await (await CALLS.openai(mockKey('openai', 'stream-error'))).text());
    assert.equal(JSON.parse(o.at(-1).data).error.type, 'server_error');
    const g = parseSse(await (await CALLS.gemini(mockKey('gemini', 'stream-error'))).text());
    assert.equal(JSON.parse(g.at(-1).data).error.status, 'UNAVAILABLE');
  });

  test('slow: deltas are spaced about 100 ms apart', async () => {
    const started = Date.now();
    const res = await CALLS.openai(OKEY, '[[mock:slow]] hi');
    const events = parseSse(await res.text());
    const deltas = events.filter((e) => e.data !== '[DONE]' && JSON.parse(e.data).choices[0]?.delta?.content).length;
    // A lower bound only: it cannot flake on a slow machine.
    assert.ok(Date.now() - started >= (deltas - 1) * 90);
  });

  test('stop() ends a stalled stream and the server', async () => {
    const own = await startMockProvider();
    const res = await fetch(`${own.url}/v1/messages`, {
      method: 'POST', headers: anthropicHeaders(mockKey('anthropic', 'stall')), body: JSON.stringify(anthropicBody('hi')),
    });
    const reader = res.body.getReader();
    await readUntil(reader, (t) => t.includes('content_block_delta'));
    const pending = reader.read().then(() => reader.read());
    await own.stop();
    await assert.rejects(pending);
    await assert.rejects(fetch(`${own.url}/v1/models`));
  });

  test('a process with a stalled stream exits once stop() is called', async () => {
    const script = `
      import { startMockProvider, mockKey } from ${JSON.stringify(SERVER.href)};
      const m = await startMockProvider();
      const res = await fetch(m.url + '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', {
        method: 'POST', headers: { 'x-goog-api-key': mockKey('gemini', 'stall') },
        body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
      });
      const reader = res.body.getReader();
      await reader.read();
      reader.read().catch(() => {});
      await m.stop();
      console.log('stopped');
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    const code = await new Promise((ok) => {
      const t = setTimeout(() => { child.kill('SIGKILL'); ok('hung'); }, 10_000);
      child.on('exit', (c) => { clearTimeout(t); ok(c); });
    });
    assert.equal(code, 0);
    assert.equal(out.trim(), 'stopped');
  });
});

// --- recording and standalone ---------------------------------------------------------

describe('recording and standalone', () => {
  test('requests records method, path with query, lowercased headers and body; reset() clears', async () => {
    await CALLS.gemini(GKEY, 'record me', { 'X-Custom-Thing': 'Yes' });
    assert.equal(mock.requests.length, 1);
    const [r] = mock.requests;
    assert.equal(r.method, 'POST');
    assert.equal(r.path, GEMINI_STREAM);
    assert.equal(r.headers['x-custom-thing'], 'Yes');
    assert.equal(r.headers['x-goog-api-key'], GKEY);
    assert.equal(JSON.parse(r.body).contents[0].parts[0].text, 'record me');
    assert.equal(typeof r.at, 'number');
    const same = mock.requests;
    mock.reset();
    assert.equal(same.length, 0);
  });

  test('every mode is documented in the README', () => {
    const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8');
    for (const m of FAIL_MODES) assert.ok(readme.includes(`\`${m}\``), m);
  });

  test('node server.mjs --port N prints its URL', async () => {
    const probe = await startMockProvider();
    const port = probe.port;
    await probe.stop();
    const child = spawn(process.execPath, [SERVER.pathname, '--port', String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const line = await new Promise((ok, fail) => {
        let out = '';
        child.stdout.on('data', (d) => { out += d; if (out.includes('\n')) ok(out.trim()); });
        child.on('exit', (c) => fail(new Error(`exited ${c}`)));
      });
      assert.equal(line, `mock provider on http://127.0.0.1:${port}`);
      const res = await fetch(`http://127.0.0.1:${port}/v1/models`, { headers: openaiHeaders() });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    } finally {
      const exited = new Promise((ok) => child.once('exit', ok));
      child.kill('SIGTERM');
      await exited;
    }
  });
});
