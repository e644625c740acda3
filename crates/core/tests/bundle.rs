//! Bundle v1: the golden vector, the writer, tampering, and the key-list rules. Most
//! tests use the golden vector's known key (`open_with_key`) so that only the few that
//! are about the passphrase pay for a 600,000-iteration derivation.

mod bundle_common;

use bundle_common::{
    GOLDEN_PASSPHRASE, GOLDEN_SECRETS, golden_bundle, golden_iv, golden_key, golden_plaintext,
    golden_salt,
};
use byok_core::bundle::{
    self, BundleError, BundleKey, BundlePayload, MAX_FILE_BYTES, TAMPERED_MESSAGE,
};
use byok_core::crypto::{AeadKey, MAX_ITERATIONS, MIN_ITERATIONS};
use byok_core::encoding::{b64_decode, b64_encode};
use byok_core::model::{KeyEntry, Provider, TestOutcome, TestResult, UsageTotals, Vault};
use byok_core::secret::Secret;
use serde_json::{Value, json};
use time::macros::datetime;
use uuid::Uuid;

fn as_value(p: &BundlePayload) -> Value {
    serde_json::from_slice(&p.to_json().expect("serialises")).expect("JSON")
}

fn golden_payload() -> BundlePayload {
    BundlePayload::from_json(&bundle_common::read_vector("golden-v1.plaintext.json"))
        .expect("golden plaintext is a valid key list")
}

fn sample_key(provider: Provider, label: &str, secret: &str) -> BundleKey {
    BundleKey {
        id: Uuid::from_u128(label.len() as u128 + 1).to_string(),
        provider,
        label: label.into(),
        secret: Secret::new(secret),
        base_url: (provider == Provider::OpenaiCompatible)
            .then(|| "https://openrouter.ai/api/v1".to_owned()),
        is_default: true,
        is_active: true,
        created_at: datetime!(2026-11-01 09:30 UTC),
        expires_at: None,
        extra: serde_json::Map::new(),
    }
}

fn sealed_with_fixed_key(p: &BundlePayload) -> String {
    bundle::seal_with_key(
        p,
        &golden_key(),
        &golden_salt(),
        &golden_iv(),
        MIN_ITERATIONS,
    )
    .expect("seals")
}

#[test]
fn golden_vector_decrypts_with_its_passphrase() {
    let parsed = bundle::parse(&golden_bundle()).expect("golden parses");
    assert_eq!(parsed.header.iterations, 600_000);
    assert_eq!(parsed.header.salt, golden_salt());
    assert_eq!(parsed.header.iv, golden_iv());
    assert_eq!(parsed.header.content_type, bundle::CONTENT_TYPE);
    let payload = parsed.open(GOLDEN_PASSPHRASE).expect("golden opens");
    assert_eq!(as_value(&payload), golden_plaintext());
}

#[test]
fn golden_vector_opens_with_the_key_webcrypto_derives() {
    let payload = bundle::parse(&golden_bundle())
        .expect("parses")
        .open_with_key(&golden_key())
        .expect("opens");
    assert_eq!(as_value(&payload), golden_plaintext());
    assert_eq!(payload.keys[0].secret.expose(), GOLDEN_SECRETS[0]);
    assert_eq!(payload.keys[1].provider, Provider::Openai);
}

/// Same key, salt, IV and contents as the golden vector (written by WebCrypto): the Rust
/// writer must give the very same file, header field order and all.
#[test]
fn writer_reproduces_the_golden_file_byte_for_byte() {
    let text = sealed_with_fixed_key(&golden_payload());
    assert_eq!(
        text,
        String::from_utf8(golden_bundle()).expect("UTF-8"),
        "writer output differs from the golden vector"
    );
}

#[test]
fn wrong_passphrase_gets_the_one_message() {
    let parsed = bundle::parse(&golden_bundle()).expect("parses");
    let err = parsed
        .open("correct horse battery stapler")
        .expect_err("wrong passphrase");
    assert_eq!(err, BundleError::WrongPassphraseOrTampered);
    assert_eq!(err.user_message(), TAMPERED_MESSAGE);
    assert_eq!(
        err.user_message(),
        "wrong passphrase, or the file was changed"
    );
    assert_eq!(err.exit_code(), 1);
}

#[test]
fn seal_and_open_with_a_passphrase() {
    let mut p = golden_payload();
    p.keys.push(sample_key(
        Provider::Gemini,
        "Gemini ünïcødé 🔑",
        "AIzaSyTEST-unicode",
    ));
    let pass = "pässwörd 密码 🔑";
    let a = bundle::seal(&p, pass, MIN_ITERATIONS).expect("seals");
    let b = bundle::seal(&p, pass, MIN_ITERATIONS).expect("seals");
    let (pa, pb) = (
        bundle::parse(a.as_bytes()).expect("a"),
        bundle::parse(b.as_bytes()).expect("b"),
    );
    assert_ne!(pa.header.salt, pb.header.salt, "fresh salt per export");
    assert_ne!(pa.header.iv, pb.header.iv, "fresh IV per export");
    assert_eq!(pa.header.salt.len(), 16);
    assert_eq!(pa.open(pass).expect("opens"), p);
    assert_eq!(
        pb.open("passwörd 密码 🔑").expect_err("wrong"),
        BundleError::WrongPassphraseOrTampered
    );
}

#[test]
fn writer_refuses_what_the_reader_would_refuse() {
    let p = golden_payload();
    let key = golden_key();
    for bad in [0, MIN_ITERATIONS - 1, MAX_ITERATIONS + 1, u32::MAX] {
        assert!(matches!(
            bundle::seal_with_key(&p, &key, &golden_salt(), &golden_iv(), bad),
            Err(BundleError::BadIterations { .. })
        ));
    }
    assert!(matches!(
        bundle::seal_with_key(&p, &key, &[0u8; 15], &golden_iv(), MIN_ITERATIONS),
        Err(BundleError::SaltTooShort { len: 15 })
    ));
    let mut no_url = p.clone();
    no_url
        .keys
        .push(sample_key(Provider::OpenaiCompatible, "Groq", "gsk_TEST"));
    no_url.keys[2].base_url = Some("  ".into());
    assert!(matches!(
        bundle::seal_with_key(&no_url, &key, &golden_salt(), &golden_iv(), MIN_ITERATIONS),
        Err(BundleError::BadPayload { .. })
    ));
    let mut shadowing = p.clone();
    shadowing.keys[0]
        .extra
        .insert("label".into(), json!("again"));
    assert!(matches!(
        bundle::seal_with_key(
            &shadowing,
            &key,
            &golden_salt(),
            &golden_iv(),
            MIN_ITERATIONS
        ),
        Err(BundleError::BadPayload { .. })
    ));
    let mut newer = p;
    newer.schema = 2;
    assert!(matches!(
        bundle::seal_with_key(&newer, &key, &golden_salt(), &golden_iv(), MIN_ITERATIONS),
        Err(BundleError::NewerSchema { found: 2 })
    ));
}

/// A count like 4 billion would keep PBKDF2 busy for hours; this test finishing at all
/// shows that neither the reader nor the writer gets as far as deriving.
#[test]
fn huge_iteration_counts_never_reach_the_derivation() {
    assert!(matches!(
        bundle::seal(&golden_payload(), "x", u32::MAX),
        Err(BundleError::BadIterations { .. })
    ));
    let header = r#"{"format":"byok-bundle","version":1,"kdf":{"name":"PBKDF2","hash":"SHA-256","iterations":4294967295,"salt":"AAECAwQFBgcICQoLDA0ODw=="},"cipher":{"name":"AES-GCM","length":256,"iv":"EBESExQVFhcYGRob","tagLength":128},"contentType":"application/vnd.byok.keys+json"}"#;
    let file = json!({
        "format": "byok-bundle",
        "version": 1,
        "protected": b64_encode(header.as_bytes()),
        "ciphertext": b64_encode(&[0u8; 64]),
    });
    let err = bundle::parse(file.to_string().as_bytes()).expect_err("refused");
    assert_eq!(err.name(), "BadIterations");
    assert_eq!(err.exit_code(), 3);
}

#[test]
fn every_changed_ciphertext_byte_fails_with_the_one_message() {
    let text = sealed_with_fixed_key(&golden_payload());
    let v: Value = serde_json::from_str(&text).expect("JSON");
    let ct = b64_decode(v["ciphertext"].as_str().expect("ct")).expect("b64");
    for i in 0..ct.len() {
        for bit in [0x01u8, 0x80] {
            let mut bad = ct.clone();
            bad[i] ^= bit;
            let mut f = v.clone();
            f["ciphertext"] = json!(b64_encode(&bad));
            let err = bundle::parse(f.to_string().as_bytes())
                .expect("still a well-formed bundle")
                .open_with_key(&golden_key())
                .expect_err("tampered ciphertext must not open");
            assert_eq!(err.user_message(), TAMPERED_MESSAGE, "byte {i}");
        }
    }
    // Cut short, or one byte added.
    for bad in [&ct[..ct.len() - 1], &[ct.as_slice(), &[0]].concat()[..]] {
        let mut f = v.clone();
        f["ciphertext"] = json!(b64_encode(bad));
        let err = bundle::parse(f.to_string().as_bytes())
            .expect("parses")
            .open_with_key(&golden_key())
            .expect_err("must not open");
        assert_eq!(err, BundleError::WrongPassphraseOrTampered);
    }
}

/// The header is the AAD: any change to its bytes that still leaves a valid header fails
/// the tag with the one message; any other change is refused by a format rule. Nothing
/// opens.
#[test]
fn every_changed_header_byte_fails() {
    let text = sealed_with_fixed_key(&golden_payload());
    let v: Value = serde_json::from_str(&text).expect("JSON");
    let header = b64_decode(v["protected"].as_str().expect("protected")).expect("b64");
    let mut tag_failures = 0;
    for i in 0..header.len() {
        let mut bad = header.clone();
        bad[i] ^= 0x01;
        let mut f = v.clone();
        f["protected"] = json!(b64_encode(&bad));
        match bundle::parse(f.to_string().as_bytes()) {
            Err(e) => assert_ne!(e.exit_code(), 0, "byte {i}"),
            Ok(parsed) => {
                let err = parsed
                    .open_with_key(&golden_key())
                    .expect_err("must not open");
                assert_eq!(err.user_message(), TAMPERED_MESSAGE, "byte {i}");
                tag_failures += 1;
            }
        }
    }
    // Salt and IV bytes, for instance, change without breaking the header's shape.
    assert!(
        tag_failures > 10,
        "only {tag_failures} flips reached the tag check"
    );

    // The protected text itself, one base64 character at a time.
    let protected = v["protected"].as_str().expect("protected").to_owned();
    for (i, c) in protected.char_indices() {
        let swapped = if c == 'A' { 'B' } else { 'A' };
        let mut p = protected.clone();
        p.replace_range(i..i + 1, &swapped.to_string());
        let mut f = v.clone();
        f["protected"] = json!(p);
        if let Ok(parsed) = bundle::parse(f.to_string().as_bytes()) {
            assert_eq!(
                parsed
                    .open_with_key(&golden_key())
                    .expect_err("must not open"),
                BundleError::WrongPassphraseOrTampered,
                "char {i}"
            );
        }
    }
}

#[test]
fn the_outer_file_is_not_authenticated_but_must_still_be_exact() {
    // Re-indenting the outer JSON changes nothing that is read: it still opens.
    let v: Value = serde_json::from_slice(&golden_bundle()).expect("JSON");
    let compact = v.to_string();
    let payload = bundle::parse(compact.as_bytes())
        .expect("parses")
        .open_with_key(&golden_key())
        .expect("opens");
    assert_eq!(as_value(&payload), golden_plaintext());
}

#[test]
fn unknown_key_fields_survive_a_round_trip() {
    let mut plain = golden_plaintext();
    plain["keys"][0]["color"] = json!("teal");
    plain["keys"][0]["future"] = json!({"nested": [1, 2, {"deep": true}], "s": "x"});
    plain["keys"][1]["rotation_policy"] = json!(null);
    let p = BundlePayload::from_json(plain.to_string().as_bytes()).expect("valid");
    assert_eq!(p.keys[0].extra.len(), 2);
    let reopened = bundle::parse(sealed_with_fixed_key(&p).as_bytes())
        .expect("parses")
        .open_with_key(&golden_key())
        .expect("opens");
    assert_eq!(as_value(&reopened), plain);
}

#[test]
fn key_list_rules() {
    let ok = |v: &Value| BundlePayload::from_json(v.to_string().as_bytes());
    let mut v = golden_plaintext();
    v["keys"][0]["base_url"] = json!("https://proxy.example.com");
    assert!(
        ok(&v).is_ok(),
        "base_url is optional, and allowed, for other providers"
    );
    v["keys"][0]["provider"] = json!("openai-compatible");
    assert!(ok(&v).is_ok());
    v["keys"][0]["base_url"] = json!(null);
    assert_eq!(ok(&v).expect_err("needs base_url").name(), "BadPayload");
    let mut v = golden_plaintext();
    v["keys"][1]["expires_at"] = json!("2027-05-01T02:00:00+02:00");
    assert!(ok(&v).is_ok(), "offsets are RFC 3339 too");
    v["keys"][1]["created_at"] = json!("2026-11-02");
    assert_eq!(ok(&v).expect_err("date only").name(), "BadPayload");
    let mut v = golden_plaintext();
    v["keys"] = json!([]);
    assert!(ok(&v).is_ok(), "an empty list is a valid export");
    // The bundle itself given where a key list is expected (e.g. encrypting twice).
    let err = BundlePayload::from_json(&golden_bundle()).expect_err("not a key list");
    assert!(
        err.user_message().contains("already an encrypted bundle"),
        "{err}"
    );
    let huge = vec![b' '; MAX_FILE_BYTES + 1];
    assert_eq!(
        BundlePayload::from_json(&huge).expect_err("big").name(),
        "TooLarge"
    );
}

#[test]
fn messages_about_the_key_list_never_quote_it() {
    let leak = "sk-ant-api03-FAKE-LEAKLEAKLEAK";
    let mut cases = Vec::new();
    for field in [
        "provider",
        "is_default",
        "created_at",
        "expires_at",
        "label",
        "id",
    ] {
        let mut v = golden_plaintext();
        v["keys"][0][field] = if field == "label" || field == "id" {
            json!([leak])
        } else {
            json!(leak)
        };
        cases.push(v.to_string());
    }
    let mut v = golden_plaintext();
    v["keys"][0]["secret"] = json!(12345678901234u64);
    cases.push(v.to_string());
    cases.push(format!("{{\"{leak}\": 1, \"{leak}\": 2}}"));
    cases.push(format!("[\"{leak}\""));
    for c in cases {
        let err = BundlePayload::from_json(c.as_bytes()).expect_err("refused");
        let msg = err.user_message();
        assert!(
            !msg.contains("LEAK") && !msg.contains("12345678901234"),
            "{msg}"
        );
        assert_eq!(err.exit_code(), 3);
    }
}

#[test]
fn helpful_messages_for_files_that_are_not_bundles() {
    let msg = |b: &[u8]| bundle::parse(b).expect_err("refused").user_message();
    assert_eq!(msg(b""), "the file is empty, not a byok bundle");
    assert_eq!(
        msg(&bundle_common::read_vector("golden-v1.plaintext.json")),
        "this is an unencrypted key list, not a bundle; encrypt it with `byok bundle encrypt`"
    );
    assert_eq!(
        msg(br#"{"format":"byok-vault","version":1}"#),
        "this is a byok vault record, not a bundle"
    );
    assert!(msg(b"\x89PNG\r\n").starts_with("this is not a byok bundle: it is not JSON"));
    let v2 = String::from_utf8(golden_bundle())
        .expect("UTF-8")
        .replace("\"version\": 1", "\"version\": 7");
    assert_eq!(
        msg(v2.as_bytes()),
        "this bundle is version 7, made by a newer byok than this one, which cannot read it"
    );
    // Quoted header values are cut short.
    let long = format!("{{\"format\":\"{}\",\"version\":1}}", "x".repeat(10_000));
    assert!(msg(long.as_bytes()).len() < 200);
}

#[test]
fn exit_codes() {
    assert_eq!(BundleError::WrongPassphraseOrTampered.exit_code(), 1);
    assert_eq!(BundleError::Empty.exit_code(), 3);
    assert_eq!(BundleError::TooLarge { size: 1 }.exit_code(), 3);
    assert_eq!(BundleError::NewerSchema { found: 2 }.exit_code(), 3);
    assert_eq!(BundleError::Rng.exit_code(), 4);
}

#[test]
fn vault_entries_convert_both_ways() {
    let entry = KeyEntry {
        id: Uuid::from_u128(42),
        provider: Provider::OpenaiCompatible,
        label: "OpenRouter".into(),
        secret: Secret::new("sk-or-v1-TEST"),
        base_url: Some("https://openrouter.ai/api/v1".into()),
        is_default: false,
        is_active: true,
        created_at: datetime!(2026-01-01 0:00 UTC),
        rotated_at: Some(datetime!(2026-02-01 0:00 UTC)),
        last_used_at: Some(datetime!(2026-03-01 12:00 UTC)),
        last_test_at: Some(datetime!(2026-03-02 0:00 UTC)),
        last_test: Some(TestResult {
            outcome: TestOutcome::RateLimited,
            message: "slow down".into(),
            models: vec![],
        }),
        expires_at: Some(datetime!(2027-01-01 0:00 UTC)),
        notes: "team account".into(),
        usage: Default::default(),
        extra: [("color".to_owned(), json!("teal"))].into_iter().collect(),
    };
    let bk = BundleKey::from_key_entry(&entry);
    assert_eq!(bk.uuid(), Some(entry.id));
    assert_eq!(bk.extra["notes"], json!("team account"));
    let payload = BundlePayload {
        schema: 1,
        exported_at: datetime!(2026-11-26 0:00 UTC),
        keys: vec![bk],
    };
    let back = bundle::parse(sealed_with_fixed_key(&payload).as_bytes())
        .expect("parses")
        .open_with_key(&golden_key())
        .expect("opens");
    assert_eq!(back.keys[0].to_key_entry(entry.id), entry);

    // A non-UUID id from another writer is the caller's to replace.
    let mut odd = back.keys[0].clone();
    odd.id = "key-1".into();
    assert_eq!(odd.uuid(), None);
    // An extra "notes" of the wrong type must not end up written twice.
    odd.extra.insert("notes".into(), json!(5));
    let e = odd.to_key_entry(Uuid::from_u128(7));
    assert!(e.notes.is_empty() && !e.extra.contains_key("notes"));
    let json = serde_json::to_string(&e).expect("serialises");
    byok_core::encoding::check_no_duplicate_keys(json.as_bytes()).expect("no field twice");
}

#[test]
fn a_key_of_other_bytes_never_opens() {
    let parsed = bundle::parse(&golden_bundle()).expect("parses");
    let mut k = *golden_key().expose();
    k[31] ^= 1;
    assert_eq!(
        parsed
            .open_with_key(&AeadKey::from_bytes(k))
            .expect_err("wrong key"),
        BundleError::WrongPassphraseOrTampered
    );
}

#[test]
fn no_field_of_a_bundle_key_can_break_the_vault_it_is_imported_into() {
    // Every name a vault key writes, carried by a bundle key as an extra field (from a
    // newer byok, another tool or a hostile file) in any shape, must come back as its
    // typed field or not at all: left in `extra`, it was written twice, or in a shape the
    // vault's reader refuses, and the vault no longer opened.
    let full = KeyEntry {
        id: Uuid::from_u128(1),
        provider: Provider::Anthropic,
        label: "Full".into(),
        secret: Secret::new("sk-ant-api03-FAKE-full-TEST"),
        base_url: Some("https://example.com/v1".into()),
        is_default: true,
        is_active: true,
        created_at: datetime!(2026-01-01 0:00 UTC),
        rotated_at: Some(datetime!(2026-02-01 0:00 UTC)),
        last_used_at: Some(datetime!(2026-03-01 0:00 UTC)),
        last_test_at: Some(datetime!(2026-03-02 0:00 UTC)),
        last_test: Some(TestResult {
            outcome: TestOutcome::Ok,
            message: "fine".into(),
            models: vec!["m".into()],
        }),
        expires_at: Some(datetime!(2027-01-01 0:00 UTC)),
        notes: "n".into(),
        usage: UsageTotals {
            requests: 1,
            input_tokens: 2,
            output_tokens: 3,
            cached_tokens: 0,
        },
        extra: Default::default(),
    };
    let written = serde_json::to_value(&full).expect("serialises");
    let names: Vec<String> = written
        .as_object()
        .expect("an object")
        .keys()
        .cloned()
        .collect();
    assert!(
        names.contains(&"usage".to_owned()) && names.len() >= 15,
        "{names:?}"
    );
    let shapes = [
        json!(null),
        json!("text"),
        json!(5),
        json!({"requests": 4, "input_tokens": 1, "output_tokens": 2, "cached_tokens": 0}),
    ];
    for name in &names {
        for shape in &shapes {
            let mut bk = BundleKey::from_key_entry(&full);
            bk.extra.insert(name.clone(), shape.clone());
            let mut e = bk.to_key_entry(Uuid::from_u128(9));
            // Used once after the import, so its own usage is written too.
            e.usage.add(&UsageTotals {
                requests: 1,
                ..Default::default()
            });
            let vault = Vault {
                keys: vec![e],
                ..Default::default()
            };
            let pt = serde_json::to_vec(&vault).expect("serialises");
            assert!(
                byok_core::vault::contents_from_plaintext(&pt).is_ok(),
                "{name} = {shape} in a bundle key breaks the vault"
            );
        }
    }
    // A well-formed usage from elsewhere is kept.
    let mut bk = BundleKey::from_key_entry(&full);
    bk.extra.insert("usage".into(), shapes[3].clone());
    assert_eq!(bk.to_key_entry(Uuid::from_u128(9)).usage.requests, 4);
}

#[test]
fn usage_totals_saturate_instead_of_wrapping() {
    // A provider reporting absurd counts must not wrap a key's totals to near zero.
    let mut t = UsageTotals {
        requests: 1,
        input_tokens: u64::MAX - 1,
        output_tokens: 0,
        cached_tokens: 0,
    };
    t.add(&UsageTotals {
        requests: 1,
        input_tokens: u64::MAX,
        output_tokens: 7,
        cached_tokens: 0,
    });
    assert_eq!(
        (t.requests, t.input_tokens, t.output_tokens),
        (2, u64::MAX, 7)
    );
}

#[test]
fn a_cut_off_file_is_called_cut_off_not_foreign() {
    let whole = golden_bundle();
    let half = &whole[..whole.len() / 2];
    let e = bundle::parse(half).expect_err("half a bundle");
    assert_eq!(e.name(), "NotJson");
    assert!(e.to_string().starts_with("this file is cut off"), "{e}");
    assert_eq!(e.exit_code(), 3);
    let e = bundle::parse(b"format: byok-bundle\n").expect_err("not JSON");
    assert!(
        e.to_string()
            .starts_with("this is not a byok bundle: it is not JSON"),
        "{e}"
    );
}
