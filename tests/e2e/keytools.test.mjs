// Issue: tools for a long key list. The search also finds a key by its notes and by the
// end of its secret as the row shows it (never by the hidden part); "Needs attention"
// is one line per key, folds away and follows the search; "Test all keys" tests every
// switched-on key in turn against the mock provider, shows how far it is, and stops.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { addKey, keyRow, localDay, startVaultSession, stopVaultSession } from './app.mjs';
import { eventually, expect } from './expect.mjs';

const YESTERDAY = localDay(-1);

// The mock passes any key without "-fail-"; the last four characters are what the rows show.
const KEYS = {
  claude: 'sk-ant-api03-FAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE-toolsClaude-Q8zz',
  billing: 'sk-proj-FAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE-toolsHidden-m7a1',
  broken: 'sk-proj-FAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE-fail-401-TEST-b2c3',
  silent: 'sk-proj-FAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE-fail-stall-TEST-s1s1',
  off: 'sk-proj-FAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE-toolsOff-TEST-0ff0',
  gemini: 'AIzaFAKEFAKEFAKEFAKEFAKEFAKEFAKE-toolsGem-TEST-g3g3',
  old: 'AIzaFAKEFAKEFAKEFAKEFAKEFAKEFAKE-toolsOld-TEST-o1d0',
  limited: 'sk-proj-FAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE-fail-429-TEST-l1m1',
};

let session;
let mock;
let host;
let browser;
let page;

before(async () => {
  session = await startVaultSession();
  ({ mock, host, browser, page } = session);
  await addKey(page, { secret: KEYS.claude, label: 'Claude', provider: 'Anthropic', baseUrl: mock.url });
  await addKey(page, { secret: KEYS.billing, label: 'Team', provider: 'OpenAI', baseUrl: mock.url, notes: 'Paid by the billing department' });
  await addKey(page, { secret: KEYS.broken, label: 'Broken', provider: 'OpenAI', baseUrl: mock.url });
  await addKey(page, { secret: KEYS.silent, label: 'Silent', provider: 'OpenAI', baseUrl: mock.url });
  await addKey(page, { secret: KEYS.off, label: 'Switched off', provider: 'OpenAI', baseUrl: mock.url });
  await keyRow(page, 'Switched off').getByRole('button', { name: 'Deactivate' }).click();
  await addKey(page, { secret: KEYS.gemini, label: 'Gemini', provider: 'Gemini', baseUrl: mock.url });
  await addKey(page, { secret: KEYS.old, label: 'Old', provider: 'Gemini', baseUrl: mock.url, expires: YESTERDAY });
});
after(() => stopVaultSession(session));

const search = () => page.getByRole('searchbox', { name: 'Search keys' });
const shownRows = () => page.locator('li.key:visible');
const attention = () => page.getByRole('region', { name: 'Needs attention' });
const lines = () => attention().locator('li > details > summary');

test('search finds a key by its notes and by the end of the secret the row shows, never by the hidden part', async () => {
  await search().fill('billing');
  await expect(shownRows()).toHaveCount(1);
  await expect(keyRow(page, 'Team')).toBeVisible();

  // As a provider's leaked-key notice would quote it, with or without the dots.
  await search().fill('\u2026m7a1');
  await expect(shownRows()).toHaveCount(1);
  await expect(keyRow(page, 'Team')).toBeVisible();
  await search().fill('M7A');
  await expect(shownRows()).toHaveCount(1);

  // The middle of the secret is not on screen, so the search cannot be used to guess it.
  await search().fill('toolsHidden');
  await expect(shownRows()).toHaveCount(0);
  await expect(page.getByText('No key matches your search.')).toBeVisible();
  await search().fill('');
  await expect(shownRows()).toHaveCount(7);
  // The field says what it searches.
  assert.match(await search().getAttribute('aria-label'), /notes, or the shown key ending/);
});

test('"Needs attention" has one line per key, opens to the advice, folds away and follows the search', async () => {
  // Six keys need care (the switched-off one does not): six short lines.
  await expect(lines()).toHaveCount(6);
  await expect(attention()).toContainText(`Gemini \u201cOld\u201d: Expired on ${YESTERDAY}`);
  await expect(attention()).toContainText('OpenAI \u201cTeam\u201d: Never tested');
  await expect(attention()).not.toContainText('it is no longer chosen for requests');
  // The most urgent first.
  assert.match(await lines().first().innerText(), /^Gemini \u201cOld\u201d/);

  // Each line opens to the full advice.
  await lines().filter({ hasText: '\u201cOld\u201d' }).click();
  await expect(attention()).toContainText('it is no longer chosen for requests. Rotate it');
  await lines().filter({ hasText: '\u201cOld\u201d' }).click();
  await expect(attention()).not.toContainText('it is no longer chosen for requests');

  // The search narrows it to the keys it finds.
  await search().fill('billing');
  await expect(lines()).toHaveCount(1);
  await expect(attention()).toContainText('OpenAI \u201cTeam\u201d: Never tested');
  await expect(attention()).not.toContainText('\u201cOld\u201d');
  await search().fill('Switched off');
  await expect(attention()).toHaveCount(0);
  await search().fill('');
  await expect(lines()).toHaveCount(6);

  // The whole box folds away, and opens again.
  const heading = attention().getByRole('heading', { name: 'Needs attention' });
  await heading.click();
  await expect(lines().first()).not.toBeVisible();
  await heading.click();
  await expect(lines().first()).toBeVisible();
});

test('"Test all keys" tests each switched-on key in turn, shows progress, can be stopped, and leaves each result on its row', async () => {
  const button = page.getByRole('button', { name: 'Test all keys' });
  const status = page.locator('.test-all').getByRole('status');
  await button.click();
  // Claude, Team and Broken answer at once; Silent never does.
  await expect(status).toContainText('Testing 4 of 6: \u201cSilent\u201d\u2026');
  // The key being tested says so on its row too, with its Test button held.
  await expect(keyRow(page, 'Silent').locator('.test-result')).toContainText('Testing the key\u2026');
  assert.equal(await keyRow(page, 'Silent').getByRole('button', { name: 'Test', exact: true }).isDisabled(), true);
  const stop = page.getByRole('button', { name: 'Stop testing' });
  await expect(stop).toBeFocused();
  await stop.click();
  await expect(status).toContainText('Stopped after testing 3 keys of 6: 2 passed, 1 failed.');
  await eventually(() => mock.requests.find((r) => r.headers.authorization?.includes('fail-stall'))?.closedEarly === true, 'the silent call was ended');
  await expect(button).toBeFocused();
  await expect(keyRow(page, 'Silent').locator('.test-result')).not.toContainText('Testing');

  // Each row as its own Test button would have left it.
  await expect(keyRow(page, 'Claude')).toContainText('Test passed');
  await expect(keyRow(page, 'Team')).toContainText('The key works');
  await expect(keyRow(page, 'Broken')).toContainText('Test failed');
  await expect(attention()).toContainText('OpenAI \u201cBroken\u201d: Its last test failed');
  // Stopped before these: never tested, as before.
  for (const label of ['Silent', 'Gemini']) {
    await expect(keyRow(page, label)).toContainText('Never tested');
    await expect(keyRow(page, label)).not.toContainText('last tested');
  }

  // Without the silent key, a run goes to the end; a switched-off key is left alone.
  await keyRow(page, 'Silent').getByRole('button', { name: 'Deactivate' }).click();
  await button.click();
  await expect(status).toContainText('Tested 5 keys: 4 passed, 1 failed.');
  await expect(keyRow(page, 'Gemini')).toContainText('Test passed');
  await expect(keyRow(page, 'Old')).toContainText('last tested today');
  await expect(keyRow(page, 'Switched off')).not.toContainText('last tested');
  await expect(keyRow(page, 'Silent')).not.toContainText('last tested');

  // A rate limit is not the key's fault: counted apart, as its row says.
  await addKey(page, { secret: KEYS.limited, label: 'Limited', provider: 'OpenAI', baseUrl: mock.url });
  // The last run's figures no longer add up to the list: its summary goes.
  await expect(page.locator('.test-all')).not.toContainText('Tested 5 keys');
  await button.click();
  await expect(status).toContainText('Tested 6 keys: 4 passed, 1 failed, 1 to try again later.');
  await expect(keyRow(page, 'Limited')).toContainText('Test: try again later');
  // One key tested again on its own row: the figures may no longer match the rows, so
  // the summary goes (it used to stay until the page was left).
  await keyRow(page, 'Broken').getByRole('button', { name: 'Test', exact: true }).click();
  await expect(page.locator('.test-all')).not.toContainText('Tested 6 keys');
  await expect(keyRow(page, 'Broken')).toContainText('Test failed');
  assert.deepEqual(browser.problems.filter((p) => !/status of 429/.test(p)), []);
});
