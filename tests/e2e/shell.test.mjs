// Issue: performance (cold load). index.html draws the unlock or create form before the
// wasm arrives; the app takes over what was typed, the focus and a press of the button.
// The app's wasm is held back here (page.route on the app's own file, not provider
// traffic) so every step happens in the plain-HTML copy first.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { PASS, keyRow } from './app.mjs';
import { eventually, expect } from './expect.mjs';
import { dumpStorage, startBrowser, startHost } from './harness.mjs';

let host;
let browser;
before(async () => { host = await startHost(); browser = await startBrowser(); });
after(async () => { await browser?.close(); await host?.stop(); });

/** Hold the wasm until `release()` is called. */
async function holdWasm(page) {
  let release;
  const gate = new Promise((ok) => { release = ok; });
  await page.route(/_bg\.wasm$/, async (route) => { await gate; await route.continue(); });
  return () => release();
}
const appStarted = (page) => page.evaluate(() => document.getElementById('byok-shell') === null && window.wasmBindings !== undefined);
const waitForApp = (page) => eventually(async () => (await appStarted(page)) || 'shell still there', 'the app took over');

test('create, then unlock, typed and submitted before the app has loaded', async () => {
  const page = await browser.newPage();

  // Create: both fields and the button, all in the plain-HTML copy.
  let release = await holdWasm(page);
  await page.goto(host.url, { waitUntil: 'domcontentloaded' });
  await expect(page.getByRole('heading', { name: 'Create your vault' })).toBeVisible();
  const shellText = await page.locator('main').innerText();
  await page.getByLabel('Passphrase', { exact: true }).fill(PASS);
  await page.getByLabel('Repeat passphrase').fill(PASS);
  await page.getByRole('button', { name: 'Create vault' }).click();
  assert.equal(await appStarted(page), false);
  assert.deepEqual((await dumpStorage(page)).localStorage, {});
  release();
  await expect(page.getByRole('heading', { name: 'Keys' })).toBeVisible();
  assert.ok((await dumpStorage(page)).localStorage['byok.vault'], 'no vault was created');
  assert.equal(new URL(page.url()).search, '', 'the form was submitted natively');
  await page.unrouteAll();

  // The copy says what the app's own form says.
  release = await holdWasm(page);
  await page.evaluate(() => localStorage.clear());
  await page.goto(host.url, { waitUntil: 'domcontentloaded' });
  await expect(page.getByRole('heading', { name: 'Create your vault' })).toBeVisible();
  release();
  await waitForApp(page);
  assert.equal(await page.locator('main').innerText(), shellText);
  await page.unrouteAll();
  await page.getByLabel('Passphrase', { exact: true }).fill(PASS);
  await page.getByLabel('Repeat passphrase').fill(PASS);
  await page.getByRole('button', { name: 'Create vault' }).click();
  await expect(page.getByRole('heading', { name: 'Keys' })).toBeVisible();
  await page.getByRole('button', { name: 'Add key' }).click();
  await page.getByRole('form', { name: 'Add a key' }).getByLabel('Secret').fill('sk-proj-FAKEFAKEFAKEFAKEFAKE-shellTEST-0001');
  await page.getByRole('form', { name: 'Add a key' }).getByLabel('Label').fill('Shell test key');
  await page.getByRole('form', { name: 'Add a key' }).getByRole('button', { name: 'Save' }).click();
  await expect(keyRow(page, 'Shell test key')).toBeVisible();

  // Unlock: the field has the focus at once; half the passphrase is typed before the
  // app arrives, the rest after, then Enter.
  release = await holdWasm(page);
  await page.goto(host.url, { waitUntil: 'domcontentloaded' });
  await expect(page.getByRole('heading', { name: 'Unlock your vault' })).toBeVisible();
  const unlockText = await page.locator('main').innerText();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'unlock-pass');
  await page.keyboard.type(PASS.slice(0, 9));
  assert.equal(await appStarted(page), false);
  release();
  await waitForApp(page);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'unlock-pass');
  assert.equal(await page.locator('main').innerText(), unlockText);
  await page.keyboard.type(PASS.slice(9));
  await page.keyboard.press('Enter');
  await expect(keyRow(page, 'Shell test key')).toBeVisible();
  await page.unrouteAll();

  // Unlock pressed while the app is still on its way: it unlocks once it arrives.
  release = await holdWasm(page);
  await page.goto(host.url, { waitUntil: 'domcontentloaded' });
  await page.getByLabel('Passphrase', { exact: true }).fill(PASS);
  await page.getByRole('button', { name: 'Unlock' }).click();
  assert.equal(await appStarted(page), false);
  release();
  await expect(keyRow(page, 'Shell test key')).toBeVisible();
  // The removed copy keeps nothing typed.
  assert.equal(await page.evaluate(() => document.querySelectorAll('input[type=password]').length), 0);
  await page.unrouteAll();

  // A wrong passphrase typed early gets the app's own answer.
  release = await holdWasm(page);
  await page.goto(host.url, { waitUntil: 'domcontentloaded' });
  await page.getByLabel('Passphrase', { exact: true }).fill('not the passphrase at all');
  await page.keyboard.press('Enter');
  release();
  await expect(page.getByRole('alert')).toContainText('Wrong passphrase');
  assert.equal(new URL(page.url()).search, '');
  await page.unrouteAll();

  assert.deepEqual(browser.problems, []);
  await page.close();
});

test('pages without the vault form show no copy', async () => {
  const page = await browser.newPage();
  const release = await holdWasm(page);
  await page.goto(`${host.url}/direct`, { waitUntil: 'domcontentloaded' });
  assert.equal(await page.locator('#byok-shell').isVisible(), false);
  release();
  await expect(page.getByRole('heading', { name: /without saving/i })).toBeVisible();
  await page.unrouteAll();
  await page.close();
});

test('the app takes over in one step, never showing both copies or neither', async () => {
  // The app draws its frame and its page in two tasks (src/app.rs). What is shown is
  // recorded after every change of the document, which covers every moment a paint can
  // show: from the copy's first showing on, one heading and one page header at a time.
  const page = await browser.newPage();
  await page.addInitScript(() => {
    window.__shown = [];
    const look = () => {
      const visible = (sel) => [...document.querySelectorAll(sel)].filter((e) => e.checkVisibility()).map((e) => e.textContent.trim().slice(0, 40));
      const now = JSON.stringify({ h1: visible('h1'), header: visible('header.top').length });
      if (window.__shown.at(-1) !== now) window.__shown.push(now);
    };
    new MutationObserver(look).observe(document, { subtree: true, childList: true, attributes: true });
  });
  await page.goto(host.url, { waitUntil: 'domcontentloaded' });
  await waitForApp(page);
  // The app's page is in place (its own form handles the button).
  await expect(page.getByRole('button', { name: 'Unlock' })).toBeVisible();
  const shown = (await page.evaluate(() => window.__shown)).map((s) => JSON.parse(s));
  const from = shown.findIndex((s) => s.h1.length > 0);
  assert.ok(from >= 0, 'the copy never showed');
  // (The first test left a vault behind, so this is the unlock form.)
  assert.deepEqual(shown.slice(from), [{ h1: ['Unlock your vault'], header: 1 }]);
  await page.close();
});

test('the copy is never drawn without its styles', async () => {
  const page = await browser.newPage();
  // Styles held back: nothing is painted unstyled meanwhile.
  await page.route(/\.css$/, async (route) => {
    await new Promise((ok) => setTimeout(ok, 800));
    await route.continue();
  });
  await page.goto(host.url, { waitUntil: 'commit' });
  // (The first test left a vault behind, so this is the unlock form.)
  await expect(page.getByRole('heading', { name: 'Unlock your vault' })).toBeVisible();
  await eventually(async () => (await page.evaluate(() => performance.getEntriesByType('paint').length)) > 0 || 'no paint', 'a first paint');
  const [css, paint] = await page.evaluate(() => [
    performance.getEntriesByType('resource').find((r) => r.name.endsWith('.css')).responseEnd,
    performance.getEntriesByType('paint')[0].startTime,
  ]);
  assert.ok(paint >= css, `painted at ${paint} ms, styles arrived at ${css} ms`);
  await page.unrouteAll();
  await page.close();
});
