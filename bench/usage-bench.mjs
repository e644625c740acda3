// Benchmark (not a test): the usage view of a vault holding 100,000 recorded answers.
// Prints figures; asserts nothing. Goal (issue 6): the view renders in under 200 ms once
// the vault is unlocked.
//   node bench/usage-bench.mjs      (after ./scripts/serve's build steps, or scripts/test)
// Env: RUNS (default 10), MESSAGES (default 100000), KEYS (default 8).
import { execFileSync } from 'node:child_process';

import { startBrowser, startHost, ROOT } from '../tests/e2e/harness.mjs';

const RUNS = Number(process.env.RUNS || 10);
const MESSAGES = Number(process.env.MESSAGES || 100_000);
const KEYS = Number(process.env.KEYS || 8);
const PASS = 'ferry lantern meadow 2026';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => `${x.toFixed(1)} ms`;

const fixture = JSON.parse(execFileSync('cargo', ['run', '--quiet', '--release', '-p', 'byok-core', '--example', 'bench_fixture', '--',
  '--passphrase', PASS, '--keys', String(KEYS), '--usage-messages', String(MESSAGES)],
{ cwd: ROOT, maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'inherit'] }).toString());
const record = fixture.vaultRecord;

const host = await startHost();
const render = [];
const unlockToView = [];
const longest = [];
let rows = 0;
try {
  for (let run = 0; run < RUNS; run++) {
    const browser = await startBrowser();
    const page = await browser.newPage();
    await page.goto(host.url);
    await page.evaluate((r) => localStorage.setItem('byok.vault', r), record);

    // 1. Unlock on /usage itself: click to the table painted (includes the key derivation).
    await page.goto(`${host.url}/usage`);
    await page.getByLabel('Passphrase', { exact: true }).fill(PASS);
    unlockToView.push(await page.evaluate(() => new Promise((resolve) => {
      const t0 = performance.now();
      [...document.querySelectorAll('button')].find((b) => b.textContent.trim() === 'Unlock').click();
      const check = () => (document.querySelector('.usage-table tbody tr')
        ? requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - t0)))
        : requestAnimationFrame(check));
      requestAnimationFrame(check);
    })));

    // 2. Unlocked: from the Keys page, click Usage to the table painted, with the
    //    longest main-thread task meanwhile. The range is "All": every row is counted.
    await page.getByRole('link', { name: 'Keys', exact: true }).click();
    await page.getByRole('heading', { name: 'Keys' }).waitFor();
    const r = await page.evaluate(() => new Promise((resolve) => {
      let long = 0;
      const obs = new PerformanceObserver((l) => { for (const e of l.getEntries()) long = Math.max(long, e.duration); });
      obs.observe({ type: 'longtask' });
      const t0 = performance.now();
      document.querySelector('a[href="/usage"]').click();
      const check = () => {
        if (!document.querySelector('.usage-table tbody tr')) return requestAnimationFrame(check);
        const all = [...document.querySelectorAll('button')].find((b) => b.textContent.trim() === 'All');
        all.click();
        requestAnimationFrame(() => setTimeout(() => {
          obs.disconnect();
          resolve({ t: performance.now() - t0, long, bars: document.querySelectorAll('svg rect.bar').length });
        }));
      };
      requestAnimationFrame(check);
    }));
    render.push(r.t);
    longest.push(r.long);
    rows = r.bars;
    await browser.close();
  }
} finally {
  await host.stop();
}

console.log(`usage view, ${MESSAGES.toLocaleString('en')} recorded answers on ${KEYS} keys (vault record ${(record.length / 1024).toFixed(0)} KiB; ${rows} bars in the all-time chart), median of ${RUNS} runs:`);
console.log(`  Keys -> Usage (30 days, then All) rendered: ${ms(median(render))}   goal < 200 ms: ${median(render) < 200 ? 'PASS' : 'MISS'}`);
console.log(`  longest main-thread task meanwhile:        ${ms(median(longest))}`);
console.log(`  unlock on /usage, click to table painted:  ${ms(median(unlockToView))} (includes the 600,000-iteration key derivation)`);
