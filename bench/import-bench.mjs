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
const kdfs = [];
const applies = [];
const longest = [];
try {
  for (let run = 0; run < RUNS; run++) {
    const browser = await startBrowser();
    const page = await browser.newPage();
    await page.goto(host.url);
    await createVault(page);
    await page.getByRole('link', { name: 'Export & import' }).click();
    await page.evaluate(() => {
      window.__longest = 0;
      new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__longest = Math.max(window.__longest, e.duration); })
        .observe({ type: 'longtask', buffered: false });
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
    const t0 = Date.now();
    await page.getByRole('button', { name: 'Open bundle' }).click();
    await page.getByRole('status').filter({ hasText: `${N} new` }).waitFor({ timeout: 120_000 });
    opens.push(Date.now() - t0);
    const t1 = Date.now();
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByRole('status').filter({ hasText: `Imported ${N} new keys` }).waitFor({ timeout: 120_000 });
    applies.push(Date.now() - t1);
    longest.push(await page.evaluate(() => window.__longest));
    await browser.close();
  }
} finally {
  await host.stop();
  rmSync(dir, { recursive: true, force: true });
}
const o = median(opens);
const k = median(kdfs);
console.log(`import of a ${N}-key bundle, median of ${RUNS} runs`);
console.log(`  key derivation alone (WebCrypto):   ${k.toFixed(0)} ms`);
console.log(`  open + decrypt + plan (to preview): ${o} ms   = ${(o / k).toFixed(2)}x the derivation (goal < 2x)`);
console.log(`  apply + encrypt + save vault:       ${median(applies)} ms`);
console.log(`  longest main-thread task:           ${median(longest).toFixed(0)} ms (responsive if < 50 ms)`);
