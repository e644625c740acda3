// Where the main thread's time goes (a tool for finding causes, not a benchmark): runs
// one scenario in headless Chromium with the CDP sampling profiler and prints the
// functions with the most self time. Needs a build whose wasm keeps its function names;
// `node bench/profile.mjs --build` makes one in target/profile-dist from the wasm trunk
// last built (wasm-opt strips names from dist/).
//   node bench/profile.mjs [--build] [--trace] keys|search|leave|action|chat|stream [KEYS=1000 CONVS=500 MSGS=50 DELTAS=20000 RATE=0]
// INCLUSIVE=1 prints time with each function anywhere on the stack instead of self time.
// --trace records a DevTools timeline trace instead and prints the renderer main thread's
// self time per event (script, style, layout, paint, commit, GC...): the split of what the
// CPU profile lumps together as "(program)".
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { ROOT, startBrowser, startHost } from '../tests/e2e/harness.mjs';
import { startMockProvider } from '../tests/mock-provider/server.mjs';
import { writeFixture } from './storage.mjs';

const PROF_DIST = join(ROOT, 'target', 'profile-dist');
const args = process.argv.slice(2);
const scenario = args.find((a) => !a.startsWith('--')) ?? 'keys';
const PASS = 'ferry lantern meadow 2026';
const n = (k, d) => Number(process.env[k] || d);

if (args.includes('--build')) {
  rmSync(PROF_DIST, { recursive: true, force: true });
  cpSync(join(ROOT, 'dist'), PROF_DIST, { recursive: true });
  const out = join(ROOT, 'target', 'profile-bindgen');
  execFileSync('wasm-bindgen', ['--target', 'web', '--no-typescript', '--out-dir', out,
    process.env.PROFILE_WASM || join(ROOT, 'target', 'wasm32-unknown-unknown', 'release', 'byok-app.wasm')], { stdio: 'inherit' });
  const files = readdirSync(PROF_DIST);
  const js = files.find((f) => /^byok-app-.*\.js$/.test(f));
  const wasm = files.find((f) => f.endsWith('_bg.wasm'));
  cpSync(join(out, 'byok-app.js'), join(PROF_DIST, js));
  cpSync(join(out, 'byok-app_bg.wasm'), join(PROF_DIST, wasm));
  // The integrity hashes are for the stripped files.
  const index = join(PROF_DIST, 'index.html');
  writeFileSync(index, readFileSync(index, 'utf8').replace(/ integrity="[^"]*"/g, ''));
}


// V8 profiles name wasm functions by index only: map them through the module's own
// name section (function names, subsection 1), demangling Rust's legacy symbols.
function wasmNames(file) {
  const b = readFileSync(file);
  const names = new Map();
  let i = 8;
  const leb = () => { let r = 0; let s = 0; for (;;) { const x = b[i++]; r += (x & 0x7f) * 2 ** s; s += 7; if (x < 0x80) return r; } };
  const str = () => { const n = leb(); const t = b.toString('utf8', i, i + n); i += n; return t; };
  while (i < b.length) {
    const id = b[i++];
    const size = leb();
    const end = i + size;
    if (id === 0 && str() === 'name') {
      while (i < end) {
        const sub = b[i++];
        const len = leb();
        const subEnd = i + len;
        if (sub === 1) { const n = leb(); for (let k = 0; k < n; k++) { const idx = leb(); names.set(idx, demangle(str())); } }
        i = subEnd;
      }
    }
    i = end;
  }
  return names;
}
function demangle(sym) {
  const m = /^_ZN(.*)E$/.exec(sym);
  if (!m) return sym;
  const parts = [];
  let rest = m[1];
  while (rest.length) {
    const d = /^(\d+)/.exec(rest);
    if (!d) break;
    const n = Number(d[1]);
    parts.push(rest.slice(d[1].length, d[1].length + n));
    rest = rest.slice(d[1].length + n);
  }
  if (/^h[0-9a-f]{16}$/.test(parts.at(-1) ?? '')) parts.pop();
  return parts.join('::').replace(/\$LT\$/g, '<').replace(/\$GT\$/g, '>').replace(/\$u20\$/g, ' ')
    .replace(/\$RF\$/g, '&').replace(/\$C\$/g, ',').replace(/\$u7b\$/g, '{').replace(/\$u7d\$/g, '}')
    .replace(/\.\./g, '::');
}
const wasmFile = readdirSync(PROF_DIST).find((f) => f.endsWith('_bg.wasm'));
const names = wasmNames(join(PROF_DIST, wasmFile));
const mock = await startMockProvider();
const fixtureBin = join(ROOT, 'target', 'release', 'examples', 'bench_fixture');
const fx = JSON.parse(execFileSync(fixtureBin, ['--passphrase', PASS,
  '--keys', String(scenario === 'stream' ? 1 : n('KEYS', 1000)),
  '--conversations', String(scenario === 'chat' ? n('CONVS', 500) : 0), '--messages', String(n('MSGS', 50)),
  '--base-url', mock.url], { maxBuffer: 1 << 30 }));

// Served from the build with names (the harness's default is dist/, stripped by wasm-opt).
const host = await startHost({ connectSrc: [mock.url], dir: PROF_DIST });
const browser = await startBrowser();
try {
  const page = await browser.newPage();
  await page.goto(`${host.url}/favicon.svg`);
  await writeFixture(page, fx);
  await page.goto(host.url);
  await page.locator('#unlock-pass').fill(PASS);
  const cdp = await page.context().newCDPSession(page);
  const TRACE = args.includes('--trace');
  const events = [];
  let traced;
  if (TRACE) {
    cdp.on('Tracing.dataCollected', (e) => events.push(...e.value));
    traced = new Promise((ok) => cdp.once('Tracing.tracingComplete', ok));
  } else {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
  }
  const start = () => (TRACE
    ? cdp.send('Tracing.start', { transferMode: 'ReportEvents',
      categories: process.env.TRACE_CATEGORIES || 'devtools.timeline,disabled-by-default-devtools.timeline,v8.execute,blink.user_timing' })
    : cdp.send('Profiler.start'));
  const until = async (sel, count) => page.waitForFunction(([s, c]) => document.querySelectorAll(s).length >= c,
    [sel, count], { timeout: 120_000, polling: 'raf' });
  if (scenario === 'keys') {
    await start();
    await page.locator('#unlock-pass ~ button[type=submit]').click();
    // The list as it shows: first rows built, every key counted (more rows are built on
    // scrolling, src/pages/keys.rs).
    const count = `${n('KEYS', 1000).toLocaleString('en-US')} key${n('KEYS', 1000) === 1 ? '' : 's'}`;
    await page.waitForFunction((c) => document.querySelector('li.key') !== null
      && document.querySelector('.key-count')?.textContent === c, count, { timeout: 120_000, polling: 'raf' });
  } else if (scenario === 'search' || scenario === 'leave' || scenario === 'action') {
    // Every row built (scrolled to the end), then a search that leaves one row, a move
    // to the Chat page, or Deactivate on the first key.
    await page.locator('#unlock-pass ~ button[type=submit]').click();
    await until('li.key', 1);
    await page.evaluate((all) => new Promise((ok) => {
      const more = () => { if (document.querySelectorAll('li.key').length >= all) ok(); else { scrollTo(0, document.documentElement.scrollHeight); setTimeout(more, 50); } };
      more();
    }), n('KEYS', 1000));
    await page.waitForTimeout(300);
    await start();
    if (scenario === 'leave') {
      await page.getByRole('link', { name: 'Chat' }).click();
      await page.waitForSelector('#chat-input');
    } else if (scenario === 'action') {
      await page.locator('li.key').first().getByRole('button', { name: 'Deactivate' }).click();
      await page.locator('li.key').first().getByRole('button', { name: 'Activate' }).waitFor();
    } else {
      await page.locator('input.search').fill(process.env.QUERY || 'key 0421');
      await page.waitForFunction(() => document.querySelectorAll('li.key:not(.filtered)').length === 1, null, { polling: 'raf' });
    }
    await page.waitForTimeout(300);
  } else if (scenario === 'chat') {
    await page.locator('#unlock-pass ~ button[type=submit]').click();
    await until('li.key', 1);
    await start();
    await page.getByRole('link', { name: 'Chat' }).click();
    await until('ul.conv-list > li', n('CONVS', 500));
  } else {
    await page.locator('#unlock-pass ~ button[type=submit]').click();
    await until('li.key', 1);
    await page.getByRole('link', { name: 'Chat' }).click();
    const rate = n('RATE', 0);
    await page.locator('#chat-input').fill(`Long [[mock:reply:long]] [[mock:split:${n('DELTAS', 20000)}]]${rate ? ` [[mock:rate:${rate}]]` : ''}`);
    await start();
    await page.locator('#chat-input').press('Enter');
    // Polled slowly and by textContent (no layout), so the wait adds little to the profile.
    await page.waitForFunction(() => !document.querySelector('ol.messages .progress')
      && [...document.querySelectorAll('ol.messages li.assistant .md')].some((m) => m.textContent.includes('The end.')),
    null, { timeout: 120_000, polling: 500 });
    await page.waitForTimeout(300);
  }
  if (TRACE) {
    await cdp.send('Tracing.end');
    await traced;
    printTrace(events);
    process.exit(0);
  }
  const { profile } = await cdp.send('Profiler.stop');
  const self = new Map();
  const byId = new Map(profile.nodes.map((x) => [x.id, x]));
  const dt = profile.timeDeltas;
  const nameOf = (f) => {
    const w = /^wasm-function\[(\d+)\]$/.exec(f.functionName);
    return (w && names.get(Number(w[1]))) || f.functionName || `(${f.url.split('/').pop() || 'program'})`;
  };
  const parent = new Map();
  for (const x of profile.nodes) for (const c of x.children ?? []) parent.set(c, x.id);
  // INCLUSIVE=1: time with the function anywhere on the stack (each counted once per
  // sample), which finds the caller behind many small costs.
  const inclusive = process.env.INCLUSIVE === '1';
  profile.samples.forEach((id, i) => {
    const ms = (dt[i] ?? 0) / 1000;
    if (!inclusive) {
      const name = nameOf(byId.get(id).callFrame);
      self.set(name, (self.get(name) ?? 0) + ms);
      return;
    }
    const onStack = new Set();
    for (let n = id; n != null; n = parent.get(n)) onStack.add(nameOf(byId.get(n).callFrame));
    for (const name of onStack) self.set(name, (self.get(name) ?? 0) + ms);
  });
  const total = profile.samples.reduce((t, _, i) => t + (dt[i] ?? 0) / 1000, 0);
  console.log(`${scenario}: ${total.toFixed(0)} ms sampled; top ${inclusive ? 'inclusive' : 'self'} time:`);
  for (const [name, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP || 40))) {
    console.log(`  ${ms.toFixed(1).padStart(7)} ms  ${name.slice(0, 150)}`);
  }
} finally {
  await browser.close();
  await host.stop();
  await mock.stop();
}

// Self time per event name on the busiest renderer main thread (nested events are
// subtracted from their parent), plus the total of top-level tasks.
function printTrace(events) {
  // TRACE_DUMP=file keeps the raw trace (for chrome://tracing or a closer look).
  if (process.env.TRACE_DUMP) writeFileSync(process.env.TRACE_DUMP, JSON.stringify(events));
  const mains = events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain')
    .map((e) => `${e.pid}:${e.tid}`);
  const count = new Map(mains.map((k) => [k, 0]));
  for (const e of events) { const k = `${e.pid}:${e.tid}`; if (count.has(k)) count.set(k, count.get(k) + 1); }
  const main = [...count].sort((a, b) => b[1] - a[1])[0]?.[0];
  const spans = [];
  const open = new Map();
  for (const e of events) {
    if (`${e.pid}:${e.tid}` !== main) continue;
    if (e.ph === 'X' && e.dur != null) spans.push({ name: e.name, ts: e.ts, end: e.ts + e.dur });
    else if (e.ph === 'B') (open.get(e.name) ?? open.set(e.name, []).get(e.name)).push(e.ts);
    else if (e.ph === 'E') { const ts = open.get(e.name)?.pop(); if (ts != null) spans.push({ name: e.name, ts, end: e.ts }); }
  }
  spans.sort((a, b) => a.ts - b.ts || b.end - a.end);
  const self = new Map();
  const stack = [];
  let tasks = 0;
  for (const sp of spans) {
    while (stack.length && stack.at(-1).end <= sp.ts) stack.pop();
    const parent = stack.at(-1);
    if (parent) self.set(parent.name, (self.get(parent.name) ?? 0) - (Math.min(sp.end, parent.end) - sp.ts));
    else if (sp.name === 'RunTask') tasks += sp.end - sp.ts;
    self.set(sp.name, (self.get(sp.name) ?? 0) + (sp.end - sp.ts));
    stack.push(sp);
  }
  if (process.env.TASKS) {
    // Every top-level task over TASKS ms, with its three largest kinds of work inside.
    const min = Number(process.env.TASKS) * 1000;
    const tops = spans.filter((sp, i) => sp.name === 'RunTask' && sp.end - sp.ts >= min
      && !spans.some((o) => o !== sp && o.name === 'RunTask' && o.ts <= sp.ts && o.end >= sp.end && o.end - o.ts > sp.end - sp.ts));
    const t0 = spans[0]?.ts ?? 0;
    for (const t of tops) {
      const inner = new Map();
      for (const sp of spans) if (sp !== t && sp.ts >= t.ts && sp.end <= t.end) inner.set(sp.name, (inner.get(sp.name) ?? 0) + (sp.end - sp.ts));
      const top3 = [...inner].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([n, us]) => `${n} ${(us / 1000).toFixed(1)}`).join(', ');
      console.log(`  task at ${((t.ts - t0) / 1000).toFixed(0).padStart(6)} ms: ${((t.end - t.ts) / 1000).toFixed(1).padStart(6)} ms  (${top3})`);
    }
  }
  console.log(`${scenario}: top-level tasks on the main thread ${(tasks / 1000).toFixed(1)} ms; self time by event:`);
  const counts = new Map();
  for (const sp of spans) counts.set(sp.name, (counts.get(sp.name) ?? 0) + 1);
  console.log(`  (events: ${['RunTask', 'FunctionCall', 'Commit', 'Paint', 'Layout', 'UpdateLayoutTree', 'HitTest']
    .map((k) => `${k} ${counts.get(k) ?? 0}`).join(', ')})`);
  for (const [name, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP || 30))) {
    console.log(`  ${(us / 1000).toFixed(1).padStart(7)} ms  ${name}`);
  }
}
