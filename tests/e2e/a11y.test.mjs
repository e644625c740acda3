// Accessibility as reliability: axe-core on every page with zero serious or critical
// violations, and the main flow done with the keyboard alone.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';

import { startMockProvider } from '../mock-provider/server.mjs';
import { PASS, addKey, createVault, keyRow, unlock } from './app.mjs';
import { eventually, expect } from './expect.mjs';
import { startBrowser, startHost } from './harness.mjs';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

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

/** Serious and critical axe violations on the page as it is now. */
async function axe(page, where) {
  // Evaluated through the DevTools protocol: the page's CSP (rightly) refuses injected script.
  const result = await page.evaluate(`(async () => { ${AXE}; const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => v.id + ': ' + v.help + ' [' + v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ') + ']'); })()`);
  assert.deepEqual(result, [], `${where}: ${result.join('\n')}`);
}

describe('accessibility', () => {
  test('axe: no serious or critical violations on any page', async () => {
    const page = await browser.newPage();
    await page.goto(host.url);
    await axe(page, 'create vault');
    await createVault(page);
    await axe(page, 'empty keys');
    await page.getByRole('button', { name: 'Add key' }).click();
    await axe(page, 'add key form');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await addKey(page, { secret: 'sk-proj-FAKEFAKEFAKEFAKEFAKEFAKE-a11y-ok-mock', label: 'Axe key', baseUrl: mock.url, expires: '2030-01-01' });
    await keyRow(page, 'Axe key').getByRole('button', { name: 'Test' }).click();
    await expect(keyRow(page, 'Axe key')).toContainText('Test passed');
    // Disabled while the test ran, the button gets the focus back afterwards.
    await expect(keyRow(page, 'Axe key').getByRole('button', { name: 'Test' })).toBeFocused();
    await axe(page, 'keys');
    await keyRow(page, 'Axe key').getByRole('button', { name: 'Edit' }).click();
    await axe(page, 'edit key');
    await page.getByRole('link', { name: 'Chat' }).click();
    await page.getByRole('textbox', { name: 'Message', exact: true }).fill('hello [[mock:reply:markdown]]');
    await page.getByRole('textbox', { name: 'Message', exact: true }).press('Enter');
    await expect(page.getByRole('listitem', { name: 'Answer' }).last().locator('pre')).toBeVisible();
    await axe(page, 'chat');
    await page.getByRole('link', { name: 'Usage' }).click();
    await expect(page.getByRole('table', { name: 'Totals' })).toBeVisible();
    await page.getByText('Monthly budgets', { exact: true }).click();
    await page.getByText('Prices', { exact: true }).click();
    await page.getByText('Built-in prices', { exact: true }).click();
    await axe(page, 'usage');
    await page.getByRole('link', { name: 'Export & import' }).click();
    await axe(page, 'export and import');
    await page.getByRole('link', { name: 'Settings' }).click();
    await axe(page, 'settings');
    await page.getByRole('button', { name: 'Lock', exact: true }).click();
    await axe(page, 'unlock');
    await page.goto(host.url + '/direct');
    await axe(page, 'direct session');
    await page.goto(host.url + '/no/such/page');
    await axe(page, 'not found');
    await page.close();
  });

  test('at phone width no page scrolls sideways, and the whole header shows', async () => {
    // The vault and key of the axe test.
    const page = await browser.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(host.url);
    // The tab's title names the page (a screen reader announces it after each link).
    const titled = (name) => eventually(async () => (await page.title()) === `${name} \u00b7 byok`, `title "${name} · byok"`);
    await titled('Vault');
    await unlock(page);
    await titled('Keys');
    const fits = async (where) => {
      const { scroll, view } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, view: document.documentElement.clientWidth }));
      assert.ok(scroll <= view, `${where}: the page is ${scroll} px wide in a ${view} px screen`);
      for (const name of ['Keys', 'Chat', 'Usage', 'Export & import', 'Settings']) {
        await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true })).toBeInViewport();
      }
      await expect(page.getByRole('button', { name: 'Lock', exact: true })).toBeInViewport();
    };
    await expect(keyRow(page, 'Axe key')).toBeVisible();
    await fits('keys');
    await page.getByRole('link', { name: 'Chat' }).click();
    await titled('Chat');
    await page.getByRole('textbox', { name: 'Message', exact: true }).fill('code please [[mock:reply:markdown]]');
    await page.getByRole('textbox', { name: 'Message', exact: true }).press('Enter');
    await expect(page.getByRole('listitem', { name: 'Answer' }).last().locator('pre')).toBeVisible();
    await page.evaluate(() => scrollTo(0, 0));
    await fits('chat with a code block');
    // The saved conversations are below the chat here, one press away from its top.
    await page.getByRole('button', { name: /^Saved conversations \(\d+\)$/ }).click();
    await expect(page.getByRole('complementary', { name: 'Conversations' })).toBeFocused();
    await expect(page.getByRole('complementary', { name: 'Conversations' }).getByRole('listitem', { name: /^code please/ })).toBeInViewport();
    // A long answer grows below the window's foot: Stop stays in reach there.
    await page.evaluate(() => scrollTo(0, 0));
    await page.getByRole('textbox', { name: 'Message', exact: true }).fill('long one [[mock:reply:long]] [[mock:rate:400]]');
    await page.getByRole('textbox', { name: 'Message', exact: true }).press('Enter');
    await eventually(async () => {
      const n = (await page.getByRole('listitem', { name: 'Answer' }).last().locator('.md').innerText()).length;
      return n > 4000 || `${n} characters`;
    }, 'an answer taller than the screen');
    await expect(page.getByRole('button', { name: 'Stop', exact: true })).toBeInViewport();
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await expect(page.getByRole('button', { name: 'Stop', exact: true })).toHaveCount(0);
    await expect(page.getByRole('listitem', { name: 'Answer' }).last()).toContainText('Stopped.');
    // Opened again (here after a look at Keys), it shows its latest question, not the
    // top of the long answer above it.
    await page.getByRole('textbox', { name: 'Message', exact: true }).fill('and a follow-up');
    await page.getByRole('textbox', { name: 'Message', exact: true }).press('Enter');
    await expect(page.getByRole('listitem', { name: 'Answer' }).last()).toContainText('reply to: and a follow-up');
    await page.getByRole('link', { name: 'Keys' }).click();
    await expect(keyRow(page, 'Axe key')).toBeVisible();
    await page.getByRole('link', { name: 'Chat' }).click();
    await expect(page.getByRole('listitem', { name: 'You' }).filter({ hasText: 'and a follow-up' })).toBeInViewport();
    // A table too wide for the screen scrolls in its box: no word in it is broken.
    const broken = await page.getByRole('listitem', { name: 'Answer' }).last().locator('td').evaluateAll((cells) => cells
      .filter((c) => /^[A-Za-z]+$/.test(c.textContent.trim()))
      .filter((c) => {
        // One rectangle per line the word's text takes.
        const text = document.createTreeWalker(c, NodeFilter.SHOW_TEXT).nextNode();
        const r = document.createRange();
        r.selectNodeContents(text);
        return r.getClientRects().length > 1;
      })
      .map((c) => c.textContent));
    assert.deepEqual(broken, [], 'words broken across lines in a table cell');
    for (const [link, ready, title] of [['Usage', page.getByRole('table', { name: 'Totals' }), 'Usage'], ['Export & import', page.getByRole('heading', { name: 'Export & import', level: 1 }), 'Export & import'], ['Settings', page.getByRole('heading', { name: 'Settings', level: 1 }), 'Settings']]) {
      await page.getByRole('link', { name: link, exact: true }).click();
      await expect(ready).toBeVisible();
      await titled(title);
      await fits(link);
    }
    await page.close();
  });

  test('the main flow with the keyboard alone', async (t) => {
    const fresh = await startBrowser();
    // Closed even when the test fails: an open browser would keep the run from ending.
    t.after(() => fresh.close());
    const page = await fresh.newPage();
    await page.goto(host.url);
    const kb = page.keyboard;
    // Create the vault: the passphrase field is reachable by Tab, Enter submits.
    await expect(page.getByRole('button', { name: 'Create vault' })).toBeVisible();
    const tabTo = async (locator, max = 30) => {
      for (let i = 0; i < max; i++) {
        if (await locator.evaluate((el) => el === document.activeElement)) return;
        await kb.press('Tab');
      }
      throw new Error(`could not reach ${locator} with Tab`);
    };
    await tabTo(page.getByLabel('Passphrase', { exact: true }));
    await kb.type(PASS);
    await kb.press('Tab');
    await tabTo(page.getByLabel('Repeat passphrase'));
    await kb.type(PASS);
    await kb.press('Enter');
    await expect(page.getByRole('heading', { name: 'Keys' })).toBeVisible();
    // Focus stays in the page when the form it was in goes away.
    await eventually(() => page.evaluate(() => document.activeElement !== document.body), 'focus kept after creating the vault');
    // Add a key: the form opens focused on the secret; Escape closes it, back on its button.
    await tabTo(page.getByRole('button', { name: 'Add key' }));
    await kb.press('Enter');
    await expect(page.getByLabel('Secret')).toBeFocused();
    await kb.press('Escape');
    await expect(page.getByLabel('Secret')).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Add key' })).toBeFocused();
    await kb.press('Enter');
    await expect(page.getByLabel('Secret')).toBeFocused();
    await kb.type('sk-proj-FAKEFAKEFAKEFAKEFAKEFAKE-keyboard-ok-mock');
    // Once something is typed, Escape does not throw it away.
    await kb.press('Escape');
    await expect(page.getByLabel('Secret')).toBeFocused();
    await tabTo(page.getByRole('textbox', { name: 'Label', exact: true }));
    await kb.type('Keyboard key');
    await kb.press('Enter');
    await expect(keyRow(page, 'Keyboard key')).toBeVisible();
    await expect(page.getByRole('button', { name: 'Add key' })).toBeFocused();
    // A row's forms open focused on their first field; Escape or Cancel closes them and
    // focus goes back to the button that opened them.
    const row = keyRow(page, 'Keyboard key');
    await tabTo(row.getByRole('button', { name: 'Edit' }));
    await kb.press('Enter');
    await expect(row.getByLabel('Label')).toBeFocused();
    await kb.press('Escape');
    await expect(row.getByLabel('Label')).toHaveCount(0);
    await expect(row.getByRole('button', { name: 'Edit' })).toBeFocused();
    await tabTo(row.getByRole('button', { name: 'Rotate' }));
    await kb.press('Enter');
    await expect(row.getByLabel('New secret')).toBeFocused();
    await kb.press('Escape');
    await expect(row.getByRole('button', { name: 'Rotate' })).toBeFocused();
    await tabTo(row.getByRole('button', { name: 'Delete' }));
    await kb.press('Enter');
    await expect(row.getByRole('button', { name: 'Cancel' })).toBeFocused();
    await kb.press('Enter');
    await expect(row.getByRole('alertdialog')).toHaveCount(0);
    await expect(row.getByRole('button', { name: 'Delete' })).toBeFocused();
    // Reveal by keyboard, then lock and unlock.
    await tabTo(keyRow(page, 'Keyboard key').getByRole('button', { name: 'Reveal' }));
    await kb.press('Enter');
    await expect(keyRow(page, 'Keyboard key')).toContainText('keyboard-ok-mock');
    // "Skip to content" moves focus to the main region.
    // From the top of the page, as after loading it.
    await page.evaluate(() => { const b = document.body; b.tabIndex = -1; b.focus(); b.removeAttribute('tabindex'); });
    await kb.press('Tab');
    await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
    await kb.press('Enter');
    await expect(page.getByRole('main')).toBeFocused();
    await tabTo(page.getByRole('button', { name: 'Lock', exact: true }), 60);
    await kb.press('Enter');
    await expect(page.getByLabel('Passphrase', { exact: true })).toBeFocused();
    await kb.type(PASS);
    await kb.press('Enter');
    await expect(keyRow(page, 'Keyboard key')).toBeVisible();
    assert.deepEqual(fresh.problems, []);
  });
});
