//! Shared by the bundle test files: the golden vector and its known key, so most tests
//! can skip the 600,000-iteration derivation.

#![allow(dead_code)]

use std::path::PathBuf;

use byok_core::crypto::AeadKey;

pub const GOLDEN_PASSPHRASE: &str = "correct horse battery staple";
pub const GOLDEN_KEY_HEX: &str = "ef177144eec9420cbc1093d2a8b344a92bc506d0d4ec9c028dd19f8324d8c1e6";

pub fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/bundle")
}

pub fn read_vector(name: &str) -> Vec<u8> {
    std::fs::read(vectors_dir().join(name)).expect("vector file is readable")
}

pub fn golden_bundle() -> Vec<u8> {
    read_vector("golden-v1.byok.json")
}

pub fn golden_plaintext() -> serde_json::Value {
    serde_json::from_slice(&read_vector("golden-v1.plaintext.json")).expect("plaintext is JSON")
}

pub fn golden_key() -> AeadKey {
    let bytes: [u8; 32] = hex::decode(GOLDEN_KEY_HEX)
        .expect("hex")
        .try_into()
        .expect("32 bytes");
    AeadKey::from_bytes(bytes)
}

pub fn golden_salt() -> Vec<u8> {
    (0u8..16).collect()
}

pub fn golden_iv() -> [u8; 12] {
    std::array::from_fn(|i| 0x10 + i as u8)
}

/// Fake secrets of the golden vector: none may ever appear in an error message.
pub const GOLDEN_SECRETS: [&str; 2] = [
    "sk-ant-api03-TESTTESTTESTTESTTEST-golden-vector-AA",
    "sk-proj-TESTTESTTESTTESTTEST-golden-vector",
];
