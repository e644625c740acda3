//! WebCrypto PBKDF2 (what the app uses in the browser) gives the same bytes as
//! RustCrypto (what the CLI and the core use), so a vault or bundle made on one side
//! opens on the other.
#![cfg(target_arch = "wasm32")]

use byok_app::webcrypto;
use byok_core::{bundle, crypto, vault};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn webcrypto_derives_the_spec_golden_key() {
    let salt: Vec<u8> = (0u8..16).collect();
    let k = webcrypto::derive_key("correct horse battery staple", &salt, 600_000)
        .await
        .expect("derive");
    let hex: String = k.expose().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        hex,
        "ef177144eec9420cbc1093d2a8b344a92bc506d0d4ec9c028dd19f8324d8c1e6"
    );
}

#[wasm_bindgen_test]
async fn webcrypto_and_rustcrypto_agree_on_non_ascii_passphrases() {
    for (pass, iters) in [
        ("pässwörd 密码 🔑", 1000u32),
        ("", 1),
        ("x".repeat(300).as_str(), 2000),
    ] {
        let salt = [7u8; 16];
        let web = webcrypto::derive_key(pass, &salt, iters)
            .await
            .expect("derive");
        let rust = crypto::derive_key(pass.as_bytes(), &salt, iters);
        assert_eq!(
            web.expose(),
            rust.expose(),
            "passphrase of {} chars",
            pass.chars().count()
        );
    }
}

#[wasm_bindgen_test]
async fn a_vault_made_natively_opens_with_the_webcrypto_key() {
    let (record, _) =
        vault::create_with_passphrase(&Default::default(), "orbit velvet canyon lamp", 600_000)
            .expect("create");
    let parsed = vault::parse(&record.to_json()).expect("parse");
    let kek = webcrypto::derive_key(
        "orbit velvet canyon lamp",
        &parsed.salt(),
        parsed.iterations(),
    )
    .await
    .expect("derive");
    let dk = parsed.unwrap_key(&kek).expect("unwrap");
    assert_eq!(parsed.decrypt(&dk).expect("decrypt").keys.len(), 0);
}

#[wasm_bindgen_test]
async fn the_golden_bundle_opens_with_a_webcrypto_key() {
    let text = include_str!("../crates/core/tests/vectors/bundle/golden-v1.byok.json");
    let parsed = bundle::parse(text.as_bytes()).expect("parse");
    let kek = webcrypto::derive_key(
        "correct horse battery staple",
        &parsed.header.salt,
        parsed.header.iterations,
    )
    .await
    .expect("derive");
    let payload = parsed.open_with_key(&kek).expect("open");
    assert_eq!(payload.keys.len(), 2);
}

#[wasm_bindgen_test]
async fn webcrypto_aes_gcm_and_rustcrypto_read_each_others_output() {
    let key = byok_core::crypto::AeadKey::from_bytes([7u8; 32]);
    let iv = [3u8; 12];
    let aad = b"byok-vault/1 data rev=2";
    // Below the size where `seal`/`open` hand over to the browser and above it; the
    // browser path is also forced for the small input.
    for n in [1usize, 6000] {
        let pt = "a vault \u{1f511} ".repeat(n).into_bytes();
        let rust = byok_core::crypto::seal(&key, &iv, aad, &pt);
        let web = webcrypto::seal_in_browser(&key, &iv, aad, &pt)
            .await
            .expect("seal");
        assert_eq!(web, rust, "same bytes ({n})");
        assert_eq!(
            webcrypto::seal(&key, &iv, aad, &pt).await.expect("seal"),
            rust
        );
        for back in [
            webcrypto::open_in_browser(&key, &iv, aad, &web).await,
            webcrypto::open(&key, &iv, aad, &web).await,
        ] {
            assert_eq!(&back.expect("open")[..], &pt[..]);
        }
        // A changed byte, or other associated data, is refused like byok-core refuses it.
        let mut bad = web.clone();
        bad[10] ^= 1;
        for r in [
            webcrypto::open_in_browser(&key, &iv, aad, &bad).await,
            webcrypto::open(&key, &iv, aad, &bad).await,
        ] {
            assert!(matches!(
                r,
                Err(webcrypto::OpenError::Crypto(
                    byok_core::crypto::CryptoError::Decrypt
                ))
            ));
        }
        assert!(matches!(
            webcrypto::open_in_browser(&key, &iv, b"byok-vault/1 data rev=3", &web).await,
            Err(webcrypto::OpenError::Crypto(_))
        ));
    }
}

#[wasm_bindgen_test]
async fn a_vault_saved_through_webcrypto_opens_natively() {
    let (record, dk) =
        vault::create_with_passphrase(&Default::default(), "orbit velvet canyon lamp", 600_000)
            .expect("create");
    let mut v = byok_core::model::Vault::default();
    v.budgets.insert(uuid::Uuid::from_u128(42), 12.5);
    let job = record.prepare_contents(&v).expect("prepare");
    let ct = webcrypto::seal_in_browser(&dk, &job.iv, &job.aad, &job.plaintext)
        .await
        .expect("seal");
    let next = record.with_sealed(&job, &ct);
    let (_, _, opened) =
        vault::open_with_passphrase(&next.to_json(), "orbit velvet canyon lamp").expect("open");
    assert_eq!(opened, v);
}
