// Issue: talking to providers. Real HTTP from real Chromium to the mock provider on
// 127.0.0.1 (allowed by byok-host's --connect-src), for all four provider kinds.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { startMockProvider } from '../mock-provider/server.mjs';
import { PASS, addKey, createVault, keyRow, unlock } from './app.mjs';
import { eventually, expect } from './expect.mjs';
import { DIST, ROOT, dumpStorage, startBrowser, startHost } from './harness.mjs';

const PREFIX = {
  anthropic: 'sk-ant-api03-FAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE',
  openai: 'sk-proj-FAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE',
  gemini: 'AIzaFAKEFAKEFAKEFAKEFAKEFAKEFAKE',
  'openai-compatible': 'sk-or-v1-FAKEFAKEFAKEFAKEFAKEFAKEFAKE',
};
const NAMES = { anthropic: 'Anthropic', openai: 'OpenAI', gemini: 'Gemini', 'openai-compatible': 'OpenAI-compatible' };
const key = (p, tag) => `${PREFIX[p]}-${tag}-mock`;

let mock;
let host;
let browser;
let page;
const base = (p) => (p === 'openai-compatible' ? `${mock.url}/compat/v1` : mock.url);

before(async () => {
  mock = await startMockProvider();
  host = await startHost({ connectSrc: [mock.url] });
  browser = await startBrowser();
  page = await browser.newPage();
  await page.goto(host.url);
  await createVault(page);
});
after(async () => {
  await browser?.close();
  await host?.stop();
  await mock?.stop();
});

async function sendMessage(text, p = page) {
  // One answer at a time: Send comes back when the previous answer has finished.
  await expect(p.getByRole('button', { name: 'Send' })).toBeVisible();
  await p.getByRole('textbox', { name: 'Message', exact: true }).fill(text);
  await p.getByRole('textbox', { name: 'Message', exact: true }).press('Enter');
}
/** Waits until the message box of page `p` holds exactly `text`. */
function boxSays(text, p = page) {
  const box = p.getByRole('textbox', { name: 'Message', exact: true });
  return eventually(async () => {
    const now = await box.inputValue();
    return now === text || `the message box says "${now}"`;
  }, `the message box says "${text}"`);
}
/** The browser's own reports of failures a test provoked on purpose; anything else fails. */
function allowOnly(patterns) {
  const unexpected = browser.problems.filter((m) => !patterns.some((re) => re.test(m)));
  assert.deepEqual(unexpected, []);
  browser.problems.length = 0;
}
const lastAnswer = (p = page) => p.getByRole('listitem', { name: 'Answer' }).last();

describe('providers', () => {
  test('key tests: success for each provider kind, and each failure class explained', async () => {
    for (const p of Object.keys(PREFIX)) {
      await addKey(page, { secret: key(p, 'ok'), label: `${NAMES[p]} good`, provider: NAMES[p], baseUrl: base(p) });
      const row = keyRow(page, `${NAMES[p]} good`);
      await row.getByRole('button', { name: 'Test' }).click();
      await expect(row).toContainText(/The key works: \d+ models? available/);
      await expect(row).toContainText('Test passed');
    }
    const failures = [
      ['fail-401', /key was refused/i],
      ['fail-403', /permission|scope|restrictions|forbid/i],
      ['fail-429', /rate limit|too many/i],
      ['fail-quota', /credit|quota|billing/i],
      ['fail-500', /provider.*(down|problem|error)|server error|try again/i],
      ['fail-nocors', /could not reach .*127\.0\.0\.1|CORS/i],
    ];
    const TRANSIENT = new Set(['fail-429', 'fail-500']);
    for (const p of Object.keys(PREFIX)) {
      for (const [tag, want] of failures) {
        const label = `${NAMES[p]} ${tag}`;
        await addKey(page, { secret: key(p, tag), label, provider: NAMES[p], baseUrl: base(p) });
        const row = keyRow(page, label);
        await row.getByRole('button', { name: 'Test' }).click();
        await expect(row).toContainText(want);
        const attention = page.getByRole('region', { name: 'Needs attention' });
        if (TRANSIENT.has(tag)) {
          // A rate limit or an outage says nothing to fix about the key: no "Test
          // failed", nothing under "Needs attention", and no "Try again in 7 seconds"
          // kept to be read days later.
          await expect(row).toContainText('Test: try again later');
          await expect(row).not.toContainText('Test failed');
          await expect(row).not.toContainText('Try again in');
          await expect(attention.getByText(label)).toHaveCount(0);
          await row.getByRole('button', { name: 'Delete' }).click();
          await row.getByRole('button', { name: 'Yes, delete' }).click();
          await expect(row).toHaveCount(0);
          continue;
        }
        await expect(row).toContainText('Test failed');
        // While it is on, a key whose test failed is listed under "Needs attention".
        await expect(attention).toContainText(`${NAMES[p]} \u201c${label}\u201d: Its last test failed`);
        // The failing keys stay, switched off, so the good key keeps answering.
        await row.getByRole('button', { name: 'Deactivate' }).click();
        await expect(row).toContainText('Inactive');
        await expect(attention).not.toContainText(label);
      }
    }
    // A base URL the page's connect policy does not allow: named, with the fix.
    await addKey(page, { secret: key('openai', 'blocked'), label: 'OpenAI elsewhere', provider: 'OpenAI', baseUrl: 'http://127.0.0.1:9' });
    await keyRow(page, 'OpenAI elsewhere').getByRole('button', { name: 'Test' }).click();
    await expect(keyRow(page, 'OpenAI elsewhere')).toContainText('connect policy does not allow http://127.0.0.1:9');
    // A provider that sends its headers and then nothing: the test gives up after 30 s,
    // says so, ends the call, and the button works again.
    await addKey(page, { secret: key('openai', 'fail-stall'), label: 'OpenAI silent', provider: 'OpenAI', baseUrl: base('openai') });
    const silent = keyRow(page, 'OpenAI silent');
    await silent.getByRole('button', { name: 'Test' }).click();
    await expect(silent).toContainText('Testing the key');
    await expect(silent).toContainText('The provider did not answer within 30 seconds', { timeout: 45_000 });
    await expect(silent).toContainText('Test: try again later');
    await eventually(() => mock.requests.find((r) => r.headers.authorization?.includes('fail-stall'))?.closedEarly, 'the silent call was closed');
    assert.equal(await silent.getByRole('button', { name: 'Test' }).isEnabled(), true);
    await silent.getByRole('button', { name: 'Delete' }).click();
    await silent.getByRole('button', { name: 'Yes, delete' }).click();
    // Browser calls carry Anthropic's direct-access header; keys never ride in URLs.
    const ant = mock.requests.find((r) => r.path.startsWith('/v1/models') && r.headers['x-api-key']);
    assert.equal(ant.headers['anthropic-dangerous-direct-browser-access'], 'true');
    for (const r of mock.requests) assert.ok(!/FAKEFAKE/.test(r.path), `key in URL: ${r.path}`);
    const row = keyRow(page, 'OpenAI elsewhere');
    await row.getByRole('button', { name: 'Delete' }).click();
    await row.getByRole('button', { name: 'Yes, delete' }).click();
    // The failures above are the browser's own reports of refused requests: expected
    // here, and nothing else is allowed.
    const expected = [
      /^console: Failed to load resource: the server responded with a status of (400|401|403|429|500|503|529)/,
      /^console: Access to fetch at '.*' from origin '.*' has been blocked by CORS policy/,
      /^console: Failed to load resource: net::ERR_FAILED$/,
      /^console: Fetch API cannot load http:\/\/127\.0\.0\.1:9\/v1\/models\. Refused to connect because it violates the document's Content Security Policy\.$/,
      /^console: CSP violation: connect-src http:\/\/127\.0\.0\.1:9/,
      /^console: Connecting to 'http:\/\/127\.0\.0\.1:9\/v1\/models' violates the following Content Security Policy/,
    ];
    const unexpected = browser.problems.filter((m) => !expected.some((re) => re.test(m)));
    assert.deepEqual(unexpected, []);
    browser.problems.length = 0;
  });

  test('streamed chat with each provider kind, usage shown', async () => {
    await page.getByRole('link', { name: 'Chat' }).click();
    for (const p of Object.keys(PREFIX)) {
      await page.getByLabel('Provider').selectOption({ label: NAMES[p] });
      await sendMessage(`hello from the ${p} test`);
      await expect(lastAnswer()).toContainText(`Mock ${p} reply to: hello from the ${p} test`);
      await expect(lastAnswer()).toContainText(/\d+ in \/ \d+ out tokens/);
      await expect(lastAnswer()).toContainText(`${NAMES[p]} good`);
    }
    // An answer is copied as written.
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: host.url });
    await lastAnswer().getByRole('button', { name: 'Copy answer' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Answer copied.' })).toBeVisible();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), await lastAnswer().locator('.md').innerText());
    // The last answer, and only it, can be asked for again: it is replaced in place.
    const answers = page.getByRole('listitem', { name: 'Answer' });
    const count = await answers.count();
    await expect(page.getByRole('button', { name: 'Regenerate' })).toHaveCount(1);
    mock.reset();
    await lastAnswer().getByRole('button', { name: 'Regenerate' }).click();
    await eventually(() => mock.requests.some((r) => r.body.includes('hello from the openai-compatible test')) || 'not asked', 'asked again');
    await expect(lastAnswer()).toContainText('Mock openai-compatible reply to: hello from the openai-compatible test');
    await expect(lastAnswer()).toContainText(/\d+ in \/ \d+ out tokens/);
    await expect(answers).toHaveCount(count);
    // The answers were read by the app's worker, off the page's main thread.
    assert.ok(page.workers().some((w) => /\/snippets\/byok-app-[^/]+\/src\/net\.js$/.test(w.url())),
      `provider calls run in a worker: ${page.workers().map((w) => w.url())}`);
    assert.deepEqual(browser.problems, []);
  });

  test('markdown renders; model HTML and script links run nothing', async () => {
    await page.getByLabel('Provider').selectOption({ label: 'OpenAI' });
    await sendMessage('show me [[mock:reply:markdown]]');
    await expect(lastAnswer().locator('pre code')).toBeVisible();
    await expect(lastAnswer().getByRole('button', { name: 'Copy code' }).first()).toBeVisible();
    const links = await lastAnswer().locator('a').evaluateAll((as) => as.map((a) => [a.getAttribute('href'), a.rel]));
    for (const [href, rel] of links) {
      assert.match(href, /^(https?:|mailto:)/);
      assert.match(rel, /noopener/);
      assert.match(rel, /noreferrer/);
    }
    await sendMessage('now [[mock:reply:xss]]');
    await expect(lastAnswer()).toContainText('<script>');
    await expect(lastAnswer()).toContainText('onerror');
    assert.equal(await lastAnswer().locator('img, script, svg, iframe').count(), 0);
    for (const a of await lastAnswer().locator('a').all()) assert.doesNotMatch(await a.getAttribute('href'), /javascript:/i);
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
    assert.equal(new URL(page.url()).origin, host.url);
  });

  test('stop mid-stream really aborts; a cut stream keeps its partial text with Retry', async () => {
    // While the model thinks, a spinner says an answer is coming; once its words stream
    // in they say so themselves, and "Answering…" stays until the end.
    await sendMessage('think first [[mock:think:1500]] [[mock:stall]]');
    await expect(lastAnswer().locator('.progress .spinner')).toBeVisible();
    await expect(lastAnswer().locator('.progress')).toContainText('Answering…');
    await expect(lastAnswer().locator('.md')).toContainText(/\S/);
    await expect(lastAnswer().locator('.progress .spinner')).not.toBeVisible();
    await expect(lastAnswer().locator('.progress')).toContainText('Answering…');
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await expect(lastAnswer()).toContainText('Stopped.');
    for (const p of Object.keys(PREFIX)) {
      await page.getByLabel('Provider').selectOption({ label: NAMES[p] });
      mock.reset();
      await sendMessage('wait for it [[mock:stall]]');
      await expect(page.getByRole('button', { name: 'Stop', exact: true })).toBeVisible();
      await expect(lastAnswer().locator('.md')).toContainText(/\S/);
      await page.getByRole('button', { name: 'Stop', exact: true }).click();
      await expect(lastAnswer()).toContainText('Stopped.');
      await expect(page.getByRole('button', { name: 'Send' })).toBeVisible();
      // What the provider reported before the stop (Anthropic and Gemini report as they
      // go; OpenAI only at the end) is counted: it bills what it generated.
      if (p === 'anthropic' || p === 'gemini') await expect(lastAnswer()).toContainText(/\d+ in \/ \d+ out tokens/);
      // The request itself ended: the provider saw the connection closed.
      await eventually(() => mock.requests.find((r) => r.body.includes('wait for it'))?.closedEarly, `${p}: the stalled request was closed`);

      await sendMessage('this one breaks [[mock:cut]]');
      await expect(lastAnswer()).toContainText('Cut off: the connection ended before the provider finished.');
      const partial = await lastAnswer().locator('.md').innerText();
      assert.ok(partial.length > 0, `${p}: partial text kept`);
      await expect(lastAnswer().getByRole('button', { name: 'Retry' })).toBeVisible();
    }
    // Escape stops too.
    await sendMessage('again [[mock:stall]]');
    await expect(page.getByRole('button', { name: 'Stop', exact: true })).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(lastAnswer()).toContainText('Stopped.');
    await eventually(() => mock.requests.find((r) => r.body.includes('again [[mock:stall]]'))?.closedEarly, 'the request stopped by Escape was closed');
    // Leaving the Chat page takes its window listener along: visits do not pile them up,
    // and Escape still stops the answer of the chat now shown.
    const cdp = await page.context().newCDPSession(page);
    const keydowns = async () => {
      const { result } = await cdp.send('Runtime.evaluate', { expression: 'window' });
      const { listeners } = await cdp.send('DOMDebugger.getEventListeners', { objectId: result.objectId });
      return listeners.filter((l) => l.type === 'keydown').length;
    };
    const onChat = await keydowns();
    for (let i = 0; i < 3; i++) {
      await page.getByRole('link', { name: 'Keys' }).click();
      await page.getByRole('link', { name: 'Chat' }).click();
      await expect(page.getByRole('button', { name: 'Send' })).toBeVisible();
    }
    assert.equal(await keydowns(), onChat, 'keydown listeners on the window after three more visits');
    await cdp.detach();
    await sendMessage('once more [[mock:stall]]');
    await expect(page.getByRole('button', { name: 'Stop', exact: true })).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(lastAnswer()).toContainText('Stopped.');
    await eventually(() => mock.requests.find((r) => r.body.includes('again [[mock:stall]]'))?.closedEarly, 'the request stopped by Escape was closed');
    // Sent at the end of a long conversation: the question and answer pushed the message
    // box down, yet the answer's start and Stop are in sight; as the answer grows the
    // page stays where it is, so it is read from its start.
    await sendMessage('a long one, paced [[mock:reply:long]] [[mock:split:4000]] [[mock:rate:200]]');
    await expect(page.getByRole('button', { name: 'Stop', exact: true })).toBeInViewport();
    await expect(lastAnswer().locator('.md')).toContainText(/\S/);
    await expect(lastAnswer().locator('.md')).toBeInViewport();
    const y = await page.evaluate(() => window.scrollY);
    assert.ok(y > 0, 'scrolled down to the new message');
    await eventually(async () => {
      const n = (await lastAnswer().locator('.md').innerText()).length;
      return n > 4000 || `${n} characters so far`;
    }, 'the answer is longer than the window');
    assert.equal(await page.evaluate(() => window.scrollY), y, 'the page does not move under the reader');
    await page.keyboard.press('Escape');
    await expect(lastAnswer()).toContainText('Stopped.');
    allowOnly([/^console: Failed to load resource: net::ERR_INCOMPLETE_CHUNKED_ENCODING$/]);
  });

  test('failover: a 429 offers the next key, which answers', async () => {
    await page.getByRole('link', { name: 'Keys' }).click();
    await addKey(page, { secret: key('gemini', 'fail-429-limited'), label: 'Gemini limited', provider: 'Gemini', baseUrl: mock.url, makeDefault: true });
    await page.getByRole('link', { name: 'Chat' }).click();
    await page.getByLabel('Provider').selectOption({ label: 'Gemini' });
    await sendMessage('are you there');
    await expect(lastAnswer()).toContainText(/rate limit|too many|quota/i);
    await lastAnswer().getByRole('button', { name: 'Resend with “Gemini good”' }).click();
    await expect(lastAnswer()).toContainText('Mock gemini reply to: are you there');
    await expect(lastAnswer()).toContainText('Gemini good ·');
    // With the per-provider setting on, the next key is used without asking.
    await page.getByText('Options').click();
    await page.getByRole('checkbox', { name: 'When a Gemini key is rate-limited, resend with the next key automatically' }).check();
    await sendMessage('automatic this time');
    await expect(lastAnswer()).toContainText('Mock gemini reply to: automatic this time');
    await expect(lastAnswer()).toContainText('Gemini good · gemini');
    await expect(lastAnswer()).toContainText('(after “Gemini limited” hit a rate limit)');
    // The choice names a provider the person has keys with: it is kept in the encrypted
    // vault, not in the plaintext settings.
    const settingsText = () => page.evaluate(() => localStorage.getItem('byok.settings') || '');
    assert.doesNotMatch(await settingsText(), /gemini|failover/i);
    await page.getByRole('checkbox', { name: /When a Gemini key is rate-limited/ }).uncheck();
    await page.getByText('Options').click();
    // Settings saved by an earlier version named the providers in plaintext: the next
    // unlock moves them into the vault and out of the settings.
    await page.getByRole('button', { name: 'Lock', exact: true }).click();
    await page.evaluate(() => {
      const s = JSON.parse(localStorage.getItem('byok.settings') || '{}');
      localStorage.setItem('byok.settings', JSON.stringify({ ...s, auto_failover: ['gemini'] }));
    });
    await unlock(page);
    await eventually(async () => !/gemini|failover/i.test(await settingsText()) || await settingsText(), 'the old plaintext list is gone');
    await page.getByRole('link', { name: 'Chat' }).click();
    await page.getByLabel('Provider').selectOption({ label: 'Gemini' });
    await page.getByText('Options').click();
    await expect(page.getByRole('checkbox', { name: /When a Gemini key is rate-limited/ })).toBeChecked();
    await page.getByLabel('Key', { exact: true }).selectOption({ label: 'Gemini limited' });
    await sendMessage('moved into the vault');
    await expect(lastAnswer()).toContainText('Mock gemini reply to: moved into the vault');
    await expect(lastAnswer()).toContainText('(after “Gemini limited” hit a rate limit)');
    await page.getByRole('checkbox', { name: /When a Gemini key is rate-limited/ }).uncheck();
    await page.getByText('Options').click();
    // A typed model stays when another key of the provider is picked, though that key's
    // list differs (one tested, one not); another provider brings its own model.
    const modelField = page.getByLabel('Model', { exact: true });
    await modelField.fill('gemini-custom-tuned');
    for (const label of ['Gemini limited', 'Gemini good']) {
      await page.getByLabel('Key', { exact: true }).selectOption({ label });
      await page.waitForTimeout(100);
      assert.equal(await modelField.inputValue(), 'gemini-custom-tuned', `after picking ${label}`);
    }
    // A tested key starts with the model an untested or direct key would, when its list
    // has it: not the old snapshot OpenAI lists first, nor Anthropic's newest (dearest).
    await page.getByLabel('Provider').selectOption({ label: 'OpenAI' });
    await eventually(async () => (await modelField.inputValue()) === 'gpt-4o-mini' || await modelField.inputValue(), 'the model follows the provider');
    await page.getByLabel('Provider').selectOption({ label: 'Anthropic' });
    await eventually(async () => (await modelField.inputValue()) === 'claude-sonnet-4-5-20250929' || await modelField.inputValue(), 'Sonnet, not the Opus listed first');
    await page.getByLabel('Provider').selectOption({ label: 'Gemini' });
    allowOnly([/^console: Failed to load resource: the server responded with a status of 429/]);
  });
});

describe('conversations', () => {
  test('saved encrypted, listed, searchable, renamed, deleted; survive reload and unlock', async () => {
    await page.getByRole('button', { name: 'New conversation' }).click();
    await page.getByLabel('Provider').selectOption({ label: 'OpenAI' });
    // Send with nothing written sends nothing: the box to write in takes the focus.
    await page.getByRole('button', { name: 'Send' }).click();
    await expect(page.getByRole('textbox', { name: 'Message', exact: true })).toBeFocused();
    await expect(page.getByRole('listitem', { name: 'You' })).toHaveCount(0);
    await sendMessage('Plan a trip to Lisbon');
    await expect(lastAnswer()).toContainText('Mock openai reply to: Plan a trip to Lisbon');
    const convs = page.getByRole('complementary', { name: 'Conversations' });
    await expect(convs.getByRole('listitem', { name: 'Plan a trip to Lisbon' })).toBeVisible();
    await page.getByRole('button', { name: 'New conversation' }).click();
    await page.getByLabel('Provider').selectOption({ label: 'Anthropic' });
    await sendMessage('Recipe for soup');
    await expect(lastAnswer()).toContainText('Mock anthropic reply to: Recipe for soup');
    await expect(convs.getByRole('listitem', { name: 'Recipe for soup' })).toBeVisible();
    // Nothing readable in IndexedDB. Each probe has a space or a dash, which base64 never
    // holds: a short word alone ("soup") turns up in random ciphertext about once in a
    // thousand runs.
    const dump = JSON.stringify(await dumpStorage(page));
    for (const s of ['a trip to Lisbon', 'Recipe for soup', 'Mock openai reply', 'Mock anthropic reply', 'claude-']) {
      assert.ok(!dump.includes(s), `${s} in storage`);
    }
    assert.ok(dump.includes('byok-conversation'), 'conversation records exist');

    await page.reload();
    await page.getByLabel('Passphrase', { exact: true }).fill(PASS);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await expect(convs.getByRole('listitem', { name: 'Recipe for soup' })).toBeVisible();
    await convs.getByRole('button', { name: 'Plan a trip to Lisbon' }).click();
    await expect(lastAnswer()).toContainText('Mock openai reply to: Plan a trip to Lisbon');
    // It remembers its provider, and continues.
    assert.equal(await page.getByLabel('Provider').inputValue(), 'openai');
    await sendMessage('And Porto?');
    await expect(lastAnswer()).toContainText('Mock openai reply to: And Porto?');

    const search = convs.getByRole('searchbox', { name: 'Search conversations' });
    const found = convs.locator('.search-status');
    await search.fill('soup');
    await expect(convs.getByRole('listitem', { name: 'Plan a trip to Lisbon' })).toHaveCount(0);
    await expect(found).toContainText('1 conversation has it.');
    // Words only in a question or an answer find their conversation too, in any case.
    await search.fill('PORTO');
    await expect(convs.getByRole('listitem', { name: 'Plan a trip to Lisbon' })).toBeVisible();
    await expect(convs.getByRole('listitem', { name: 'Recipe for soup' })).toHaveCount(0);
    await expect(found).toContainText('1 conversation has it.');
    await search.fill('mock anthropic reply');
    await expect(convs.getByRole('listitem', { name: 'Recipe for soup' })).toBeVisible();
    await expect(convs.getByRole('listitem', { name: 'Plan a trip to Lisbon' })).toHaveCount(0);
    await search.fill('nowhere at all');
    await expect(found).toContainText('No conversation has that in its title or messages.');
    await expect(convs.getByRole('listitem')).toHaveCount(0);
    // A message saved while the search stays finds its conversation at once.
    await search.fill('zeppelin');
    await expect(found).toContainText('No conversation has that');
    await page.getByRole('button', { name: 'New conversation' }).click();
    await sendMessage('Airships, briefly');
    await expect(lastAnswer()).toContainText('reply to: Airships, briefly');
    const airships = convs.getByRole('listitem', { name: 'Airships, briefly' });
    await expect(found).toContainText('No conversation has that');
    await sendMessage('And the zeppelin?');
    await expect(lastAnswer()).toContainText('reply to: And the zeppelin?');
    await expect(airships).toBeVisible();
    await expect(found).toContainText('1 conversation has it.');
    await search.fill('');
    await expect(found).not.toContainText(/\S/);
    await airships.getByRole('button', { name: 'Delete' }).click();
    await airships.getByRole('button', { name: 'Yes, delete' }).click();
    await expect(airships).toHaveCount(0);
    const lisbon = convs.getByRole('listitem', { name: 'Plan a trip to Lisbon' });
    await lisbon.getByRole('button', { name: 'Rename' }).click();
    // Renaming is a step of its own: the row's other buttons step aside.
    await expect(lisbon.getByRole('button', { name: 'Download' })).not.toBeVisible();
    // An empty title is said under the field, which keeps the focus.
    await lisbon.getByLabel('New title').fill('  ');
    await lisbon.getByLabel('New title').press('Enter');
    await expect(lisbon.getByRole('alert')).toContainText('Give the conversation a title.');
    await expect(lisbon.getByLabel('New title')).toBeFocused();
    assert.equal(await lisbon.getByLabel('New title').getAttribute('aria-invalid'), 'true');
    await lisbon.getByLabel('New title').fill('Portugal trip');
    await expect(lisbon.getByRole('alert')).toHaveCount(0);
    await lisbon.getByRole('button', { name: 'Save title' }).click();
    const portugal = convs.getByRole('listitem', { name: 'Portugal trip' });
    await expect(portugal).toBeVisible();
    await expect(portugal.getByRole('button', { name: 'Rename' })).toBeFocused();
    const soup = convs.getByRole('listitem', { name: 'Recipe for soup' });
    // One form at a time: Rename closes the delete question, and opens focused on the
    // title; Escape leaves it unchanged.
    await soup.getByRole('button', { name: 'Delete' }).click();
    await expect(soup.getByRole('alertdialog')).toBeVisible();
    // The question takes focus on its safe answer; Escape closes it, back on Delete.
    await expect(soup.getByRole('button', { name: 'Cancel' })).toBeFocused();
    await page.keyboard.press('Escape');
    await expect(soup.getByRole('alertdialog')).toHaveCount(0);
    await expect(soup.getByRole('button', { name: 'Delete' })).toBeFocused();
    await soup.getByRole('button', { name: 'Delete' }).click();
    await soup.getByRole('button', { name: 'Rename' }).click();
    await expect(soup.getByRole('alertdialog')).toHaveCount(0);
    await expect(soup.getByLabel('New title')).toBeFocused();
    await page.keyboard.press('Escape');
    await expect(soup.getByLabel('New title')).toHaveCount(0);
    await expect(soup.getByRole('button', { name: 'Rename' })).toBeFocused();
    // Cancel does the same as Escape.
    await soup.getByRole('button', { name: 'Rename' }).click();
    await soup.getByRole('button', { name: 'Cancel' }).click();
    await expect(soup.getByLabel('New title')).toHaveCount(0);
    await expect(soup.getByRole('button', { name: 'Rename' })).toBeFocused();
    await soup.getByRole('button', { name: 'Delete' }).click();
    await soup.getByRole('button', { name: 'Yes, delete' }).click();
    await expect(soup).toHaveCount(0);
    // Deleting the conversation shown, one started on this page, clears the chat:
    // nothing more is said into a conversation that is no longer saved.
    await page.getByRole('button', { name: 'New conversation' }).click();
    await expect(page.getByRole('textbox', { name: 'Message', exact: true })).toBeFocused();
    await sendMessage('A question to forget');
    await expect(lastAnswer()).toContainText('reply to: A question to forget');
    const forget = convs.getByRole('listitem', { name: 'A question to forget' });
    await eventually(async () => /\bcurrent\b/.test(await forget.getAttribute('class')), 'the new conversation marked as the one shown');
    await forget.getByRole('button', { name: 'Delete' }).click();
    await forget.getByRole('button', { name: 'Yes, delete' }).click();
    await expect(forget).toHaveCount(0);
    await expect(page.getByRole('listitem', { name: 'Answer' })).toHaveCount(0);
    await expect(page.getByText('A question to forget')).toHaveCount(0);
    // Leaving a conversation while its answer arrives keeps the question and what had
    // come of the answer, marked Stopped, as the Stop button would.
    await sendMessage('Leaving mid-reply [[mock:stall]]');
    await expect(lastAnswer().locator('.md')).toContainText(/\S/);
    await page.getByRole('button', { name: 'New conversation' }).click();
    await expect(page.getByRole('listitem', { name: 'Answer' })).toHaveCount(0);
    const left = convs.getByRole('listitem', { name: /^Leaving mid-reply/ });
    await expect(left).toBeVisible();
    await expect(page.getByRole('status').filter({ hasText: 'The answer was stopped as you left it' })).toBeVisible();
    await left.getByRole('button', { name: /^Leaving mid-reply/ }).click();
    await expect(page.getByText('Leaving mid-reply').last()).toBeVisible();
    await expect(lastAnswer()).toContainText('Stopped.');
    await left.getByRole('button', { name: 'Delete' }).click();
    await left.getByRole('button', { name: 'Yes, delete' }).click();
    await expect(left).toHaveCount(0);
    // So does locking while an answer arrives: it is saved before the key goes. After
    // the unlock the same conversation is on screen, with the message being written.
    await page.getByRole('button', { name: 'New conversation' }).click();
    await sendMessage('Locking mid-reply [[mock:stall]]');
    await expect(lastAnswer().locator('.md')).toContainText(/\S/);
    const box = page.getByRole('textbox', { name: 'Message', exact: true });
    await box.fill('A thought half written');
    await page.getByRole('button', { name: 'Lock', exact: true }).click();
    await expect(box).toHaveCount(0);
    await page.getByLabel('Passphrase', { exact: true }).fill(PASS);
    await page.getByRole('button', { name: 'Unlock' }).click();
    const locked = convs.getByRole('listitem', { name: /^Locking mid-reply/ });
    await expect(locked).toBeVisible();
    await expect(page.getByText('Locking mid-reply').last()).toBeVisible();
    await expect(lastAnswer()).toContainText('Stopped.');
    await eventually(async () => (await box.inputValue()) === 'A thought half written' || 'no draft', 'the draft came back');
    await locked.getByRole('button', { name: 'Delete' }).click();
    await locked.getByRole('button', { name: 'Yes, delete' }).click();
    await expect(locked).toHaveCount(0);
    // A look at another page mid-conversation (a key to test) costs nothing either: the
    // chat comes back with the conversation shown and the message being written.
    await page.getByRole('button', { name: 'New conversation' }).click();
    await sendMessage('Checking a key meanwhile');
    await expect(lastAnswer()).toContainText(/\d+ in \/ \d+ out tokens/);
    await box.fill('Back in a moment');
    await page.getByRole('link', { name: 'Keys' }).click();
    await expect(box).toHaveCount(0);
    await page.getByRole('link', { name: 'Chat' }).click();
    await expect(lastAnswer()).toContainText('reply to: Checking a key meanwhile');
    await eventually(async () => (await box.inputValue()) === 'Back in a moment' || 'no draft', 'the draft came back');
    const meanwhile = convs.getByRole('listitem', { name: /^Checking a key meanwhile/ });
    // Marked in the list as the one shown.
    await eventually(async () => (await meanwhile.getAttribute('aria-current')) === 'true' || 'not current', 'the conversation is marked current');
    // The chat left last is the one that comes back: a new one, left empty, stays new.
    await page.getByRole('button', { name: 'New conversation' }).click();
    await page.getByRole('link', { name: 'Keys' }).click();
    await page.getByRole('link', { name: 'Chat' }).click();
    await expect(box).toBeVisible();
    await expect(page.getByRole('listitem', { name: 'Answer' })).toHaveCount(0);
    assert.equal(await box.inputValue(), '');
    await meanwhile.getByRole('button', { name: 'Delete' }).click();
    await meanwhile.getByRole('button', { name: 'Yes, delete' }).click();
    await expect(meanwhile).toHaveCount(0);
    // Each conversation keeps its own unsent message: a switch to another one and back,
    // a look at another page and a lock cost none of them.
    await page.getByRole('button', { name: 'New conversation' }).click();
    await sendMessage('Draft keeper one');
    await expect(lastAnswer()).toContainText(/\d+ in \/ \d+ out tokens/);
    await box.fill('Unsent for one');
    await page.getByRole('button', { name: 'New conversation' }).click();
    await boxSays('');
    await sendMessage('Draft keeper two');
    await expect(lastAnswer()).toContainText(/\d+ in \/ \d+ out tokens/);
    await box.fill('Unsent for two');
    const one = convs.getByRole('listitem', { name: /^Draft keeper one/ });
    const two = convs.getByRole('listitem', { name: /^Draft keeper two/ });
    await one.getByRole('button', { name: /^Draft keeper one/ }).click();
    await expect(lastAnswer()).toContainText('reply to: Draft keeper one');
    await boxSays('Unsent for one');
    await two.getByRole('button', { name: /^Draft keeper two/ }).click();
    await expect(lastAnswer()).toContainText('reply to: Draft keeper two');
    await boxSays('Unsent for two');
    // A new chat's too.
    await page.getByRole('button', { name: 'New conversation' }).click();
    await boxSays('');
    await box.fill('Unsent for a new one');
    await one.getByRole('button', { name: /^Draft keeper one/ }).click();
    await boxSays('Unsent for one');
    await page.getByRole('link', { name: 'Keys' }).click();
    await expect(box).toHaveCount(0);
    await page.getByRole('link', { name: 'Chat' }).click();
    await expect(lastAnswer()).toContainText('reply to: Draft keeper one');
    await boxSays('Unsent for one');
    await page.getByRole('button', { name: 'Lock', exact: true }).click();
    await expect(box).toHaveCount(0);
    await page.getByLabel('Passphrase', { exact: true }).fill(PASS);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await expect(lastAnswer()).toContainText('reply to: Draft keeper one');
    await boxSays('Unsent for one');
    await two.getByRole('button', { name: /^Draft keeper two/ }).click();
    await boxSays('Unsent for two');
    await page.getByRole('button', { name: 'New conversation' }).click();
    await boxSays('Unsent for a new one');
    // A message cleared is not brought back.
    await box.fill('');
    await two.getByRole('button', { name: /^Draft keeper two/ }).click();
    await boxSays('Unsent for two');
    await page.getByRole('button', { name: 'New conversation' }).click();
    await boxSays('');
    for (const c of [one, two]) {
      await c.getByRole('button', { name: 'Delete' }).click();
      await c.getByRole('button', { name: 'Yes, delete' }).click();
      await expect(c).toHaveCount(0);
    }
    // A saved answer asked for again, and the vault locked while the new one arrives:
    // the new (partial) answer is what is saved, in place, with no copy made.
    await page.getByRole('button', { name: 'New conversation' }).click();
    await sendMessage('Ask me twice [[mock:slow]]');
    await expect(lastAnswer()).toContainText(/\d+ in \/ \d+ out tokens/);
    await lastAnswer().getByRole('button', { name: 'Regenerate' }).click();
    await expect(page.getByRole('button', { name: 'Stop', exact: true })).toBeVisible();
    await expect(lastAnswer().locator('.md')).toContainText(/\S/);
    await page.getByRole('button', { name: 'Lock', exact: true }).click();
    await page.getByLabel('Passphrase', { exact: true }).fill(PASS);
    await page.getByRole('button', { name: 'Unlock' }).click();
    const twice = convs.getByRole('listitem', { name: /^Ask me twice/ });
    await expect(twice).toHaveCount(1);
    await expect(convs.getByText('(copy)')).toHaveCount(0);
    await expect(lastAnswer()).toContainText('Stopped.');
    await twice.getByRole('button', { name: 'Delete' }).click();
    await twice.getByRole('button', { name: 'Yes, delete' }).click();
    await expect(twice).toHaveCount(0);

    // Locking hides them; unlocking brings back exactly what was saved.
    await page.getByRole('button', { name: 'Lock', exact: true }).click();
    await expect(page.getByText('Portugal trip')).toHaveCount(0);
    await page.reload();
    await page.getByLabel('Passphrase', { exact: true }).fill(PASS);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await expect(convs.getByRole('listitem', { name: 'Portugal trip' })).toBeVisible();
    await expect(convs.getByRole('listitem', { name: 'Recipe for soup' })).toHaveCount(0);
    await convs.getByRole('button', { name: 'Portugal trip' }).click();
    await expect(lastAnswer()).toContainText('And Porto?');
    assert.deepEqual(browser.problems, []);
  });

  test('two tabs going on with one conversation: neither loses its messages', async () => {
    const convs = (p) => p.getByRole('complementary', { name: 'Conversations' });
    const answers = (p) => p.getByRole('listitem', { name: 'Answer' });
    const item = (p, name) => convs(p).getByRole('listitem', { name, exact: true });
    // The answer shows before its save lands: each step waits for the record to change.
    const stored = async () => JSON.stringify((await dumpStorage(page)).indexedDB);
    const saving = async (step) => {
      const before = await stored();
      await step();
      await eventually(async () => (await stored()) !== before, 'the conversation saved');
    };
    const send = (p, text) => saving(async () => {
      await sendMessage(text, p);
      await expect(answers(p).last()).toContainText(`Mock openai reply to: ${text}`);
    });
    const rename = (p, from, to) => saving(async () => {
      await item(p, from).getByRole('button', { name: 'Rename' }).click();
      await item(p, from).getByLabel('New title').fill(to);
      await item(p, from).getByRole('button', { name: 'Save title' }).click();
      await expect(item(p, to)).toBeVisible();
    });
    const openTab = async () => {
      const t = await browser.newPage();
      await t.goto(host.url);
      await unlock(t);
      await t.getByRole('link', { name: 'Chat' }).click();
      return t;
    };

    // Tab A (page) has "Portugal trip" open; tab B opens it too.
    const b = await openTab();
    await convs(b).getByRole('button', { name: 'Portugal trip' }).click();
    await expect(answers(b).last()).toContainText('And Porto?');
    // A goes on; then B, still showing the version before A's answer, goes on too: B
    // is told, and goes on in a copy, without a new copy per answer.
    await send(page, 'What about Faro?');
    // B downloads it meanwhile: reading it for the file does not make B's chat take on
    // A's version unseen, so B's next answer is still checked against it.
    const dl = b.waitForEvent('download');
    await item(b, 'Portugal trip').getByRole('button', { name: 'Download' }).click();
    assert.equal((await dl).suggestedFilename(), 'portugal-trip.md');
    await send(b, 'And Sintra?');
    await expect(b.getByRole('status').filter({ hasText: 'was changed in another tab meanwhile' })).toBeVisible();
    await expect(item(b, 'Portugal trip (copy)')).toBeVisible();
    // A's list follows B's saves without a reload.
    await expect(item(page, 'Portugal trip (copy)')).toBeVisible();
    await send(b, 'And Cascais?');
    // A message written in B's copy and left for the original stays with the copy.
    const boxB = b.getByRole('textbox', { name: 'Message', exact: true });
    await boxB.fill('Unsent in the copy');
    await convs(b).getByRole('button', { name: 'Portugal trip', exact: true }).click();
    await expect(answers(b).last()).toContainText('What about Faro?');
    await boxSays('', b);
    await convs(b).getByRole('button', { name: 'Portugal trip (copy)' }).click();
    await expect(answers(b).last()).toContainText('And Cascais?');
    await boxSays('Unsent in the copy', b);
    await boxB.fill('');
    // B renames A's conversation: A's list shows it at once, and A's next answers keep
    // that title.
    await rename(b, 'Portugal trip', 'Portugal, two tabs');
    await expect(item(page, 'Portugal, two tabs')).toBeVisible();
    await expect(item(page, 'Portugal trip')).toHaveCount(0);
    await send(page, 'And Lagos?');
    await send(page, 'And Albufeira?');
    await expect(item(page, 'Portugal, two tabs')).toBeVisible();
    await expect(item(page, 'Portugal trip')).toHaveCount(0);
    const c = await openTab();
    await convs(c).getByRole('button', { name: 'Portugal, two tabs' }).click();
    await expect(answers(c).last()).toContainText('And Albufeira?');
    await expect(c.getByText('What about Faro?').first()).toBeVisible();
    await expect(c.getByText('Sintra')).toHaveCount(0);
    await c.close();
    // B deletes A's conversation and goes on: its answers still go to its copy.
    await item(b, 'Portugal, two tabs').getByRole('button', { name: 'Delete' }).click();
    await item(b, 'Portugal, two tabs').getByRole('button', { name: 'Yes, delete' }).click();
    await expect(item(b, 'Portugal, two tabs')).toHaveCount(0);
    // Gone from A's list too, while A's chat still shows it.
    await expect(item(page, 'Portugal, two tabs')).toHaveCount(0);
    await expect(answers(page).last()).toContainText('And Albufeira?');
    await send(b, 'And Evora?');

    // Read afresh: B's copy whole, and nothing else of the trip.
    await b.reload();
    await unlock(b);
    await b.getByRole('link', { name: 'Chat' }).click();
    await expect(convs(b).getByRole('listitem', { name: /Portugal/ })).toHaveCount(1);
    await convs(b).getByRole('button', { name: 'Portugal trip (copy)' }).click();
    await expect(answers(b).last()).toContainText('And Evora?');
    for (const t of ['And Sintra?', 'And Cascais?']) await expect(b.getByText(t).first()).toBeVisible();
    await expect(b.getByText('Faro')).toHaveCount(0);
    await b.close();
    // A still shows the conversation B deleted, and goes on: it is saved again with
    // all of A's messages, and A is told.
    await send(page, 'And Tavira?');
    await expect(page.getByRole('status').filter({ hasText: 'was deleted in another tab while you went on here' })).toBeVisible();
    await expect(item(page, 'Portugal, two tabs')).toBeVisible();
    const d = await openTab();
    await convs(d).getByRole('button', { name: 'Portugal, two tabs' }).click();
    await expect(answers(d).last()).toContainText('And Tavira?');
    await expect(d.getByText('And Albufeira?').first()).toBeVisible();
    await d.close();
    assert.deepEqual(browser.problems, []);
  });

  test('a conversation whose key was deleted says which key answers now', async () => {
    await page.getByRole('link', { name: 'Keys' }).click();
    await addKey(page, { secret: key('openai', 'short-lived'), label: 'OpenAI short-lived', provider: 'OpenAI', baseUrl: mock.url });
    await page.getByRole('link', { name: 'Chat' }).click();
    await page.getByRole('button', { name: 'New conversation' }).click();
    await page.getByLabel('Provider').selectOption({ label: 'OpenAI' });
    await page.getByLabel('Key', { exact: true }).selectOption({ label: 'OpenAI short-lived' });
    await sendMessage('Which key answers here');
    await expect(lastAnswer()).toContainText('OpenAI short-lived ·');
    const notices = page.getByRole('status', { name: 'Key notices' });
    await expect(notices).toHaveCount(0);
    await page.getByRole('link', { name: 'Keys' }).click();
    const row = keyRow(page, 'OpenAI short-lived');
    await row.getByRole('button', { name: 'Delete' }).click();
    await row.getByRole('button', { name: 'Yes, delete' }).click();
    await expect(row).toHaveCount(0);
    // Back on Chat, the conversation left is on screen again.
    await page.getByRole('link', { name: 'Chat' }).click();
    const convs = page.getByRole('complementary', { name: 'Conversations' });
    await expect(notices).toContainText('The key this conversation used is no longer in your vault, so “');
    // Picking a key says it is meant.
    await page.getByLabel('Key', { exact: true }).selectOption({ label: 'OpenAI good' });
    await expect(notices).toHaveCount(0);
    const item = convs.getByRole('listitem', { name: /^Which key answers here/ });
    await item.getByRole('button', { name: 'Delete' }).click();
    await item.getByRole('button', { name: 'Yes, delete' }).click();
    await expect(item).toHaveCount(0);
  });
  test('a sent message edited: asked again from there, what followed replaced, saved so', async () => {
    await page.getByRole('button', { name: 'New conversation' }).click();
    await page.getByLabel('Provider').selectOption({ label: 'OpenAI' });
    await page.getByLabel('Key', { exact: true }).selectOption({ label: 'OpenAI good' });
    for (const q of ['Edit test one', 'Edit test two', 'Edit test three']) {
      await sendMessage(q);
      await expect(lastAnswer()).toContainText(`Mock openai reply to: ${q}`);
    }
    const messages = page.getByRole('list', { name: 'Messages' });
    const mine = messages.getByRole('listitem', { name: 'You', exact: true });
    const composer = page.getByRole('textbox', { name: 'Message', exact: true });
    const editor = page.getByRole('form', { name: 'Edit message' });
    const edited = page.getByRole('textbox', { name: 'Edited message' });
    await expect(mine).toHaveCount(3);
    // Each Edit button is named by its message, so a list of them can be told apart.
    assert.deepEqual(await messages.getByRole('button', { name: /^Edit/ }).evaluateAll((bs) => bs.map((b) => b.getAttribute('aria-label'))),
      ['Edit \u201cEdit test one\u201d', 'Edit \u201cEdit test two\u201d', 'Edit \u201cEdit test three\u201d']);
    await mine.nth(0).getByRole('button', { name: 'Edit' }).click();
    await expect(edited).toBeFocused();
    assert.equal(await edited.inputValue(), 'Edit test one');
    // What sending would remove is said, also to a screen reader in the box.
    await expect(editor).toContainText('The 5 messages below will be removed, and a new answer written.');
    const hint = await edited.getAttribute('aria-describedby');
    assert.match(await page.locator(`#${hint}`).innerText(), /The 5 messages below will be removed/);
    // One edit at a time: another message's Edit waits.
    assert.ok(await mine.nth(1).getByRole('button', { name: 'Edit' }).isDisabled());
    await edited.fill('Edit test one, changed');
    // The message box still sends meanwhile, and the count follows.
    await composer.fill('Edit test four [[mock:slow]]');
    await composer.press('Enter');
    await expect(editor).toContainText('The 7 messages below will be removed');
    await expect(page.getByRole('button', { name: 'Stop', exact: true })).toBeVisible();
    // Escape in the editor closes it (the message stays as it was, the keyboard where it
    // was), and leaves the answer streaming.
    await edited.press('Escape');
    await expect(edited).toHaveCount(0);
    await expect(mine.nth(0)).toContainText('Edit test one');
    await expect(mine.nth(0)).not.toContainText('changed');
    await expect(mine.nth(0).getByRole('button', { name: 'Edit' })).toBeFocused();
    await expect(lastAnswer()).toContainText(/\d+ in \/ \d+ out tokens/);
    await expect(lastAnswer()).toContainText('Mock openai reply to: Edit test four');
    await expect(lastAnswer()).not.toContainText('Stopped.');

    // An emptied message is not sent; a changed one is, with only what came before it.
    await mine.nth(1).getByRole('button', { name: 'Edit' }).click();
    await expect(editor).toContainText('The 5 messages below will be removed');
    await edited.fill('  ');
    await edited.press('Enter');
    await expect(editor.getByRole('alert')).toContainText('Write the message, or choose Cancel');
    mock.reset();
    await edited.fill('Edit test two, reworded');
    await edited.press('Enter');
    await expect(lastAnswer()).toContainText('Mock openai reply to: Edit test two, reworded');
    await expect(composer).toBeFocused();
    await expect(mine).toHaveCount(2);
    await expect(messages.getByRole('listitem', { name: 'Answer', exact: true })).toHaveCount(2);
    await expect(page.getByText('Edit test three')).toHaveCount(0);
    await expect(page.getByText('Edit test four')).toHaveCount(0);
    const chat = mock.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/v1/chat/completions'));
    assert.equal(chat.length, 1);
    const asked = JSON.parse(chat[0].body).messages.map((m) => m.content);
    assert.deepEqual(asked, ['Edit test one', 'Mock openai reply to: Edit test one', 'Edit test two, reworded']);

    // The last question edited replaces only its answer; Save and send works by click.
    await mine.nth(1).getByRole('button', { name: 'Edit' }).click();
    await expect(editor).toContainText('Its answer will be replaced by a new one.');
    await edited.fill('Edit test two, once more');
    await page.getByRole('button', { name: 'Save and send' }).click();
    await expect(lastAnswer()).toContainText('Mock openai reply to: Edit test two, once more');
    await expect(mine).toHaveCount(2);

    // Saved as edited: opened again, the conversation is the new one.
    const convs = page.getByRole('complementary', { name: 'Conversations' });
    await page.getByRole('button', { name: 'New conversation' }).click();
    await expect(mine).toHaveCount(0);
    await convs.getByRole('button', { name: /^Edit test one/ }).click();
    await expect(lastAnswer()).toContainText('Mock openai reply to: Edit test two, once more');
    await expect(mine).toHaveCount(2);
    await expect(page.getByText('Edit test two, reworded')).toHaveCount(0);
    await expect(convs.getByRole('listitem', { name: /^Edit test one/ })).toHaveCount(1);
    // Downloaded as Markdown, as it is now: the questions, who answered, the answers.
    const download = page.waitForEvent('download');
    await convs.getByRole('listitem', { name: /^Edit test one/ }).getByRole('button', { name: 'Download' }).click();
    const d = await download;
    assert.equal(d.suggestedFilename(), 'edit-test-one.md');
    const mdDir = mkdtempSync(join(tmpdir(), 'byok-md-'));
    try {
      await d.saveAs(join(mdDir, 'c.md'));
      const md = readFileSync(join(mdDir, 'c.md'), 'utf8');
      assert.ok(md.startsWith('# Edit test one\n\nOpenAI · gpt-4o-mini\n'), md.slice(0, 80));
      assert.ok(md.includes('**You**\n\n```\nEdit test one\n```\n'), md);
      assert.ok(md.includes('**Answer** (OpenAI good · gpt-4o-mini)\n\nMock openai reply to: Edit test two, once more'), md);
      assert.ok(!md.includes('reworded') && !md.includes('Edit test three'), md);
    } finally {
      rmSync(mdDir, { recursive: true, force: true });
    }
    await expect(page.getByRole('status').filter({ hasText: 'saved to your downloads as edit-test-one.md. That file is not encrypted' })).toBeVisible();

    // An edit under way when the vault locks is still that edit after the unlock, and
    // the message box keeps its own draft.
    await mine.nth(0).getByRole('button', { name: 'Edit' }).click();
    await edited.fill('Edit test one, half rewritten');
    await composer.fill('A draft of its own');
    await page.getByRole('button', { name: 'Lock', exact: true }).click();
    await page.getByLabel('Passphrase', { exact: true }).fill(PASS);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await eventually(async () => (await edited.count()) === 1 && (await edited.inputValue()) === 'Edit test one, half rewritten' || 'no edit', 'the edit came back');
    await expect(editor).toContainText('The 3 messages below will be removed');
    assert.equal(await composer.inputValue(), 'A draft of its own');
    await editor.getByRole('button', { name: 'Cancel' }).click();
    await composer.fill('');
    // Up in the empty message box edits the last question; with text in it, Up moves
    // the caret as usual.
    await composer.fill('Not empty');
    await composer.press('ArrowUp');
    await expect(edited).toHaveCount(0);
    await composer.fill('');
    await composer.press('ArrowUp');
    await expect(edited).toBeFocused();
    assert.equal(await edited.inputValue(), 'Edit test two, once more');
    // Opened from the message box, Escape goes back to it (an Edit button gets the
    // focus back only when it opened the editor, as checked above).
    await edited.press('Escape');
    await expect(edited).toHaveCount(0);
    await expect(composer).toBeFocused();

    // A long message opens in a box tall enough to show it.
    const long = Array.from({ length: 10 }, (_, i) => `Line ${i + 1} of a long question`).join('\n');
    await composer.fill(long);
    await composer.press('Enter');
    await expect(lastAnswer()).toContainText('Mock openai reply to: Line 1');
    await mine.last().getByRole('button', { name: 'Edit' }).click();
    const fits = await edited.evaluate((el) => el.scrollHeight <= el.clientHeight + 2);
    assert.ok(fits, 'the edit box scrolls for a 10-line message');
    await edited.press('Escape');

    // An edit under way whose conversation is deleted in another tab while this one is
    // locked: its new text comes back in the message box, not lost.
    await mine.nth(0).getByRole('button', { name: 'Edit' }).click();
    await edited.fill('Edit test one, rescued');
    await page.getByRole('button', { name: 'Lock', exact: true }).click();
    const other = await browser.newPage();
    await other.goto(host.url);
    await unlock(other);
    await other.getByRole('link', { name: 'Chat' }).click();
    const item = (p) => p.getByRole('complementary', { name: 'Conversations' }).getByRole('listitem', { name: /^Edit test one/ });
    await item(other).getByRole('button', { name: 'Delete' }).click();
    await item(other).getByRole('button', { name: 'Yes, delete' }).click();
    await expect(item(other)).toHaveCount(0);
    await other.close();
    await page.getByLabel('Passphrase', { exact: true }).fill(PASS);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await eventually(async () => (await composer.inputValue()) === 'Edit test one, rescued' || 'not in the message box', 'the edit came back as a draft');
    await expect(edited).toHaveCount(0);
    await expect(item(page)).toHaveCount(0);
    await composer.fill('');
    assert.deepEqual(browser.problems, []);
  });

  test('a stopped answer counts as a use of its key, with no token count', async () => {
    await page.getByRole('link', { name: 'Keys' }).click();
    await addKey(page, { secret: key('openai', 'stoponly'), label: 'OpenAI stopped once', provider: 'OpenAI', baseUrl: mock.url });
    // Far down the list: rows out of sight are not laid out, and have no text to read.
    await keyRow(page, 'OpenAI stopped once').scrollIntoViewIfNeeded();
    await expect(keyRow(page, 'OpenAI stopped once')).toContainText('never used');
    await page.getByRole('link', { name: 'Chat' }).click();
    await page.getByRole('button', { name: 'New conversation' }).click();
    await page.getByLabel('Provider').selectOption({ label: 'OpenAI' });
    await page.getByLabel('Key', { exact: true }).selectOption({ label: 'OpenAI stopped once' });
    await sendMessage('Stop this one [[mock:stall]]');
    await expect(lastAnswer().locator('.md')).toContainText(/\S/);
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await expect(lastAnswer()).toContainText('Stopped.');
    await page.getByRole('link', { name: 'Keys' }).click();
    await keyRow(page, 'OpenAI stopped once').scrollIntoViewIfNeeded();
    await expect(keyRow(page, 'OpenAI stopped once')).toContainText('last used today');
    // So does one cut by a lock while the model is still thinking: the provider took
    // the call, and no word of the answer has come yet.
    await addKey(page, { secret: key('openai', 'lockthink'), label: 'OpenAI locked while thinking', provider: 'OpenAI', baseUrl: mock.url });
    await page.getByRole('link', { name: 'Chat' }).click();
    await page.getByRole('button', { name: 'New conversation' }).click();
    await page.getByLabel('Provider').selectOption({ label: 'OpenAI' });
    await page.getByLabel('Key', { exact: true }).selectOption({ label: 'OpenAI locked while thinking' });
    await sendMessage('Think long [[mock:think:20000]]');
    await expect(lastAnswer().locator('.progress .spinner')).toBeVisible();
    await eventually(() => mock.requests.some((r) => r.method === 'POST' && JSON.stringify(r.headers).includes('lockthink')) || 'not asked', 'the call reached the provider');
    await page.getByRole('button', { name: 'Lock', exact: true }).click();
    await page.getByLabel('Passphrase', { exact: true }).fill(PASS);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.getByRole('link', { name: 'Keys' }).click();
    await keyRow(page, 'OpenAI locked while thinking').scrollIntoViewIfNeeded();
    await expect(keyRow(page, 'OpenAI locked while thinking')).toContainText('last used today');
    await page.getByRole('link', { name: 'Chat' }).click();
    const thought = page.getByRole('complementary', { name: 'Conversations' }).getByRole('listitem', { name: /^Think long/ });
    await thought.getByRole('button', { name: 'Delete' }).click();
    await thought.getByRole('button', { name: 'Yes, delete' }).click();
    await expect(thought).toHaveCount(0);
    await page.getByRole('link', { name: 'Chat' }).click();
    const item = page.getByRole('complementary', { name: 'Conversations' }).getByRole('listitem', { name: /^Stop this one/ });
    await item.getByRole('button', { name: 'Delete' }).click();
    await item.getByRole('button', { name: 'Yes, delete' }).click();
    await expect(item).toHaveCount(0);
  });
});

describe('anonymous direct-key session', () => {
  test('nothing is stored anywhere, and the key is in no URL', async (t) => {
    const fresh = await startBrowser();
    // Closed even when the test fails: an open browser would keep the run from ending.
    t.after(() => fresh.close());
    const p = await fresh.newPage();
    const urls = [];
    p.on('request', (r) => urls.push(r.url()));
    await p.goto(host.url);
    await p.getByRole('link', { name: 'Chat without saving a key' }).click();
    const before = await dumpStorage(p);
    const secret = key('openai', 'direct-session');
    // An OpenAI-compatible key's address is asked for outright, and filled in for a
    // prefix byok knows; any other provider's can be changed under Advanced.
    await p.getByLabel('API key').fill('sk-or-v1-FAKEFAKEFAKE-direct-TEST');
    await expect(p.getByLabel('Base URL')).toBeVisible();
    assert.equal(await p.getByLabel('Base URL').inputValue(), 'https://openrouter.ai/api/v1');
    await p.getByLabel('API key').fill(secret);
    await expect(p.getByLabel('Base URL')).not.toBeVisible();
    await p.getByText('Advanced').click();
    await p.getByLabel('Base URL').fill(mock.url);
    await p.getByRole('button', { name: 'Start chatting' }).click();
    await expect(p.getByText('Nothing is saved.')).toBeVisible();
    // The key is checked at once (its model list, no tokens spent), so the chat starts
    // with a model this account has: the mock's OpenAI has no gpt-5, the built-in first.
    await eventually(async () => {
      const m = await p.getByLabel('Model').inputValue();
      return m === 'gpt-4o-mini' || `model ${m}`;
    }, 'the model the key offers');
    assert.equal(mock.requests.filter((r) => r.path === '/v1/models' && r.headers.authorization === `Bearer ${secret}`).length, 1);
    await sendMessage('anonymous hello', p);
    await expect(p.getByRole('listitem', { name: 'Answer' }).last()).toContainText('Mock openai reply to: anonymous hello');
    const afterChat = await dumpStorage(p);
    assert.deepEqual(afterChat, before);
    for (const u of urls) assert.ok(!u.includes(secret) && !u.includes('FAKEFAKE'), u);
    // A look at another page of byok in between costs nothing: the key, the conversation
    // and the message being written are there on coming back, still in memory only.
    await p.getByRole('textbox', { name: 'Message', exact: true }).fill('a thought half written');
    await p.getByText('Options').click();
    await p.getByLabel('System prompt').fill('Answer briefly.');
    await p.getByLabel('Temperature').fill('0.3');
    await p.getByLabel('Max tokens').fill('321');
    await p.getByRole('link', { name: 'Vault' }).click();
    await expect(p.getByRole('heading', { name: 'Create your vault' })).toBeVisible();
    await p.getByRole('link', { name: 'Chat without saving a key' }).click();
    await expect(p.getByRole('listitem', { name: 'Answer' }).last()).toContainText('Mock openai reply to: anonymous hello');
    assert.equal(await p.getByRole('textbox', { name: 'Message', exact: true }).inputValue(), 'a thought half written');
    await p.getByText('Options').click();
    assert.equal(await p.getByLabel('System prompt').inputValue(), 'Answer briefly.');
    assert.equal(await p.getByLabel('Temperature').inputValue(), '0.3');
    assert.equal(await p.getByLabel('Max tokens').inputValue(), '321');
    await sendMessage('and after the detour', p);
    await expect(p.getByRole('listitem', { name: 'Answer' }).last()).toContainText('Mock openai reply to: and after the detour');
    // The history went along: the provider got the whole conversation.
    const sent = JSON.parse(mock.requests.filter((r) => r.path === '/v1/chat/completions').at(-1).body);
    assert.deepEqual(sent.messages.map((m) => m.content), ['Answer briefly.', 'anonymous hello', 'Mock openai reply to: anonymous hello', 'and after the detour']);
    assert.equal(sent.messages[0].role, 'system');
    assert.equal(sent.model, 'gpt-4o-mini');
    assert.equal(sent.temperature, 0.3);
    assert.ok(sent.max_tokens === 321 || sent.max_completion_tokens === 321, JSON.stringify(sent));
    assert.deepEqual(await dumpStorage(p), before);
    // Ending it forgets the key and the conversation at once, even with an answer on
    // its way and a message half written; the key field takes the focus.
    await sendMessage('a slow one [[mock:think:3000]]', p);
    await expect(p.getByRole('button', { name: 'Stop', exact: true })).toBeVisible();
    await p.getByRole('textbox', { name: 'Message', exact: true }).fill('a thought to forget');
    await p.getByRole('button', { name: 'End and forget' }).click();
    await expect(p.getByLabel('API key')).toBeFocused();
    // A new session starts empty: neither the old conversation nor the old message.
    await p.getByLabel('API key').fill(secret);
    if (!(await p.getByLabel('Base URL').isVisible())) await p.getByText('Advanced').click();
    await p.getByLabel('Base URL').fill(mock.url);
    await p.getByRole('button', { name: 'Start chatting' }).click();
    await expect(p.getByRole('textbox', { name: 'Message', exact: true })).toBeVisible();
    await expect(p.getByRole('listitem', { name: 'Answer' })).toHaveCount(0);
    assert.equal(await p.getByRole('textbox', { name: 'Message', exact: true }).inputValue(), '');
    await p.getByRole('button', { name: 'End and forget' }).click();
    await expect(p.getByLabel('API key')).toBeVisible();
    await p.getByRole('link', { name: 'Vault' }).click();
    await p.getByRole('link', { name: 'Chat without saving a key' }).click();
    await expect(p.getByLabel('API key')).toBeVisible();
    await expect(p.getByRole('listitem', { name: 'Answer' })).toHaveCount(0);
    // Mistakes are named under their field, which takes the focus.
    await p.getByRole('button', { name: 'Start chatting' }).click();
    await expect(p.getByLabel('API key')).toBeFocused();
    await expect(p.locator('#direct-secret-error')).toContainText('The API key is empty');
    assert.equal(await p.getByLabel('API key').getAttribute('aria-invalid'), 'true');
    await p.getByLabel('API key').fill('x');
    await expect(p.locator('#direct-secret-error')).toHaveCount(0);
    // A key the provider refuses is checked before the chat opens, and said under its
    // field, which takes the focus, before a message is written for nothing.
    await p.getByLabel('API key').fill(key('anthropic', 'fail-401'));
    if (!(await p.getByLabel('Base URL').isVisible())) await p.getByText('Advanced').click();
    await p.getByLabel('Base URL').fill(mock.url);
    await p.getByRole('button', { name: 'Start chatting' }).click();
    await expect(p.locator('#direct-secret-error')).toContainText('The key was refused: it is wrong, revoked, or for another provider.');
    await expect(p.getByLabel('API key')).toBeFocused();
    await expect(p.getByRole('textbox', { name: 'Message', exact: true })).toHaveCount(0);
    assert.equal(await p.getByLabel('API key').inputValue(), key('anthropic', 'fail-401'));
    // One that cannot be checked now (rate-limited) may still chat: the chat opens and
    // says why its model is the usual one.
    await p.getByLabel('API key').fill(key('anthropic', 'fail-429'));
    await p.getByRole('button', { name: 'Start chatting' }).click();
    await expect(p.getByRole('status', { name: 'Key notices' })).toContainText('The key could not be checked, so the model is byok\'s usual one');
    await p.getByRole('button', { name: 'End and forget' }).click();
    await expect(p.getByLabel('API key')).toBeFocused();
    // A reload forgets it all.
    await p.reload();
    await expect(p.getByLabel('API key')).toBeVisible();
    // The keys of a bundle, in memory only, work the same way.
    const d = mkdtempSync(join(tmpdir(), 'byok-direct-'));
    writeFileSync(join(d, 'plain.json'), JSON.stringify({ schema: 1, exported_at: '2026-11-26T00:00:00Z', keys: [{
      id: '5b0c0f5e-1c2d-4e3f-8a9b-0c1d2e3f4a5b', provider: 'anthropic', label: 'From bundle', secret: key('anthropic', 'bundle-direct'),
      base_url: mock.url, is_default: true, is_active: true, created_at: '2026-11-20T10:00:00Z', expires_at: null },
    // An address a saved key could not have (credentials in it): left out, as an import would.
    { id: '6b0c0f5e-1c2d-4e3f-8a9b-0c1d2e3f4a5c', provider: 'openai', label: 'Bad address', secret: key('openai', 'bundle-bad-url'),
      base_url: 'https://user:pw@evil.example/v1', is_default: true, is_active: true, created_at: '2026-11-20T10:00:00Z', expires_at: null }] }));
    execFileSync(process.env.BYOK_BIN || join(ROOT, 'target', 'release', 'byok'), ['bundle', 'encrypt', join(d, 'plain.json'), '-o', join(d, 'k.byok.json')],
      { env: { ...process.env, BYOK_PASSPHRASE: 'ferry lantern meadow 2026' } });
    const beforeBundle = await dumpStorage(p);
    await p.getByLabel('Bundle file').setInputFiles(join(d, 'k.byok.json'));
    // A wrong passphrase is said under its field, which takes the focus again.
    await p.getByLabel('Passphrase for this bundle').fill('ferry lantern meadow 2025');
    await p.getByRole('button', { name: 'Open bundle' }).click();
    await expect(p.locator('#direct-bundle-passphrase-error')).toContainText('Check that this is the passphrase the bundle was exported with');
    await expect(p.getByLabel('Passphrase for this bundle')).toBeFocused();
    await p.getByLabel('Passphrase for this bundle').fill('ferry lantern meadow 2026');
    await p.getByRole('button', { name: 'Open bundle' }).click();
    await expect(p.getByRole('status').filter({ hasText: '1 key of this bundle was left out' })).toBeVisible();
    await expect(p.locator('option', { hasText: 'Bad address' })).toHaveCount(0);
    // A bundle's key is checked as the chat takes it up: the model is one it lists.
    await eventually(async () => {
      const m = await p.getByLabel('Model').inputValue();
      return m === 'claude-sonnet-4-5-20250929' || `model ${m}`;
    }, 'the model the bundle key offers');
    await sendMessage('bundle hello', p);
    await expect(p.getByRole('listitem', { name: 'Answer' }).last()).toContainText('Mock anthropic reply to: bundle hello');
    await expect(p.getByRole('listitem', { name: 'Answer' }).last()).toContainText('From bundle');
    assert.deepEqual(await dumpStorage(p), beforeBundle);
    assert.deepEqual(fresh.problems, []);
    rmSync(d, { recursive: true, force: true });
  });

  test('a key used without a vault can be saved into a new one, encrypted', async (t) => {
    const fresh = await startBrowser();
    t.after(() => fresh.close());
    const p = await fresh.newPage();
    await directChat(p, host.url, 'keepme');
    await sendMessage('hello from a direct session', p);
    await expect(lastAnswer(p)).toContainText('Mock anthropic reply to: hello from a direct session');
    await p.getByRole('button', { name: 'Save this key in a vault' }).click();
    // No vault yet: one is made, and the offer waits on the Keys page, its label field
    // ready for typing.
    await createVault(p);
    const offer = p.getByRole('form', { name: 'Save the key from the direct session' });
    await expect(offer).toBeVisible();
    await expect(offer.getByLabel('Label')).toBeFocused();
    await offer.getByLabel('Label').fill('Kept from direct');
    await offer.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(p.getByRole('status').filter({ hasText: 'The key is saved in your vault, encrypted.' })).toBeVisible();
    await expect(keyRow(p, 'Kept from direct')).toContainText('sk-ant-');
    // The session's check of the key came along: it is not "never tested".
    await expect(keyRow(p, 'Kept from direct')).toContainText('Test passed');
    await expect(keyRow(p, 'Kept from direct')).not.toContainText('Never tested');
    await expect(offer).toHaveCount(0);
    const stored = JSON.stringify(await dumpStorage(p));
    assert.ok(!stored.includes(key('anthropic', 'keepme')), 'the key is stored in plaintext');
    assert.ok(!stored.includes('Kept from direct'), 'the label is stored in plaintext');
    // The direct session is still open meanwhile; locking the vault ends it too, as it
    // drops every other key from the page.
    await p.goBack();
    await expect(lastAnswer(p)).toContainText('Mock anthropic reply to: hello from a direct session');
    await p.getByRole('button', { name: 'Lock', exact: true }).click();
    await expect(p.getByLabel('API key')).toBeVisible();
    await expect(lastAnswer(p)).toHaveCount(0);
    assert.deepEqual(fresh.problems, []);
  });
});

/** A direct-key session in page `p` of `url`, with an Anthropic key tagged `tag`. */
async function directChat(p, url, tag) {
  await p.goto(url);
  await p.getByRole('link', { name: 'Chat without saving a key' }).click();
  await p.getByLabel('Provider').selectOption({ label: 'Anthropic' });
  await p.getByLabel('API key').fill(key('anthropic', tag));
  await p.getByText('Advanced').click();
  await p.getByLabel('Base URL').fill(mock.url);
  await p.getByRole('button', { name: 'Start chatting' }).click();
}

async function longAnswerShown(p) {
  await sendMessage('long one [[mock:reply:long]] [[mock:split:400]]', p);
  await expect(lastAnswer(p)).toContainText(/\d+ in \/ \d+ out tokens/);
  // The usage shows as the stream ends; the final render follows once its save is done.
  await eventually(async () => {
    const n = (await lastAnswer(p).locator('.md').innerText()).length;
    return n > 40_000 || `${n} characters`;
  }, 'the whole long answer is shown');
}

describe('provider calls where no worker can run', () => {
  test('a policy that forbids workers: answers still stream, stop and fail clearly, read in the page', async () => {
    // The same build, with a second policy in the page that forbids workers
    // (`worker-src 'none'`), so `new Worker` throws.
    const dir = mkdtempSync(join(tmpdir(), 'byok-no-worker-'));
    cpSync(DIST, dir, { recursive: true });
    const index = readFileSync(join(dir, 'index.html'), 'utf8');
    assert.match(index, /<head>/);
    writeFileSync(join(dir, 'index.html'), index.replace('<head>', `<head><meta http-equiv="Content-Security-Policy" content="worker-src 'none'">`));
    const strict = await startHost({ dir, connectSrc: [mock.url] });
    const fresh = await startBrowser();
    try {
      const p = await fresh.newPage();
      await directChat(p, strict.url, 'no-worker');
      await longAnswerShown(p);
      await sendMessage('wait for it [[mock:stall]]', p);
      await expect(lastAnswer(p).locator('.md')).toContainText(/\S/);
      await p.getByRole('button', { name: 'Stop', exact: true }).click();
      await expect(lastAnswer(p)).toContainText('Stopped.');
      await sendMessage('this one breaks [[mock:cut]]', p);
      await expect(lastAnswer(p)).toContainText('Cut off');
      assert.deepEqual(p.workers().map((w) => w.url()), [], 'no worker runs');
      // The refused worker, and the cut stream's broken body.
      const expected = [/worker-src/, /^console: Failed to load resource: net::ERR_INCOMPLETE_CHUNKED_ENCODING$/];
      assert.deepEqual(fresh.problems.filter((m) => !expected.some((re) => re.test(m))), []);
    } finally {
      await fresh.close();
      await strict.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a worker whose script fails to load: the call is made again in the page', async () => {
    // What a browser without module workers does (the script fails in the worker, an
    // error event comes later), played by pointing the page's workers at a missing file.
    const fresh = await startBrowser();
    try {
      const p = await fresh.newPage();
      await p.addInitScript(() => {
        const Real = window.Worker;
        window.Worker = class extends Real {
          constructor(_url, opts) { super('/snippets/missing-worker.js', opts); }
        };
      });
      // A key test on the Keys page makes the page's first call (so the call waits for
      // the worker when its error comes), then a chat.
      await p.goto(host.url);
      await createVault(p);
      await addKey(p, { secret: key('anthropic', 'worker-lost'), label: 'Lost worker', provider: 'Anthropic', baseUrl: mock.url });
      await keyRow(p, 'Lost worker').getByRole('button', { name: 'Test' }).click();
      await expect(keyRow(p, 'Lost worker')).toContainText(/The key works: \d+ models? available/);
      await p.getByRole('link', { name: 'Chat' }).click();
      await longAnswerShown(p);
      const asked = mock.requests.filter((r) => r.headers['x-api-key'] === key('anthropic', 'worker-lost'));
      assert.deepEqual(asked.map((r) => r.path.split('?')[0]), ['/v1/models', '/v1/messages'], 'each call reached the provider once');
      const expected = [/^console: Failed to load resource: the server responded with a status of 404/];
      assert.deepEqual(fresh.problems.filter((m) => !expected.some((re) => re.test(m))), []);
    } finally {
      await fresh.close();
    }
  });
});
