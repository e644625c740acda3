// Issue: encrypted export and import of key bundles in the web app.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, truncateSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { KEYS, PASS, addKey, createVault, keyRow, openBundleFile, unlock } from './app.mjs';
import { bundleEntry, webcryptoBundle } from './bundles.mjs';
import { eventually, expect } from './expect.mjs';
import { ROOT, dumpStorage, startBrowser, startHost } from './harness.mjs';

const BUNDLE_PASS = 'ferry lantern meadow 2026';
const BYOK = process.env.BYOK_BIN || join(ROOT, 'target', 'release', 'byok');
const REFERENCE = readFileSync(join(ROOT, 'tests', 'interop', 'reference.mjs'), 'utf8');
const NEGATIVE = join(ROOT, 'crates', 'core', 'tests', 'vectors', 'bundle', 'negative');

let host;
let browser;
let dir;
before(async () => {
  host = await startHost();
  browser = await startBrowser();
  dir = mkdtempSync(join(tmpdir(), 'byok-transfer-'));
});
after(async () => {
  await browser?.close();
  await host?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function exportBundle(page, { scope, provider, pass = BUNDLE_PASS } = {}) {
  await page.getByRole('link', { name: 'Export & import' }).click();
  if (scope === 'provider') {
    await page.getByRole('radio', { name: "One provider's keys" }).check();
    await page.getByLabel('Provider').selectOption({ label: provider });
  }
  await page.getByLabel('Bundle passphrase', { exact: true }).fill(pass);
  await page.getByLabel('Repeat bundle passphrase').fill(pass);
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export bundle' }).click();
  const d = await download;
  const today = new Date().toISOString().slice(0, 10);
  assert.equal(d.suggestedFilename(), `byok-keys-${today}.byok.json`);
  const path = join(dir, `export-${Date.now()}.byok.json`);
  await d.saveAs(path);
  // The result takes the focus from the button, so it is read next.
  await expect(page.locator('#export-done')).toContainText('only as safe as its passphrase');
  await expect(page.locator('#export-done')).toBeFocused();
  return path;
}

const importFile = (page, path, pass = BUNDLE_PASS) => openBundleFile(page, path, pass);

const entry = bundleEntry;

describe('export and import', () => {
  test('export two providers, forget the vault, create a new one, import: keys are back', async () => {
    const page = await browser.newPage();
    await page.goto(host.url);
    await createVault(page);
    await addKey(page, { secret: KEYS.anthropic, label: 'Claude main' });
    await addKey(page, { secret: KEYS.openai, label: 'OpenAI work', expires: '2031-03-15' });
    await addKey(page, { secret: KEYS.openai2, label: 'OpenAI spare', makeDefault: true });
    const path = await exportBundle(page);
    const text = readFileSync(path, 'utf8');
    for (const s of [KEYS.anthropic, KEYS.openai, 'Claude main']) assert.ok(!text.includes(s), 'plaintext in the file');

    // The file opens with the spec's reference decryptor run in the page (plain WebCrypto).
    // Evaluated as an expression through the DevTools protocol, which the page's CSP
    // (rightly) would not allow as script; the decryptor's code is the spec's, verbatim.
    const opened = await page.evaluate(`(async () => { ${REFERENCE.replace(/^export /m, '')}
      return decryptBundle(${text}, ${JSON.stringify(BUNDLE_PASS)}); })()`);
    assert.deepEqual(opened.keys.map((k) => k.label).sort(), ['Claude main', 'OpenAI spare', 'OpenAI work']);
    assert.equal(opened.keys.find((k) => k.label === 'Claude main').secret, KEYS.anthropic);
    // And with the CLI.
    const cli = JSON.parse(execFileSync(BYOK, ['bundle', 'decrypt', path], { env: { ...process.env, BYOK_PASSPHRASE: BUNDLE_PASS } }));
    assert.equal(cli.keys.find((k) => k.label === 'OpenAI work').secret, KEYS.openai);

    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByLabel('Type FORGET to confirm').fill('FORGET');
    await page.getByRole('button', { name: "Forget this browser's vault" }).click();
    await createVault(page, 'a brand new vault passphrase');
    await page.getByRole('link', { name: 'Export & import' }).click();
    await importFile(page, path);
    await expect(page.getByRole('status').filter({ hasText: '3 new, 0 already here' })).toBeVisible();
    // Nothing written before confirming.
    assert.equal((await page.evaluate(() => localStorage.getItem('byok.vault.prev'))), null);
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Imported 3 new keys' })).toBeVisible();
    // The Import button is gone: focus is on the result, the way to the keys next.
    await expect(page.locator('#import-done')).toBeFocused();
    await page.keyboard.press('Tab');
    await expect(page.getByRole('link', { name: 'Open the key list' })).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(keyRow(page, 'Claude main')).toContainText('Default');
    await expect(keyRow(page, 'OpenAI spare')).toContainText('Default');
    await expect(keyRow(page, 'OpenAI work')).not.toContainText('Default');
    await expect(keyRow(page, 'OpenAI work')).toContainText('expires 2031-03-15');

    // Importing the same file again skips every key.
    await page.getByRole('link', { name: 'Export & import' }).click();
    await importFile(page, path);
    await expect(page.getByRole('status').filter({ hasText: '0 new, 3 already here' })).toBeVisible();
    // Nothing to import: said so, and the button cannot be pressed for nothing.
    await expect(page.getByRole('status').filter({ hasText: 'Nothing to import' })).toBeVisible();
    assert.equal(await page.getByRole('button', { name: 'Import', exact: true }).isDisabled(), true);
    await page.getByRole('button', { name: 'Cancel' }).click();
    assert.deepEqual(browser.problems, []);
    await page.close();
  });

  test('label clashes and defaults are the user\'s choice; WebCrypto and CLI bundles import', async () => {
    const page = await browser.newPage();
    await page.goto(host.url);
    await unlock(page, 'a brand new vault passphrase');
    await page.getByRole('link', { name: 'Export & import' }).click();
    // A bundle written by plain WebCrypto: one clash on "Claude main", one new default.
    const wc = join(dir, 'webcrypto.byok.json');
    writeFileSync(wc, await webcryptoBundle([
      entry('Claude main', 'anthropic', 'sk-ant-api03-FAKEFAKEFAKEFAKEFAKEFAKEFAKE-otherClaude-Oc11'),
      entry('Gemini new', 'gemini', 'AIzaFAKEFAKEFAKEFAKEFAKEFAKE-webcrypto-Wc22'),
    ], 'pässwörd 密码 🔑 long enough'));
    await importFile(page, wc, 'pässwörd 密码 🔑 long enough');
    await expect(page.getByRole('status').filter({ hasText: '1 new, 0 already here, 1 with a label already in use' })).toBeVisible();
    await expect(page.getByText('Make it the default instead of “Claude main”')).toBeVisible();
    await page.getByLabel('What to do with “Claude main”').selectOption('rename');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByRole('link', { name: 'Keys' }).click();
    await expect(keyRow(page, 'Claude main (2)')).toContainText('sk-ant-…Oc11');
    await expect(keyRow(page, 'Claude main (2)')).not.toContainText('Default');
    await expect(keyRow(page, 'Claude main')).toContainText('Default');
    await expect(keyRow(page, 'Gemini new')).toContainText('Default');

    // A bundle written by `byok bundle encrypt`.
    const plain = join(dir, 'plain.json');
    writeFileSync(plain, JSON.stringify({ schema: 1, exported_at: '2026-11-26T00:00:00Z', keys: [
      entry('From the CLI', 'openai-compatible', 'sk-or-v1-FAKEFAKEFAKEFAKEFAKEFAKE-cli-Cl33', { base_url: 'https://openrouter.ai/api/v1' }),
    ] }));
    const cliBundle = join(dir, 'cli.byok.json');
    execFileSync(BYOK, ['bundle', 'encrypt', plain, '-o', cliBundle], { env: { ...process.env, BYOK_PASSPHRASE: BUNDLE_PASS } });
    rmSync(plain);
    await page.getByRole('link', { name: 'Export & import' }).click();
    await importFile(page, cliBundle);
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByRole('link', { name: 'Keys' }).click();
    await expect(keyRow(page, 'From the CLI')).toContainText('base URL https://openrouter.ai/api/v1');
    await page.close();
  });

  test('a bundle with keys edited elsewhere updates them only when the user chooses to', async () => {
    const page = await browser.newPage();
    await page.goto(host.url);
    await unlock(page, 'a brand new vault passphrase');
    await page.getByRole('link', { name: 'Export & import' }).click();
    // The same three secrets, edited on another device: one relabelled with notes and a
    // later expiry, one set inactive, one with notes; and a key byok refuses (a base URL
    // with a password in it).
    const edited = join(dir, 'edited.byok.json');
    writeFileSync(edited, await webcryptoBundle([
      entry('OpenAI work (laptop)', 'openai', KEYS.openai, { expires_at: '2031-06-30T00:00:00Z', notes: 'Team budget, ask Ana' }),
      entry('OpenAI spare', 'openai', KEYS.openai2, { is_active: false }),
      entry('Claude main', 'anthropic', KEYS.anthropic, { notes: 'Shared with design' }),
      entry('Proxy', 'openai', 'sk-proj-FAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE-refusedProxy', { base_url: 'https://user:pw@evil.example/v1' }),
    ], BUNDLE_PASS));
    await importFile(page, edited);
    await expect(page.getByRole('status').filter({ hasText: '0 new, 0 already here, 3 already here but changed elsewhere' })).toBeVisible();
    await expect(page.getByText('Already here as “OpenAI work”; the bundle has a different label, expiry date and notes.')).toBeVisible();
    await expect(page.getByText('Already here as “OpenAI spare”; the bundle has a different active or inactive setting.')).toBeVisible();
    // Kept by default: nothing to import until an update is chosen.
    assert.equal(await page.getByRole('button', { name: 'Import', exact: true }).isDisabled(), true);
    await expect(page.getByRole('status').filter({ hasText: 'Nothing to import yet' })).toBeVisible();
    const before = await page.evaluate(() => localStorage.getItem('byok.vault'));
    await page.getByLabel('What to do with “OpenAI work”').selectOption('update');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Imported 0 new keys, updated 1, skipped 2 already here, 1 could not be imported.' })).toBeVisible();
    assert.notEqual(await page.evaluate(() => localStorage.getItem('byok.vault')), before);
    await page.getByRole('link', { name: 'Open the key list' }).click();
    const work = keyRow(page, 'OpenAI work (laptop)');
    await expect(work).toContainText('expires 2031-06-30');
    await expect(work).toContainText('Team budget, ask Ana');
    await expect(keyRow(page, 'OpenAI work')).toHaveCount(0);
    await expect(keyRow(page, 'OpenAI spare')).not.toContainText('Inactive');

    // "Update all" takes every change; the untouched key stays as it was.
    await page.getByRole('link', { name: 'Export & import' }).click();
    await importFile(page, edited);
    await expect(page.getByRole('status').filter({ hasText: '0 new, 1 already here, 2 already here but changed elsewhere' })).toBeVisible();
    await page.getByRole('button', { name: 'Update all 2 changed keys from the bundle' }).click();
    assert.equal(await page.getByLabel('What to do with “OpenAI spare”').inputValue(), 'update');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await expect(page.getByRole('status').filter({ hasText: 'updated 2, skipped 1 already here, 1 could not be imported.' })).toBeVisible();
    await page.getByRole('link', { name: 'Open the key list' }).click();
    await expect(keyRow(page, 'OpenAI spare')).toContainText('Inactive');
    await expect(keyRow(page, 'OpenAI spare')).toContainText('Default');
    await expect(keyRow(page, 'Claude main')).toContainText('Shared with design');
    await expect(keyRow(page, 'Claude main')).toContainText('Default');
    assert.deepEqual(browser.problems, []);
    await page.close();
  });

  test('every bad input gets one clear message and leaves storage byte-for-byte unchanged', async () => {
    const page = await browser.newPage();
    await page.goto(host.url);
    await unlock(page, 'a brand new vault passphrase');
    await page.getByRole('link', { name: 'Export & import' }).click();
    // Export mistakes are named under their field, which takes the focus; nothing is
    // downloaded.
    let downloads = 0;
    page.on('download', () => { downloads += 1; });
    const bundlePass = page.getByLabel('Bundle passphrase', { exact: true });
    await bundlePass.fill('short');
    await page.getByRole('button', { name: 'Export bundle' }).click();
    await expect(bundlePass).toBeFocused();
    assert.equal(await bundlePass.getAttribute('aria-invalid'), 'true');
    await bundlePass.fill(BUNDLE_PASS);
    await page.getByLabel('Repeat bundle passphrase').fill(`${BUNDLE_PASS}!`);
    await page.getByRole('button', { name: 'Export bundle' }).click();
    await expect(page.getByLabel('Repeat bundle passphrase')).toBeFocused();
    await expect(page.locator('#export-repeat-error')).toContainText('The two passphrases differ');
    await page.getByLabel('Use my vault passphrase for the bundle').check();
    const vaultPass = page.getByLabel('Vault passphrase', { exact: true });
    await vaultPass.fill('not my vault passphrase');
    await page.getByRole('button', { name: 'Export bundle' }).click();
    await expect(page.locator('#export-passphrase-error')).toContainText('That is not your vault passphrase', { timeout: 20_000 });
    await expect(vaultPass).toBeFocused();
    // Selected, as at unlock: typing it again replaces it.
    assert.deepEqual(await vaultPass.evaluate((i) => [i.selectionStart, i.selectionEnd]), [0, 'not my vault passphrase'.length]);
    await page.getByLabel('Use my vault passphrase for the bundle').uncheck();
    assert.equal(downloads, 0);
    const good = readdirSync(dir).find((f) => f.startsWith('export-'));
    const goodText = readFileSync(join(dir, good), 'utf8');
    const huge = join(dir, 'huge.byok.json');
    writeFileSync(huge, '');
    truncateSync(huge, 100 * 1024 * 1024);
    const vaultRecord = await page.evaluate(() => localStorage.getItem('byok.vault'));
    const g = JSON.parse(goodText);
    const newer = JSON.stringify({ ...g, version: 2 });
    const cases = [
      ['empty', '', /empty/i],
      ['not JSON', 'hello, this is not json', /not (valid )?JSON/i],
      // Another JSON file: said in plain words first, with what to choose instead.
      ['other JSON', '{"hello": "world"}', /This file is not a byok bundle\. Choose the file byok exported/],
      ['an edited bundle', JSON.stringify({ ...g, cipher: { ...g.cipher, iv: 'not base64!' } }), /This bundle is damaged or was not made by byok/],
      ['a vault record', vaultRecord, /vault record, not a bundle/i],
      ['a truncated download', goodText.slice(0, Math.floor(goodText.length / 2)), /This file is cut off: it ends before the bundle does/],
      ['a newer version', newer, /newer byok/i],
    ];
    const before = await dumpStorage(page);
    const seen = new Set();
    for (const [name, text, want] of cases) {
      const p = join(dir, `bad-${name.replace(/\W+/g, '-')}.byok.json`);
      writeFileSync(p, text);
      await page.getByLabel('Bundle file').setInputFiles(p);
      await expect(page.getByRole('alert')).toContainText(want);
      const msg = (await page.getByRole('alert').innerText()).trim();
      assert.ok(msg.length > 10 && !seen.has(msg), `${name}: ${msg}`);
      seen.add(msg);
    }
    await page.getByLabel('Bundle file').setInputFiles(huge);
    await expect(page.getByRole('alert')).toContainText('never larger than 16 MB');
    // Wrong passphrase: the one message for wrong passphrase and tampering alike.
    await importFile(page, join(dir, good), 'not the right passphrase');
    // The summary names the file; the answer stands by the passphrase field.
    const openForm = page.getByRole('form', { name: 'Open bundle' });
    await expect(openForm).toContainText(`\u201c${good}\u201d is a byok bundle`);
    await expect(openForm.locator('p.error')).toContainText('Wrong passphrase, or the file was changed. Check that this is the passphrase');
    await expect(page.getByLabel('Passphrase for this bundle')).toBeFocused();
    assert.deepEqual(await page.getByLabel('Passphrase for this bundle').evaluate((i) => [i.selectionStart, i.selectionEnd]), [0, 'not the right passphrase'.length]);
    const tampered = JSON.parse(goodText);
    tampered.ciphertext = (tampered.ciphertext[0] === 'A' ? 'B' : 'A') + tampered.ciphertext.slice(1);
    writeFileSync(join(dir, 'tampered.byok.json'), JSON.stringify(tampered));
    await importFile(page, join(dir, 'tampered.byok.json'));
    await expect(page.locator('p.error')).toContainText('Wrong passphrase, or the file was changed');
    // The file field keeps naming the file being opened (it used to read "No file
    // chosen" at once); Cancel empties it, and the same file can be chosen again
    // through the picker.
    const fileField = page.getByLabel('Bundle file');
    assert.equal(await fileField.evaluate((i) => i.files[0]?.name), 'tampered.byok.json');
    await page.getByRole('form', { name: 'Open bundle' }).getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await fileField.inputValue(), '');
    const passField = page.getByLabel('Passphrase for this bundle');
    for (let round = 0; round < 2; round++) {
      const chooser = page.waitForEvent('filechooser');
      await fileField.click();
      await (await chooser).setFiles(join(dir, 'tampered.byok.json'));
      // Read afresh each time: what was typed for the last reading is gone.
      await eventually(async () => (await passField.count()) === 1 && (await passField.inputValue()) === '', `round ${round}: the file was read`);
      assert.equal(await fileField.evaluate((i) => i.files[0]?.name), 'tampered.byok.json');
      await passField.fill('typed before choosing again');
    }
    // The picker opened and closed without a choice: the bundle on screen is still that
    // file's, and the field says so again.
    const chooser = page.waitForEvent('filechooser');
    await fileField.click();
    await chooser;
    await fileField.dispatchEvent('cancel');
    assert.equal(await fileField.evaluate((i) => i.files[0]?.name), 'tampered.byok.json');
    assert.equal(await passField.inputValue(), 'typed before choosing again');
    // Text pasted instead: the field no longer names a file the bundle did not come from.
    await page.getByLabel('Or paste the bundle text').fill(goodText);
    await page.getByRole('button', { name: 'Read pasted text' }).click();
    await eventually(async () => (await passField.inputValue()) === '', 'the pasted text was read');
    assert.equal(await fileField.inputValue(), '');
    await page.getByLabel('Or paste the bundle text').fill('');
    // Every refusal rule of the spec, through the same file picker.
    for (const f of readdirSync(NEGATIVE)) {
      const [head, ...rest] = readFileSync(join(NEGATIVE, f), 'utf8').split('\n');
      assert.match(head, /^expect: /);
      const p = join(dir, f);
      writeFileSync(p, rest.join('\n'));
      await page.getByLabel('Bundle file').setInputFiles(p);
      // Refused at once, or at the latest when the passphrase is tried.
      const alert = page.locator('p.error');
      const passField = page.getByLabel('Passphrase for this bundle');
      await expect(alert.or(passField)).toBeVisible();
      if (!(await alert.isVisible())) {
        // The vectors are encrypted under the golden vector's passphrase.
        await page.getByLabel('Passphrase for this bundle').fill('correct horse battery staple');
        await page.getByRole('button', { name: 'Open bundle' }).click();
      }
      await expect(alert).toBeVisible();
      const tagRule = head.includes('WrongPassphraseOrTampered');
      const said = await alert.innerText();
      assert.equal(said.includes('Wrong passphrase, or the file was changed'), tagRule, `${f}: ${said}`);
      assert.ok(!(await page.getByRole('button', { name: 'Import', exact: true }).isVisible()), `${f} reached the preview`);
    }
    const afterAll = await dumpStorage(page);
    assert.deepEqual(afterAll, before);
    assert.deepEqual(browser.problems, []);
    await page.close();
  });

  test('paste and drag-and-drop work like the file picker', async () => {
    const page = await browser.newPage();
    await page.goto(host.url);
    await unlock(page, 'a brand new vault passphrase');
    await page.getByRole('link', { name: 'Export & import' }).click();
    const text = await webcryptoBundle([entry('Pasted key', 'openai', 'sk-proj-FAKEFAKEFAKEFAKEFAKE-pasted-Ps44')], BUNDLE_PASS);
    await page.getByLabel('Or paste the bundle text').fill(text);
    await page.getByRole('button', { name: 'Read pasted text' }).click();
    await expect(page.getByText('600,000 rounds')).toBeVisible();
    await page.getByRole('button', { name: 'Cancel' }).click();
    // Pasted text that is no bundle is called text, with where the right text is.
    await page.getByLabel('Or paste the bundle text').fill('just a note I copied');
    await page.getByRole('button', { name: 'Read pasted text' }).click();
    await expect(page.getByRole('alert')).toContainText('This text is not a byok bundle. Paste the whole content of the .byok.json file');
    // Nothing pasted, or only part of a bundle: said in words about text, not a file.
    await page.getByLabel('Or paste the bundle text').fill('');
    await page.getByRole('button', { name: 'Read pasted text' }).click();
    await expect(page.getByRole('alert')).toContainText('There is no text to read yet. Paste the whole content');
    await page.getByLabel('Or paste the bundle text').fill(text.slice(0, Math.floor(text.length / 2)));
    await page.getByRole('button', { name: 'Read pasted text' }).click();
    await expect(page.getByRole('alert')).toContainText('This text is cut off: it ends before the bundle does.');
    // The message is about the text that was read: changing the text puts it away.
    await page.getByLabel('Or paste the bundle text').press('End');
    await page.getByLabel('Or paste the bundle text').pressSequentially('x');
    await expect(page.getByRole('alert')).toHaveCount(0);
    // A wrong passphrase for pasted text speaks of the text too.
    await page.getByLabel('Or paste the bundle text').fill(text);
    await page.getByRole('button', { name: 'Read pasted text' }).click();
    await page.getByLabel('Passphrase for this bundle').fill('not the passphrase at all');
    await page.getByRole('button', { name: 'Open bundle' }).click();
    await expect(page.locator('#import-passphrase-error')).toContainText('Wrong passphrase, or the text was changed.');
    for (const m of await page.locator('p.error').allInnerTexts()) assert.doesNotMatch(m, /file/);
    await page.getByRole('form', { name: 'Open bundle' }).getByRole('button', { name: 'Cancel' }).click();
    const dropped = await webcryptoBundle([entry('Dropped key', 'openai', 'sk-proj-FAKEFAKEFAKEFAKEFAKE-dropped-Dr55')], BUNDLE_PASS);
    const dt = await page.evaluateHandle((t) => {
      const d = new DataTransfer();
      d.items.add(new File([t], 'dropped.byok.json', { type: 'application/json' }));
      return d;
    }, dropped);
    await page.getByRole('region', { name: 'Import keys' }).dispatchEvent('drop', { dataTransfer: dt });
    await page.getByLabel('Passphrase for this bundle').fill(BUNDLE_PASS);
    await page.getByRole('button', { name: 'Open bundle' }).click();
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByRole('link', { name: 'Keys' }).click();
    await expect(keyRow(page, 'Dropped key')).toBeVisible();
    await expect(keyRow(page, 'Pasted key')).toHaveCount(0);
    await page.close();
  });

  test('a 10,000-key bundle imports', async () => {
    const page = await browser.newPage();
    await page.goto(host.url);
    await unlock(page, 'a brand new vault passphrase');
    await page.getByRole('link', { name: 'Export & import' }).click();
    const keys = Array.from({ length: 10_000 }, (_, i) => entry(`Bulk ${i}`, 'openai', `sk-proj-FAKEFAKEFAKEFAKE-bulk-${String(i).padStart(6, '0')}`, { is_default: false }));
    const p = join(dir, 'bulk.byok.json');
    writeFileSync(p, await webcryptoBundle(keys, BUNDLE_PASS));
    await importFile(page, p);
    await expect(page.getByRole('status').filter({ hasText: '10000 new' })).toBeVisible({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Imported 10000 new keys' })).toBeVisible({ timeout: 30_000 });
    await page.close();
  });
});
