// Hostile content everywhere a person or a model can put text: key labels, notes, base
// URLs, conversation titles, model output, and labels inside an imported bundle. The
// canary `window.__pwned` must never be set, no dialog may open, the page must not
// navigate, and no request may go anywhere but the app's host and the key's provider.
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { startMockProvider } from '../mock-provider/server.mjs';
import { addKey, createVault, keyRow } from './app.mjs';
import { webcryptoBundle } from './bundles.mjs';
import { expect } from './expect.mjs';
import { startBrowser, startHost } from './harness.mjs';

const P = 'window.__pwned=1';
export const PAYLOADS = [
  `<script>${P}</script>`,
  `<img src=x onerror="${P}">`,
  `<svg onload="${P}">`,
  `<svg><script>${P}</script></svg>`,
  `<iframe src="javascript:${P}"></iframe>`,
  `<iframe srcdoc="<script>parent.__pwned=1</script>"></iframe>`,
  `<body onload="${P}">`,
  `<a href="javascript:${P}">click</a>`,
  `[click](javascript:${P})`,
  `[click](JaVaScRiPt:${P})`,
  `[click]( javascript:${P})`,
  `[click](data:text/html,<script>${P}</script>)`,
  `[click](vbscript:msgbox(1))`,
  `![x](javascript:${P})`,
  `![x](https://evil.example/x.png)`,
  `<img src="https://evil.example/track.png">`,
  `"><script>${P}</script>`,
  `'><img src=x onerror=${P}>`,
  `</textarea><script>${P}</script>`,
  `</title><script>${P}</script>`,
  `<details open ontoggle="${P}">`,
  `<input autofocus onfocus="${P}">`,
  `<video><source onerror="${P}"></video>`,
  `<math><mtext><table><mglyph><style><img src=x onerror=${P}>`,
  `<object data="javascript:${P}"></object>`,
  `<embed src="javascript:${P}">`,
  `<form action="javascript:${P}"><button>go</button></form>`,
  `<meta http-equiv="refresh" content="0;url=javascript:${P}">`,
  `<base href="https://evil.example/">`,
  `<link rel="stylesheet" href="https://evil.example/x.css">`,
  `<style>@import 'https://evil.example/x.css';</style>`,
  `{{constructor.constructor('${P}')()}}`,
  `\${${P}}`,
  `javascript:${P}`,
  `data:text/html;base64,PHNjcmlwdD53aW5kb3cuX19wd25lZD0xPC9zY3JpcHQ+`,
  `<scr\u0000ipt>${P}</scr\u0000ipt>`,
  `\u202e<script>${P}</script>`,
  `＜script＞${P}＜/script＞`,
  `<a href="&#106;avascript:${P}">x</a>`,
  `[x](&#x6A;avascript:${P})`,
  `<img src=x onerror=&#119;indow.__pwned=1>`,
];

let mock;
let host;
let browser;
let page;
let dir;
const foreign = [];
const navigations = [];
const dialogs = [];

before(async () => {
  mock = await startMockProvider();
  host = await startHost({ connectSrc: [mock.url] });
  browser = await startBrowser();
  page = await browser.newPage();
  dir = mkdtempSync(join(tmpdir(), 'byok-xss-'));
  page.on('request', (r) => {
    const o = new URL(r.url()).origin;
    if (o !== host.url && o !== mock.url && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) foreign.push(r.url());
  });
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) navigations.push(f.url()); });
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
  await page.goto(host.url);
  await createVault(page);
});
after(async () => {
  await browser?.close();
  await host?.stop();
  await mock?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function assertInert(where) {
  assert.equal(await page.evaluate(() => window.__pwned), undefined, `${where}: canary fired`);
  assert.deepEqual(dialogs, [], `${where}: a dialog opened`);
  assert.deepEqual(foreign, [], `${where}: request to a foreign origin`);
  assert.ok(navigations.every((u) => new URL(u).origin === host.url), `${where}: navigated to ${navigations}`);
  assert.equal(await page.locator('main script, main iframe, main object, main embed, main img, main svg, main video, main form[action^="javascript"]').count(), 0, `${where}: live element`);
  for (const href of await page.locator('main a[href]').evaluateAll((as) => as.map((a) => a.getAttribute('href')))) {
    assert.match(href, /^(https?:|mailto:|\/)/, `${where}: link ${href}`);
  }
  assert.deepEqual(browser.problems, [], `${where}: console or CSP`);
}

describe('hostile content', () => {
  test(`${PAYLOADS.length} payloads in key labels and notes render as text`, async () => {
    assert.ok(PAYLOADS.length >= 40);
    for (const [i, p] of PAYLOADS.entries()) {
      await addKey(page, { secret: `sk-proj-FAKEFAKEFAKEFAKE-xss-${String(i).padStart(3, '0')}-ok-mock`, label: `${i} ${p}`.slice(0, 80), notes: p, baseUrl: mock.url });
    }
    await expect(keyRow(page, `0 ${PAYLOADS[0]}`)).toContainText(PAYLOADS[0]);
    await assertInert('labels and notes');
    await page.reload();
    await page.getByLabel('Passphrase', { exact: true }).fill('orbit velvet canyon lamp');
    await page.getByRole('button', { name: 'Unlock' }).click();
    await expect(keyRow(page, `1 ${PAYLOADS[1]}`)).toBeVisible();
    await assertInert('labels and notes after reload');
  });

  test('payloads as base URLs are refused with a message', async () => {
    await page.getByRole('button', { name: 'Add key' }).click();
    const form = page.getByRole('form', { name: 'Add a key' });
    await form.getByLabel('Secret').fill('sk-proj-FAKEFAKEFAKEFAKE-xss-baseurl-ok-mock');
    await form.getByLabel('Label').fill('Base URL probe');
    await form.getByText('Advanced').click();
    for (const p of PAYLOADS.filter((x) => !x.startsWith('http'))) {
      await form.getByLabel('Base URL').fill(p);
      await form.getByRole('button', { name: 'Save' }).click();
      await expect(form.locator('p.error')).toContainText('The base URL');
    }
    await form.getByRole('button', { name: 'Cancel' }).click();
    await assertInert('base URLs');
  });

  test('payloads as model output and conversation titles', async () => {
    await page.getByRole('link', { name: 'Chat' }).click();
    for (const p of PAYLOADS) {
      await page.getByRole('button', { name: 'New conversation' }).click();
      await page.getByRole('textbox', { name: 'Message', exact: true }).fill(p);
      await page.getByRole('textbox', { name: 'Message', exact: true }).press('Enter');
      await expect(page.getByRole('listitem', { name: 'Answer' }).last()).toContainText('Mock openai reply to:');
    }
    await page.getByRole('textbox', { name: 'Message', exact: true }).fill('[[mock:reply:xss]]');
    await page.getByRole('textbox', { name: 'Message', exact: true }).press('Enter');
    await expect(page.getByRole('listitem', { name: 'Answer' }).last()).toContainText('<script>');
    await assertInert('model output and titles');
  });

  test('payloads as labels inside an imported bundle', async () => {
    const keys = PAYLOADS.map((p, i) => ({ id: webcrypto.randomUUID(), provider: 'anthropic', label: p, secret: `sk-ant-api03-FAKEFAKEFAKE-xss-bundle-${i}-ok-mock`,
      base_url: mock.url, is_default: false, is_active: true, created_at: '2026-11-20T10:00:00Z', expires_at: null, notes: p }));
    const file = join(dir, 'hostile.byok.json');
    writeFileSync(file, await webcryptoBundle(keys, 'ferry lantern meadow 2026'));
    await page.getByRole('link', { name: 'Export & import' }).click();
    await page.getByLabel('Bundle file').setInputFiles(file);
    await page.getByLabel('Passphrase for this bundle').fill('ferry lantern meadow 2026');
    await page.getByRole('button', { name: 'Open bundle' }).click();
    await expect(page.getByRole('button', { name: 'Import', exact: true })).toBeVisible();
    const summary = await page.getByRole('status').filter({ hasText: 'Nothing is saved until' }).innerText();
    // Labels are compared case-insensitively, so two payloads differing only in case clash.
    const distinct = new Set(PAYLOADS.map((p) => p.trim().toLowerCase())).size;
    assert.ok(summary.startsWith(`${distinct} new, 0 already here, ${PAYLOADS.length - distinct} with a label`), summary);
    await assertInert('bundle preview');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByRole('link', { name: 'Keys' }).click();
    await expect(page.getByRole('region', { name: 'Anthropic' })).toContainText(PAYLOADS[0]);
    await assertInert('imported labels');
  });
});
