// Interop between the `byok` binary and standard WebCrypto, both ways, plus the golden
// vector. Run from the repository root after building byok:
//   cargo build --release --bin byok && node --test tests/interop/
// BYOK_BIN overrides the binary; else target/release/byok, else target/debug/byok.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { decryptBundle } from './reference.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const vectors = join(root, 'crates/core/tests/vectors/bundle');
const GOLDEN_PASS = 'correct horse battery staple';

// The newer of the release and debug builds, so a stale one left from long ago is not
// what gets tested.
function byokBin() {
  if (process.env.BYOK_BIN) return process.env.BYOK_BIN;
  const found = ['target/release/byok', 'target/debug/byok']
    .map((p) => join(root, p))
    .filter((p) => existsSync(p))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (found.length === 0) {
    throw new Error('no byok binary: run `cargo build --release --bin byok` or set BYOK_BIN');
  }
  return found[0];
}

function byok(args, passphrase) {
  const env = { ...process.env, BYOK_PASSPHRASE: passphrase };
  const r = spawnSync(byokBin(), args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.equal(r.status, 0, `byok ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

function scratch() {
  const dir = mkdtempSync(join(tmpdir(), 'byok-interop-'));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

const toB64 = (bytes) => {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
};

// A bundle writer in plain WebCrypto, as a browser would write one: fresh salt and IV,
// the spec's header, the protected string as AAD.
async function encryptBundle(plaintext, passphrase, iterations = 600000) {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const header = {
    format: 'byok-bundle',
    version: 1,
    kdf: { name: 'PBKDF2', hash: 'SHA-256', iterations, salt: toB64(salt) },
    cipher: { name: 'AES-GCM', length: 256, iv: toB64(iv), tagLength: 128 },
    contentType: 'application/vnd.byok.keys+json',
  };
  const protectedB64 = toB64(new TextEncoder().encode(JSON.stringify(header)));
  const base = await crypto.subtle.importKey('raw', new TextEncoder().encode(passphrase),
    'PBKDF2', false, ['deriveKey']);
  const key = await crypto.subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt, iterations },
    base, { name: 'AES-GCM', length: 256 }, false, ['encrypt']);
  const ct = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, tagLength: 128, additionalData: new TextEncoder().encode(protectedB64) },
    key, new TextEncoder().encode(JSON.stringify(plaintext)));
  return JSON.stringify({ format: 'byok-bundle', version: 1, protected: protectedB64,
    ciphertext: toB64(new Uint8Array(ct)) }, null, 2);
}

// Times without milliseconds: byok writes RFC 3339 without a zero fraction, and the
// comparison is of JSON values.
const iso = (ms) => new Date(ms).toISOString().replace('.000Z', 'Z');

function keyList(n) {
  const providers = ['anthropic', 'openai', 'gemini', 'openai-compatible'];
  const keys = [];
  for (let i = 0; i < n; i++) {
    const provider = providers[i % providers.length];
    keys.push({
      id: crypto.randomUUID(),
      provider,
      label: `Clé ${i} — 鍵 «${provider}» 🔑`,
      secret: `sk-TEST-${i}-${toB64(crypto.getRandomValues(new Uint8Array(24)))}-'"\\$`,
      base_url: provider === 'openai-compatible' ? `https://llm${i}.example.com/v1` : null,
      is_default: i < 4,
      is_active: i % 7 !== 6,
      created_at: iso(Date.UTC(2026, 0, 1) + i * 3600_000),
      expires_at: i % 5 === 0 ? iso(Date.UTC(2027, 5, 1)) : null,
      ...(i % 10 === 3 ? { from_the_future: { tags: ['a', 'b'], n: i } } : {}),
    });
  }
  return { schema: 1, exported_at: '2026-11-26T00:00:00Z', keys };
}

test('a bundle written by `byok bundle encrypt` opens with the reference decryptor', async () => {
  const s = scratch();
  try {
    const plain = keyList(12);
    const pass = 'pässwörd 密码 🔑';
    const file = join(s.dir, 'keys.json');
    writeFileSync(file, JSON.stringify(plain));
    const out = join(s.dir, 'keys.byok.json');
    byok(['bundle', 'encrypt', file, '-o', out], pass);
    const bundle = JSON.parse(readFileSync(out, 'utf8'));
    assert.deepEqual(await decryptBundle(bundle, pass), plain);
    await assert.rejects(decryptBundle(bundle, 'pässwörd 密码'), 'wrong passphrase fails');
  } finally {
    s.done();
  }
});

test('a bundle written by WebCrypto (non-ASCII passphrase, 50 keys) opens with `byok bundle decrypt`', async () => {
  const s = scratch();
  try {
    const plain = keyList(50);
    const pass = 'pässwörd 密码 🔑';
    const file = join(s.dir, 'web.byok.json');
    writeFileSync(file, await encryptBundle(plain, pass));
    const out = byok(['bundle', 'decrypt', file], pass);
    assert.deepEqual(JSON.parse(out), plain);
    // Every byte of the passphrase counts: NFC vs NFD is a different passphrase.
    const r = spawnSync(byokBin(), ['bundle', 'decrypt', file], {
      env: { ...process.env, BYOK_PASSPHRASE: pass.normalize('NFD') },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /wrong passphrase, or the file was changed/);
  } finally {
    s.done();
  }
});

test('the golden vector through the CLI and through the reference decryptor', async () => {
  const golden = join(vectors, 'golden-v1.byok.json');
  const expected = JSON.parse(readFileSync(join(vectors, 'golden-v1.plaintext.json'), 'utf8'));
  assert.deepEqual(JSON.parse(byok(['bundle', 'decrypt', golden], GOLDEN_PASS)), expected);
  const bundle = JSON.parse(readFileSync(golden, 'utf8'));
  assert.deepEqual(await decryptBundle(bundle, GOLDEN_PASS), expected);
});
