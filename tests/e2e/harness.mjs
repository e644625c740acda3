// Shared set-up for the end-to-end suites: the release build served by byok-host, a
// fresh headless Chromium profile per browser, and readers for every storage area.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

export const ROOT = resolve(import.meta.dirname, '..', '..');
const HOST_BIN = process.env.BYOK_HOST_BIN || join(ROOT, 'target', 'release', 'byok-host');
export const DIST = process.env.BYOK_DIST || join(ROOT, 'dist');
const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** Start byok-host on a free port; resolves to { url, stop }. */
export async function startHost({ connectSrc = [], dir = DIST } = {}) {
  const args = ['--dir', dir, '--addr', '127.0.0.1:0'];
  for (const o of connectSrc) args.push('--connect-src', o);
  const child = spawn(HOST_BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const url = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`byok-host did not start: ${stderr}`)), 60_000);
    child.stderr.on('data', (d) => {
      stderr += d;
      const m = stderr.match(/on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) { clearTimeout(timer); ok(m[1]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); fail(new Error(`byok-host exited ${code}: ${stderr}`)); });
  });
  return {
    url,
    stderr: () => stderr,
    stop: () => new Promise((ok) => { child.once('exit', ok); child.kill('SIGTERM'); }),
  };
}

/**
 * A fresh Chromium with its own profile. Every page opened through `newPage` records
 * console errors and CSP violations into `problems`; tests assert it stays empty.
 */
export async function startBrowser({ args = [] } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'byok-e2e-'));
  // No name resolves but the loopback ones (and those a suite maps itself): a key the
  // app sends to a real provider's address fails at once, the same on a machine with
  // the internet as on one without, and no test key ever leaves this machine.
  const RULES = '--host-resolver-rules=';
  const own = args.filter((a) => a.startsWith(RULES)).map((a) => a.slice(RULES.length));
  const rules = ['EXCLUDE localhost', 'EXCLUDE 127.0.0.1', ...own, 'MAP * ~NOTFOUND'].join(', ');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, ...args.filter((a) => !a.startsWith(RULES)), RULES + rules],
    viewport: { width: 1100, height: 900 },
  });
  const problems = [];
  const watch = async (page) => {
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    // The app's provider calls run in a worker: its errors count as the page's.
    page.on('worker', (w) => w.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); }));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
      });
    });
  };
  context.on('page', (p) => { watch(p); });
  for (const p of context.pages()) await watch(p);
  return {
    context,
    problems,
    async newPage() {
      const p = await context.newPage();
      return p;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Everything the page's origin has stored, as one JSON-able object. */
export async function dumpStorage(page) {
  const inPage = await page.evaluate(async () => {
    const ls = {};
    for (let i = 0; i < localStorage.length; i++) { const k = localStorage.key(i); ls[k] = localStorage.getItem(k); }
    const ss = {};
    for (let i = 0; i < sessionStorage.length; i++) { const k = sessionStorage.key(i); ss[k] = sessionStorage.getItem(k); }
    const idb = {};
    const dbs = indexedDB.databases ? await indexedDB.databases() : [];
    for (const { name } of dbs) {
      const db = await new Promise((ok, fail) => { const r = indexedDB.open(name); r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
      idb[name] = {};
      for (const store of db.objectStoreNames) {
        idb[name][store] = await new Promise((ok, fail) => {
          const req = db.transaction(store).objectStore(store).getAll();
          req.onsuccess = () => ok(req.result); req.onerror = () => fail(req.error);
        });
      }
      db.close();
    }
    const caches_ = {};
    if (self.caches) for (const n of await caches.keys()) caches_[n] = (await (await caches.open(n)).keys()).map((r) => r.url);
    return { localStorage: ls, sessionStorage: ss, indexedDB: idb, caches: caches_, documentCookie: document.cookie };
  });
  inPage.cookies = await page.context().cookies();
  return inPage;
}

/** Fails with the offending area if any of `needles` appears anywhere in storage. */
export async function assertNotInStorage(page, needles, assert) {
  const dump = JSON.stringify(await dumpStorage(page));
  for (const n of needles) {
    assert.ok(!dump.includes(n), `storage holds a plaintext value it must not: ${n.slice(0, 12)}…`);
  }
  return dump;
}
