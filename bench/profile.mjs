// Where the main thread's time goes (a tool for finding causes, not a benchmark): runs
// one scenario in headless Chromium with the CDP sampling profiler and prints the
// functions with the most self time. Needs a build whose wasm keeps its function names;
// `node bench/profile.mjs --build` makes one in target/profile-dist from the wasm trunk
// last built (wasm-opt strips names from dist/).
//   node bench/profile.mjs [--build] keys|chat|stream [KEYS=1000 CONVS=500 MSGS=50 DELTAS=20000 RATE=0]
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

process.env.BYOK_DIST = PROF_DIST;

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

const host = await startHost({ connectSrc: [mock.url] });
const browser = await startBrowser();
try {
  const page = await browser.newPage();
  await page.goto(`${host.url}/favicon.svg`);
  await writeFixture(page, fx);
  await page.goto(host.url);
  await page.locator('#unlock-pass').fill(PASS);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
  const until = async (sel, count) => page.waitForFunction(([s, c]) => document.querySelectorAll(s).length >= c,
    [sel, count], { timeout: 120_000, polling: 'raf' });
  if (scenario === 'keys') {
    await cdp.send('Profiler.start');
    await page.locator('#unlock-pass ~ button[type=submit]').click();
    await until('li.key', n('KEYS', 1000));
  } else if (scenario === 'chat') {
    await page.locator('#unlock-pass ~ button[type=submit]').click();
    await until('li.key', 1);
    await cdp.send('Profiler.start');
    await page.getByRole('link', { name: 'Chat' }).click();
    await until('ul.conv-list > li', n('CONVS', 500));
  } else {
    await page.locator('#unlock-pass ~ button[type=submit]').click();
    await until('li.key', 1);
    await page.getByRole('link', { name: 'Chat' }).click();
    const rate = n('RATE', 0);
    await page.locator('#chat-input').fill(`Long [[mock:reply:long]] [[mock:split:${n('DELTAS', 20000)}]]${rate ? ` [[mock:rate:${rate}]]` : ''}`);
    await cdp.send('Profiler.start');
    await page.locator('#chat-input').press('Enter');
    await page.locator('ol.messages li.assistant .md').filter({ hasText: 'The end.' }).waitFor({ timeout: 120_000 });
    await page.waitForTimeout(300);
  }
  const { profile } = await cdp.send('Profiler.stop');
  const self = new Map();
  const byId = new Map(profile.nodes.map((x) => [x.id, x]));
  const dt = profile.timeDeltas;
  profile.samples.forEach((id, i) => {
    const f = byId.get(id).callFrame;
    const w = /^wasm-function\[(\d+)\]$/.exec(f.functionName);
    const name = (w && names.get(Number(w[1]) + Number(process.env.NAME_SHIFT || 0))) || f.functionName || `(${f.url.split('/').pop() || 'program'})`;
    self.set(name, (self.get(name) ?? 0) + (dt[i] ?? 0) / 1000);
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  console.log(`${scenario}: ${total.toFixed(0)} ms sampled; top self time:`);
  for (const [name, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP || 40))) {
    console.log(`  ${ms.toFixed(1).padStart(7)} ms  ${name.slice(0, 150)}`);
  }
} finally {
  await browser.close();
  await host.stop();
  await mock.stop();
}
