// Issue: performance. While the unlock form waits, the app rehearses an unlock on
// made-up data in a detached element, and on the Chat page an answer (src/state/
// rehearsal.rs): each must finish, and leave nothing a user or another tab could see: no
// storage, no DOM, no request, no error.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { KEYS, addKey, createVault, keyRow, unlock } from './app.mjs';
import { eventually, expect } from './expect.mjs';
import { dumpStorage, startBrowser, startHost } from './harness.mjs';

let host;
let browser;
before(async () => { host = await startHost(); browser = await startBrowser(); });
after(async () => { await browser?.close(); await host?.stop(); });

test('the unlock and answer rehearsals run while the person types and leave no trace', async () => {
  const page = await browser.newPage();
  await page.goto(host.url);
  await createVault(page);
  await addKey(page, { secret: KEYS.openai, label: 'Real key' });
  const stored = await dumpStorage(page);

  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.reload();
  const done = () => page.evaluate(() => performance.getEntriesByName('byok:rehearsal-done').length);
  await eventually(async () => (await done()) === 1 || 'not yet', 'the rehearsal finished');
  // Only the app's own files were fetched; nothing was written; nothing made up shows.
  assert.deepEqual(requests.filter((u) => !u.startsWith(host.url)), []);
  assert.deepEqual(await dumpStorage(page), stored);
  const text = await page.evaluate(() => document.documentElement.outerHTML);
  assert.ok(!text.includes('Rehearsal') && !text.includes('sk-rehearsal'), 'made-up data in the page');
  await expect(page.getByRole('heading', { name: 'Unlock your vault' })).toBeVisible();

  await unlock(page);
  await expect(keyRow(page, 'Real key')).toBeVisible();
  await expect(page.locator('li.key')).toHaveCount(1);
  // Once per page: a lock and a second unlock do not run it again.
  await page.getByRole('button', { name: 'Lock', exact: true }).click();
  await unlock(page);
  assert.equal(await done(), 1);

  // The Chat page rehearses an answer (stream parsing, markdown) the same way.
  const answered = () => page.evaluate(() => performance.getEntriesByName('byok:rehearsal-answer-done').length);
  assert.equal(await answered(), 0);
  const before = await dumpStorage(page);
  await page.getByRole('link', { name: 'Chat' }).click();
  await eventually(async () => (await answered()) === 1 || 'not yet', 'the answer rehearsal finished');
  assert.deepEqual(requests.filter((u) => !u.startsWith(host.url)), []);
  // The Chat page opens its (empty) database, maybe after the rehearsal has finished
  // on a busy machine; the rehearsal writes nothing to it.
  await eventually(async () => 'byok' in (await dumpStorage(page)).indexedDB || 'no database yet', 'the Chat page opened its database');
  const after = await dumpStorage(page);
  assert.deepEqual(after.localStorage, before.localStorage);
  assert.deepEqual(after.indexedDB, { byok: { conversations: [], usage: [] } });
  const chat = await page.evaluate(() => document.body.innerText);
  assert.ok(!chat.includes('The end.') && !chat.includes('quoted'), 'the made-up answer shows');
  await expect(page.locator('ol.messages > li')).toHaveCount(0);
  // Leaving and coming back does not run it again.
  await page.getByRole('link', { name: 'Keys' }).click();
  await page.getByRole('link', { name: 'Chat' }).click();
  await page.waitForTimeout(1500);
  assert.equal(await answered(), 1);
  assert.deepEqual(browser.problems, []);
  await page.close();
});
