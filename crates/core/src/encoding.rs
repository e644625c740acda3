//! Strict decoding shared by every reader of byok files: canonical standard base64, and
//! JSON that refuses duplicate object keys (two `"iterations"` could otherwise mean one
//! thing to byok and another to a different reader).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};

pub fn b64_encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Standard alphabet, padding required, no whitespace, no stray trailing bits: exactly one
/// accepted text per byte string.
pub fn b64_decode(s: &str) -> Result<Vec<u8>, base64::DecodeError> {
    STANDARD.decode(s)
}

#[derive(Debug, thiserror::Error)]
pub enum JsonError {
    #[error("duplicate key \"{0}\"")]
    DuplicateKey(String),
    #[error("{0}")]
    Syntax(String),
}

/// Parse JSON into `T` after checking, at every depth, that no object repeats a key.
pub fn from_json_strict<T: DeserializeOwned>(text: &[u8]) -> Result<T, JsonError> {
    check_no_duplicate_keys(text)?;
    serde_json::from_slice(text).map_err(|e| JsonError::Syntax(e.to_string()))
}

pub fn check_no_duplicate_keys(text: &[u8]) -> Result<(), JsonError> {
    let mut de = serde_json::Deserializer::from_slice(text);
    match de.deserialize_any(NoDup) {
        Ok(()) => de.end().map_err(|e| JsonError::Syntax(e.to_string())),
        Err(e) => {
            let msg = e.to_string();
            match msg.strip_prefix(DUP_PREFIX) {
                Some(rest) => Err(JsonError::DuplicateKey(
                    rest.split(DUP_SUFFIX).next().unwrap_or(rest).to_string(),
                )),
                None => Err(JsonError::Syntax(msg)),
            }
        }
    }
}

const DUP_PREFIX: &str = "\u{1}dup:";
const DUP_SUFFIX: &str = "\u{1}";

/// Reads and discards any JSON value, refusing an object that repeats a key at any depth.
pub(crate) struct NoDup;

impl<'de> de::DeserializeSeed<'de> for NoDup {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NoDup {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(NoDup)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = std::collections::HashSet::new();
        // Keys are borrowed from the input where they hold no escapes: a 10,000-key
        // bundle has 100,000 of them, and copying each was most of this check's cost.
        while let Some(k) = map.next_key_seed(KeySeed)? {
            if seen.contains(&k) {
                return Err(de::Error::custom(format_args!(
                    "{DUP_PREFIX}{k}{DUP_SUFFIX}"
                )));
            }
            seen.insert(k);
            map.next_value_seed(NoDup)?;
        }
        Ok(())
    }
}

/// An object key, borrowed from the input when it holds no escape.
pub(crate) struct KeySeed;

impl<'de> de::DeserializeSeed<'de> for KeySeed {
    type Value = std::borrow::Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = std::borrow::Cow<'de, str>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object key")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(std::borrow::Cow::Borrowed(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(std::borrow::Cow::Owned(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(std::borrow::Cow::Owned(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_are_found_at_any_depth() {
        assert!(check_no_duplicate_keys(br#"{"a":1,"b":{"c":[{"d":1}]}}"#).is_ok());
        assert!(matches!(
            check_no_duplicate_keys(br#"{"a":1,"a":2}"#),
            Err(JsonError::DuplicateKey(k)) if k == "a"
        ));
        assert!(matches!(
            check_no_duplicate_keys(br#"{"x":[{"kdf":{"n":1,"n":1}}]}"#),
            Err(JsonError::DuplicateKey(k)) if k == "n"
        ));
        assert!(matches!(
            check_no_duplicate_keys(b"{"),
            Err(JsonError::Syntax(_))
        ));
        assert!(matches!(
            check_no_duplicate_keys(b"{} x"),
            Err(JsonError::Syntax(_))
        ));
    }

    #[test]
    fn base64_is_canonical_only() {
        assert_eq!(b64_decode("AAECAw==").expect("ok"), vec![0, 1, 2, 3]);
        assert!(b64_decode("AAECAw").is_err(), "padding required");
        assert!(
            b64_decode("AAECAx==").is_err(),
            "trailing bits must be zero"
        );
        assert!(b64_decode("AAEC Aw==").is_err(), "no whitespace");
        assert!(b64_decode("AAECAw-_").is_err(), "no url-safe alphabet");
    }
}
