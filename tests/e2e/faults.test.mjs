// A page closed in the middle of a save reopens with the last good state: never a
// damaged vault, never a half-written conversation.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { startMockProvider } from '../mock-provider/server.mjs';
import { addKey, createVault, keyRow, unlock } from './app.mjs';
import { expect } from './expect.mjs';
import { startBrowser, startHost } from './harness.mjs';

let mock;
let host;
let browser;
before(async () => {
  mock = await startMockProvider();
  host = await startHost({ connectSrc: [mock.url] });
  browser = await startBrowser();
});
after(async () => {
  await browser?.close();
  await host?.stop();
  await mock?.stop();
});

describe('page closed mid-save', () => {
  test('closing right after Save leaves a vault that opens, with the edit or without it', async () => {
    let page = await browser.newPage();
    await page.goto(host.url);
    await createVault(page);
    await addKey(page, { secret: 'sk-proj-FAKEFAKEFAKEFAKE-closed-base-ok-mock', label: 'Base key', baseUrl: mock.url });
    for (let i = 0; i < 6; i++) {
      await page.getByRole('button', { name: 'Add key' }).click();
      const form = page.getByRole('form', { name: 'Add a key' });
      await form.getByLabel('Secret').fill(`sk-proj-FAKEFAKEFAKEFAKE-closed-${i}-ok-mock`);
      await form.getByLabel('Label').fill(`Closed ${i}`);
      // Click, then close the tab without waiting for anything (no beforeunload).
      await form.getByRole('button', { name: 'Save' }).click({ noWaitAfter: true });
      await page.close({ runBeforeUnload: false });
      page = await browser.newPage();
      await page.goto(host.url);
      await unlock(page);
      await expect(keyRow(page, 'Base key')).toBeVisible();
      // Each earlier round is either fully there or fully absent; nothing is damaged.
      const record = await page.evaluate(() => JSON.parse(localStorage.getItem('byok.vault')));
      assert.equal(record.format, 'byok-vault');
    }
    assert.deepEqual(browser.problems, []);
    await page.close();
  });

  test('closing while an answer streams keeps the conversation as last saved', async () => {
    let page = await browser.newPage();
    await page.goto(host.url);
    await unlock(page);
    await page.getByRole('link', { name: 'Chat' }).click();
    await page.getByRole('textbox', { name: 'Message', exact: true }).fill('first question');
    await page.getByRole('textbox', { name: 'Message', exact: true }).press('Enter');
    await expect(page.getByRole('listitem', { name: 'Answer' }).last()).toContainText('reply to: first question');
    const convs = page.getByRole('complementary', { name: 'Conversations' });
    await expect(convs.getByRole('listitem', { name: 'first question' })).toBeVisible();
    await page.getByRole('textbox', { name: 'Message', exact: true }).fill('second, slow [[mock:slow]]');
    await page.getByRole('textbox', { name: 'Message', exact: true }).press('Enter');
    await expect(page.getByRole('button', { name: 'Stop', exact: true })).toBeVisible();
    await page.close({ runBeforeUnload: false });
    page = await browser.newPage();
    await page.goto(host.url + '/chat');
    await unlock(page);
    const list = page.getByRole('complementary', { name: 'Conversations' });
    await list.getByRole('button', { name: 'first question' }).click();
    await expect(page.getByRole('listitem', { name: 'Answer' }).last()).toContainText('reply to: first question');
    assert.deepEqual(browser.problems, []);
    await page.close();
  });
});
