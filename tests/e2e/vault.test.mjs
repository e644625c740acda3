// Issue: the web app, vault lifecycle and key management, end to end in real Chromium
// against the release build served by byok-host.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';

import { KEYS, PASS, PASS2, addKey, createVault, keyRow, lockedForm, unlock } from './app.mjs';
import { eventually, expect } from './expect.mjs';
import { assertNotInStorage, dumpStorage, startBrowser, startHost } from './harness.mjs';

const LABELS = ['Personal Claude', 'Work OpenAI', 'Side OpenAI', 'Gemini hobby'];
const SECRETS = [KEYS.anthropic, KEYS.openai, KEYS.openai2, KEYS.gemini];
const NEW_ANTHROPIC = 'sk-ant-api03-FAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE-rotatedKey-Rt8Z';

let host;
let browser;
before(async () => { host = await startHost(); browser = await startBrowser(); });
after(async () => { await browser?.close(); await host?.stop(); });

const secretsAndLabels = () => [...SECRETS, NEW_ANTHROPIC, ...LABELS];

describe('vault lifecycle and key management', () => {
  test('create, add, reload, unlock, default, rotate, delete, lock, auto-lock, change passphrase', async () => {
    const page = await browser.newPage();
    await page.goto(host.url);

    // Nothing typed: the passphrase field takes the focus and its hint says what to do.
    const newPass = page.getByLabel('Passphrase', { exact: true });
    await page.getByRole('button', { name: 'Create vault' }).click();
    await expect(newPass).toBeFocused();
    assert.equal(await newPass.getAttribute('aria-invalid'), 'true');
    await expect(page.locator('#new-pass-strength')).toContainText('Type a passphrase: at least 12 characters');
    // A weak passphrase is refused with the reason under the field, and nothing is stored.
    await newPass.fill('short');
    assert.equal(await newPass.getAttribute('aria-invalid'), null);
    await page.getByLabel('Repeat passphrase').fill('short');
    await page.getByRole('button', { name: 'Create vault' }).click();
    await expect(newPass).toBeFocused();
    assert.equal(await newPass.getAttribute('aria-invalid'), 'true');
    await expect(page.locator('#new-pass-strength')).toContainText('at least 12 characters');
    // The focus came to the field, which its hint describes: no second reading as an
    // alert. Sent with Enter from the field itself, the refusal is announced.
    await expect(page.getByRole('alert').filter({ hasText: 'at least 12' })).toHaveCount(0);
    await newPass.press('Enter');
    await expect(page.getByRole('alert').filter({ hasText: 'at least 12' })).toHaveCount(1);
    assert.deepEqual((await dumpStorage(page)).localStorage, {});
    // Mismatched repeats are refused too, under the repeat, which takes the focus.
    await newPass.fill(PASS);
    await page.getByLabel('Repeat passphrase').fill(PASS + 'x');
    await page.getByRole('button', { name: 'Create vault' }).click();
    await expect(page.locator('#create-repeat-error')).toContainText('differ');
    await expect(page.getByLabel('Repeat passphrase')).toBeFocused();

    await createVault(page);
    await addKey(page, { secret: KEYS.anthropic, label: LABELS[0] });
    await addKey(page, { secret: KEYS.openai, label: LABELS[1], expires: '2030-01-31', notes: 'billing: team' });
    await addKey(page, { secret: KEYS.openai2, label: LABELS[2] });
    await addKey(page, { secret: KEYS.gemini, label: LABELS[3] });
    // The provider was guessed from each prefix: the groups say so.
    for (const [group, label] of [['Anthropic', LABELS[0]], ['OpenAI', LABELS[1]], ['Gemini', LABELS[3]]]) {
      await expect(page.getByRole('region', { name: group }).getByRole('listitem', { name: label })).toBeVisible();
    }
    await assertNotInStorage(page, secretsAndLabels(), assert);

    // Saved empty: the first field to mend is named under it and takes the focus; the
    // next one once that is mended.
    await page.getByRole('button', { name: 'Add key' }).click();
    const form = page.getByRole('form', { name: 'Add a key' });
    await form.getByRole('button', { name: 'Save' }).click();
    await expect(form.locator('#add-secret-error')).toContainText('The secret is empty');
    await expect(form.getByLabel('Secret')).toBeFocused();
    assert.equal(await form.getByLabel('Secret').getAttribute('aria-invalid'), 'true');
    await form.getByLabel('Secret').fill('sk-proj-FAKEFAKEFAKEFAKEFAKEFAKE-nolabel-TEST');
    await expect(form.locator('p.error')).toHaveCount(0);
    await form.getByRole('button', { name: 'Save' }).click();
    await expect(form.locator('#add-label-error')).toContainText('Give the key a label');
    await expect(form.getByLabel('Label')).toBeFocused();
    // The same secret twice is refused, naming the entry that has it.
    await form.getByLabel('Secret').fill(KEYS.openai);
    await form.getByLabel('Label').fill('Copy');
    await form.getByRole('button', { name: 'Save' }).click();
    await expect(form.locator('p.error')).toContainText(`already saved as "${LABELS[1]}"`);
    // An error about the secret goes once the secret changes; one with spaces inside is
    // refused, never saved.
    await form.getByLabel('Secret').fill('hello world');
    await expect(form.locator('p.error')).toHaveCount(0);
    // Said as it is typed; once a save is refused for it, only the error says it.
    await expect(form.locator('ul.warnings')).toContainText('spaces or line breaks inside it');
    // Enter in the field itself: the focus stays, so the error is announced as an alert
    // (where the focus moves to the field, its description reads it, once).
    await form.getByLabel('Secret').press('Enter');
    await expect(form.getByRole('alert')).toContainText('spaces or line breaks inside it');
    await expect(form.locator('ul.warnings li')).toHaveCount(0);
    await expect(keyRow(page, 'Copy')).toHaveCount(0);
    // A second OpenAI key under a label one already has (in any case) could not be told
    // apart in the chat's key menu: its label is asked for again.
    await form.getByLabel('Secret').fill('sk-proj-FAKEFAKEFAKEFAKEFAKEFAKE-samelabel-TEST');
    await form.getByLabel('Label', { exact: true }).fill(LABELS[1].toUpperCase());
    await form.getByRole('button', { name: 'Save' }).click();
    await expect(form.locator('#add-label-error')).toContainText(`Another OpenAI key is already labelled "${LABELS[1]}"`);
    await expect(form.getByLabel('Label', { exact: true })).toBeFocused();
    await form.getByLabel('Label', { exact: true }).fill('Copy');
    // A key filed under another provider than its prefix says is asked about first.
    await form.getByLabel('Secret').fill('sk-ant-api03-FAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE-mismatch-TEST');
    await form.getByLabel('Provider').selectOption({ label: 'OpenAI' });
    await form.getByRole('button', { name: 'Save' }).click();
    await expect(form.locator('p.error')).toContainText('looks like an Anthropic key, but it is saved as an OpenAI key');
    await expect(keyRow(page, 'Copy')).toHaveCount(0);
    await form.getByRole('button', { name: 'Cancel' }).click();

    // Reload: locked. A wrong passphrase says so, keeps focus, changes nothing.
    await page.reload();
    await expect(lockedForm(page)).toBeVisible();
    const before = await dumpStorage(page);
    await page.getByLabel('Passphrase', { exact: true }).fill('wrong passphrase here');
    await page.getByRole('button', { name: 'Unlock' }).click();
    await expect(page.getByRole('alert')).toContainText('Wrong passphrase');
    await expect(page.getByLabel('Passphrase', { exact: true })).toBeFocused();
    assert.deepEqual(await dumpStorage(page), before);
    await unlock(page);

    // Masked: prefix and last four only.
    const anth = keyRow(page, LABELS[0]);
    await expect(anth).toContainText('sk-ant-…9xAA');
    await expect(anth).not.toContainText(KEYS.anthropic);
    await expect(keyRow(page, LABELS[1])).toContainText('sk-proj-…k3yZ');
    await expect(keyRow(page, LABELS[1])).toContainText('expires 2030-01-31');
    await expect(keyRow(page, LABELS[1])).toContainText('billing: team');
    // Reveal on request, hide again.
    await anth.getByRole('button', { name: 'Reveal' }).click();
    await expect(anth).toContainText(KEYS.anthropic);
    await anth.getByRole('button', { name: 'Hide' }).click();
    await expect(anth).not.toContainText(KEYS.anthropic);
    // Copy puts the whole secret on the clipboard, without showing it.
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: host.url });
    await anth.getByRole('button', { name: 'Copy' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Copied. In 30 seconds byok empties the clipboard, if this tab is in front then' })).toBeVisible();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), KEYS.anthropic);
    await expect(anth).not.toContainText(KEYS.anthropic);

    // The first OpenAI key became the default; make the second one the default.
    await expect(keyRow(page, LABELS[1])).toContainText('Default');
    // It is switched off first: becoming the default switches it on, and the person is told.
    await keyRow(page, LABELS[2]).getByRole('button', { name: 'Deactivate' }).click();
    await expect(keyRow(page, LABELS[2])).toContainText('Inactive');
    await keyRow(page, LABELS[2]).getByRole('button', { name: 'Set as default' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'The key was switched off, so it is switched on again.' })).toBeVisible();
    await expect(keyRow(page, LABELS[2])).toContainText('Default');
    await expect(keyRow(page, LABELS[2])).not.toContainText('Inactive');
    await expect(keyRow(page, LABELS[1])).not.toContainText('Default');

    // Rotate: new secret, same label and settings. A secret on show is the new one.
    await anth.getByRole('button', { name: 'Reveal' }).click();
    await anth.getByRole('button', { name: 'Rotate' }).click();
    // A key of another provider is pointed out before it replaces this one.
    await anth.getByLabel('New secret').fill(KEYS.gemini);
    await expect(anth).toContainText('This key looks like a Gemini key');
    // Saving it would send a Gemini key to Anthropic: asked first, nothing changed.
    await anth.getByRole('button', { name: 'Save new secret' }).click();
    await expect(anth.locator('p.error')).toContainText('saved as an Anthropic key: chats would send it there');
    await expect(anth.getByLabel('Secret')).toContainText(KEYS.anthropic);
    await anth.getByLabel('New secret').fill(NEW_ANTHROPIC);
    await expect(anth).not.toContainText('This key looks like');
    await anth.getByRole('button', { name: 'Save new secret' }).click();
    // The new secret is tried with the provider first. The test browser resolves no
    // provider's name (tests/e2e/harness.mjs): the test cannot run, the old secret stays,
    // and "Save anyway" replaces it untested.
    await expect(anth.locator('p.error')).toContainText('The new secret could not be tested', { timeout: 30_000 });
    await expect(anth.locator('p.error')).toContainText('The old secret is kept');
    await expect(anth.getByLabel('Secret')).toContainText(KEYS.anthropic);
    // Tried again on request: the same answer, nothing changed.
    await anth.getByRole('button', { name: 'Test again' }).click();
    await expect(anth.getByRole('button', { name: 'Testing the new secret…' })).toHaveCount(0, { timeout: 30_000 });
    await expect(anth.locator('p.error')).toContainText('The new secret could not be tested');
    await expect(anth.getByLabel('Secret')).toContainText(KEYS.anthropic);
    await anth.getByRole('button', { name: 'Save anyway' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Key rotated without a test' })).toBeVisible();
    await expect(anth.getByLabel('Secret')).toContainText(NEW_ANTHROPIC);
    await expect(anth).not.toContainText(KEYS.anthropic);
    await anth.getByRole('button', { name: 'Hide' }).click();
    await expect(anth).toContainText('sk-ant-…Rt8Z');
    await expect(anth).toContainText('rotated');
    await expect(anth).toContainText('Default');

    // Delete, with a confirmation that names the key.
    const gem = keyRow(page, LABELS[3]);
    await gem.getByRole('button', { name: 'Delete' }).click();
    await expect(gem.getByRole('alertdialog')).toContainText(`Delete the key “${LABELS[3]}” (AIza…77Gm)`);
    await gem.getByRole('button', { name: 'Yes, delete' }).click();
    await expect(gem).toHaveCount(0);
    await assertNotInStorage(page, secretsAndLabels(), assert);

    // Search by label, or by provider name.
    await page.getByLabel('Search keys by label or provider').fill(LABELS[1].slice(0, 8));
    await expect(keyRow(page, LABELS[0])).toHaveCount(0);
    await expect(keyRow(page, LABELS[1])).toBeVisible();
    await page.getByLabel('Search keys by label or provider').fill('anthropic');
    await expect(keyRow(page, LABELS[0])).toBeVisible();
    await expect(keyRow(page, LABELS[1])).toHaveCount(0);
    await expect(page.getByRole('status').filter({ hasText: /^1 of \d+ keys? match$/ })).toBeVisible();
    await page.getByLabel('Search keys by label or provider').fill('');

    // Everything survives a reload.
    await page.reload();
    await unlock(page);
    await expect(keyRow(page, LABELS[0])).toContainText('sk-ant-…Rt8Z');
    await expect(keyRow(page, LABELS[2])).toContainText('Default');
    await expect(keyRow(page, LABELS[3])).toHaveCount(0);

    // Lock drops the keys from the page.
    await page.getByRole('button', { name: 'Lock', exact: true }).click();
    await expect(lockedForm(page)).toBeVisible();
    await expect(page.getByText('sk-ant-…')).toHaveCount(0);
    await assertNotInStorage(page, secretsAndLabels(), assert);

    // Auto-lock after a short idle time.
    await unlock(page);
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByLabel(/Lock after this many minutes/).fill('0.25');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Settings saved' })).toBeVisible();
    await expect(lockedForm(page)).toBeVisible({ timeout: 30_000 });
    // The unlock screen says why it locked by itself.
    await expect(page.getByRole('status').filter({ hasText: 'Locked after 15 seconds without activity' })).toBeVisible();
    await assertNotInStorage(page, secretsAndLabels(), assert);

    // Change the passphrase; the old one stops working, the new one opens the vault.
    await unlock(page);
    await page.getByLabel(/Lock after this many minutes/).fill('15');
    await page.getByRole('button', { name: 'Save settings' }).click();
    // A value out of range is said in the page, under the field (not by a browser bubble).
    await page.getByLabel(/Lock after this many minutes/).fill('99999');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect(page.locator('#autolock-form-error')).toContainText('from 0.25 (15 seconds) to 1440 (a day)');
    await expect(page.getByLabel(/Lock after this many minutes/)).toBeFocused();
    await page.getByLabel(/Lock after this many minutes/).fill('15');
    await expect(page.locator('#autolock-form-error')).toHaveCount(0);
    // A wrong current passphrase is named under its field, which takes the focus; the
    // new one typed stays.
    await page.getByLabel('Current passphrase').fill(PASS + 'x');
    await page.getByLabel('New passphrase', { exact: true }).fill(PASS2);
    await page.getByLabel('Repeat new passphrase').fill(PASS2);
    await page.getByRole('button', { name: 'Change passphrase' }).click();
    await expect(page.locator('#chpass-passphrase-error')).toContainText('The current passphrase is wrong', { timeout: 20_000 });
    await expect(page.getByLabel('Current passphrase')).toBeFocused();
    assert.equal(await page.getByLabel('New passphrase', { exact: true }).inputValue(), PASS2);
    // The same passphrase again would change nothing: said, and the new one asked for.
    await page.getByLabel('Current passphrase').fill(PASS);
    await page.getByLabel('New passphrase', { exact: true }).fill(PASS);
    await page.getByLabel('Repeat new passphrase').fill(PASS);
    await page.getByRole('button', { name: 'Change passphrase' }).click();
    await expect(page.locator('#chpass-newpassphrase-error')).toContainText('The new passphrase is the same as the one under Current passphrase');
    // The field is marked and described by the message, and its text selected to retype.
    const fresh = page.getByLabel('New passphrase', { exact: true });
    await expect(fresh).toBeFocused();
    assert.equal(await fresh.getAttribute('aria-invalid'), 'true');
    assert.match(await fresh.getAttribute('aria-describedby'), /chpass-newpassphrase-error/);
    assert.equal(await fresh.evaluate((el) => el.selectionEnd - el.selectionStart), PASS.length);
    await page.getByLabel('New passphrase', { exact: true }).fill(PASS2);
    await page.getByLabel('Repeat new passphrase').fill(PASS2);
    await page.getByRole('button', { name: 'Change passphrase' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Passphrase changed' })).toBeVisible();
    await page.getByRole('button', { name: 'Lock', exact: true }).click();
    await page.getByLabel('Passphrase', { exact: true }).fill(PASS);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await expect(page.getByRole('alert')).toContainText('Wrong passphrase');
    await unlock(page, PASS2);
    await page.getByRole('link', { name: 'Keys' }).click();
    await expect(keyRow(page, LABELS[1])).toBeVisible();
    await assertNotInStorage(page, [...secretsAndLabels(), PASS, PASS2], assert);

    assert.deepEqual(browser.problems, []);
    await page.close();
  });

  test('two tabs editing at once lose neither edit', async () => {
    const a = await browser.newPage();
    await a.goto(host.url);
    // Continue with the vault of the previous test if it exists; else make one.
    if (await a.getByRole('button', { name: 'Create vault' }).isVisible()) await createVault(a, PASS2);
    else await unlock(a, PASS2);
    const b = await browser.newPage();
    await b.goto(host.url);
    await unlock(b, PASS2);

    await addKey(a, { secret: 'sk-proj-FAKEFAKEFAKEFAKEFAKEFAKEFAKE-tabA-key-AAAA', label: 'From tab A' });
    // Tab B has not reloaded; its edit must not erase tab A's.
    await addKey(b, { secret: 'sk-proj-FAKEFAKEFAKEFAKEFAKEFAKEFAKE-tabB-key-BBBB', label: 'From tab B' });
    await expect(keyRow(b, 'From tab A')).toBeVisible();
    await expect(keyRow(a, 'From tab B')).toBeVisible();
    // Both edit the same key's neighbours at once: rename in A, deactivate in B.
    await keyRow(a, 'From tab A').getByRole('button', { name: 'Edit' }).click();
    await keyRow(a, 'From tab A').getByLabel('Label').fill('Renamed in A');
    await keyRow(b, 'From tab B').getByRole('button', { name: 'Deactivate' }).click();
    await keyRow(a, 'From tab A').getByRole('button', { name: 'Save' }).click();
    await expect(keyRow(b, 'Renamed in A')).toBeVisible();

    const c = await browser.newPage();
    await c.goto(host.url);
    await unlock(c, PASS2);
    await expect(keyRow(c, 'Renamed in A')).toBeVisible();
    await expect(keyRow(c, 'From tab B')).toContainText('Inactive');
    await keyRow(c, 'From tab B').getByRole('button', { name: 'Activate' }).click();
    await expect(keyRow(c, 'From tab B').getByText('Active', { exact: true })).toBeVisible();
    await expect(keyRow(a, 'From tab B')).not.toContainText('Inactive');
    for (const p of [a, b, c]) await p.close();
    assert.deepEqual(browser.problems, []);
  });

  test('a damaged record is reported, kept, and the previous copy offered', async () => {
    const page = await browser.newPage();
    await page.goto(host.url);
    await unlock(page, PASS2);
    await addKey(page, { secret: 'AIzaFAKEFAKEFAKEFAKEFAKEFAKE-lastChange-Lc00', label: 'Last change' });
    await page.getByRole('button', { name: 'Lock', exact: true }).click();
    // Flip one character of the encrypted contents, as a disk error would.
    const damaged = await page.evaluate(() => {
      const r = JSON.parse(localStorage.getItem('byok.vault'));
      const ct = r.data.ct;
      r.data.ct = (ct[10] === 'A' ? 'B' : 'A') + ct.slice(1, 10) + ct.slice(10);
      r.data.ct = ct.slice(0, 10) + (ct[10] === 'A' ? 'B' : 'A') + ct.slice(11);
      const text = JSON.stringify(r);
      localStorage.setItem('byok.vault', text);
      return text;
    });
    await page.reload();
    await page.getByLabel('Passphrase', { exact: true }).fill(PASS2);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await expect(page.getByRole('alert')).toContainText('damaged');
    // Never overwritten by the failed attempt.
    assert.equal(await page.evaluate(() => localStorage.getItem('byok.vault')), damaged);
    await page.getByRole('button', { name: 'Open the previous copy' }).click();
    await expect(page.getByRole('heading', { name: 'Keys' })).toBeVisible();
    await expect(keyRow(page, 'Renamed in A')).toBeVisible();
    // The previous copy is from before the last change.
    await expect(keyRow(page, 'Last change')).toHaveCount(0);
    assert.equal(await page.evaluate(() => localStorage.getItem('byok.vault.damaged')), damaged);

    // The record set aside still wraps the same data key: after a change of passphrase
    // the old one must not open it (nor, with its key, the vault); it is wrapped anew.
    const change = async (from, to) => {
      await page.getByRole('link', { name: 'Settings' }).click();
      await page.getByLabel('Current passphrase').fill(from);
      await page.getByLabel('New passphrase', { exact: true }).fill(to);
      await page.getByLabel('Repeat new passphrase').fill(to);
      const salt = () => page.evaluate(() => JSON.parse(localStorage.getItem('byok.vault')).kdf.salt);
      const before = await salt();
      await page.getByRole('button', { name: 'Change passphrase' }).click();
      await eventually(async () => (await salt()) !== before || 'not changed yet', 'the passphrase changed');
    };
    await change(PASS2, PASS);
    const [now, aside] = await page.evaluate(() => ['byok.vault', 'byok.vault.damaged'].map((k) => JSON.parse(localStorage.getItem(k))));
    const was = JSON.parse(damaged);
    assert.deepEqual(aside.data, was.data, 'its contents are kept as they were');
    assert.deepEqual(aside.kdf, now.kdf, 'wrapped under the new passphrase');
    assert.notDeepEqual(aside.kdf, was.kdf);
    assert.notDeepEqual(aside.wrapped_key, was.wrapped_key);
    await change(PASS, PASS2);
    await page.close();
  });

  test('storage full during a save: clear error, previous vault still opens', async () => {
    const page = await browser.newPage();
    await page.goto(host.url);
    await unlock(page, PASS2);
    // Fill the origin's localStorage quota with filler.
    await page.evaluate(() => {
      let chunk = 'x'.repeat(512 * 1024);
      for (let i = 0; ; i++) {
        try { localStorage.setItem(`filler.${i}`, chunk); } catch {
          if (chunk.length < 64) break;
          chunk = chunk.slice(0, chunk.length / 2);
        }
      }
    });
    await page.getByRole('button', { name: 'Add key' }).click();
    const form = page.getByRole('form', { name: 'Add a key' });
    await form.getByLabel('Secret').fill('sk-proj-FAKEFAKEFAKEFAKEFAKEFAKEFAKE-noRoom-NNNN');
    await form.getByLabel('Label').fill('No room');
    await form.getByRole('button', { name: 'Save' }).click();
    await expect(form.getByRole('alert')).toContainText('storage for this site is full');
    await page.evaluate(() => { for (const k of Object.keys(localStorage)) if (k.startsWith('filler.')) localStorage.removeItem(k); });
    await page.reload();
    await unlock(page, PASS2);
    await expect(keyRow(page, 'Renamed in A')).toBeVisible();
    await expect(keyRow(page, 'No room')).toHaveCount(0);
    await page.close();
  });

  test('forget this browser\'s vault needs the typed confirmation, then wipes everything', async () => {
    const page = await browser.newPage();
    await page.goto(host.url + '/settings');
    await unlock(page, PASS2);
    await expect(page.getByRole('heading', { name: 'Settings' })).toBeVisible();
    await expect(page.getByRole('button', { name: "Forget this browser's vault" })).toBeVisible();
    // A forgotten passphrase: the same way out from the unlock screen, which says that
    // nobody can recover it and what to do instead.
    await page.getByRole('button', { name: 'Lock', exact: true }).click();
    await page.getByText('Forgot your passphrase?').click();
    await expect(page.getByText('Nobody can recover it')).toBeVisible();
    await page.getByLabel('Type FORGET to confirm').fill('forget');
    await page.getByRole('button', { name: "Forget this browser's vault" }).click();
    await expect(page.getByRole('alert')).toContainText('Type FORGET');
    assert.ok(await page.evaluate(() => localStorage.getItem('byok.vault')));
    await page.getByLabel('Type FORGET to confirm').fill('FORGET');
    await page.getByRole('button', { name: "Forget this browser's vault" }).click();
    await expect(page.getByRole('heading', { name: 'Create your vault' })).toBeVisible();
    const s = await dumpStorage(page);
    assert.deepEqual(Object.keys(s.localStorage).filter((k) => k.startsWith('byok.')), []);
    await page.close();
  });
});

describe('byok-host as curl sees it', () => {
  const curl = (...args) => execFileSync('curl', ['-s', ...args], { encoding: 'utf8' });
  test('every security header on the app', () => {
    const h = curl('-I', host.url + '/').toLowerCase();
    for (const want of [
      "content-security-policy: default-src 'none'; script-src 'self' 'wasm-unsafe-eval' 'sha256-",
      "connect-src 'self' https://api.anthropic.com https://api.openai.com https://generativelanguage.googleapis.com",
      "object-src 'none'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
      'x-content-type-options: nosniff', 'referrer-policy: no-referrer', 'permissions-policy: ',
      'cross-origin-opener-policy: same-origin', 'cache-control: no-cache',
    ]) assert.ok(h.includes(want), `missing ${want} in\n${h}`);
    assert.ok(!h.includes('unsafe-inline'));
  });
  test('hashed assets: immutable, wasm MIME, compressed on request', () => {
    const html = curl(host.url + '/');
    const wasm = html.match(/\/(byok-app-[0-9a-f]+_bg\.wasm)/)[1];
    const h = curl('-I', '-H', 'Accept-Encoding: br, gzip', `${host.url}/${wasm}`).toLowerCase();
    assert.match(h, /content-type: application\/wasm/);
    assert.match(h, /cache-control: public, max-age=31536000, immutable/);
    assert.match(h, /content-encoding: br/);
  });
  test('unknown route gives the app, unknown asset gives 404', () => {
    const route = curl('-w', '\n%{http_code}', host.url + '/some/deep/route');
    assert.ok(route.endsWith('\n200') && route.includes('<title>byok'), route.slice(-80));
    assert.equal(curl('-o', '/dev/null', '-w', '%{http_code}', host.url + '/missing-asset.js'), '404');
  });
});
