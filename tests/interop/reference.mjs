// The reference decryptor of spec/bundle-v1.md, copied exactly: standard WebCrypto only.
// Kept verbatim on purpose; if it needs a change, the spec needs it first.
const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
export async function decryptBundle(bundle, passphrase) {
  const h = JSON.parse(new TextDecoder().decode(b64(bundle.protected)));
  if (h.format !== 'byok-bundle' || h.version !== 1) throw new Error('unsupported bundle');
  const base = await crypto.subtle.importKey('raw', new TextEncoder().encode(passphrase),
    'PBKDF2', false, ['deriveKey']);
  const key = await crypto.subtle.deriveKey(
    { name: 'PBKDF2', hash: h.kdf.hash, salt: b64(h.kdf.salt), iterations: h.kdf.iterations },
    base, { name: 'AES-GCM', length: 256 }, false, ['decrypt']);
  const pt = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: b64(h.cipher.iv), tagLength: 128,
      additionalData: new TextEncoder().encode(bundle.protected) },
    key, b64(bundle.ciphertext));
  return JSON.parse(new TextDecoder().decode(pt));
}
