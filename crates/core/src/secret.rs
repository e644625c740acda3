//! A string that holds an API key: never printed, wiped from memory when dropped.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

use crate::keyfmt::mask;

/// An API key or passphrase. `Debug` shows only the mask; there is no `Display`, so
/// `format!("{}")` on it does not compile. Reading the value takes a call to
/// [`Secret::expose`], easy to find in review.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(Zeroizing::new(s.into()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn masked(&self) -> String {
        mask(&self.0)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({})", self.masked())
    }
}

// Serialising is needed to put secrets inside ciphertext (vault record, bundle); callers
// hold the serialised bytes in `Zeroizing` buffers.
impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_only_the_mask() {
        let s = Secret::new("sk-ant-api03-FAKEnotArealKEYforTESTSabc0123456789-9xAA");
        let shown = format!("{s:?}");
        assert!(!shown.contains("notArealKEYfor"), "{shown}");
        assert!(shown.contains("9xAA"));
    }
}
