// A page served over plain http from another host is not a secure context: browsers keep
// WebCrypto from it, and anyone on the network path could change the page. byok says so
// before anything is typed, and its own PBKDF2 and AES-GCM (byok-core in wasm) keep the
// vault working there.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { KEYS, PASS, addKey, createVault, keyRow, unlock } from './app.mjs';
import { expect } from './expect.mjs';
import { assertNotInStorage, startBrowser, startHost } from './harness.mjs';

let host;
let browser;
before(async () => {
  host = await startHost();
  // byok.test is no loopback name, so http://byok.test is not "potentially trustworthy".
  browser = await startBrowser({ args: ['--host-resolver-rules=MAP byok.test 127.0.0.1'] });
});
after(async () => { await browser?.close(); await host?.stop(); });

const warning = (page) => page.getByRole('alert').filter({ hasText: 'plain http' });

describe('served over plain http from another host', () => {
  test('a warning says the page could have been changed; the vault works without WebCrypto', async () => {
    const page = await browser.newPage();
    // Already on the first screen drawn before the app's code arrives (index.html); the
    // wasm is held back (page.route on the app's own file, not provider traffic).
    let release;
    const gate = new Promise((ok) => { release = ok; });
    await page.route(/_bg\.wasm$/, async (route) => { await gate; await route.continue(); });
    await page.goto(`http://byok.test:${new URL(host.url).port}/`, { waitUntil: 'domcontentloaded' });
    await expect(page.getByRole('heading', { name: 'Create your vault' })).toBeVisible();
    await expect(warning(page)).toBeVisible();
    assert.equal(await page.evaluate(() => document.getElementById('byok-shell') !== null), true, 'still the first screen');
    release();
    await page.waitForFunction(() => document.getElementById('byok-shell') === null);
    await page.unrouteAll();
    await expect(warning(page)).toHaveCount(1);
    assert.deepEqual(await page.evaluate(() => [isSecureContext, typeof crypto.subtle]), [false, 'undefined']);
    await expect(warning(page)).toBeVisible();
    await expect(warning(page)).toContainText('Open byok over https, or on this computer as localhost.');

    await createVault(page);
    await addKey(page, { secret: KEYS.anthropic, label: 'Over http' });
    await page.reload();
    await expect(warning(page)).toBeVisible();
    await page.getByLabel('Passphrase', { exact: true }).fill(`${PASS} but wrong`);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'Wrong passphrase' })).toBeVisible();
    // The derivation runs in wasm here, in slices: the page keeps drawing while it works
    // (in one go it froze for a second or more, no frame drawn).
    await page.evaluate(() => {
      window.busyFrames = 0;
      const tick = () => {
        if (document.querySelector('form[aria-busy="true"]')) window.busyFrames += 1;
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    await unlock(page);
    const frames = await page.evaluate(() => window.busyFrames);
    assert.ok(frames >= 10, `${frames} frames drawn while unlocking`);
    await expect(keyRow(page, 'Over http')).toBeVisible();
    await assertNotInStorage(page, [KEYS.anthropic, 'Over http'], assert);

    // The same app from this computer (a secure context) has no such warning.
    const local = await browser.newPage();
    await local.goto(host.url);
    await expect(local.getByRole('heading', { name: 'Create your vault' })).toBeVisible();
    await expect(warning(local)).toHaveCount(0);
    // Chromium ignores the host's Cross-Origin-Opener-Policy on an untrustworthy origin
    // and says so on the console; nothing else may go wrong.
    assert.deepEqual(browser.problems.filter((p) => !p.includes('Cross-Origin-Opener-Policy header has been ignored')), []);
  });
});
