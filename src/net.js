// Provider calls, made off the page's main thread.
//
// A provider streams an answer as thousands of small network chunks, and each chunk the
// page reads is a main-thread task of its own, whatever the page does with it. So this
// module is loaded twice: by the app (through wasm-bindgen) and, from the same file, as
// a module worker that makes the fetch, gathers the chunks and posts them to the page at
// most every `wait` ms (the first at once, and the end). The worker's fetches follow the
// Content-Security-Policy its own script was served with, which is the app's.
//
// Where no worker can run (a policy whose worker sources leave out 'self', or a worker
// script that does not load or answer), the same code runs in the page instead.

// The messages between page and worker, versioned: the worker fetches this file again
// by a URL that does not change with its content, so after a deploy a tab opened
// earlier can meet a newer worker, and then does without one.
const PROTOCOL = 1;

const inWorker = typeof WorkerGlobalScope !== 'undefined' && self instanceof WorkerGlobalScope;

// Origins this context's CSP refused lately, with when: a refused fetch only says
// "Failed to fetch", and the violation event, fired where the fetch ran, says why.
const refused = [];
self.addEventListener('securitypolicyviolation', (e) => {
  const now = performance.now();
  while (refused.length && now - refused[0].at > 10_000) refused.shift();
  try { refused.push({ origin: new URL(e.blockedURI).origin, at: now }); } catch { /* not a URL */ }
});

// Gathers a body's chunks and hands them to `sink.chunk` as one array: the first chunk
// at once, later ones at most `wait` ms after the first of them arrived, the rest at the
// end. A read error is given after everything that arrived before it.
class Gather {
  constructor(sink, wait) {
    this.sink = sink; this.wait = wait; this.parts = []; this.size = 0; this.first = true; this.timer = null;
  }
  push(value) {
    this.parts.push(value); this.size += value.length;
    if (this.first) { this.first = false; this.flush(); }
    else if (this.timer === null) this.timer = setTimeout(() => { this.timer = null; this.flush(); }, this.wait);
  }
  flush() {
    if (this.timer !== null) { clearTimeout(this.timer); this.timer = null; }
    if (!this.size) return;
    const out = join(this.parts, this.size);
    this.parts = []; this.size = 0;
    this.sink.chunk(out);
  }
}

function join(parts, size) {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

// One request, start to end, told to `sink` as head(status, retryAfter), chunk(bytes)...,
// then end() or fail(kind), kind being 'abort', 'cut', 'blocked', 'offline',
// 'redirected' or 'unreachable' (and, from the page's side, 'lost': the worker died mid-call).
async function run(req, signal, sink) {
  let res;
  try {
    res = await fetch(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body ?? undefined,
      signal,
      // The key is a header for the provider alone: no cookies, no referrer, no cache.
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
      cache: 'no-store',
      // Followed, a redirect would carry the key's header (x-api-key, x-goog-api-key) to
      // wherever it points; provider APIs do not redirect.
      redirect: 'manual',
    });
  } catch (e) {
    if (signal.aborted) return sink.fail('abort');
    // The violation event may land just after the rejection.
    await sleep(30);
    let origin = '';
    try { origin = new URL(req.url).origin; } catch { /* reported as unreachable */ }
    const now = performance.now();
    if (refused.some((r) => r.origin === origin && now - r.at < 10_000)) return sink.fail('blocked');
    return sink.fail(navigator.onLine === false ? 'offline' : 'unreachable');
  }
  if (res.type === 'opaqueredirect') return sink.fail('redirected');
  return readBody(res, signal, sink, req.wait);
}

async function readBody(res, signal, sink, wait) {
  sink.head(res.status, res.headers.get('retry-after'));
  if (!res.body) return sink.end();
  const gather = new Gather(sink, wait);
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      gather.push(value);
    }
  } catch {
    gather.flush();
    return sink.fail(signal.aborted ? 'abort' : 'cut');
  }
  gather.flush();
  sink.end();
}

if (inWorker) {
  const calls = new Map();
  self.onmessage = ({ data }) => {
    if (data.abort) { calls.get(data.id)?.abort(); return; }
    const ctrl = new AbortController();
    calls.set(data.id, ctrl);
    const id = data.id;
    const sink = {
      head: (status, retryAfter) => postMessage({ id, head: { status, retryAfter } }),
      chunk: (bytes) => postMessage({ id, chunk: bytes }, [bytes.buffer]),
      end: () => { calls.delete(id); postMessage({ id, end: true }); },
      fail: (kind) => { calls.delete(id); postMessage({ id, fail: kind }); },
    };
    run(data, ctrl.signal, sink).catch(() => sink.fail('cut'));
  };
  postMessage({ ready: PROTOCOL });
}

// --- The page's side ------------------------------------------------------------------

let worker = null;
let noWorker = inWorker;
// Calls waiting for the worker to say it is listening. Until then nothing has left the
// page, so if the worker never comes (its script fails to load, or is of another
// version, or takes longer than READY_MS) they are made in the page instead.
let early = [];
let readyTimer = null;
const READY_MS = 5000;
let nextId = 1;
const pending = new Map();

function startWorker() {
  if (worker || noWorker) return worker;
  try {
    worker = new Worker(import.meta.url, { type: 'module', name: 'byok-net' });
  } catch {
    noWorker = true;
    return null;
  }
  worker.onmessage = ({ data }) => {
    if ('ready' in data) {
      if (data.ready !== PROTOCOL) return loseWorker();
      clearTimeout(readyTimer);
      const waiting = early;
      early = null;
      for (const call of waiting) call.post();
    } else pending.get(data.id)?.fromWorker(data);
  };
  worker.onerror = (e) => {
    e.preventDefault();
    loseWorker();
  };
  readyTimer = setTimeout(loseWorker, READY_MS);
  return worker;
}

// From now on calls are made in the page: those that never reached the worker start
// again there; those it had taken fail (their request may have gone out, and sending a
// question twice would bill it twice).
function loseWorker() {
  clearTimeout(readyTimer);
  noWorker = true;
  worker?.terminate();
  worker = null;
  early = null;
  for (const call of [...pending.values()]) call.workerLost();
}

/** Start the worker ahead of the first call, so that call does not wait for it. */
export function warm() {
  startWorker();
}

/**
 * A provider call. `head()` resolves with `{ status, retryAfter }`; `next()` then gives
 * the body as it arrives, one `Uint8Array` per batch, and `null` at its end. Either
 * rejects with the failure's kind as a string.
 */
export class Call {
  constructor(url, method, names, values, body, signal, wait) {
    this.init({ url, method, headers: names.map((n, i) => [n, values[i]]), body: body ?? null, wait });
    if (signal) {
      if (signal.aborted) { this.fail('abort'); return; }
      signal.addEventListener('abort', () => this.abort(), { once: true });
    }
    this.start();
  }

  /** A call whose response is already here (the batching, tested without a server). */
  static fromResponse(response, wait) {
    const call = Object.create(Call.prototype);
    call.init({ wait });
    call.via = 'page';
    call.ctrl = new AbortController();
    readBody(response, call.ctrl.signal, call.sink(), wait);
    return call;
  }

  init(req) {
    this.req = req; this.queue = []; this.size = 0; this.ended = false; this.error = null;
    this.headWaiter = null; this.headValue = null; this.waiting = null; this.via = null; this.id = 0;
    this.ctrl = null; this.sent = false;
  }

  start() {
    if (startWorker()) {
      this.via = 'worker';
      this.id = nextId++;
      pending.set(this.id, this);
      if (early) early.push(this);
      else this.post();
    } else {
      this.via = 'page';
      this.ctrl = new AbortController();
      const sink = this.sink();
      run(this.req, this.ctrl.signal, sink).catch(() => sink.fail('cut'));
      this.req = null;
    }
  }

  post() {
    if (this.error) return;
    worker.postMessage({ id: this.id, ...this.req });
    this.sent = true;
    // The key and the conversation are the worker's now; the page keeps no copy.
    this.req = null;
  }

  sink() {
    return {
      head: (status, retryAfter) => this.gotHead(status, retryAfter),
      chunk: (bytes) => this.take(bytes),
      end: () => { this.ended = true; this.settle(); },
      fail: (kind) => this.fail(kind),
    };
  }

  fromWorker(m) {
    if (m.head) this.gotHead(m.head.status, m.head.retryAfter);
    else if (m.chunk) this.take(m.chunk);
    else if (m.end) { pending.delete(this.id); this.ended = true; this.settle(); }
    else if (m.fail) { pending.delete(this.id); this.fail(m.fail); }
  }

  workerLost() {
    pending.delete(this.id);
    if (this.error || this.ended) return;
    if (!this.sent) this.start();
    else this.fail(this.headValue ? 'cut' : 'lost');
  }

  gotHead(status, retryAfter) {
    this.headValue = { status, retryAfter: retryAfter ?? null };
    this.settle();
  }

  take(bytes) {
    this.queue.push(bytes); this.size += bytes.length;
    this.settle();
  }

  fail(kind) {
    if (this.error || this.ended) return;
    this.error = kind;
    this.settle();
  }

  abort() {
    if (this.error || this.ended) return;
    if (this.via === 'worker') {
      pending.delete(this.id);
      if (this.sent) worker?.postMessage({ id: this.id, abort: true });
      else if (early) early = early.filter((c) => c !== this);
    }
    else this.ctrl?.abort();
    this.fail('abort');
  }

  settle() {
    const h = this.headWaiter;
    if (h && (this.headValue || this.error)) {
      this.headWaiter = null;
      if (this.headValue) h.ok(this.headValue); else h.fail(this.error);
    }
    const w = this.waiting;
    if (!w) return;
    if (this.error === 'abort') { this.waiting = null; return w.fail('abort'); }
    if (this.size) {
      this.waiting = null;
      const out = join(this.queue, this.size);
      this.queue = []; this.size = 0;
      return w.ok(out);
    }
    if (this.error) { this.waiting = null; return w.fail(this.error); }
    if (this.ended) { this.waiting = null; return w.ok(null); }
  }

  head() {
    return new Promise((ok, fail) => { this.headWaiter = { ok, fail }; this.settle(); });
  }

  next() {
    return new Promise((ok, fail) => { this.waiting = { ok, fail }; this.settle(); });
  }

  /** Where the body is read: 'worker' or 'page'. */
  get where() {
    return this.via;
  }
}
