// Page objects: the steps a person takes, by the names they see on screen.
import { startMockProvider } from '../mock-provider/server.mjs';
import { expect } from './expect.mjs';
import { startBrowser, startHost } from './harness.mjs';

export const PASS = 'orbit velvet canyon lamp';
export const PASS2 = 'tangerine harbor quilt 42';

// Fake keys shaped like real ones (they only ever reach the mock provider).
export const KEYS = {
  anthropic: 'sk-ant-api03-FAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE-e2eAnth-9xAA',
  openai: 'sk-proj-FAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE-e2eOpenAI-k3yZ',
  openai2: 'sk-proj-FAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE-e2eOpenAI2-Q7wE',
  gemini: 'AIzaFAKEFAKEFAKEFAKEFAKEFAKE-e2eGem-77Gm',
  compat: 'sk-or-v1-FAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE-e2eCompat-Or42',
};

export async function createVault(page, pass = PASS) {
  await page.getByLabel('Passphrase', { exact: true }).fill(pass);
  await page.getByLabel('Repeat passphrase').fill(pass);
  await page.getByRole('button', { name: 'Create vault' }).click();
  await expect(page.getByRole('heading', { name: 'Keys' })).toBeVisible();
}

export async function unlock(page, pass = PASS) {
  await page.getByLabel('Passphrase', { exact: true }).fill(pass);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expect(lockedForm(page)).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Lock', exact: true })).toBeVisible();
}

export async function addKey(page, { secret, label, provider, baseUrl, expires, notes, makeDefault }) {
  await page.getByRole('button', { name: 'Add key' }).click();
  const form = page.getByRole('form', { name: 'Add a key' });
  await form.getByLabel('Secret').fill(secret);
  if (provider) await form.getByLabel('Provider').selectOption({ label: provider });
  await form.getByLabel('Label').fill(label);
  if (baseUrl) {
    if (!(await form.getByLabel('Base URL').isVisible())) await form.getByText('Advanced').click();
    await form.getByLabel('Base URL').fill(baseUrl);
  }
  if (expires) await form.getByLabel('Expires on (optional)').fill(expires);
  if (notes) await form.getByLabel('Notes (optional)').fill(notes);
  if (makeDefault) await form.getByRole('checkbox', { name: /Make this the default/ }).check();
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form).toHaveCount(0);
  await expect(keyRow(page, label)).toBeVisible();
}

/** On the Export & import page: choose a bundle file and open it with `pass`. */
export async function openBundleFile(page, path, pass) {
  await page.getByLabel('Bundle file').setInputFiles(path);
  await page.getByLabel('Passphrase for this bundle').fill(pass);
  await page.getByRole('button', { name: 'Open bundle' }).click();
}

export function keyRow(page, label) {
  return page.getByRole('listitem', { name: label, exact: true });
}

export function lockedForm(page) {
  return page.getByRole('heading', { name: 'Unlock your vault' });
}

/** The date `days` from today in the browser's local time, as a date field takes it. */
export function localDay(days = 0) {
  const d = new Date(Date.now() + days * 86_400_000);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/**
 * For the tests of one file: a mock provider, byok-host allowing it, a browser and a
 * page with a new vault. (A `before` hook registered from here would not be awaited
 * before the file's own hooks on Node 20.)
 */
export async function startVaultSession() {
  const mock = await startMockProvider();
  const host = await startHost({ connectSrc: [mock.url] });
  const browser = await startBrowser();
  const page = await browser.newPage();
  await page.goto(host.url);
  await createVault(page);
  return { mock, host, browser, page };
}

export async function stopVaultSession(s) {
  await s?.browser?.close();
  await s?.host?.stop();
  await s?.mock?.stop();
}
