// A byok bundle written with plain WebCrypto in Node, as another tool would write it
// (fresh salt and IV, spec/bundle-v1.md), for the import tests and the benchmark.
import { webcrypto } from 'node:crypto';

/** One key entry of a bundle's plaintext (spec/bundle-v1.md), with the usual defaults. */
export const bundleEntry = (label, provider, secret, extra = {}) => ({
  id: webcrypto.randomUUID(), provider, label, secret, base_url: null, is_default: true,
  is_active: true, created_at: '2026-11-20T10:00:00Z', expires_at: null, ...extra,
});

export async function webcryptoBundle(keys, passphrase) {
  const enc = new TextEncoder();
  const b64 = (u) => Buffer.from(u).toString('base64');
  const salt = webcrypto.getRandomValues(new Uint8Array(16));
  const iv = webcrypto.getRandomValues(new Uint8Array(12));
  const header = { format: 'byok-bundle', version: 1,
    kdf: { name: 'PBKDF2', hash: 'SHA-256', iterations: 600000, salt: b64(salt) },
    cipher: { name: 'AES-GCM', length: 256, iv: b64(iv), tagLength: 128 },
    contentType: 'application/vnd.byok.keys+json' };
  const prot = b64(enc.encode(JSON.stringify(header)));
  const base = await webcrypto.subtle.importKey('raw', enc.encode(passphrase), 'PBKDF2', false, ['deriveKey']);
  const key = await webcrypto.subtle.deriveKey({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations: 600000 },
    base, { name: 'AES-GCM', length: 256 }, false, ['encrypt']);
  const pt = enc.encode(JSON.stringify({ schema: 1, exported_at: new Date().toISOString(), keys }));
  const ct = await webcrypto.subtle.encrypt({ name: 'AES-GCM', iv, tagLength: 128, additionalData: enc.encode(prot) }, key, pt);
  return JSON.stringify({ format: 'byok-bundle', version: 1, protected: prot, ciphertext: b64(new Uint8Array(ct)) });
}
