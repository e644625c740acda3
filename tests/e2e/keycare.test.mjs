// Issue: key care. A key rotated because it expired is used again; an expiry date that
// has passed is pointed out as it is typed, and the row then shows one status; a budget
// on a key used with a model that has no price says it could not count those requests.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { addKey, keyRow, localDay, startVaultSession, stopVaultSession, unlock } from './app.mjs';
import { expect } from './expect.mjs';

const GEM_OLD = 'AIzaFAKEFAKEFAKEFAKEFAKEFAKE-careOld-ok-mock';
const GEM_ROTATED = 'AIzaFAKEFAKEFAKEFAKEFAKEFAKE-careNew-ok-mock';
const OPENAI_SIDE = 'sk-proj-FAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE-careSide-ok-mock';
const PASSED = 'This date has passed: the key will not be used for requests.';

const YESTERDAY = localDay(-1);
const IN_30_DAYS = localDay(30);

let session;
let mock;
let host;
let browser;
let page;

before(async () => {
  session = await startVaultSession();
  ({ mock, host, browser, page } = session);
});
after(() => stopVaultSession(session));

const nav = (name) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
const lastAnswer = () => page.getByRole('listitem', { name: 'Answer' }).last();
const badge = (row, name) => row.getByText(name, { exact: true });

/** A fresh conversation on `provider` (its default key), one message, waits for the answer. */
async function chat({ provider, model, text }) {
  await nav('Chat');
  await page.getByRole('button', { name: 'New conversation' }).click();
  await page.getByLabel('Provider').selectOption({ label: provider });
  if (model) await page.getByLabel('Model').fill(model);
  await page.getByRole('textbox', { name: 'Message', exact: true }).fill(text);
  await page.getByRole('textbox', { name: 'Message', exact: true }).press('Enter');
  await expect(page.getByRole('button', { name: 'Send' })).toBeVisible();
  await expect(lastAnswer().locator('.msg-footer')).toContainText(/ in \/ \d+ out tokens/);
}

describe('key care', () => {
  test('a past expiry is pointed out as it is typed, and an expired key rotated with no date is used again', async () => {
    await page.getByRole('button', { name: 'Add key' }).click();
    const form = page.getByRole('form', { name: 'Add a key' });
    const expires = form.getByLabel('Expires on (optional)');
    await expires.fill(YESTERDAY);
    // A warning, not a refusal: the key is saved with the date it was given.
    await expect(form.getByRole('status').filter({ hasText: PASSED })).toBeVisible();
    await expires.fill(IN_30_DAYS);
    await expect(form).not.toContainText(PASSED);
    await form.getByLabel('Secret').fill(GEM_OLD);
    await form.getByLabel('Provider').selectOption({ label: 'Gemini' });
    await form.getByLabel('Label').fill('Old');
    await form.getByText('Advanced').click();
    await form.getByLabel('Base URL').fill(mock.url);
    await expires.fill(YESTERDAY);
    await expect(form).toContainText(PASSED);
    await form.getByRole('button', { name: 'Save' }).click();
    await expect(form).toHaveCount(0);

    // One status on the row: Expired, not "Active" beside it.
    const row = keyRow(page, 'Old');
    await expect(badge(row, 'Expired')).toBeVisible();
    await expect(badge(row, 'Active')).toHaveCount(0);
    const reminders = page.getByRole('region', { name: 'Needs attention' });
    await expect(reminders).toContainText(`Gemini \u201cOld\u201d: Expired on ${YESTERDAY}`);
    // Switched off, it says so.
    await row.getByRole('button', { name: 'Deactivate' }).click();
    await expect(badge(row, 'Inactive')).toBeVisible();
    await row.getByRole('button', { name: 'Activate' }).click();
    await expect(badge(row, 'Inactive')).toHaveCount(0);
    await expect(badge(row, 'Active')).toHaveCount(0);

    // The Edit form warns about the date it opens with.
    await row.getByRole('button', { name: 'Edit' }).click();
    const edit = row.getByRole('form', { name: 'Edit key' });
    await expect(edit.getByRole('status').filter({ hasText: PASSED })).toBeVisible();
    await edit.getByLabel('Expires on (optional)').fill(IN_30_DAYS);
    await expect(edit).not.toContainText(PASSED);
    // A mistake is named inside the form, under its field, which takes the focus.
    await edit.getByLabel('Label').fill('  ');
    await edit.getByRole('button', { name: 'Save' }).click();
    await expect(edit.locator('p.error')).toContainText('Give the key a label');
    await expect(edit.getByLabel('Label')).toBeFocused();
    assert.equal(await edit.getByLabel('Label').getAttribute('aria-invalid'), 'true');
    // Read once: by the field's description as the focus lands, not also as an alert.
    assert.equal(await edit.getByLabel('Label').getAttribute('aria-describedby'), await edit.locator('p.error').getAttribute('id'));
    await expect(edit.getByRole('alert')).toHaveCount(0);
    await edit.getByRole('button', { name: 'Cancel' }).click();
    await expect(row).toContainText('Old');

    // Rotating: the new secret's expiry starts empty, and empty means none.
    await row.getByRole('button', { name: 'Rotate' }).click();
    const rotate = row.getByRole('form', { name: 'Rotate key' });
    await expect(rotate).toContainText("The new secret's expiry, if it has one");
    assert.equal(await rotate.getByLabel('Expires on (optional)').inputValue(), '');
    // The new secret is tried first: one the provider refuses leaves the old one in
    // place, says why under the field, and replaces it only when asked again.
    const refused = 'AIzaFAKEFAKEFAKEFAKEFAKEFAKE-careTypo-fail-401-mock';
    await rotate.getByLabel('New secret').fill(refused);
    await rotate.getByRole('button', { name: 'Save new secret' }).click();
    await expect(rotate.locator('p.error')).toContainText('Gemini did not accept the new secret');
    await expect(rotate.locator('p.error')).toContainText('The old secret is kept');
    await expect(rotate.getByLabel('New secret')).toBeFocused();
    await row.getByRole('button', { name: 'Reveal' }).click();
    await expect(row.getByLabel('Secret')).toContainText(GEM_OLD);
    await row.getByRole('button', { name: 'Hide' }).click();
    await expect(rotate.getByRole('button', { name: 'Save anyway' })).toBeVisible();
    // Enter again tests again: only "Save anyway", a button of its own, replaces it.
    const triedTypo = () => mock.requests.filter((r) => JSON.stringify(r).includes('careTypo')).length;
    const testsBefore = triedTypo();
    await rotate.getByLabel('New secret').press('Enter');
    await expect(rotate.getByRole('button', { name: 'Testing the new secret…' })).toHaveCount(0);
    await expect(rotate.locator('p.error')).toContainText('Gemini did not accept the new secret');
    assert.equal(triedTypo(), testsBefore + 1, 'tested again, once');
    await row.getByRole('button', { name: 'Reveal' }).click();
    await expect(row.getByLabel('Secret')).toContainText(GEM_OLD);
    await row.getByRole('button', { name: 'Hide' }).click();
    // Changing the paste starts again: it is tested like the first.
    await rotate.getByLabel('New secret').fill(GEM_ROTATED);
    await expect(rotate.locator('p.error')).toHaveCount(0);
    await rotate.getByRole('button', { name: 'Save new secret' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Key rotated: the new secret works' })).toBeVisible();
    await expect(row).toContainText('last tested');
    await expect(badge(row, 'Expired')).toHaveCount(0);
    await expect(badge(row, 'Active')).toBeVisible();
    await expect(reminders).not.toContainText('Expired on');

    // It is chosen for requests again, with its new secret.
    await chat({ provider: 'Gemini', text: 'hello again [[mock:deltas:2]]' });
    await expect(lastAnswer()).toContainText('Old \u00b7 ');
    assert.ok(mock.requests.some((r) => JSON.stringify(r).includes('careNew')), 'the new secret reached the provider');

    // Kept though the provider refused it ("Save anyway"): the key shows its failed
    // test, not "never tested".
    await nav('Keys');
    await row.getByRole('button', { name: 'Rotate' }).click();
    await rotate.getByLabel('New secret').fill('AIzaFAKEFAKEFAKEFAKEFAKEFAKE-careLast-fail-401-mock');
    await rotate.getByRole('button', { name: 'Save new secret' }).click();
    await expect(rotate.locator('p.error')).toContainText('did not accept the new secret');
    await rotate.getByRole('button', { name: 'Save anyway' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'though its provider refused the new secret' })).toBeVisible();
    await expect(badge(row, 'Test failed')).toBeVisible();
    assert.deepEqual(browser.problems, []);
  });

  test('a budget below 80% says how many requests went to models without a price', async () => {
    await nav('Keys');
    await addKey(page, { secret: OPENAI_SIDE, label: 'Side', provider: 'OpenAI', baseUrl: mock.url });
    await chat({ provider: 'OpenAI', model: 'some-new-model', text: 'hello [[mock:deltas:2]]' });
    await nav('Usage');
    await page.getByText('Monthly budgets', { exact: true }).click();
    const budget = page.getByLabel('Side (OpenAI)');
    await budget.fill('0.01');
    await budget.press('Enter');
    await expect(page.getByRole('status').filter({ hasText: 'Budget set to' })).toBeVisible();

    await nav('Keys');
    const row = keyRow(page, 'Side');
    await expect(row).toContainText('Budget $0.01 a month; an estimated $0.00 used so far this month; '
      + '1 request this month to a model without a price is not counted: add its price under Usage \u2192 Prices.');
    await chat({ provider: 'OpenAI', model: 'another-new-model', text: 'hello [[mock:deltas:2]]' });
    await nav('Keys');
    await expect(row).toContainText('; 2 requests this month to models without a price are not counted: add their price under Usage \u2192 Prices.');
    assert.deepEqual(browser.problems, []);
  });

  test('a key expires at the start of its date where the person is, not at midnight UTC', async () => {
    // A page of its own: its clock and time zone go with it.
    const page = await browser.newPage();
    await page.goto(host.url);
    const cdp = await page.context().newCDPSession(page);
    const at = async (timezoneId, iso) => {
      await cdp.send('Emulation.setTimezoneOverride', { timezoneId });
      await page.clock.setFixedTime(new Date(iso));
      await page.reload();
      await unlock(page);
    };
    // 23:55 on 15 June in UTC-12 ("Etc/GMT+12" counts the other way), in UTC already
    // 11:55 on 16 June: a key dated 16 June is due tomorrow, not expired.
    await at('Etc/GMT+12', '2030-06-16T11:55:00Z');
    await page.getByRole('button', { name: 'Add key' }).click();
    const form = page.getByRole('form', { name: 'Add a key' });
    const expires = form.getByLabel('Expires on (optional)');
    await expires.fill('2030-06-15');
    await expect(form.getByRole('status').filter({ hasText: PASSED })).toBeVisible();
    await expires.fill('2030-06-16');
    await expect(form).not.toContainText(PASSED);
    await form.getByLabel('Secret').fill('sk-proj-FAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE-careDated-ok-mock');
    await form.getByLabel('Provider').selectOption({ label: 'OpenAI' });
    await form.getByLabel('Label').fill('Dated');
    await form.getByText('Advanced').click();
    await form.getByLabel('Base URL').fill(mock.url);
    await form.getByRole('button', { name: 'Save' }).click();
    await expect(form).toHaveCount(0);
    const row = keyRow(page, 'Dated');
    await expect(badge(row, 'Active')).toBeVisible();
    await expect(badge(row, 'Expires soon')).toBeVisible();
    await expect(row).toContainText('expires 2030-06-16');
    const reminders = page.getByRole('region', { name: 'Needs attention' });
    await expect(reminders).toContainText('OpenAI \u201cDated\u201d: Expires tomorrow (2030-06-16)');
    // Ten minutes later it is 16 June there: the open page says so without a reload
    // (less than the 15 minutes after which the vault locks by itself).
    await page.clock.setFixedTime(new Date('2030-06-16T12:05:00Z'));
    await expect(badge(row, 'Expired')).toBeVisible();
    await expect(badge(row, 'Active')).toHaveCount(0);
    await expect(reminders).toContainText('OpenAI \u201cDated\u201d: Expired on 2030-06-16');

    // 08:00 on 16 June in Kiribati (UTC+14), in UTC still 18:00 on 15 June: expired.
    await at('Pacific/Kiritimati', '2030-06-15T18:00:00Z');
    await expect(badge(row, 'Expired')).toBeVisible();
    await expect(badge(row, 'Active')).toHaveCount(0);
    await expect(row).toContainText('expires 2030-06-16');
    await expect(reminders).toContainText('OpenAI \u201cDated\u201d: Expired on 2030-06-16');
    await cdp.detach();
    await page.close();
    assert.deepEqual(browser.problems, []);
  });
});
