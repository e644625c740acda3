// Benchmark (not a test): importing a 10,000-key bundle in the release app, against the
// key derivation alone in the same page. Prints figures; asserts nothing.
//   node bench/import-bench.mjs            (after ./scripts/serve's build steps, or scripts/test)
import { webcrypto } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createVault } from '../tests/e2e/app.mjs';
import { webcryptoBundle } from '../tests/e2e/bundles.mjs';
import { startBrowser, startHost } from '../tests/e2e/harness.mjs';

const RUNS = Number(process.env.RUNS || 5);
// DETAIL=1 also prints, per run, every long task and any `byok:` performance mark,
// in ms from the click on "Open bundle".
const DETAIL = Boolean(process.env.DETAIL);
const N = Number(process.env.KEYS || 10_000);
const PASS = 'ferry lantern meadow 2026';

async function bundle(n) {
  const keys = Array.from({ length: n }, (_, i) => ({ id: webcrypto.randomUUID(), provider: 'openai',
    label: `Bulk ${i}`, secret: `sk-proj-FAKEFAKEFAKEFAKE-bench-${String(i).padStart(6, '0')}`, base_url: null,
    is_default: i === 0, is_active: true, created_at: '2026-11-20T10:00:00Z', expires_at: null }));
  return webcryptoBundle(keys, PASS);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const dir = mkdtempSync(join(tmpdir(), 'byok-bench-'));
const file = join(dir, 'bulk.byok.json');
writeFileSync(file, await bundle(N));
const host = await startHost();
const opens = [];
const opensInPage = [];
const kdfs = [];
const applies = [];
const longest = [];
const longestOpen = [];
try {
  for (let run = 0; run < RUNS; run++) {
    const browser = await startBrowser();
    const page = await browser.newPage();
    await page.goto(host.url);
    await createVault(page);
    await page.getByRole('link', { name: 'Export & import' }).click();
    await page.evaluate(() => {
      window.__longest = 0;
      window.__tasks = [];
      new PerformanceObserver((l) => {
        for (const e of l.getEntries()) {
          window.__longest = Math.max(window.__longest, e.duration);
          window.__tasks.push([e.startTime, e.duration]);
        }
      }).observe({ type: 'longtask', buffered: false });
    });
    // Baseline: the derivation alone, same parameters, same page.
    kdfs.push(await page.evaluate(async (pass) => {
      const enc = new TextEncoder();
      const base = await crypto.subtle.importKey('raw', enc.encode(pass), 'PBKDF2', false, ['deriveBits']);
      const t = performance.now();
      await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: new Uint8Array(16), iterations: 600000 }, base, 256);
      return performance.now() - t;
    }, PASS));
    await page.getByLabel('Bundle file').setInputFiles(file);
    await page.getByLabel('Passphrase for this bundle').fill(PASS);
    // Timed inside the page, like the derivation: from the button's click to the preview
    // painted, without the driver's own click and polling delays.
    const t0 = Date.now();
    const p0 = await page.evaluate(() => performance.now());
    const inPage = await page.evaluate((n) => new Promise((resolve) => {
      const t = performance.now();
      [...document.querySelectorAll('button')].find((b) => b.textContent.trim() === 'Open bundle').click();
      const done = () => [...document.querySelectorAll('[role=status]')].some((e) => e.textContent.includes(`${n} new`));
      const check = () => (done() ? requestAnimationFrame(() => resolve(performance.now() - t)) : requestAnimationFrame(check));
      requestAnimationFrame(check);
    }), N);
    opensInPage.push(inPage);
    opens.push(Date.now() - t0);
    const p1 = await page.evaluate(() => performance.now());
    longestOpen.push(await page.evaluate(([a, b]) => Math.max(0, ...window.__tasks
      .filter(([s, d]) => s + d > a && s < b).map(([, d]) => d)), [p0, p1]));
    const t1 = Date.now();
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByRole('status').filter({ hasText: `Imported ${N} new keys` }).waitFor({ timeout: 120_000 });
    applies.push(Date.now() - t1);
    longest.push(await page.evaluate(() => window.__longest));
    if (DETAIL) {
      const d = await page.evaluate((origin) => ({
        marks: performance.getEntriesByType('mark').filter((m) => m.name.startsWith('byok:'))
          .map((m) => `${m.name.slice(5)}@${(m.startTime - origin).toFixed(0)}`),
        tasks: window.__tasks.map(([s, dur]) => `${(s - origin).toFixed(0)}+${dur.toFixed(0)}`),
      }), p0);
      console.log(`run ${run + 1}: open ${opens.at(-1)} ms, kdf ${kdfs.at(-1).toFixed(0)} ms`);
      console.log(`  marks: ${d.marks.join(' ')}`);
      console.log(`  long tasks (start+duration): ${d.tasks.join(' ')}`);
    }
    await browser.close();
  }
} finally {
  await host.stop();
  rmSync(dir, { recursive: true, force: true });
}
const o = median(opensInPage);
const k = median(kdfs);
console.log(`import of a ${N}-key bundle, median of ${RUNS} runs`);
console.log(`  key derivation alone (WebCrypto):   ${k.toFixed(0)} ms`);
console.log(`  open + decrypt + plan (to preview): ${o.toFixed(0)} ms   = ${(o / k).toFixed(2)}x the derivation (goal < 2x; click to preview painted, timed in the page)`);
console.log(`    the same seen from the test driver: ${median(opens)} ms (adds Playwright's own round trips)`);
console.log(`  apply + encrypt + save vault:       ${median(applies)} ms`);
console.log(`  longest main-thread task:           ${median(longest).toFixed(0)} ms (responsive if < 50 ms)`);
console.log(`    of which, up to the preview:      ${median(longestOpen).toFixed(0)} ms`);
