//! Negative vectors: one file per refusal rule of `spec/bundle-v1.md`, under
//! `tests/vectors/bundle/negative/`. Each file's first line is `expect: <BundleError
//! variant>`; the rest is the file a reader is given.
//!
//! The files were written once by `write_negative_vectors` below (run with `--ignored`)
//! and are checked in: the test reads the files, not the generator, so a change in the
//! code cannot quietly change what is expected. Vectors refused after decryption are
//! encrypted under the golden vector's key, so the test opens them with that key and no
//! derivation.

mod bundle_common;

use std::collections::BTreeSet;
use std::path::Path;

use bundle_common::{GOLDEN_SECRETS, golden_bundle, golden_iv, golden_key, vectors_dir};
use byok_core::bundle::{self, BundleError};
use byok_core::crypto;
use byok_core::encoding::b64_encode;

/// Refused only once the contents are decrypted; everything else must be refused by
/// `parse`, i.e. before any key derivation could run.
const AFTER_DECRYPTION: [&str; 4] = [
    "WrongPassphraseOrTampered",
    "NewerSchema",
    "BadPayload",
    "DuplicateKey",
];

struct Vector {
    name: String,
    expect: String,
    content: Vec<u8>,
}

fn load_vectors() -> Vec<Vector> {
    let dir = vectors_dir().join("negative");
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("negative vector directory")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    entries.sort();
    for path in entries {
        let raw = std::fs::read(&path).expect("vector readable");
        let nl = raw
            .iter()
            .position(|&b| b == b'\n')
            .expect("vector has an expect line");
        let first = std::str::from_utf8(&raw[..nl]).expect("expect line is UTF-8");
        let expect = first
            .strip_prefix("expect: ")
            .unwrap_or_else(|| panic!("{}: first line must be `expect: ...`", path.display()));
        out.push(Vector {
            name: file_name(&path),
            expect: expect.trim().to_owned(),
            content: raw[nl + 1..].to_vec(),
        });
    }
    out
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn read_with_golden_key(content: &[u8]) -> Result<bundle::BundlePayload, BundleError> {
    bundle::parse(content)?.open_with_key(&golden_key())
}

#[test]
fn every_negative_vector_is_refused_as_expected() {
    let vectors = load_vectors();
    assert!(vectors.len() >= 50, "only {} vectors found", vectors.len());
    for v in &vectors {
        let err = match read_with_golden_key(&v.content) {
            Ok(_) => panic!("{}: accepted, expected {}", v.name, v.expect),
            Err(e) => e,
        };
        assert_eq!(err.name(), v.expect, "{}: got {err:?}", v.name);
        let expected_code = if v.expect == "WrongPassphraseOrTampered" {
            1
        } else {
            3
        };
        assert_eq!(err.exit_code(), expected_code, "{}", v.name);
        let msg = err.user_message();
        assert!(
            !msg.is_empty() && !msg.contains('\n'),
            "{}: {msg:?}",
            v.name
        );
        for s in GOLDEN_SECRETS {
            assert!(!msg.contains(s), "{}: message leaks a secret", v.name);
        }
        // Secrets of the payload vectors all contain this marker.
        assert!(
            !msg.contains("SECRET"),
            "{}: message leaks a secret: {msg}",
            v.name
        );
    }
}

/// A rule that can be checked before derivation must be: `parse` refuses, and without a
/// `ParsedBundle` there is nothing to derive a key for. Only the vectors about the tag
/// (`tampered-*`) and the contents (`payload-*`) may get past `parse`.
#[test]
fn pre_derivation_rules_are_enforced_by_parse() {
    for v in load_vectors() {
        let parsed = bundle::parse(&v.content);
        if v.name.starts_with("payload-") || v.name.starts_with("tampered-") {
            assert!(AFTER_DECRYPTION.contains(&v.expect.as_str()), "{}", v.name);
            assert!(
                parsed.is_ok(),
                "{}: parse should pass, got {parsed:?}",
                v.name
            );
        } else {
            let err = parsed.expect_err(&v.name);
            assert_eq!(err.name(), v.expect, "{}", v.name);
        }
    }
}

#[test]
fn every_refusal_class_has_a_vector() {
    let seen: BTreeSet<String> = load_vectors().into_iter().map(|v| v.expect).collect();
    let all = [
        "Empty",
        "NotJson",
        "DuplicateKey",
        "IsVaultRecord",
        "IsPlaintext",
        "NotABundle",
        "UnknownFormat",
        "NewerVersion",
        "UnsupportedVersion",
        "HeaderMismatch",
        "Malformed",
        "BadBase64",
        "UnsupportedKdf",
        "UnsupportedCipher",
        "BadIterations",
        "SaltTooShort",
        "BadIvLength",
        "CiphertextTooShort",
        "BadContentType",
        "WrongPassphraseOrTampered",
        "NewerSchema",
        "BadPayload",
    ];
    for name in all {
        assert!(seen.contains(name), "no negative vector expects {name}");
    }
}

/// The size rule has no file (it would be 16 MiB): the oversized input is made here. It
/// is refused on its length alone, before a byte of it is looked at.
#[test]
fn oversized_file_is_refused_before_parsing() {
    let mut big = golden_bundle();
    big.resize(bundle::MAX_FILE_BYTES + 1, b' ');
    assert_eq!(
        bundle::parse(&big).expect_err("too large").name(),
        "TooLarge"
    );
    // Not even JSON: the size check comes first.
    let junk = vec![0xffu8; bundle::MAX_FILE_BYTES + 1];
    assert!(matches!(
        bundle::parse(&junk),
        Err(BundleError::TooLarge { size }) if size == bundle::MAX_FILE_BYTES + 1
    ));
    let mut at_limit = golden_bundle();
    at_limit.resize(bundle::MAX_FILE_BYTES, b' ');
    assert!(
        bundle::parse(&at_limit).is_ok(),
        "trailing whitespace up to the limit is fine"
    );
}

// ---------------------------------------------------------------------------------------
// The generator. Not part of the normal run: the files it wrote are the test's input.

const GOLDEN_HEADER: &str = r#"{"format":"byok-bundle","version":1,"kdf":{"name":"PBKDF2","hash":"SHA-256","iterations":600000,"salt":"AAECAwQFBgcICQoLDA0ODw=="},"cipher":{"name":"AES-GCM","length":256,"iv":"EBESExQVFhcYGRob","tagLength":128},"contentType":"application/vnd.byok.keys+json"}"#;

fn golden_field(name: &str) -> String {
    let v: serde_json::Value = serde_json::from_slice(&golden_bundle()).expect("golden is JSON");
    v[name].as_str().expect("string field").to_owned()
}

fn file(format: &str, version: &str, protected: &str, ciphertext: &str) -> String {
    format!(
        "{{\n  \"format\": {format},\n  \"version\": {version},\n  \"protected\": \"{protected}\",\n  \"ciphertext\": \"{ciphertext}\"\n}}\n"
    )
}

fn with_header(header: &str) -> String {
    file(
        "\"byok-bundle\"",
        "1",
        &b64_encode(header.as_bytes()),
        &golden_field("ciphertext"),
    )
}

fn header_with(from: &str, to: &str) -> String {
    assert!(GOLDEN_HEADER.contains(from), "{from} not in header");
    with_header(&GOLDEN_HEADER.replacen(from, to, 1))
}

fn golden_with(from: &str, to: &str) -> String {
    let g = String::from_utf8(golden_bundle()).expect("UTF-8");
    assert!(g.contains(from), "{from} not in golden file");
    g.replacen(from, to, 1)
}

/// A bundle with the golden header whose contents are `plaintext`, under the golden key.
fn with_plaintext(plaintext: &str) -> String {
    let protected = b64_encode(GOLDEN_HEADER.as_bytes());
    let ct = crypto::seal(
        &golden_key(),
        &golden_iv(),
        protected.as_bytes(),
        plaintext.as_bytes(),
    );
    file("\"byok-bundle\"", "1", &protected, &b64_encode(&ct))
}

fn key_entry(provider: &str, fields: &str) -> String {
    format!(
        r#"{{"id":"7f1c0c1e-8a4e-4b7e-9a51-2f0a8f3b9c11","provider":"{provider}","label":"Personal","secret":"sk-ant-api03-FAKE-SECRET-must-not-leak","base_url":null,"is_default":true,"is_active":true,"created_at":"2026-11-01T09:30:00Z","expires_at":null{fields}}}"#
    )
}

fn payload(schema: &str, keys: &str) -> String {
    format!(r#"{{"schema":{schema},"exported_at":"2026-11-26T00:00:00Z","keys":[{keys}]}}"#)
}

fn b64_of_len(n: usize) -> String {
    b64_encode(&vec![0x5au8; n])
}

fn negative_vectors() -> Vec<(&'static str, &'static str, String)> {
    let ct = golden_field("ciphertext");
    let protected = golden_field("protected");
    let good_key = key_entry("anthropic", "");
    let mut flipped = byok_core::encoding::b64_decode(&ct).expect("golden ct");
    flipped[0] ^= 0x01;
    vec![
        // --- the file as a whole
        ("empty", "Empty", String::new()),
        ("whitespace-only", "Empty", " \n\t\n".into()),
        ("not-json", "NotJson", "format: byok-bundle\n".into()),
        ("truncated-json", "NotJson", golden_with("\n}\n", "\n")),
        ("json-array", "NotABundle", "[1, 2, 3]\n".into()),
        ("json-string", "NotABundle", "\"byok-bundle\"\n".into()),
        ("no-format-field", "NotABundle", "{\"version\": 1}\n".into()),
        (
            "format-wrong",
            "UnknownFormat",
            golden_with("\"format\": \"byok-bundle\"", "\"format\": \"byok-bundle-v2\""),
        ),
        (
            "format-number",
            "UnknownFormat",
            golden_with("\"format\": \"byok-bundle\"", "\"format\": 1"),
        ),
        (
            "vault-record",
            "IsVaultRecord",
            r#"{"format":"byok-vault","version":1,"rev":3,"kdf":{"name":"PBKDF2","hash":"SHA-256","iterations":600000,"salt":"AAECAwQFBgcICQoLDA0ODw=="},"wrapped_key":{"iv":"EBESExQVFhcYGRob","ct":"AAAA"},"data":{"iv":"EBESExQVFhcYGRob","ct":"AAAA"}}"#.into(),
        ),
        (
            "plaintext-key-list",
            "IsPlaintext",
            payload("1", &good_key),
        ),
        (
            "duplicate-key-outer",
            "DuplicateKey",
            golden_with("\"version\": 1,", "\"version\": 1,\n  \"version\": 2,"),
        ),
        (
            "duplicate-key-header",
            "DuplicateKey",
            header_with("\"iterations\":600000,", "\"iterations\":600000,\"iterations\":1,"),
        ),
        ("outer-unknown-field", "Malformed", golden_with("\"version\": 1,", "\"version\": 1,\n  \"comment\": \"hi\",")),
        ("protected-missing", "Malformed", format!("{{\"format\":\"byok-bundle\",\"version\":1,\"ciphertext\":\"{ct}\"}}")),
        ("ciphertext-missing", "Malformed", format!("{{\"format\":\"byok-bundle\",\"version\":1,\"protected\":\"{protected}\"}}")),
        ("protected-not-string", "Malformed", format!("{{\"format\":\"byok-bundle\",\"version\":1,\"protected\":{GOLDEN_HEADER},\"ciphertext\":\"{ct}\"}}")),
        // --- version
        ("version-2", "NewerVersion", golden_with("\"version\": 1", "\"version\": 2")),
        ("version-0", "UnsupportedVersion", golden_with("\"version\": 1", "\"version\": 0")),
        ("version-string", "UnsupportedVersion", golden_with("\"version\": 1", "\"version\": \"1\"")),
        ("version-float", "UnsupportedVersion", golden_with("\"version\": 1", "\"version\": 1.0")),
        ("version-missing", "Malformed", golden_with("\"version\": 1,\n", "")),
        // --- outer and inner disagree
        ("inner-format-differs", "HeaderMismatch", header_with("\"format\":\"byok-bundle\"", "\"format\":\"byok-vault\"")),
        ("inner-version-differs", "HeaderMismatch", header_with("\"version\":1", "\"version\":2")),
        ("inner-version-string", "HeaderMismatch", header_with("\"version\":1", "\"version\":\"1\"")),
        // --- the header's shape
        ("header-not-json", "Malformed", with_header("format=byok-bundle")),
        ("header-is-array", "Malformed", with_header("[]")),
        ("header-unknown-field", "Malformed", header_with("\"contentType\"", "\"crit\":[\"zip\"],\"contentType\"")),
        ("header-kdf-missing", "Malformed", with_header(r#"{"format":"byok-bundle","version":1,"cipher":{"name":"AES-GCM","length":256,"iv":"EBESExQVFhcYGRob","tagLength":128},"contentType":"application/vnd.byok.keys+json"}"#)),
        ("header-content-type-missing", "Malformed", header_with(",\"contentType\":\"application/vnd.byok.keys+json\"", "")),
        // --- algorithms
        ("kdf-name-scrypt", "UnsupportedKdf", header_with("\"PBKDF2\"", "\"scrypt\"")),
        ("kdf-hash-sha1", "UnsupportedKdf", header_with("\"SHA-256\"", "\"SHA-1\"")),
        ("kdf-hash-lowercase", "UnsupportedKdf", header_with("\"SHA-256\"", "\"sha-256\"")),
        ("cipher-name-cbc", "UnsupportedCipher", header_with("\"AES-GCM\"", "\"AES-CBC\"")),
        ("cipher-length-128", "UnsupportedCipher", header_with("\"length\":256", "\"length\":128")),
        ("cipher-length-string", "UnsupportedCipher", header_with("\"length\":256", "\"length\":\"256\"")),
        ("tag-length-96", "UnsupportedCipher", header_with("\"tagLength\":128", "\"tagLength\":96")),
        ("content-type-json", "BadContentType", header_with("application/vnd.byok.keys+json", "application/json")),
        // --- iterations
        ("iterations-too-low", "BadIterations", header_with("600000", "599999")),
        ("iterations-too-high", "BadIterations", header_with("600000", "10000001")),
        ("iterations-u32-max", "BadIterations", header_with("600000", "4294967295")),
        ("iterations-past-u32", "BadIterations", header_with("600000", "4294967296")),
        ("iterations-past-u64", "BadIterations", header_with("600000", "99999999999999999999999")),
        ("iterations-zero", "BadIterations", header_with("600000", "0")),
        ("iterations-negative", "BadIterations", header_with("600000", "-600000")),
        ("iterations-float", "BadIterations", header_with("600000", "600000.0")),
        ("iterations-exponent", "BadIterations", header_with("600000", "6e5")),
        ("iterations-string", "BadIterations", header_with("600000", "\"600000\"")),
        ("iterations-null", "BadIterations", header_with("600000", "null")),
        // --- lengths
        ("salt-15-bytes", "SaltTooShort", header_with("AAECAwQFBgcICQoLDA0ODw==", &b64_of_len(15))),
        ("salt-empty", "SaltTooShort", header_with("AAECAwQFBgcICQoLDA0ODw==", "")),
        ("iv-11-bytes", "BadIvLength", header_with("EBESExQVFhcYGRob", &b64_of_len(11))),
        ("iv-16-bytes", "BadIvLength", header_with("EBESExQVFhcYGRob", &b64_of_len(16))),
        ("ciphertext-15-bytes", "CiphertextTooShort", file("\"byok-bundle\"", "1", &protected, &b64_of_len(15))),
        ("ciphertext-empty", "CiphertextTooShort", file("\"byok-bundle\"", "1", &protected, "")),
        // --- base64
        ("base64-protected-unpadded", "BadBase64", file("\"byok-bundle\"", "1", protected.trim_end_matches('='), &ct)),
        ("base64-ciphertext-line-break", "BadBase64", file("\"byok-bundle\"", "1", &protected, &format!("{}\\n{}", &ct[..64], &ct[64..]))),
        ("base64-ciphertext-url-safe", "BadBase64", file("\"byok-bundle\"", "1", &protected, &ct.replace('/', "_").replace('+', "-"))),
        ("base64-salt-trailing-bits", "BadBase64", header_with("AAECAwQFBgcICQoLDA0ODw==", "AAECAwQFBgcICQoLDA0ODx==")),
        ("base64-iv-whitespace", "BadBase64", header_with("EBESExQVFhcYGRob", "EBESExQV FhcYGRob")),
        // --- the tag
        ("tampered-ciphertext", "WrongPassphraseOrTampered", file("\"byok-bundle\"", "1", &protected, &b64_encode(&flipped))),
        // The same header with one space added: every field still valid, but the AAD
        // changed, so the tag fails. No canonicalisation may paper over it.
        ("tampered-header-whitespace", "WrongPassphraseOrTampered", header_with("\"version\":1,", "\"version\":1, ")),
        ("tampered-header-salt", "WrongPassphraseOrTampered", header_with("AAECAwQFBgcICQoLDA0ODw==", "AAECAwQFBgcICQoLDA0OEA==")),
        // --- the contents (encrypted under the golden key)
        ("payload-schema-2", "NewerSchema", with_plaintext(&payload("2", &good_key))),
        ("payload-schema-0", "BadPayload", with_plaintext(&payload("0", &good_key))),
        ("payload-schema-string", "BadPayload", with_plaintext(&payload("\"1\"", &good_key))),
        ("payload-not-json", "BadPayload", with_plaintext("sk-ant-api03-FAKE-SECRET-must-not-leak")),
        ("payload-empty", "BadPayload", with_plaintext("")),
        ("payload-array", "BadPayload", with_plaintext("[]")),
        ("payload-keys-missing", "BadPayload", with_plaintext(r#"{"schema":1,"exported_at":"2026-11-26T00:00:00Z"}"#)),
        ("payload-exported-at-bad", "BadPayload", with_plaintext(&payload("1", &good_key).replace("2026-11-26T00:00:00Z", "26/11/2026"))),
        ("payload-provider-unknown", "BadPayload", with_plaintext(&payload("1", &key_entry("mistral", "")))),
        ("payload-provider-is-secret", "BadPayload", with_plaintext(&payload("1", &key_entry("sk-ant-api03-FAKE-SECRET-in-wrong-field", "")))),
        ("payload-openai-compatible-no-base-url", "BadPayload", with_plaintext(&payload("1", &key_entry("openai-compatible", "")))),
        ("payload-created-at-not-rfc3339", "BadPayload", with_plaintext(&payload("1", &good_key.replace("2026-11-01T09:30:00Z", "2026-11-01 09:30")))),
        ("payload-expires-at-not-rfc3339", "BadPayload", with_plaintext(&payload("1", &good_key.replace("\"expires_at\":null", "\"expires_at\":1767225600")))),
        ("payload-secret-not-string", "BadPayload", with_plaintext(&payload("1", &good_key.replace("\"sk-ant-api03-FAKE-SECRET-must-not-leak\"", "[\"sk-ant-api03-FAKE-SECRET-must-not-leak\"]")))),
        ("payload-is-default-string", "BadPayload", with_plaintext(&payload("1", &good_key.replace("\"is_default\":true", "\"is_default\":\"sk-ant-api03-FAKE-SECRET-must-not-leak\"")))),
        ("payload-label-missing", "BadPayload", with_plaintext(&payload("1", &good_key.replace("\"label\":\"Personal\",", "")))),
        ("payload-duplicate-key", "DuplicateKey", with_plaintext(&payload("1", &key_entry("anthropic", ",\"secret\":\"sk-FAKE-SECRET-second\"")))),
        ("payload-duplicate-key-secret-as-name", "DuplicateKey", with_plaintext(&payload("1", &key_entry("anthropic", ",\"sk-ant-api03-FAKE-SECRET-as-key\":1,\"sk-ant-api03-FAKE-SECRET-as-key\":2")))),
    ]
}

/// The files on disk are exactly what the generator makes. To regenerate them after a
/// deliberate change: `BYOK_REGENERATE_VECTORS=1 cargo test -p byok-core --test bundle_vectors`.
#[test]
fn negative_vector_files_match_the_generator() {
    let dir = vectors_dir().join("negative");
    let regenerate = std::env::var_os("BYOK_REGENERATE_VECTORS").is_some();
    if regenerate {
        std::fs::create_dir_all(&dir).expect("mkdir");
    }
    for (name, expect, content) in negative_vectors() {
        let text = format!("expect: {expect}\n{content}");
        let path = dir.join(format!("{name}.byok.json"));
        if regenerate {
            std::fs::write(&path, text).expect("write vector");
        } else {
            let on_disk = std::fs::read(&path).expect("vector file");
            assert!(
                on_disk == text.as_bytes(),
                "{} differs from the generator",
                path.display()
            );
        }
    }
}

/// The generator's list and the files on disk agree in name and expectation (the
/// content is checked by running the files, above).
#[test]
fn generator_and_files_agree() {
    let on_disk: BTreeSet<(String, String)> = load_vectors()
        .into_iter()
        .map(|v| (v.name, v.expect))
        .collect();
    let generated: BTreeSet<(String, String)> = negative_vectors()
        .into_iter()
        .map(|(n, e, _)| (format!("{n}.byok.json"), e.to_owned()))
        .collect();
    assert_eq!(on_disk, generated);
}
