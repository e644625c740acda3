//! Property tests for bundle v1. Keys are fixed or drawn directly instead of derived:
//! 600,000 PBKDF2 iterations per case would make a few hundred cases take minutes, and the
//! derivation has its own known-answer tests.

mod bundle_common;

use bundle_common::golden_bundle;
use byok_core::bundle::{self, BundleKey, BundlePayload};
use byok_core::crypto::{AeadKey, MAX_ITERATIONS, MIN_ITERATIONS};
use byok_core::model::Provider;
use byok_core::secret::Secret;
use proptest::prelude::*;
use serde_json::{Map, Value};
use time::OffsetDateTime;

fn provider() -> impl Strategy<Value = Provider> {
    prop::sample::select(Provider::ALL.to_vec())
}

fn time_strategy() -> impl Strategy<Value = OffsetDateTime> {
    // RFC 3339 covers years 0000-9999; whole nanoseconds survive the round trip.
    (0i64..253_402_300_799, 0u32..1_000_000_000).prop_map(|(s, ns)| {
        OffsetDateTime::from_unix_timestamp(s)
            .expect("in range")
            .replace_nanosecond(ns)
            .expect("valid nanosecond")
    })
}

/// JSON values for unknown fields. No floats: serde_json's default float parsing is not
/// guaranteed to round-trip the last bit, and that is not what this test is about.
fn extra_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        ".{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn extra_fields() -> impl Strategy<Value = Map<String, Value>> {
    // Prefixed so they never collide with a field the struct owns.
    prop::collection::btree_map("x_[a-z_]{0,8}", extra_value(), 0..3)
        .prop_map(|m| m.into_iter().collect())
}

prop_compose! {
    fn bundle_key()(
        id in "[0-9a-f-]{0,36}|.{0,10}",
        provider in provider(),
        label in ".{0,30}",
        secret in ".{0,80}",
        url in prop::option::of("https://[a-z]{1,10}\\.example/[a-z]{0,5}"),
        is_default in any::<bool>(),
        is_active in any::<bool>(),
        created_at in time_strategy(),
        expires_at in prop::option::of(time_strategy()),
        extra in extra_fields(),
    ) -> BundleKey {
        let base_url = match provider {
            Provider::OpenaiCompatible => Some(url.unwrap_or_else(|| "http://localhost:11434/v1".into())),
            _ => url,
        };
        BundleKey {
            id, provider, label, secret: Secret::new(secret), base_url, is_default, is_active,
            created_at, expires_at, extra,
        }
    }
}

prop_compose! {
    fn payload()(keys in prop::collection::vec(bundle_key(), 0..8), exported_at in time_strategy())
        -> BundlePayload {
        BundlePayload { schema: 1, exported_at, keys }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn seal_then_open_gives_back_the_same_payload(
        p in payload(),
        key in any::<[u8; 32]>(),
        salt in prop::collection::vec(any::<u8>(), 16..48),
        iv in any::<[u8; 12]>(),
        iterations in MIN_ITERATIONS..=MAX_ITERATIONS,
    ) {
        let text = bundle::seal_with_key(&p, &AeadKey::from_bytes(key), &salt, &iv, iterations)
            .expect("seals");
        let parsed = bundle::parse(text.as_bytes()).expect("own output parses");
        prop_assert_eq!(parsed.header.iterations, iterations);
        prop_assert_eq!(&parsed.header.salt, &salt);
        prop_assert_eq!(parsed.header.iv, iv);
        let back = parsed.open_with_key(&AeadKey::from_bytes(key)).expect("opens");
        prop_assert_eq!(&back, &p);
        // The plaintext form (what `byok bundle decrypt` prints) reads back the same too.
        let pretty = back.to_json_pretty().expect("serialises");
        prop_assert_eq!(BundlePayload::from_json(&pretty).expect("reads back"), p);
    }

    #[test]
    fn parse_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = bundle::parse(&bytes);
        let _ = BundlePayload::from_json(&bytes);
    }

    /// Mutations of a real bundle get much deeper into the reader than random bytes.
    #[test]
    fn mutated_golden_files_are_refused_or_fail_the_tag(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let mut b = golden_bundle();
        for (i, byte) in &edits {
            let at = i.index(b.len());
            b[at] = *byte;
        }
        if let Ok(parsed) = bundle::parse(&b) {
            // Edits only to insignificant whitespace, or to nothing at all, may open.
            if let Err(e) = parsed.open_with_key(&bundle_common::golden_key()) {
                prop_assert_eq!(e.name(), "WrongPassphraseOrTampered");
            }
        }
    }
}
