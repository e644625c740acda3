//! The vault record reader and the conversation record reader on arbitrary input: they
//! may refuse anything, they must never panic. Random bytes almost never pass the tags,
//! so the contents reader (`Vault` JSON) is also fed directly.
#![no_main]

use byok_core::conversation;
use byok_core::crypto::AeadKey;
use byok_core::model::Vault;
use byok_core::vault;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let key = AeadKey::from_bytes([5; 32]);
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(record) = vault::parse(text) {
            let _ = record.salt();
            let _ = record.unwrap_key(&key);
            let _ = record.decrypt(&key);
        }
        let _ = conversation::open(text, uuid_from(data), &key);
    }
    if let Ok(v) = byok_core::encoding::from_json_strict::<Vault>(data) {
        // Whatever the reader accepts, the writer can seal and the reader opens again.
        let salt = [1u8; 16];
        if let Ok((record, dk)) = vault::create(&v, &key, &salt, 600_000) {
            let again = vault::parse(&record.to_json()).expect("own record parses");
            assert_eq!(again.decrypt(&dk).expect("own record opens"), v);
        }
    }
});

fn uuid_from(data: &[u8]) -> uuid::Uuid {
    let mut b = [0u8; 16];
    for (i, x) in data.iter().take(16).enumerate() {
        b[i] = *x;
    }
    uuid::Uuid::from_bytes(b)
}
