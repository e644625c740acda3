// Issue: performance. A long key list shows its first screen at once and builds further
// rows only as the reader scrolls near them; every key stays reachable by scrolling, by
// the keyboard and by search.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { addKey, createVault, keyRow, openBundleFile, unlock } from './app.mjs';
import { bundleEntry, webcryptoBundle } from './bundles.mjs';
import { eventually, expect } from './expect.mjs';
import { startBrowser, startHost } from './harness.mjs';

const BUNDLE_PASS = 'pebble orchard tram 1999';
const OPENAI = 200;
const ANTHROPIC = 100;
const ALL = OPENAI + ANTHROPIC;

let host;
let browser;
let dir;
before(async () => {
  host = await startHost();
  browser = await startBrowser();
  dir = mkdtempSync(join(tmpdir(), 'byok-keylist-'));
});
after(async () => {
  await browser?.close();
  await host?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const pad = (i) => String(i).padStart(3, '0');
const entry = (provider, label, secret) => bundleEntry(label, provider, secret, { is_default: false });

test('300 keys: first screen at once, the rest built on scrolling, End reaches the last key, search finds any', async () => {
  const keys = [];
  for (let i = 1; i <= ANTHROPIC; i++) keys.push(entry('anthropic', `Team Claude ${pad(i)}`, `sk-ant-api03-FAKEFAKEFAKEFAKEFAKEFAKE-list${pad(i)}-TEST`));
  for (let i = 1; i <= OPENAI; i++) keys.push(entry('openai', `Team OpenAI ${pad(i)}`, `sk-proj-FAKEFAKEFAKEFAKEFAKEFAKE-list${pad(i)}-TEST`));
  const path = join(dir, 'many.byok.json');
  writeFileSync(path, await webcryptoBundle(keys, BUNDLE_PASS));

  const page = await browser.newPage();
  await page.goto(host.url);
  await createVault(page);
  await page.getByRole('link', { name: 'Export & import' }).click();
  await openBundleFile(page, path, BUNDLE_PASS);
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: `Imported ${ALL} new keys` })).toBeVisible();

  // Unlocking afresh: the list opens at its top with only the first rows built.
  await page.goto(host.url);
  await unlock(page);
  await expect(page.getByText(`${ALL} keys`, { exact: true })).toBeVisible();
  await expect(keyRow(page, 'Team Claude 001')).toBeVisible();
  const rows = page.locator('li.key');
  const built = await rows.count();
  assert.ok(built > 0 && built < ALL, `expected a partial list at first, ${built} rows were built`);
  // The page already has room for every key, so the scroll bar shows the whole list.
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  assert.ok(height > ALL * 100, `page is ${height}px high for ${ALL} keys`);

  // A key added now shows at once, though its group (OpenAI) sorts below the built rows.
  await addKey(page, { secret: 'sk-proj-FAKEFAKEFAKEFAKEFAKEFAKE-listNEW-TEST', label: 'Added just now' });
  await expect(page.getByText(`${ALL + 1} keys`, { exact: true })).toBeVisible();
  await page.evaluate(() => scrollTo(0, 0));

  // Scrolling part way builds more rows, without building them all.
  await page.mouse.move(500, 500);
  await page.mouse.wheel(0, 8000);
  await eventually(async () => (await rows.count()) > built || `rows=${await rows.count()}`, 'more rows built after scrolling');
  assert.ok((await rows.count()) < ALL, 'scrolling a little built every row');

  // The End key goes to the bottom: the last key of the last group is there.
  await page.keyboard.press('End');
  await expect(rows).toHaveCount(ALL + 1);
  await expect(keyRow(page, 'Added just now')).toBeInViewport();
  await expect(keyRow(page, `Team OpenAI ${pad(OPENAI)}`)).toBeInViewport();

  // With every row built, a search hides the rows it leaves out and clearing it shows
  // them again: nothing is torn down, so an edit in progress in a hidden row is kept,
  // and a key on show in a row the search hides is masked again.
  const shown = page.locator('li.key:visible');
  const search = page.getByRole('searchbox', { name: 'Search keys by label or provider' });
  const first = keyRow(page, 'Team Claude 001');
  await first.getByRole('button', { name: 'Edit' }).click();
  await first.getByLabel('Label').fill('Half-typed new label');
  const revealed = keyRow(page, `Team OpenAI ${pad(OPENAI - 1)}`);
  await revealed.getByRole('button', { name: 'Reveal' }).click();
  await expect(revealed).toContainText(`list${pad(OPENAI - 1)}-TEST`);
  await search.fill(`OpenAI ${pad(OPENAI)}`);
  await expect(shown).toHaveCount(1);
  await expect(keyRow(page, `Team OpenAI ${pad(OPENAI)}`)).toBeVisible();
  await expect(page.getByText(`1 of ${ALL + 1} keys match`)).toBeVisible();
  assert.equal(await rows.count(), ALL + 1, 'the search tore rows down');
  // Hidden rows are out of the keyboard's way: Tab goes from the search box past the
  // buttons and "Needs attention" above the list straight into the one row shown.
  await search.focus();
  const rowOfFocus = () => page.evaluate(() => document.activeElement?.closest('li.key')?.getAttribute('aria-label') ?? null);
  let reached = null;
  for (let i = 0; i < 8 && reached === null; i++) {
    await page.keyboard.press('Tab');
    reached = await rowOfFocus();
  }
  assert.equal(reached, `Team OpenAI ${pad(OPENAI)}`);
  // The Anthropic group has no match: its heading goes too.
  await expect(page.getByRole('heading', { name: 'Anthropic' })).toHaveCount(0);
  await search.fill('');
  await expect(shown).toHaveCount(ALL + 1);
  await expect(page.getByRole('heading', { name: 'Anthropic' })).toBeVisible();
  assert.equal(await first.getByLabel('Label').inputValue(), 'Half-typed new label');
  await first.getByRole('button', { name: 'Cancel' }).click();
  await expect(revealed).not.toContainText(`list${pad(OPENAI - 1)}-TEST`);
  await expect(revealed.getByRole('button', { name: 'Reveal' })).toBeVisible();

  // Search reaches keys that were never built.
  await page.reload();
  await unlock(page);
  assert.ok((await rows.count()) < ALL);
  assert.equal(await keyRow(page, 'Added just now').count(), 0, 'a key added earlier is built at once after a reload');
  await page.getByRole('searchbox', { name: 'Search keys by label or provider' }).fill('OpenAI 199');
  await expect(shown).toHaveCount(1);
  await expect(keyRow(page, 'Team OpenAI 199')).toBeVisible();
  await expect(page.getByText(`1 of ${ALL + 1} keys match`)).toBeVisible();
  await page.getByRole('searchbox', { name: 'Search keys by label or provider' }).fill('');
  await expect(page.getByText(`${ALL + 1} keys`, { exact: true })).toBeVisible();

  // Tabbing through the rows walks down the list and keeps building ahead of the focus.
  await keyRow(page, 'Team Claude 001').getByRole('button').first().focus();
  for (let i = 0; i < 400; i++) await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => document.activeElement?.closest('li.key')?.getAttribute('aria-label') ?? null);
  assert.ok(focused, 'focus left the key list while rows were still to come');
  assert.ok(/^Team (Claude|OpenAI) \d{3}$/.test(focused), `focused ${focused}`);
  assert.deepEqual(browser.problems, []);
  await page.close();
});

test('the list in another order: by label, last use or expiry, kept after a reload', async () => {
  // Into the 300-key vault above, whose rows are built only as far as the reader goes
  // (the first screen shows Anthropic keys).
  const keys = [
    entry('anthropic', 'beta order', 'sk-ant-api03-FAKEFAKEFAKEFAKEFAKEFAKE-order1-TEST'),
    entry('anthropic', 'Alpha order', 'sk-ant-api03-FAKEFAKEFAKEFAKEFAKEFAKE-order2-TEST'),
    entry('anthropic', 'gamma order', 'sk-ant-api03-FAKEFAKEFAKEFAKEFAKEFAKE-order3-TEST'),
    entry('anthropic', 'Delta order', 'sk-ant-api03-FAKEFAKEFAKEFAKEFAKEFAKE-order4-TEST'),
    // The person's language orders labels: an accent by its letter, numbers by value.
    entry('anthropic', 'Échelle order', 'sk-ant-api03-FAKEFAKEFAKEFAKEFAKEFAKE-order5-TEST'),
    entry('anthropic', 'Alpha order 10', 'sk-ant-api03-FAKEFAKEFAKEFAKEFAKEFAKE-order6-TEST'),
    entry('anthropic', 'Alpha order 9', 'sk-ant-api03-FAKEFAKEFAKEFAKEFAKEFAKE-order7-TEST'),
  ];
  Object.assign(keys[0], { last_used_at: '2026-11-20T10:00:00Z' });
  Object.assign(keys[1], { expires_at: '2031-02-01T00:00:00Z' });
  Object.assign(keys[2], { last_used_at: '2026-11-25T10:00:00Z' });
  Object.assign(keys[3], { last_used_at: '2026-10-01T10:00:00Z', expires_at: '2031-01-10T00:00:00Z' });
  const path = join(dir, 'order.byok.json');
  writeFileSync(path, await webcryptoBundle(keys, BUNDLE_PASS));
  const page = await browser.newPage();
  await page.goto(host.url);
  await unlock(page);
  await page.getByRole('link', { name: 'Export & import' }).click();
  await openBundleFile(page, path, BUNDLE_PASS);
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Imported 7 new keys' })).toBeVisible();
  await page.getByRole('link', { name: 'Keys' }).click();

  const order = page.getByRole('combobox', { name: 'Order' });
  const claudeRows = page.getByRole('region', { name: 'Anthropic', exact: true }).locator('li.key');
  const firstClaude = async (n) => {
    const labels = await claudeRows.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
    return labels.slice(0, n);
  };
  const inOrder = (want) => eventually(async () => {
    const got = await firstClaude(want.length);
    return JSON.stringify(got) === JSON.stringify(want) || `rows: ${got.join(', ')}`;
  }, `first rows ${want.join(', ')}`);

  assert.equal(await order.inputValue(), 'added');
  await inOrder(['Team Claude 001', 'Team Claude 002']);
  await order.selectOption({ label: 'Last used' });
  // Never-used keys go after every used one.
  await inOrder(['gamma order', 'beta order', 'Delta order', 'Team Claude 001']);
  await order.selectOption({ label: 'Expiry date' });
  await inOrder(['Delta order', 'Alpha order', 'Team Claude 001']);
  await order.selectOption({ label: 'Label, A to Z' });
  // Case does not split the alphabet: "beta" comes before "Delta"; "Échelle" is among
  // the E's, and 9 comes before 10.
  const byLabel = ['Alpha order', 'Alpha order 9', 'Alpha order 10', 'beta order', 'Delta order', 'Échelle order', 'gamma order', 'Team Claude 001'];
  await inOrder(byLabel);

  // The choice stays: after a reload, and across the lock.
  await page.reload();
  await unlock(page);
  assert.equal(await order.inputValue(), 'name');
  await inOrder(byLabel.slice(0, 3));
  // The chat's key picker lists them the same way.
  await page.getByRole('link', { name: 'Chat' }).click();
  await page.getByLabel('Provider').selectOption({ label: 'Anthropic' });
  const picker = await page.getByLabel('Key', { exact: true }).locator('option').allTextContents();
  // (An option may say more after the label, "(last test failed)" say.)
  assert.deepEqual(picker.slice(0, byLabel.length).map((t, i) => t.startsWith(byLabel[i])), byLabel.map(() => true), picker.slice(0, byLabel.length).join(', '));
  await page.getByRole('link', { name: 'Keys' }).click();
  // A search keeps the order of what it leaves.
  await page.getByRole('searchbox', { name: 'Search keys by label or provider' }).fill('order');
  const shown = claudeRows.filter({ visible: true });
  await eventually(async () => {
    const got = await shown.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
    return JSON.stringify(got) === JSON.stringify(byLabel.slice(0, -1)) || got.join(', ');
  }, 'search results in label order');
  await page.getByRole('searchbox', { name: 'Search keys by label or provider' }).fill('');
  // By keyboard, like any list box: from "Label, A to Z" up to "Date added".
  await order.focus();
  await page.keyboard.press('ArrowUp');
  assert.equal(await order.inputValue(), 'added');
  await inOrder(['Team Claude 001', 'Team Claude 002']);

  // A row built for a search, far down the list, is not left on view out of sequence
  // once the search is cleared: the first rows show, then room for the rest.
  await page.reload();
  await unlock(page);
  const search = page.getByRole('searchbox', { name: 'Search keys by label or provider' });
  await search.fill('OpenAI 150');
  await expect(keyRow(page, 'Team OpenAI 150')).toBeVisible();
  await search.fill('');
  await expect(page.getByText(`${ALL + 8} keys`, { exact: true })).toBeVisible();
  await expect(keyRow(page, 'Team Claude 001')).toBeVisible();
  // Whatever of the OpenAI keys is on view is the start of them, with no gap.
  const openaiOnView = () => page.getByRole('region', { name: 'OpenAI', exact: true }).locator('li.key').evaluateAll(
    (els) => els.filter((e) => e.checkVisibility({ visibilityProperty: true })).map((e) => e.getAttribute('aria-label')));
  const onView = await openaiOnView();
  assert.deepEqual(onView, onView.map((_, i) => `Team OpenAI ${pad(i + 1)}`));
  assert.ok(onView.length < 150, `${onView.length} OpenAI rows on view`);
  // Further down, it is there in its place.
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press('End');
  await expect(keyRow(page, 'Team OpenAI 200')).toBeVisible();
  await keyRow(page, 'Team OpenAI 150').scrollIntoViewIfNeeded();
  const around = await openaiOnView();
  const at = around.indexOf('Team OpenAI 150');
  assert.deepEqual(around.slice(at - 1, at + 2), ['Team OpenAI 149', 'Team OpenAI 150', 'Team OpenAI 151']);
  assert.deepEqual(browser.problems, []);
  await page.close();
});
