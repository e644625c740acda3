//! The bundle reader on arbitrary input: it may refuse anything, it must never panic.
//! Also fuzzes the key-list reader directly, since random bytes almost never get past
//! the AES-GCM tag, and checks that any key list it accepts survives seal + open.
#![no_main]

use byok_core::bundle::{self, BundlePayload};
use byok_core::crypto::AeadKey;
use libfuzzer_sys::fuzz_target;

const KEY: [u8; 32] = [7; 32];
const SALT: [u8; 16] = [1; 16];
const IV: [u8; 12] = [2; 12];

fuzz_target!(|data: &[u8]| {
    let key = AeadKey::from_bytes(KEY);
    if let Ok(parsed) = bundle::parse(data) {
        // The error path must be as panic-free as the success path.
        let _ = parsed.open_with_key(&key);
        let _ = parsed.ciphertext_len();
    }
    if let Ok(payload) = BundlePayload::from_json(data) {
        let text = match bundle::seal_with_key(&payload, &key, &SALT, &IV, 600_000) {
            Ok(t) => t,
            // Base64 makes the file a third larger than the key list it holds.
            Err(bundle::BundleError::TooLarge { .. }) => return,
            Err(e) => panic!("an accepted key list must be writable: {e}"),
        };
        let back = bundle::parse(text.as_bytes())
            .expect("own output parses")
            .open_with_key(&key)
            .expect("own output opens");
        // Whole-value equality could trip on floats in unknown fields (serde_json's
        // default float parsing is not exact); the fields byok uses must match.
        assert_eq!(back.keys.len(), payload.keys.len());
        for (a, b) in back.keys.iter().zip(&payload.keys) {
            assert_eq!(a.id, b.id);
            assert_eq!(a.provider, b.provider);
            assert_eq!(a.label, b.label);
            assert_eq!(a.secret.expose(), b.secret.expose());
            assert_eq!(a.base_url, b.base_url);
            assert_eq!(a.created_at, b.created_at);
            assert_eq!(a.expires_at, b.expires_at);
            assert_eq!(a.extra.len(), b.extra.len());
        }
    }
});
