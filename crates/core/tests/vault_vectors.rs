//! The vault record format (docs/vault-record-v1.md) against its vectors.

use byok_core::model::Vault;
use byok_core::vault::{self, VaultError};

const PASS: &str = "correct horse battery staple";

fn plaintext() -> Vault {
    serde_json::from_str(include_str!("vectors/vault/v1-basic.plaintext.json"))
        .expect("plaintext vector")
}

#[test]
fn the_v1_vector_opens_to_its_plaintext() {
    let text = include_str!("vectors/vault/v1-basic.json");
    let (record, _dk, v) = vault::open_with_passphrase(text, PASS).expect("opens");
    assert_eq!(record.rev, 1);
    assert_eq!(v, plaintext());
    assert_eq!(
        v.keys[1].last_test.as_ref().map(|t| t.models.len()),
        Some(1)
    );
}

#[test]
fn the_v1_vector_is_reproducible_from_its_inputs() {
    let salt: [u8; 16] = core::array::from_fn(|i| 0x20 + i as u8);
    let dk: [u8; 32] = core::array::from_fn(|i| 0x40 + i as u8);
    let wrap_iv: [u8; 12] = core::array::from_fn(|i| 0x60 + i as u8);
    let data_iv: [u8; 12] = core::array::from_fn(|i| 0x70 + i as u8);
    let r = vault::create_deterministic(&plaintext(), PASS, &salt, 600_000, dk, &wrap_iv, &data_iv)
        .expect("create");
    let want: serde_json::Value =
        serde_json::from_str(include_str!("vectors/vault/v1-basic.json")).expect("vector");
    assert_eq!(serde_json::to_value(&r).expect("json"), want);
}

#[test]
fn each_negative_vector_is_refused_as_its_expect_line_says() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/vault/negative");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("negative dir") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("read");
        let (head, body) = text.split_once('\n').expect("expect line");
        let want = head
            .strip_prefix("expect: ")
            .expect("expect: prefix")
            .trim();
        let got = match vault::open_with_passphrase(body, PASS) {
            Ok(_) => "Ok".to_string(),
            Err(VaultError::WrongPassphrase) => "WrongPassphrase".into(),
            Err(VaultError::Corrupt(_)) => "Corrupt".into(),
            Err(VaultError::NewerVersion) => "NewerVersion".into(),
            Err(VaultError::IsBundle) => "IsBundle".into(),
            Err(VaultError::Rng) => "Rng".into(),
        };
        assert_eq!(got, want, "{}", path.display());
        n += 1;
    }
    assert!(n >= 10, "only {n} negative vectors found");
}

#[test]
fn wrong_passphrase_is_told_apart_from_damage() {
    let text = include_str!("vectors/vault/v1-basic.json");
    assert_eq!(
        vault::open_with_passphrase(text, "not the passphrase").err(),
        Some(VaultError::WrongPassphrase)
    );
}

#[test]
fn a_save_bumps_the_revision_and_draws_a_fresh_iv() {
    let (record, dk) =
        vault::create_with_passphrase(&Vault::default(), PASS, 600_000).expect("create");
    let next = record.with_contents(&dk, &plaintext()).expect("save");
    assert_eq!(next.rev, record.rev + 1);
    assert_ne!(next.data.iv, record.data.iv);
    assert_eq!(
        next.wrapped_key, record.wrapped_key,
        "a save does not touch the key wrap"
    );
    assert_eq!(next.decrypt(&dk).expect("decrypt"), plaintext());
    let again = record.with_contents(&dk, &plaintext()).expect("save");
    assert_ne!(
        again.data.ct, next.data.ct,
        "same contents, fresh IV, different ciphertext"
    );
}

#[test]
fn contents_sealed_and_opened_by_another_aes_gcm_are_the_same_record() {
    // The browser seals with WebCrypto through prepare_contents / with_sealed and opens
    // through sealed_contents / contents_from_plaintext: RustCrypto stands in for it here.
    let (record, dk) =
        vault::create_with_passphrase(&Vault::default(), PASS, 600_000).expect("create");
    let job = record.prepare_contents(&plaintext()).expect("prepare");
    assert_eq!(job.rev, record.rev + 1);
    let ct = byok_core::crypto::seal(&dk, &job.iv, &job.aad, &job.plaintext);
    let next = record.with_sealed(&job, &ct);
    assert_eq!(next.rev, record.rev + 1);
    assert_eq!(next.wrapped_key, record.wrapped_key);
    assert_eq!(next.decrypt(&dk).expect("decrypt"), plaintext());
    let parts = next.sealed_contents().expect("parts");
    let pt = byok_core::crypto::open(&dk, &parts.iv, &parts.aad, &parts.ct).expect("open");
    assert_eq!(
        vault::contents_from_plaintext(&pt).expect("contents"),
        plaintext()
    );
    // The revision is bound in: contents sealed for one revision do not open as another.
    let mut moved = next.clone();
    moved.rev += 1;
    assert!(moved.decrypt(&dk).is_err());
}

#[test]
fn changing_the_passphrase_rewraps_only_the_data_key() {
    let (record, dk) = vault::create_with_passphrase(&plaintext(), PASS, 600_000).expect("create");
    let new_salt = [9u8; 16];
    let new_kek = byok_core::crypto::derive_key(b"a new passphrase 42", &new_salt, 600_000);
    let re = record
        .rewrap(&dk, &new_kek, &new_salt, 600_000)
        .expect("rewrap");
    assert_eq!(re.data, record.data, "contents untouched");
    assert_ne!(re.kdf.salt, record.kdf.salt);
    let text = re.to_json();
    assert_eq!(
        vault::open_with_passphrase(&text, PASS).err(),
        Some(VaultError::WrongPassphrase)
    );
    let (_, _, v) = vault::open_with_passphrase(&text, "a new passphrase 42").expect("new opens");
    assert_eq!(v, plaintext());
}

#[test]
fn records_never_hold_secrets_or_labels_in_the_clear() {
    let (record, _) = vault::create_with_passphrase(&plaintext(), PASS, 600_000).expect("create");
    let text = record.to_json();
    for needle in [
        "sk-ant-api03",
        "sk-or-v1",
        "Personal",
        "OpenRouter",
        "openrouter.ai",
        "team budget",
    ] {
        assert!(!text.contains(needle), "{needle} in the clear");
    }
}
