//! PBKDF2 and AES-256-GCM through the browser's WebCrypto: native code off the main
//! thread, several times faster than the same work compiled to wasm. The bytes are
//! identical to `byok_core::crypto` (tested in tests/webcrypto.rs).

use byok_core::crypto::{AeadKey, CryptoError, IV_LEN, KEY_LEN};
use js_sys::{Array, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use zeroize::Zeroizing;

use crate::error::AppError;

fn crypto_err(what: &str) -> AppError {
    AppError::Crypto(what.to_string())
}

/// `crypto.subtle`, where the page has it (secure contexts only).
fn subtle() -> Option<web_sys::SubtleCrypto> {
    web_sys::window()
        .and_then(|w| w.crypto().ok())
        .map(|c| c.subtle())
        .filter(|s| !JsValue::from(s).is_undefined())
}

/// The passphrase as a PBKDF2 base key for `usage`, and PBKDF2-SHA-256 parameters.
async fn pbkdf2_base(
    subtle: &web_sys::SubtleCrypto,
    passphrase: &str,
    salt: &[u8],
    iterations: u32,
    usage: &str,
) -> Result<(web_sys::CryptoKey, web_sys::Pbkdf2Params), AppError> {
    let pass = Uint8Array::from(passphrase.as_bytes());
    let import = subtle
        .import_key_with_str(
            "raw",
            &pass,
            "PBKDF2",
            false,
            &Array::of1(&JsValue::from_str(usage)),
        )
        .map_err(|_| crypto_err("importKey"));
    // The passphrase copy in JS memory is not needed once imported.
    pass.fill(0, 0, pass.length());
    let base: web_sys::CryptoKey = JsFuture::from(import?)
        .await
        .map_err(|_| crypto_err("importKey"))?
        .dyn_into()
        .map_err(|_| crypto_err("importKey"))?;
    let salt_js = Uint8Array::from(salt);
    let params = web_sys::Pbkdf2Params::new(
        "PBKDF2",
        &JsValue::from_str("SHA-256"),
        iterations,
        &salt_js,
    );
    Ok((base, params))
}

/// Iterations per slice of a derivation in wasm: 10 to 20 ms on the machine byok is
/// measured on (600,000 iterations drew 45 frames), well under a 50 ms long task.
const DERIVE_SLICE: u32 = 10_000;

/// PBKDF2 in wasm, for pages without WebCrypto: a slice at a time with a yield to the
/// browser between, so the page keeps drawing (the button's "Unlocking…", a spinner)
/// instead of freezing for the whole derivation.
async fn derive_in_slices(passphrase: &str, salt: &[u8], iterations: u32) -> AeadKey {
    let mut d = byok_core::crypto::Derivation::new(passphrase.as_bytes(), salt, iterations);
    while !d.step(DERIVE_SLICE) {
        // A hidden tab holds each timer back for up to a second: nobody watches it draw,
        // so the rest is done in one go.
        if web_sys::window()
            .and_then(|w| w.document())
            .is_some_and(|d| d.hidden())
        {
            break;
        }
        gloo_timers::future::TimeoutFuture::new(0).await;
    }
    d.finish()
}

/// PBKDF2-HMAC-SHA256 to 32 bytes. Falls back to the Rust implementation where
/// `crypto.subtle` is missing (pages served over plain http from a non-local host).
pub async fn derive_key(
    passphrase: &str,
    salt: &[u8],
    iterations: u32,
) -> Result<AeadKey, AppError> {
    let Some(subtle) = subtle() else {
        return Ok(derive_in_slices(passphrase, salt, iterations).await);
    };
    let (base, params) = pbkdf2_base(&subtle, passphrase, salt, iterations, "deriveBits").await?;
    let bits = JsFuture::from(
        subtle
            .derive_bits_with_object(&params, &base, (KEY_LEN * 8) as u32)
            .map_err(|_| crypto_err("deriveBits"))?,
    )
    .await
    .map_err(|_| crypto_err("deriveBits"))?;
    let arr = Uint8Array::new(&bits);
    if arr.length() as usize != KEY_LEN {
        return Err(crypto_err("deriveBits returned the wrong length"));
    }
    let mut out = [0u8; KEY_LEN];
    arr.copy_to(&mut out);
    arr.fill(0, 0, arr.length());
    let key = AeadKey::from_bytes(out);
    zeroize::Zeroize::zeroize(&mut out);
    Ok(key)
}

fn gcm_params(iv: &[u8; IV_LEN], aad: &[u8]) -> web_sys::AesGcmParams {
    let gcm = web_sys::AesGcmParams::new("AES-GCM", &Uint8Array::from(&iv[..]));
    gcm.set_additional_data(&Uint8Array::from(aad));
    gcm.set_tag_length(128);
    gcm
}

/// An AES-256-GCM key held by the browser (non-extractable), for one operation or many.
pub struct BrowserKey {
    subtle: web_sys::SubtleCrypto,
    key: web_sys::CryptoKey,
}

impl BrowserKey {
    /// Import a raw key; `None` where the page has no `crypto.subtle`. The JS copy of the
    /// bytes is wiped once imported.
    pub async fn import(key: &AeadKey) -> Result<Option<Self>, AppError> {
        let Some(subtle) = subtle() else {
            return Ok(None);
        };
        let raw = Uint8Array::from(&key.expose()[..]);
        let usages = Array::of2(&JsValue::from_str("encrypt"), &JsValue::from_str("decrypt"));
        let import = subtle
            .import_key_with_str("raw", &raw, "AES-GCM", false, &usages)
            .map_err(|_| crypto_err("importKey"));
        raw.fill(0, 0, raw.length());
        let key = JsFuture::from(import?)
            .await
            .map_err(|_| crypto_err("importKey"))?
            .dyn_into()
            .map_err(|_| crypto_err("importKey"))?;
        Ok(Some(Self { subtle, key }))
    }

    /// `C || tag`, the same bytes as `byok_core::crypto::seal`.
    pub async fn seal(
        &self,
        iv: &[u8; IV_LEN],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, AppError> {
        let pt = Uint8Array::from(plaintext);
        let pending = self
            .subtle
            .encrypt_with_object_and_buffer_source(&gcm_params(iv, aad), &self.key, &pt)
            .map_err(|_| crypto_err("encrypt"));
        // WebCrypto copied the input when the call was made.
        pt.fill(0, 0, pt.length());
        let ct = JsFuture::from(pending?)
            .await
            .map_err(|_| crypto_err("encrypt"))?;
        Ok(Uint8Array::new(&ct).to_vec())
    }

    /// A tag that does not verify is `CryptoError::Decrypt`, as from byok-core.
    pub async fn open(
        &self,
        iv: &[u8; IV_LEN],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, OpenError> {
        let ct = Uint8Array::from(ciphertext);
        let pending = self
            .subtle
            .decrypt_with_object_and_buffer_source(&gcm_params(iv, aad), &self.key, &ct)
            .map_err(|_| OpenError::App(crypto_err("decrypt")))?;
        let pt = JsFuture::from(pending)
            .await
            .map_err(|_| OpenError::Crypto(CryptoError::Decrypt))?;
        let arr = Uint8Array::new(&pt);
        let bytes = Zeroizing::new(arr.to_vec());
        arr.fill(0, 0, arr.length());
        Ok(bytes)
    }
}

/// Below this, AES-GCM in wasm takes less time than the two trips to the browser's
/// crypto thread (importKey, then encrypt or decrypt), which would slow a small unlock.
pub const BROWSER_AES_FROM: usize = 64 * 1024;

/// AES-256-GCM encryption (`C || tag`, the same bytes as `byok_core::crypto::seal`):
/// large inputs by the browser (native and asynchronous, so sealing a large vault does
/// not hold the main thread), small ones in wasm.
pub async fn seal(
    key: &AeadKey,
    iv: &[u8; IV_LEN],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, AppError> {
    if plaintext.len() < BROWSER_AES_FROM {
        return Ok(byok_core::crypto::seal(key, iv, aad, plaintext));
    }
    seal_in_browser(key, iv, aad, plaintext).await
}

/// [`seal`] by WebCrypto whatever the size; byok-core where `crypto.subtle` is missing.
pub async fn seal_in_browser(
    key: &AeadKey,
    iv: &[u8; IV_LEN],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, AppError> {
    match BrowserKey::import(key).await? {
        Some(k) => k.seal(iv, aad, plaintext).await,
        None => Ok(byok_core::crypto::seal(key, iv, aad, plaintext)),
    }
}

/// AES-256-GCM decryption of `C || tag`, large inputs by the browser (see [`seal`]).
pub async fn open(
    key: &AeadKey,
    iv: &[u8; IV_LEN],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, OpenError> {
    if ciphertext.len() < BROWSER_AES_FROM {
        return byok_core::crypto::open(key, iv, aad, ciphertext).map_err(OpenError::Crypto);
    }
    open_in_browser(key, iv, aad, ciphertext).await
}

/// [`open`] by WebCrypto whatever the size; byok-core where `crypto.subtle` is missing.
pub async fn open_in_browser(
    key: &AeadKey,
    iv: &[u8; IV_LEN],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, OpenError> {
    match BrowserKey::import(key).await.map_err(OpenError::App)? {
        Some(k) => k.open(iv, aad, ciphertext).await,
        None => byok_core::crypto::open(key, iv, aad, ciphertext).map_err(OpenError::Crypto),
    }
}

/// Why an opening failed: the data did not decrypt, or the browser's crypto failed.
#[derive(Debug)]
pub enum OpenError {
    Crypto(CryptoError),
    App(AppError),
}

/// Open a parsed bundle entirely with WebCrypto: PBKDF2 to a non-extractable AES-GCM key,
/// then AES-GCM decryption, both native. For a 10,000-key bundle the decryption alone is
/// several times faster than AES-GCM compiled to wasm, and the key never enters wasm
/// memory. The plaintext is then checked by byok-core like any other.
pub async fn open_bundle(
    parsed: &byok_core::bundle::ParsedBundle,
    passphrase: &str,
) -> Result<byok_core::bundle::BundlePayload, AppError> {
    use byok_core::bundle::{BundleError, BundlePayload};
    let Some(subtle) = subtle() else {
        let h = &parsed.header;
        let key = derive_in_slices(passphrase, &h.salt, h.iterations).await;
        return parsed.open_with_key(&key).map_err(Into::into);
    };
    let h = &parsed.header;
    let (base, params) =
        pbkdf2_base(&subtle, passphrase, &h.salt, h.iterations, "deriveKey").await?;
    let aes = js_sys::Object::new();
    let set = |k: &str, v: JsValue| {
        js_sys::Reflect::set(&aes, &JsValue::from_str(k), &v).map_err(|_| crypto_err("deriveKey"))
    };
    set("name", JsValue::from_str("AES-GCM"))?;
    set("length", JsValue::from_f64(256.0))?;
    let key: web_sys::CryptoKey = JsFuture::from(
        subtle
            .derive_key_with_object_and_object(
                &params,
                &base,
                &aes,
                false,
                &Array::of1(&JsValue::from_str("decrypt")),
            )
            .map_err(|_| crypto_err("deriveKey"))?,
    )
    .await
    .map_err(|_| crypto_err("deriveKey"))?
    .dyn_into()
    .map_err(|_| crypto_err("deriveKey"))?;
    let bytes = BrowserKey { subtle, key }
        .open(&h.iv, parsed.protected().as_bytes(), parsed.ciphertext())
        .await
        .map_err(|e| match e {
            // A tag that does not verify: one message for a wrong passphrase and a
            // changed file.
            OpenError::Crypto(_) => AppError::Bundle(BundleError::WrongPassphraseOrTampered),
            OpenError::App(a) => a,
        })?;
    BundlePayload::from_json(&bytes).map_err(Into::into)
}
