// Issue: usage, cost and key lifecycle. Real chats from real Chromium to the mock provider
// on 127.0.0.1, whose token counts are known: input = words in the request, output = the
// number of deltas asked for with [[mock:deltas:N]], cached = [[mock:cached:N]].
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { addKey, keyRow, localDay, startVaultSession, stopVaultSession, unlock } from './app.mjs';
import { expect } from './expect.mjs';
import { assertNotInStorage } from './harness.mjs';

const OPENAI_WORK = 'sk-proj-FAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE-usageWork-ok-mock';
const OPENAI_HOME = 'sk-proj-FAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE-usageHome-ok-mock';
const GEM_OLD = 'AIzaFAKEFAKEFAKEFAKEFAKEFAKE-usageGemOld-ok-mock';
const GEM_NEW = 'AIzaFAKEFAKEFAKEFAKEFAKEFAKE-usageGemNew-ok-mock';
const GEM_MAIN = 'AIzaFAKEFAKEFAKEFAKEFAKEFAKE-usageGemMain-ok-mock';
const GEM_SPARE = 'AIzaFAKEFAKEFAKEFAKEFAKEFAKE-usageGemSpare-ok-mock';
const MODEL = 'gpt-4o-mini';

const TODAY = localDay(0);
const YESTERDAY = localDay(-1);
const IN_5_DAYS = localDay(5);

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
const usageTable = () => page.getByRole('table', { name: 'Totals' });

/** A fresh conversation with `key` on `provider`, one message, waits for the answer. */
async function chat({ provider = 'OpenAI', keyLabel, model = MODEL, text }) {
  await nav('Chat');
  await page.getByRole('button', { name: 'New conversation' }).click();
  await page.getByLabel('Provider').selectOption({ label: provider });
  if (keyLabel) await page.getByLabel('Key', { exact: true }).selectOption({ label: keyLabel });
  if (provider === 'OpenAI') await page.getByLabel('Model').fill(model);
  await page.getByRole('textbox', { name: 'Message', exact: true }).fill(text);
  await page.getByRole('textbox', { name: 'Message', exact: true }).press('Enter');
  await expect(page.getByRole('button', { name: 'Send' })).toBeVisible();
  await expect(lastAnswer().locator('.msg-footer')).toContainText(/ in \/ \d+ out tokens/);
}

/** The usage table as { rowName: [requests, input, output, cached, cost] }. */
async function tableRows() {
  return usageTable().evaluate((t) => Object.fromEntries([...t.querySelectorAll('tbody tr, tfoot tr')].map((tr) => {
    const cells = [...tr.children].map((c) => c.textContent.trim());
    return [cells[0], cells.slice(1)];
  })));
}

describe('usage', () => {
  test('chats on two keys show exactly their tokens and costs in the table, the chart and the CSV', async () => {
    await addKey(page, { secret: OPENAI_WORK, label: 'Work', provider: 'OpenAI', baseUrl: mock.url });
    await addKey(page, { secret: OPENAI_HOME, label: 'Home', provider: 'OpenAI', baseUrl: mock.url });

    // 4 words in, 7 out, 2 of the input cached.
    await chat({ keyLabel: 'Work', text: 'alpha beta [[mock:deltas:7]] [[mock:cached:2]]' });
    await expect(lastAnswer()).toContainText('Work · gpt-4o-mini · 4 in / 7 out tokens, 2 cached');
    // 3 in, 5 out.
    await chat({ keyLabel: 'Work', text: 'one two [[mock:deltas:5]]' });
    await expect(lastAnswer()).toContainText('3 in / 5 out tokens');
    // 5 in, 11 out, on the other key.
    await chat({ keyLabel: 'Home', text: 'x y z w [[mock:deltas:11]]' });
    await expect(lastAnswer()).toContainText('Home · gpt-4o-mini · 5 in / 11 out tokens');

    await nav('Usage');
    await page.getByRole('button', { name: '7 days' }).click();
    await expect(usageTable()).toBeVisible();
    // The shipped list prices gpt-4o-mini, but at these token counts that is a fraction of
    // a cent; the person's own price wins and makes the arithmetic visible.
    await page.getByText('Prices', { exact: true }).click();
    const form = page.getByRole('form', { name: 'Add or change a price' });
    // Sent empty: the first field to fill, the model, is asked for and takes the focus.
    await form.getByRole('button', { name: 'Save price' }).click();
    await expect(form.locator('#price-model-error')).toContainText('Give the model');
    await expect(form.getByLabel('Model')).toBeFocused();
    assert.equal(await form.getByLabel('Model').getAttribute('aria-invalid'), 'true');
    await form.getByLabel('Provider').selectOption({ label: 'OpenAI' });
    await form.getByLabel('Model').fill(MODEL);
    await form.getByRole('button', { name: 'Save price' }).click();
    await expect(form.locator('#price-input-error')).toContainText('Give the input price');
    await expect(form.getByLabel('Input $')).toBeFocused();
    // Only the field to mend is marked and described.
    assert.equal(await form.getByLabel('Input $').getAttribute('aria-invalid'), 'true');
    assert.equal(await form.getByLabel('Output $').getAttribute('aria-invalid'), null);
    assert.equal(await form.getByLabel('Model').getAttribute('aria-invalid'), null);
    // A decimal comma (or a thousands one: no telling) is asked for with a dot.
    await form.getByLabel('Input $').fill('1,5');
    await form.getByLabel('Input $').press('Enter');
    await expect(form.locator('#price-input-error')).toContainText('Write the input price with a dot for cents and no commas, as in 2.50.');
    // Input and cached swapped by mistake: cache reads never cost more than input.
    await form.getByLabel('Input $').fill('1000');
    await form.getByLabel('Output $').fill('20000');
    await form.getByLabel('Cached $ (optional)').fill('10000');
    await form.getByRole('button', { name: 'Save price' }).click();
    await expect(form.locator('#price-cached-error')).toContainText('The cached price is above the input price');
    await expect(form.getByLabel('Cached $ (optional)')).toBeFocused();
    await expect(page.getByRole('table', { name: 'Your prices' })).toHaveCount(0);
    await form.getByLabel('Input $').fill('10000');
    await form.getByLabel('Cached $ (optional)').fill('1000');
    // The provider left at another maker: that API never serves this model, so the
    // price would never apply. Said under Provider, which takes the focus.
    await form.getByLabel('Provider').selectOption({ label: 'Anthropic' });
    await form.getByRole('button', { name: 'Save price' }).click();
    await expect(form.locator('#price-provider-error')).toContainText('\u201cgpt-4o-mini\u201d is an OpenAI model, but Provider says Anthropic. Choose OpenAI, or OpenAI-compatible');
    await expect(form.getByLabel('Provider')).toBeFocused();
    assert.equal(await form.getByLabel('Provider').getAttribute('aria-invalid'), 'true');
    await expect(page.getByRole('table', { name: 'Your prices' })).toHaveCount(0);
    await form.getByLabel('Provider').selectOption({ label: 'OpenAI' });
    await expect(form.locator('#price-provider-error')).toHaveCount(0);
    await form.getByRole('button', { name: 'Save price' }).click();
    await expect(page.getByRole('table', { name: 'Your prices' })).toContainText('gpt-4o-mini');
    // Written as prices are: with cents.
    await expect(page.getByRole('table', { name: 'Your prices' })).toContainText('$10,000.00');

    // Work: (7-2)*10000 + 2*1000 + 12*20000 = 292,000 per million = $0.292.
    // Home: 5*10000 + 11*20000 = 270,000 per million = $0.27.
    assert.deepEqual(await tableRows(), {
      'Work (OpenAI)': ['2', '7', '12', '2', '$0.29'],
      'Home (OpenAI)': ['1', '5', '11', '0', '$0.27'],
      Total: ['3', '12', '23', '2', '$0.56'],
    });
    await page.getByLabel('Group by').selectOption({ label: 'Model' });
    assert.deepEqual(await tableRows(), {
      'gpt-4o-mini (OpenAI)': ['3', '12', '23', '2', '$0.56'],
      Total: ['3', '12', '23', '2', '$0.56'],
    });
    await page.getByLabel('Group by').selectOption({ label: 'Day' });
    assert.deepEqual(Object.keys(await tableRows()), [TODAY, 'Total']);
    await expect(page.getByRole('definition').filter({ hasText: '$0.56' })).toHaveCount(1);

    // Chart: 7 day slots; today's bar stacks Work (7+12 tokens) under Home (5+11).
    const bars = await page.locator('svg rect.bar').evaluateAll((rs) => rs.map((r) => ({
      day: r.dataset.day, key: r.dataset.key, value: Number(r.dataset.value),
      y: Number(r.getAttribute('y')), height: Number(r.getAttribute('height')),
    })));
    assert.equal(bars.length, 2);
    assert.deepEqual(bars.map((b) => [b.day, b.key, b.value]), [[TODAY, 'Work', 19], [TODAY, 'Home', 16]]);
    assert.ok(Math.abs(bars[0].height / bars[1].height - 19 / 16) < 0.01, 'bar heights follow the tokens');
    assert.ok(Math.abs(bars[0].height + bars[1].height - 200) < 0.1, 'the busiest day fills the chart');
    assert.ok(Math.abs(bars[1].y + bars[1].height - bars[0].y) < 0.01, 'Home sits on top of Work');
    assert.match(await page.locator('svg desc').textContent(), /the highest day is 35 tokens/);
    // The scale's top is named above the chart, not among the dates below it.
    const scale = page.locator('.chart-max');
    await expect(scale).toContainText('Highest day: 35 tokens');
    const [top, chartBox] = [await scale.boundingBox(), await page.locator('.chart > svg').boundingBox()];
    assert.ok(top.y + top.height <= chartBox.y + 1, 'the highest day sits above the bars');
    await expect(page.locator('.chart-axis')).not.toContainText('35');
    await page.getByRole('button', { name: 'Cost' }).click();
    const costBars = await page.locator('svg rect.bar').evaluateAll((rs) => rs.map((r) => Number(r.dataset.value)));
    assert.ok(Math.abs(costBars[0] - 0.292) < 1e-9 && Math.abs(costBars[1] - 0.27) < 1e-9, `${costBars}`);

    // The CSV holds the same numbers, with full precision.
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download CSV' }).click();
    const d = await download;
    assert.equal(d.suggestedFilename(), `byok-usage-${TODAY}.csv`);
    const csv = readFileSync(await d.path(), 'utf8');
    assert.equal(csv, [
      'date,provider,key,model,requests,input_tokens,output_tokens,cached_tokens,estimated_cost_usd',
      `${TODAY},openai,Work,gpt-4o-mini,2,7,12,2,0.292000`,
      `${TODAY},openai,Home,gpt-4o-mini,1,5,11,0,0.270000`,
      '',
    ].join('\r\n'));

    // A model with no price shows its tokens and "price unknown", never a number.
    await page.getByRole('button', { name: 'Remove the price for gpt-4o-mini' }).click();
    await expect(page.getByRole('table', { name: 'Your prices' })).toHaveCount(0);
    // The last one gone, the focus waits in the form rather than on the page.
    await expect(page.getByRole('form', { name: 'Add or change a price' }).getByLabel('Model')).toBeFocused();
    await chat({ keyLabel: 'Home', model: 'some-new-model', text: 'hello [[mock:deltas:2]]' });
    await expect(lastAnswer()).toContainText('some-new-model · 2 in / 2 out tokens');
    await nav('Usage');
    await page.getByLabel('Group by').selectOption({ label: 'Model' });
    const rows = await tableRows();
    assert.deepEqual(rows['some-new-model (OpenAI)'], ['1', '2', '2', '0', 'price unknown']);
    // gpt-4o-mini is now priced from the shipped list: a few millionths of a dollar.
    assert.equal(rows.Total[4], '<$0.0001 + price unknown');
    // On a phone each row is a card: the cost is in sight without scrolling sideways,
    // each figure named, and the table is still a table to a screen reader.
    const size = page.viewportSize();
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      const total = usageTable().getByRole('row', { name: /^Total/ });
      const cost = total.getByRole('cell', { name: '<$0.0001 + price unknown' });
      // Its right edge within the phone's width, without scrolling the table.
      assert.ok(await cost.evaluate((c) => c.getBoundingClientRect().right <= innerWidth), 'the cost is cut off');
      assert.equal(await usageTable().evaluate((t) => t.parentElement.scrollWidth <= t.parentElement.clientWidth), true, 'no sideways scrolling');
      assert.match(await cost.evaluate((c) => getComputedStyle(c, '::before').content), /^"Estimated cost"/);
    } finally {
      await page.setViewportSize(size);
    }

    // Usage lives inside the encrypted vault only.
    await assertNotInStorage(page, ['gpt-4o-mini', 'some-new-model', 'Work', '"requests"'], assert);
    assert.deepEqual(browser.problems, []);
  });

  test('a monthly budget warns on the key and in the chat at 80% and when passed', async () => {
    await nav('Usage');
    await page.getByText('Prices', { exact: true }).click();
    const form = page.getByRole('form', { name: 'Add or change a price' });
    await form.getByLabel('Model').fill(MODEL);
    await form.getByLabel('Input $').fill('10000');
    await form.getByLabel('Output $').fill('20000');
    await form.getByLabel('Cached $ (optional)').fill('1000');
    await form.getByRole('button', { name: 'Save price' }).click();
    await page.getByText('Monthly budgets', { exact: true }).click();
    const budget = page.getByLabel('Work (OpenAI)');
    await budget.fill('abc');
    await budget.press('Enter');
    // Said under the field it is about, and gone once the field changes.
    const budgetRow = page.getByRole('listitem').filter({ has: budget });
    await expect(budgetRow.getByRole('alert')).toContainText('A budget is a number of dollars');
    assert.equal(await budget.getAttribute('aria-invalid'), 'true');
    await budget.fill('7,50');
    await budget.press('Enter');
    await expect(budgetRow.getByRole('alert')).toContainText('Write the budget with a dot for cents and no commas');
    // Less than a cent a month is no budget anyone means (a slip for 0.01): refused.
    await budget.fill('0.001');
    await budget.press('Enter');
    await expect(budgetRow.getByRole('alert')).toContainText('A monthly budget must be at least $0.01.');
    // $0.292 of $0.35 is 83%.
    await budget.fill('0.35');
    await budget.press('Enter');
    // Saved where it was typed: the field keeps the focus and the value.
    await expect(page.getByRole('status').filter({ hasText: 'Budget set to $0.35 a month.' })).toBeVisible();
    await expect(budget).toBeFocused();
    await expect(page.getByRole('alert')).toHaveCount(0);
    // Where it stands shows beside it.
    await expect(budgetRow).toContainText('This month so far: an estimated $0.29 (83% of $0.35).');

    await nav('Keys');
    const work = keyRow(page, 'Work');
    await expect(work).toContainText('Budget 80%');
    await expect(work).toContainText('\u201cWork\u201d has used an estimated 83% of its $0.35 monthly budget ($0.29 so far).');
    await expect(keyRow(page, 'Home')).not.toContainText('budget');

    await nav('Chat');
    await page.getByRole('button', { name: 'New conversation' }).click();
    await page.getByLabel('Key', { exact: true }).selectOption({ label: 'Work' });
    const notices = page.getByRole('status', { name: 'Key notices' });
    await expect(notices).toContainText('has used an estimated 83% of its $0.35 monthly budget');
    // 3 in and 5 out at these prices: $0.13 more, past the budget.
    await chat({ keyLabel: 'Work', text: 'more please [[mock:deltas:5]]' });
    await expect(notices).toContainText('\u201cWork\u201d is over its $0.35 monthly budget: an estimated $0.42 this month.');
    await nav('Keys');
    await expect(keyRow(page, 'Work')).toContainText('Over budget');
    // And it is among what needs attention, with what to do.
    const attention = page.getByRole('region', { name: 'Needs attention' });
    await expect(attention).toContainText('\u201cWork\u201d: Over its monthly budget');
  });

  test('an expired key is skipped by key resolution with the reason shown, and reminders list what needs care', async () => {
    await addKey(page, { secret: GEM_OLD, label: 'Gem old', provider: 'Gemini', baseUrl: mock.url, expires: YESTERDAY });
    await addKey(page, { secret: GEM_NEW, label: 'Gem new', provider: 'Gemini', baseUrl: mock.url, expires: IN_5_DAYS });
    const reminders = page.getByRole('region', { name: 'Needs attention' });
    await expect(reminders).toContainText(`Gemini \u201cGem old\u201d: Expired on ${YESTERDAY}`);
    await expect(reminders).toContainText(`Gemini \u201cGem new\u201d: Expires in 5 days (${IN_5_DAYS})`);
    // Never tested, but its provider has answered chats with it: nothing to ask.
    await expect(reminders).toContainText('Gemini \u201cGem new\u201d');
    await expect(reminders).not.toContainText('\u201cHome\u201d');
    await expect(keyRow(page, 'Home')).not.toContainText('Never tested');
    // The line opens to what to do about it.
    await reminders.getByText('\u201cGem old\u201d').click();
    await expect(reminders).toContainText(`Expired on ${YESTERDAY}: it is no longer chosen for requests.`);
    await expect(keyRow(page, 'Gem old')).toContainText('Expired');
    await expect(keyRow(page, 'Gem new')).toContainText('Expires soon');
    await expect(keyRow(page, 'Work')).toContainText(/last used today/);

    await nav('Chat');
    await page.getByRole('button', { name: 'New conversation' }).click();
    await page.getByLabel('Provider').selectOption({ label: 'Gemini' });
    const notices = page.getByRole('status', { name: 'Key notices' });
    await expect(notices).toContainText(`Your key \u201cGem old\u201d expired on ${YESTERDAY} and is skipped, so \u201cGem new\u201d is used instead.`);
    await page.getByRole('textbox', { name: 'Message', exact: true }).fill('hi [[mock:deltas:2]]');
    await page.getByRole('textbox', { name: 'Message', exact: true }).press('Enter');
    await expect(lastAnswer()).toContainText('Gem new · ');

    // With the other key switched off, nothing answers and the reason is the expiry.
    await nav('Keys');
    await keyRow(page, 'Gem new').getByRole('button', { name: 'Deactivate' }).click();
    await nav('Chat');
    await page.getByRole('button', { name: 'New conversation' }).click();
    await page.getByLabel('Provider').selectOption({ label: 'Gemini' });
    await expect(notices).toContainText(`Your key \u201cGem old\u201d expired on ${YESTERDAY} and is skipped.`);
    await page.getByRole('textbox', { name: 'Message', exact: true }).fill('again');
    await page.getByRole('textbox', { name: 'Message', exact: true }).press('Enter');
    await expect(page.getByRole('alert')).toContainText(`Your Gemini key "Gem old" expired on ${YESTERDAY}`);
  });

  test('clearing the usage history asks first, then empties the view and the key totals', async () => {
    await nav('Usage');
    await page.getByRole('button', { name: 'Clear usage history' }).click();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect(usageTable()).toBeVisible();
    // Escape takes the question back, and the focus returns to the button that asked.
    await page.getByRole('button', { name: 'Clear usage history' }).click();
    await expect(page.getByRole('button', { name: 'Cancel' })).toBeFocused();
    await page.keyboard.press('Escape');
    await expect(page.getByRole('button', { name: 'Yes, clear usage' })).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Clear usage history' })).toBeFocused();
    await page.getByRole('button', { name: 'Clear usage history' }).click();
    await page.getByRole('button', { name: 'Yes, clear usage' }).click();
    await expect(page.getByText('No answers recorded in the last 30 days')).toBeVisible();
    await page.getByRole('button', { name: 'All' }).click();
    await expect(page.getByText('No answers recorded yet')).toBeVisible();
    // Budgets stay, and with no spending left no warning does.
    await nav('Keys');
    await expect(keyRow(page, 'Work')).not.toContainText('Over budget');
    await expect(page.getByText('Over its monthly budget')).toHaveCount(0);
    await expect(keyRow(page, 'Work')).toContainText('Budget $0.35 a month; an estimated $0.00 used so far this month.');
  });

  test('a deleted key\'s usage keeps its name, and a key keeps its colour in every range', async () => {
    await addKey(page, { secret: GEM_MAIN, label: 'Gemini main', provider: 'Gemini', baseUrl: mock.url });
    await addKey(page, { secret: GEM_SPARE, label: 'Gemini spare', provider: 'Gemini', baseUrl: mock.url });
    // "Gemini main" answered ten days ago only, "Gemini spare" today: the last 7 days
    // show "Gemini spare" alone, the last 30 both.
    await page.clock.install({ time: new Date(Date.now() - 10 * 86_400_000) });
    await page.reload();
    await unlock(page);
    await chat({ provider: 'Gemini', keyLabel: 'Gemini main', text: 'back then [[mock:deltas:3]]' });
    await page.clock.setSystemTime(new Date());
    await page.reload();
    await unlock(page);
    await chat({ provider: 'Gemini', keyLabel: 'Gemini spare', text: 'now [[mock:deltas:4]]' });

    await nav('Usage');
    const fill = async (label) => {
      const bar = page.locator(`svg rect.bar[data-key="${label}"]`);
      await expect(bar).toHaveCount(1);
      return bar.getAttribute('fill');
    };
    await page.getByRole('button', { name: '7 days' }).click();
    await expect(page.locator('svg rect.bar')).toHaveCount(1);
    const week = await fill('Gemini spare');
    await page.getByRole('button', { name: '30 days' }).click();
    await expect(page.locator('svg rect.bar')).toHaveCount(2);
    assert.equal(await fill('Gemini spare'), week, 'the key changed colour between the 7-day and 30-day views');
    assert.notEqual(await fill('Gemini main'), week);

    await nav('Keys');
    for (const label of ['Gemini main', 'Gemini spare']) {
      await keyRow(page, label).getByRole('button', { name: 'Delete' }).click();
      await keyRow(page, label).getByRole('button', { name: 'Yes, delete' }).click();
      await expect(keyRow(page, label)).toHaveCount(0);
    }
    await nav('Usage');
    assert.deepEqual(Object.keys(await tableRows()), ['Gemini main (Gemini, deleted)', 'Gemini spare (Gemini, deleted)', 'Total']);
    await expect(page.getByRole('list', { name: 'Keys' })).toContainText('Gemini spare (Gemini, deleted)');
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download CSV' }).click();
    const csv = readFileSync(await (await download).path(), 'utf8');
    assert.match(csv, /,gemini,Gemini main \(deleted\),/);
    assert.match(csv, /,gemini,Gemini spare \(deleted\),/);
    assert.deepEqual(browser.problems, []);
  });

  test('an answer cut off by a lock still counts the tokens the provider reported', async () => {
    await nav('Keys');
    await addKey(page, { secret: 'AIzaFAKEFAKEFAKEFAKEFAKEFAKE-usageGemCut-ok-mock', label: 'Gem cut', provider: 'Gemini', baseUrl: mock.url });
    await nav('Chat');
    await page.getByRole('button', { name: 'New conversation' }).click();
    await page.getByLabel('Provider').selectOption({ label: 'Gemini' });
    await page.getByLabel('Key', { exact: true }).selectOption({ label: 'Gem cut' });
    // Gemini reports usage with every chunk: 4 words in, 1 delta out before the silence.
    await page.getByRole('textbox', { name: 'Message', exact: true }).fill('one two three [[mock:stall]]');
    await page.getByRole('textbox', { name: 'Message', exact: true }).press('Enter');
    await expect(lastAnswer().locator('.md')).toContainText(/\S/);
    await expect(page.getByRole('button', { name: 'Stop', exact: true })).toBeVisible();
    await page.getByRole('button', { name: 'Lock', exact: true }).click();
    await unlock(page);
    await nav('Usage');
    await page.getByRole('button', { name: '7 days' }).click();
    await expect(usageTable()).toContainText('Gem cut (Gemini)');
    assert.deepEqual((await tableRows())['Gem cut (Gemini)'].slice(0, 4), ['1', '4', '1', '0']);
    assert.deepEqual(browser.problems.filter((p) => !/ERR_INCOMPLETE_CHUNKED_ENCODING|ERR_ABORTED/.test(p)), []);
  });
});
