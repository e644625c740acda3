// One scripted session that records everything the page does: every request (URL,
// headers, body), the console, every storage area and the DOM after each step, and the
// downloaded bundle. Each secret may appear only in the auth header of requests to its
// own provider's origin. Each provider kind gets its own mock server (own origin), so a
// key reaching another provider's origin would be seen.
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { startMockProvider } from '../mock-provider/server.mjs';
import { addKey, createVault, keyRow, unlock } from './app.mjs';
import { expect } from './expect.mjs';
import { dumpStorage, startBrowser, startHost } from './harness.mjs';

const KINDS = {
  anthropic: { name: 'Anthropic', secret: 'sk-ant-api03-FAKEFAKEFAKEFAKEFAKE-leakcheck-anthropic-ok-mock', header: 'x-api-key', value: (s) => s },
  openai: { name: 'OpenAI', secret: 'sk-proj-FAKEFAKEFAKEFAKEFAKE-leakcheck-openai-ok-mock', header: 'authorization', value: (s) => `Bearer ${s}` },
  gemini: { name: 'Gemini', secret: 'AIzaFAKEFAKEFAKEFAKEFAKE-leakcheck-gemini-ok-mock', header: 'x-goog-api-key', value: (s) => s },
  'openai-compatible': { name: 'OpenAI-compatible', secret: 'sk-or-v1-FAKEFAKEFAKEFAKEFAKE-leakcheck-compat-ok-mock', header: 'authorization', value: (s) => `Bearer ${s}` },
};
const PASS = 'orbit velvet canyon lamp';
const BUNDLE_PASS = 'ferry lantern meadow 2026';

const mocks = {};
let host;
let browser;
let page;
let dir;
const requests = [];
const consoleText = [];
const snapshots = [];

before(async () => {
  for (const k of Object.keys(KINDS)) mocks[k] = await startMockProvider();
  host = await startHost({ connectSrc: Object.values(mocks).map((m) => m.url) });
  browser = await startBrowser();
  page = await browser.newPage();
  dir = mkdtempSync(join(tmpdir(), 'byok-leak-'));
  page.on('request', async (r) => {
    requests.push({ url: r.url(), headers: await r.allHeaders().catch(() => r.headers()), body: r.postData() || '' });
  });
  page.on('console', (m) => consoleText.push(m.text()));
});
after(async () => {
  await browser?.close();
  await host?.stop();
  for (const m of Object.values(mocks)) await m.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function snapshot(step) {
  snapshots.push({ step, storage: JSON.stringify(await dumpStorage(page)), dom: await page.content() });
}

describe('secrets never leak', () => {
  test('a whole session: each secret only in its own provider\'s auth header', async () => {
    await page.goto(host.url);
    await createVault(page, PASS);
    await snapshot('created');
    for (const [kind, k] of Object.entries(KINDS)) {
      const base = kind === 'openai-compatible' ? `${mocks[kind].url}/compat/v1` : mocks[kind].url;
      await addKey(page, { secret: k.secret, label: `${k.name} leak test`, provider: k.name, baseUrl: base });
      await snapshot(`added ${kind}`);
      await keyRow(page, `${k.name} leak test`).getByRole('button', { name: 'Test' }).click();
      await expect(keyRow(page, `${k.name} leak test`)).toContainText('Test passed');
      await snapshot(`tested ${kind}`);
    }
    await page.getByRole('link', { name: 'Chat' }).click();
    for (const [kind, k] of Object.entries(KINDS)) {
      await page.getByLabel('Provider').selectOption({ label: k.name });
      await page.getByRole('textbox', { name: 'Message', exact: true }).fill(`hello ${kind}`);
      await page.getByRole('textbox', { name: 'Message', exact: true }).press('Enter');
      await expect(page.getByRole('listitem', { name: 'Answer' }).last()).toContainText(`reply to: hello ${kind}`);
      await snapshot(`chatted ${kind}`);
    }
    await page.getByRole('link', { name: 'Export & import' }).click();
    await page.getByLabel('Bundle passphrase', { exact: true }).fill(BUNDLE_PASS);
    await page.getByLabel('Repeat bundle passphrase').fill(BUNDLE_PASS);
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export bundle' }).click();
    const file = join(dir, 'export.byok.json');
    await (await download).saveAs(file);
    await snapshot('exported');
    await page.getByLabel('Bundle file').setInputFiles(file);
    await page.getByLabel('Passphrase for this bundle').fill(BUNDLE_PASS);
    await page.getByRole('button', { name: 'Open bundle' }).click();
    await expect(page.getByRole('status').filter({ hasText: '4 already here' })).toBeVisible();
    await snapshot('import preview');
    // Every key is already here: nothing to import, and the button says so by being off.
    assert.equal(await page.getByRole('button', { name: 'Import', exact: true }).isDisabled(), true);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await snapshot('import cancelled');
    await page.getByRole('button', { name: 'Lock', exact: true }).click();
    await snapshot('locked');

    const exported = readFileSync(file, 'utf8');
    const origins = Object.fromEntries(Object.entries(mocks).map(([k, m]) => [k, m.url]));
    for (const [kind, k] of Object.entries(KINDS)) {
      const s = k.secret;
      let carried = 0;
      for (const r of requests) {
        const inUrl = r.url.includes(s);
        const inBody = r.body.includes(s);
        const headersWith = Object.entries(r.headers).filter(([, v]) => String(v).includes(s));
        if (!inUrl && !inBody && headersWith.length === 0) continue;
        carried++;
        assert.equal(new URL(r.url).origin, origins[kind], `${kind} key sent to ${r.url}`);
        assert.ok(!inUrl, `${kind} key in a URL`);
        assert.ok(!inBody, `${kind} key in a request body`);
        assert.deepEqual(headersWith.map(([h, v]) => [h.toLowerCase(), v]), [[k.header, k.value(s)]], `${kind} key in other headers`);
      }
      assert.ok(carried >= 2, `${kind} key was used (test + chat)`);
      // What each provider's server saw: only its own key.
      for (const [other, m] of Object.entries(mocks)) {
        const seen = JSON.stringify(m.requests);
        assert.equal(seen.includes(s), other === kind, `${kind} key at ${other}'s origin: ${seen.includes(s)}`);
      }
      for (const c of consoleText) assert.ok(!c.includes(s), `${kind} key in the console`);
      for (const snap of snapshots) {
        assert.ok(!snap.storage.includes(s), `${kind} key in storage after "${snap.step}"`);
        assert.ok(!snap.dom.includes(s), `${kind} key in the DOM after "${snap.step}"`);
      }
      assert.ok(!exported.includes(s), `${kind} key in the exported file in clear`);
      for (const snap of snapshots) assert.ok(!snap.storage.includes(`${k.name} leak test`), `label in storage after "${snap.step}"`);
    }
    assert.ok(!exported.includes('leak test'), 'labels in the exported file in clear');
    assert.deepEqual(browser.problems, []);
  });

  test('a provider address that redirects does not take the key along', async () => {
    // Browsers keep custom headers (Anthropic's x-api-key, Gemini's x-goog-api-key) on a
    // redirect; the mock's `redirect` mode answers 307 to another path of its origin.
    await unlock(page, PASS);
    await page.getByRole('link', { name: 'Keys' }).click();
    for (const kind of ['anthropic', 'gemini']) {
      const k = KINDS[kind];
      const label = `${k.name} redirect`;
      await addKey(page, { secret: k.secret.replace('-ok-mock', '-fail-redirect-mock'), label, provider: k.name, baseUrl: mocks[kind].url });
      await keyRow(page, label).getByRole('button', { name: 'Test' }).click();
      await expect(keyRow(page, label)).toContainText('answered with a redirect to another address');
      const followed = mocks[kind].requests.filter((r) => r.path.startsWith('/redirected'));
      assert.deepEqual(followed, [], `${kind}: the redirect was followed`);
      assert.ok(mocks[kind].requests.some((r) => r.headers['x-mock-fail'] === undefined && r.path !== '/' && r.method !== 'OPTIONS'), `${kind}: the first request was made`);
    }
    assert.deepEqual(browser.problems, []);
  });

  test('a key a server quotes back is masked, however it looks', async () => {
    // No known prefix and no long random run: masking by looks alone would miss it.
    const secret = 'local-TEST-fail-echo-key';
    const label = 'Echoing proxy';
    await addKey(page, { secret, label, provider: 'OpenAI-compatible', baseUrl: `${mocks['openai-compatible'].url}/compat/v1` });
    await keyRow(page, label).getByRole('button', { name: 'Test' }).click();
    await expect(keyRow(page, label)).toContainText('for this server');
    assert.ok(JSON.stringify(mocks['openai-compatible'].requests.at(-1)).includes(secret), 'the server had the key to quote');
    assert.ok(!(await page.content()).includes(secret), 'the key shows in the page');
    assert.deepEqual(browser.problems, []);
  });
});
