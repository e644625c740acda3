//! Bundle format v1 (`spec/bundle-v1.md`): the encrypted key file shared by the web app
//! and the `byok` tool.
//!
//! Reading is split in two so that every refusal rule that can be checked without the
//! passphrase is checked before any key derivation runs: [`parse`] checks the whole file
//! and returns a [`ParsedBundle`], and only a `ParsedBundle` can be opened. A hostile file
//! (iterations = 4 billion, a 100 MB salt) therefore never reaches PBKDF2.
//!
//! Opening takes either a passphrase ([`ParsedBundle::open`], RustCrypto PBKDF2) or an
//! already derived key ([`ParsedBundle::open_with_key`]): the browser derives with
//! WebCrypto from [`Header::salt`] and [`Header::iterations`], which is several times
//! faster than PBKDF2 compiled to wasm.
//!
//! Error texts never contain secrets. Header values may be quoted in them (the header is
//! not secret); values from the decrypted contents never are, because a damaged key list
//! can put a secret where a provider name or a date should be.

use std::io;

use serde::de;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::crypto::{
    self, AeadKey, CryptoError, IV_LEN, MAX_ITERATIONS, MIN_ITERATIONS, SALT_LEN, TAG_LEN,
};
use crate::encoding::{JsonError, KeySeed, NoDup, b64_decode, b64_encode, check_no_duplicate_keys};
use crate::model::{KeyEntry, Provider, TestResult, UsageTotals};
use crate::secret::Secret;

pub const FORMAT: &str = "byok-bundle";
pub const VERSION: u32 = 1;
pub const CONTENT_TYPE: &str = "application/vnd.byok.keys+json";
pub const SCHEMA: u32 = 1;
/// Checked before parsing, so a huge file costs a `len()` and nothing else. 10,000 keys
/// make about 3 MB; 16 MiB leaves room without letting a file exhaust a browser tab.
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;

pub const KDF_NAME: &str = "PBKDF2";
pub const KDF_HASH: &str = "SHA-256";
pub const CIPHER_NAME: &str = "AES-GCM";
pub const KEY_BITS: u64 = 256;
pub const TAG_BITS: u64 = 128;

/// The one text for a tag that does not verify. Which of the two it was cannot be known,
/// and guessing would tell an attacker whether their edit or their guess was wrong.
pub const TAMPERED_MESSAGE: &str = "wrong passphrase, or the file was changed";

/// The decrypted contents of a bundle (contentType `application/vnd.byok.keys+json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BundlePayload {
    pub schema: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub exported_at: OffsetDateTime,
    pub keys: Vec<BundleKey>,
}

/// One key entry of a bundle. Fields this version does not know are kept in `extra` and
/// written back out (forward compatibility, as the spec asks).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BundleKey {
    pub id: String,
    pub provider: Provider,
    pub label: String,
    pub secret: Secret,
    #[serde(default)]
    pub base_url: Option<String>,
    pub is_default: bool,
    pub is_active: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// Field names of a key entry that the typed struct owns; `extra` must not repeat them
/// or the written JSON would carry the same key twice, which readers refuse.
const KEY_FIELDS: [&str; 9] = [
    "id",
    "provider",
    "label",
    "secret",
    "base_url",
    "is_default",
    "is_active",
    "created_at",
    "expires_at",
];

/// [`KeyEntry`] fields a bundle has no column for; an export carries them in `extra`
/// so that export + import keeps them.
/// Any other [`KeyEntry`] field must be listed here too: one left in `extra` by an
/// import would be written twice in the vault, which then no longer opens (a test
/// checks the list against what a `KeyEntry` writes).
const ENTRY_ONLY_FIELDS: [&str; 6] = [
    "notes",
    "rotated_at",
    "last_used_at",
    "last_test_at",
    "last_test",
    "usage",
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    #[error("the file is empty, not a byok bundle")]
    Empty,
    #[error("the file is {size} bytes, over the 16 MiB limit for a bundle")]
    TooLarge { size: usize },
    #[error("{}", not_json(detail, *cut_off))]
    NotJson {
        detail: String,
        /// The JSON ends before it is complete: most likely a download or copy that
        /// did not finish, which deserves other words than "not a bundle".
        cut_off: bool,
    },
    #[error(
        "{key} appears twice in one JSON object; byok refuses such files because two readers could read them differently"
    )]
    DuplicateKey { key: String },
    #[error("this is a byok vault record, not a bundle")]
    IsVaultRecord,
    #[error("this is an unencrypted key list, not a bundle; encrypt it with `byok bundle encrypt`")]
    IsPlaintext,
    #[error("this is not a byok bundle: {what}")]
    NotABundle { what: String },
    #[error("this is not a byok bundle: its format is {found}, expected \"byok-bundle\"")]
    UnknownFormat { found: String },
    #[error(
        "this bundle is version {found}, made by a newer byok than this one, which cannot read it"
    )]
    NewerVersion { found: u64 },
    #[error("the bundle's version is {found}; only version 1 exists")]
    UnsupportedVersion { found: String },
    #[error(
        "the {field} outside the protected header differs from the one inside it; the file was changed or badly made"
    )]
    HeaderMismatch { field: &'static str },
    #[error("the bundle is malformed: {what}")]
    Malformed { what: String },
    #[error(
        "{field} is not canonical standard base64 (padding required, no spaces or line breaks)"
    )]
    BadBase64 { field: &'static str },
    #[error("{field} is {found}; byok bundles use PBKDF2 with SHA-256")]
    UnsupportedKdf { field: &'static str, found: String },
    #[error("{field} is {found}; byok bundles use AES-GCM with a 256-bit key and a 128-bit tag")]
    UnsupportedCipher { field: &'static str, found: String },
    #[error("kdf.iterations is {found}; it must be a whole number from 600000 to 10000000")]
    BadIterations { found: String },
    #[error("the salt is {len} bytes; at least 16 are required")]
    SaltTooShort { len: usize },
    #[error("the IV is {len} bytes; it must be exactly 12")]
    BadIvLength { len: usize },
    #[error("the ciphertext is {len} bytes, shorter than the 16-byte tag")]
    CiphertextTooShort { len: usize },
    #[error("contentType is {found}, expected \"application/vnd.byok.keys+json\"")]
    BadContentType { found: String },
    #[error("wrong passphrase, or the file was changed")]
    WrongPassphraseOrTampered,
    #[error(
        "the key list uses schema {found}, made by a newer byok than this one, which cannot read it"
    )]
    NewerSchema { found: u64 },
    #[error("the key list is not valid: {reason}")]
    BadPayload { reason: String },
    #[error("the system's random number generator failed")]
    Rng,
}

impl BundleError {
    /// What to show a person: one line, plain words, no secret.
    pub fn user_message(&self) -> String {
        self.to_string()
    }

    /// The `byok` tool's exit code: 1 for the tag failure, 3 for a file refused by a
    /// format rule, 4 for a system failure.
    pub fn exit_code(&self) -> i32 {
        match self {
            BundleError::WrongPassphraseOrTampered => 1,
            BundleError::Rng => 4,
            _ => 3,
        }
    }

    /// The variant's name, as written in the `expect:` line of the negative vectors.
    pub fn name(&self) -> &'static str {
        match self {
            BundleError::Empty => "Empty",
            BundleError::TooLarge { .. } => "TooLarge",
            BundleError::NotJson { .. } => "NotJson",
            BundleError::DuplicateKey { .. } => "DuplicateKey",
            BundleError::IsVaultRecord => "IsVaultRecord",
            BundleError::IsPlaintext => "IsPlaintext",
            BundleError::NotABundle { .. } => "NotABundle",
            BundleError::UnknownFormat { .. } => "UnknownFormat",
            BundleError::NewerVersion { .. } => "NewerVersion",
            BundleError::UnsupportedVersion { .. } => "UnsupportedVersion",
            BundleError::HeaderMismatch { .. } => "HeaderMismatch",
            BundleError::Malformed { .. } => "Malformed",
            BundleError::BadBase64 { .. } => "BadBase64",
            BundleError::UnsupportedKdf { .. } => "UnsupportedKdf",
            BundleError::UnsupportedCipher { .. } => "UnsupportedCipher",
            BundleError::BadIterations { .. } => "BadIterations",
            BundleError::SaltTooShort { .. } => "SaltTooShort",
            BundleError::BadIvLength { .. } => "BadIvLength",
            BundleError::CiphertextTooShort { .. } => "CiphertextTooShort",
            BundleError::BadContentType { .. } => "BadContentType",
            BundleError::WrongPassphraseOrTampered => "WrongPassphraseOrTampered",
            BundleError::NewerSchema { .. } => "NewerSchema",
            BundleError::BadPayload { .. } => "BadPayload",
            BundleError::Rng => "Rng",
        }
    }
}

fn not_json(detail: &str, cut_off: bool) -> String {
    if cut_off {
        "this file is cut off: it ends before the bundle does (a download or a copy that did not finish); take it again from where it came".into()
    } else {
        format!("this is not a byok bundle: it is not JSON ({detail})")
    }
}

fn bad_payload(reason: impl Into<String>) -> BundleError {
    BundleError::BadPayload {
        reason: reason.into(),
    }
}

fn malformed(what: impl Into<String>) -> BundleError {
    BundleError::Malformed { what: what.into() }
}

// ---------------------------------------------------------------------------------------
// Reading

/// The decoded, checked header. Everything needed to derive the key is here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub iterations: u32,
    pub salt: Vec<u8>,
    pub iv: [u8; IV_LEN],
    pub content_type: String,
}

/// A bundle that passed every rule checkable without the passphrase.
#[derive(Clone, PartialEq, Eq)]
pub struct ParsedBundle {
    pub header: Header,
    /// Kept exactly as it stands in the file: it is the AAD, and re-encoding the header
    /// could change a byte and break the tag.
    protected: String,
    ciphertext: Vec<u8>,
}

impl std::fmt::Debug for ParsedBundle {
    // Lengths only: a megabyte of ciphertext bytes helps nobody reading a test failure.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParsedBundle")
            .field("header", &self.header)
            .field("protected_len", &self.protected.len())
            .field("ciphertext_len", &self.ciphertext.len())
            .finish()
    }
}

impl ParsedBundle {
    /// The `protected` string, i.e. the additional authenticated data.
    pub fn protected(&self) -> &str {
        &self.protected
    }

    /// The AES-GCM output (ciphertext then tag), for a caller that decrypts with its own
    /// AES-GCM (WebCrypto in the browser) and hands the plaintext to
    /// [`BundlePayload::from_json`].
    pub fn ciphertext(&self) -> &[u8] {
        &self.ciphertext
    }

    /// Length of the AES-GCM output, tag included.
    pub fn ciphertext_len(&self) -> usize {
        self.ciphertext.len()
    }

    /// Decrypt with a key derived elsewhere (WebCrypto in the browser) and check the
    /// contents.
    pub fn open_with_key(&self, key: &AeadKey) -> Result<BundlePayload, BundleError> {
        let plaintext = crypto::open(
            key,
            &self.header.iv,
            self.protected.as_bytes(),
            &self.ciphertext,
        )
        .map_err(|e| match e {
            CryptoError::Rng => BundleError::Rng,
            CryptoError::Decrypt | CryptoError::TooShort => BundleError::WrongPassphraseOrTampered,
        })?;
        BundlePayload::from_json(&plaintext)
    }

    /// Derive the key from the passphrase (PBKDF2-HMAC-SHA256 with the header's salt and
    /// iteration count, both already checked) and decrypt.
    pub fn open(&self, passphrase: &str) -> Result<BundlePayload, BundleError> {
        let key = crypto::derive_key(
            passphrase.as_bytes(),
            &self.header.salt,
            self.header.iterations,
        );
        self.open_with_key(&key)
    }
}

/// Check a bundle file against every rule of the spec that does not need the passphrase.
pub fn parse(bytes: &[u8]) -> Result<ParsedBundle, BundleError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(BundleError::TooLarge { size: bytes.len() });
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(BundleError::Empty);
    }
    let outer = strict_value(bytes)?;
    let outer = match outer {
        Value::Object(m) => m,
        other => {
            return Err(BundleError::NotABundle {
                what: format!("it is {}, not a JSON object", describe(&other)),
            });
        }
    };
    match outer.get("format") {
        Some(Value::String(f)) if f == FORMAT => {}
        Some(Value::String(f)) if f == crate::vault::FORMAT => {
            return Err(BundleError::IsVaultRecord);
        }
        Some(other) => {
            return Err(BundleError::UnknownFormat { found: show(other) });
        }
        None if outer.contains_key("schema") && outer.contains_key("keys") => {
            return Err(BundleError::IsPlaintext);
        }
        None => {
            return Err(BundleError::NotABundle {
                what: "it has no \"format\" field".into(),
            });
        }
    }
    match outer.get("version") {
        None => return Err(malformed("\"version\" is missing")),
        Some(v) if v.as_u64() == Some(u64::from(VERSION)) => {}
        Some(v) => {
            return Err(match v.as_u64() {
                Some(n) if n > u64::from(VERSION) => BundleError::NewerVersion { found: n },
                _ => BundleError::UnsupportedVersion { found: show(v) },
            });
        }
    }
    only_fields(
        &outer,
        &["format", "version", "protected", "ciphertext"],
        "the file",
    )?;
    let protected = string_field(&outer, "protected", "")?;
    let ciphertext_b64 = string_field(&outer, "ciphertext", "")?;

    let header_bytes =
        b64_decode(protected).map_err(|_| BundleError::BadBase64 { field: "protected" })?;
    let header = parse_header(&header_bytes)?;

    let ciphertext = b64_decode(ciphertext_b64).map_err(|_| BundleError::BadBase64 {
        field: "ciphertext",
    })?;
    if ciphertext.len() < TAG_LEN {
        return Err(BundleError::CiphertextTooShort {
            len: ciphertext.len(),
        });
    }
    Ok(ParsedBundle {
        header,
        protected: protected.to_owned(),
        ciphertext,
    })
}

fn parse_header(bytes: &[u8]) -> Result<Header, BundleError> {
    let h = match strict_value(bytes) {
        Ok(Value::Object(m)) => m,
        Ok(other) => {
            return Err(malformed(format!(
                "the protected header is {}, not a JSON object",
                describe(&other)
            )));
        }
        Err(BundleError::NotJson { detail, .. }) => {
            return Err(malformed(format!(
                "the protected header is not JSON ({detail})"
            )));
        }
        Err(e) => return Err(e),
    };
    only_fields(
        &h,
        &["format", "version", "kdf", "cipher", "contentType"],
        "the protected header",
    )?;
    // The outer values are already known to be exactly "byok-bundle" and 1.
    match field(&h, "format", "protected header ")? {
        Value::String(f) if f == FORMAT => {}
        _ => return Err(BundleError::HeaderMismatch { field: "format" }),
    }
    if field(&h, "version", "protected header ")?.as_u64() != Some(u64::from(VERSION)) {
        return Err(BundleError::HeaderMismatch { field: "version" });
    }

    let kdf = object_field(&h, "kdf")?;
    only_fields(kdf, &["name", "hash", "iterations", "salt"], "kdf")?;
    expect_str(kdf, "name", "kdf.", KDF_NAME, |found| {
        BundleError::UnsupportedKdf {
            field: "kdf.name",
            found,
        }
    })?;
    expect_str(kdf, "hash", "kdf.", KDF_HASH, |found| {
        BundleError::UnsupportedKdf {
            field: "kdf.hash",
            found,
        }
    })?;
    let iterations = iterations_from(field(kdf, "iterations", "kdf.")?)?;
    let salt = b64_decode(string_field(kdf, "salt", "kdf.")?)
        .map_err(|_| BundleError::BadBase64 { field: "kdf.salt" })?;
    if salt.len() < SALT_LEN {
        return Err(BundleError::SaltTooShort { len: salt.len() });
    }

    let cipher = object_field(&h, "cipher")?;
    only_fields(cipher, &["name", "length", "iv", "tagLength"], "cipher")?;
    expect_str(cipher, "name", "cipher.", CIPHER_NAME, |found| {
        BundleError::UnsupportedCipher {
            field: "cipher.name",
            found,
        }
    })?;
    let length = field(cipher, "length", "cipher.")?;
    if length.as_u64() != Some(KEY_BITS) {
        return Err(BundleError::UnsupportedCipher {
            field: "cipher.length",
            found: show(length),
        });
    }
    let iv = b64_decode(string_field(cipher, "iv", "cipher.")?)
        .map_err(|_| BundleError::BadBase64 { field: "cipher.iv" })?;
    let iv: [u8; IV_LEN] = iv
        .as_slice()
        .try_into()
        .map_err(|_| BundleError::BadIvLength { len: iv.len() })?;
    let tag = field(cipher, "tagLength", "cipher.")?;
    if tag.as_u64() != Some(TAG_BITS) {
        return Err(BundleError::UnsupportedCipher {
            field: "cipher.tagLength",
            found: show(tag),
        });
    }

    let content_type = field(&h, "contentType", "")?;
    if content_type.as_str() != Some(CONTENT_TYPE) {
        return Err(BundleError::BadContentType {
            found: show(content_type),
        });
    }

    Ok(Header {
        iterations,
        salt,
        iv,
        content_type: CONTENT_TYPE.to_owned(),
    })
}

/// Only a JSON integer in range: `"600000"`, `600000.0`, `6e5`, `-1` and anything past
/// `u64` are refused, because other readers would each coerce them their own way.
fn iterations_from(v: &Value) -> Result<u32, BundleError> {
    v.as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .filter(|n| (MIN_ITERATIONS..=MAX_ITERATIONS).contains(n))
        .ok_or_else(|| BundleError::BadIterations { found: show(v) })
}

fn check_iterations(iterations: u32) -> Result<(), BundleError> {
    if (MIN_ITERATIONS..=MAX_ITERATIONS).contains(&iterations) {
        Ok(())
    } else {
        Err(BundleError::BadIterations {
            found: iterations.to_string(),
        })
    }
}

/// JSON with no repeated key at any depth, as a `Value`.
fn strict_value(bytes: &[u8]) -> Result<Value, BundleError> {
    check_no_duplicate_keys(bytes).map_err(json_error)?;
    serde_json::from_slice(bytes).map_err(|e| BundleError::NotJson {
        detail: syntax_detail(&e),
        cut_off: e.is_eof(),
    })
}

fn json_error(e: JsonError) -> BundleError {
    match e {
        JsonError::DuplicateKey(k) => BundleError::DuplicateKey {
            key: field_name_for_message(&k),
        },
        JsonError::Syntax(msg) => BundleError::NotJson {
            // serde_json's words for input that stops mid-value.
            cut_off: msg.starts_with("EOF while parsing"),
            detail: msg,
        },
    }
}

/// serde_json's syntax errors name a position, never the text; data errors (which this
/// module never surfaces) could quote a value.
fn syntax_detail(e: &serde_json::Error) -> String {
    format!("line {}, column {}", e.line(), e.column())
}

/// Field names this format defines. Only these are quoted in messages: in a damaged key
/// list a secret can end up in key position.
const KNOWN_NAMES: [&str; 17] = [
    "format",
    "version",
    "protected",
    "ciphertext",
    "kdf",
    "cipher",
    "contentType",
    "name",
    "hash",
    "iterations",
    "salt",
    "length",
    "iv",
    "tagLength",
    "schema",
    "exported_at",
    "keys",
];

fn field_name_for_message(k: &str) -> String {
    let known =
        KNOWN_NAMES.contains(&k) || KEY_FIELDS.contains(&k) || ENTRY_ONLY_FIELDS.contains(&k);
    if known {
        format!("the field \"{k}\"")
    } else {
        "a field name".to_owned()
    }
}

fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a JSON array",
        Value::Object(_) => "a JSON object",
    }
}

/// A header value quoted for an error message, cut short so a hostile file cannot make
/// the message huge.
fn show(v: &Value) -> String {
    const LIMIT: usize = 40;
    let s = v.to_string();
    match s.char_indices().nth(LIMIT) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s,
    }
}

fn field<'a>(m: &'a Map<String, Value>, name: &str, path: &str) -> Result<&'a Value, BundleError> {
    m.get(name)
        .ok_or_else(|| malformed(format!("{path}{name} is missing")))
}

fn string_field<'a>(
    m: &'a Map<String, Value>,
    name: &str,
    path: &str,
) -> Result<&'a str, BundleError> {
    field(m, name, path)?
        .as_str()
        .ok_or_else(|| malformed(format!("{path}{name} is not a string")))
}

fn object_field<'a>(
    m: &'a Map<String, Value>,
    name: &str,
) -> Result<&'a Map<String, Value>, BundleError> {
    field(m, name, "")?
        .as_object()
        .ok_or_else(|| malformed(format!("{name} is not a JSON object")))
}

fn expect_str(
    m: &Map<String, Value>,
    name: &str,
    path: &str,
    want: &str,
    err: impl FnOnce(String) -> BundleError,
) -> Result<(), BundleError> {
    let v = field(m, name, path)?;
    if v.as_str() == Some(want) {
        Ok(())
    } else {
        Err(err(show(v)))
    }
}

/// Unknown fields outside the key list are refused rather than ignored: a version 1
/// reader cannot know whether a new header field changes how the rest must be read.
fn only_fields(m: &Map<String, Value>, allowed: &[&str], what: &str) -> Result<(), BundleError> {
    match m.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(malformed(format!(
            "{what} has an unexpected field {}",
            show(&Value::String(k.clone()))
        ))),
        None => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------
// The key list

impl BundlePayload {
    /// Read and check a schema-1 key list: the decrypted contents of a bundle, or the
    /// plaintext file `byok bundle encrypt` reads.
    pub fn from_json(bytes: &[u8]) -> Result<Self, BundleError> {
        if bytes.len() > MAX_FILE_BYTES {
            return Err(BundleError::TooLarge { size: bytes.len() });
        }
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(bad_payload("it is empty"));
        }
        if let Some(p) = from_json_one_pass(bytes) {
            p.validate()?;
            return Ok(p);
        }
        // Refused, or written in a form the one-pass reader does not take: read again the
        // slow way, which names the exact rule a file breaks.
        from_json_two_pass(bytes)
    }

    /// The rules serde's types do not express. The writer runs them too, so byok never
    /// writes a file it would refuse to read.
    pub fn validate(&self) -> Result<(), BundleError> {
        if self.schema != SCHEMA {
            return Err(schema_error(u64::from(self.schema)));
        }
        for (i, k) in self.keys.iter().enumerate() {
            let n = i + 1;
            if k.provider == Provider::OpenaiCompatible
                && k.base_url.as_deref().is_none_or(|u| u.trim().is_empty())
            {
                return Err(bad_payload(format!(
                    "key {n} is an openai-compatible key without a base_url"
                )));
            }
            if let Some(name) = k.extra.keys().find(|x| KEY_FIELDS.contains(&x.as_str())) {
                return Err(bad_payload(format!(
                    "key {n} repeats {} among its extra fields",
                    field_name_for_message(name)
                )));
            }
        }
        Ok(())
    }

    /// Compact JSON, in a buffer that is wiped when dropped.
    pub fn to_json(&self) -> Result<Zeroizing<Vec<u8>>, BundleError> {
        write_zeroizing(|w| serde_json::to_writer(w, self))
    }

    /// Indented JSON (what `byok bundle decrypt` prints), wiped when dropped.
    pub fn to_json_pretty(&self) -> Result<Zeroizing<Vec<u8>>, BundleError> {
        write_zeroizing(|w| serde_json::to_writer_pretty(w, self))
    }
}

// ---------------------------------------------------------------------------------------
// The one-pass reader

/// Read a key list in one pass, refusing a repeated object key wherever it occurs, and
/// keep a key's unknown fields without serde's `flatten`, which buffers every field of
/// every key before sorting them out. The two-pass way (duplicate check, then the
/// derived `Deserialize`) cost a 10,000-key import about 30 ms on the browser's main
/// thread; this takes a fraction of that.
///
/// It accepts a subset of what the two-pass way accepts and builds the same payload.
/// Anything else, valid in some unusual form or refused, gives `None`, and the caller
/// reads the file the two-pass way: so every file still gets exactly its old result and
/// error, including the spec's negative vectors.
fn from_json_one_pass(bytes: &[u8]) -> Option<BundlePayload> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let payload = de::Deserializer::deserialize_map(&mut de, PayloadVisitor).ok()?;
    de.end().ok()?;
    Some(payload)
}

/// Any failure of the one-pass reader. Its text is never shown: the caller starts over.
fn give_up<E: de::Error>() -> E {
    E::custom("")
}

/// Fill a field, refusing a second value for it (a repeated key).
fn fill<T, E: de::Error>(slot: &mut Option<T>, value: T) -> Result<(), E> {
    match slot.replace(value) {
        None => Ok(()),
        Some(_) => Err(give_up()),
    }
}

struct PayloadVisitor;

impl<'de> de::Visitor<'de> for PayloadVisitor {
    type Value = BundlePayload;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a key list")
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<BundlePayload, A::Error> {
        let (mut schema, mut exported_at, mut keys) = (None, None, None);
        // Unknown top-level fields are ignored, as the derived reader does, but their
        // names and contents must not repeat keys either.
        let mut others = std::collections::HashSet::new();
        while let Some(name) = map.next_key_seed(KeySeed)? {
            match &*name {
                "schema" => fill(&mut schema, map.next_value::<u32>()?)?,
                "exported_at" => fill(&mut exported_at, map.next_value_seed(Rfc3339Seed)?)?,
                "keys" => fill(&mut keys, map.next_value_seed(KeysSeed)?)?,
                _ => {
                    if !others.insert(name) {
                        return Err(give_up());
                    }
                    map.next_value_seed(NoDup)?;
                }
            }
        }
        Ok(BundlePayload {
            schema: schema.ok_or_else(give_up)?,
            exported_at: exported_at.ok_or_else(give_up)?,
            keys: keys.ok_or_else(give_up)?,
        })
    }
}

struct KeysSeed;

impl<'de> de::DeserializeSeed<'de> for KeysSeed {
    type Value = Vec<BundleKey>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> de::Visitor<'de> for KeysSeed {
    type Value = Vec<BundleKey>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list of keys")
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut keys = Vec::new();
        while let Some(k) = seq.next_element_seed(KeySeedOnePass)? {
            keys.push(k);
        }
        Ok(keys)
    }
}

struct KeySeedOnePass;

impl<'de> de::DeserializeSeed<'de> for KeySeedOnePass {
    type Value = BundleKey;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> de::Visitor<'de> for KeySeedOnePass {
    type Value = BundleKey;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a key")
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<BundleKey, A::Error> {
        let (mut id, mut provider, mut label, mut secret) = (None, None, None, None);
        let (mut is_default, mut is_active, mut created_at) = (None, None, None);
        // Outer `None`: the field is absent, which for these two means `None`.
        let (mut base_url, mut expires_at) = (None, None);
        let mut extra = Map::new();
        while let Some(name) = map.next_key_seed(KeySeed)? {
            match &*name {
                "id" => fill(&mut id, map.next_value::<String>()?)?,
                "provider" => fill(&mut provider, map.next_value_seed(ProviderSeed)?)?,
                "label" => fill(&mut label, map.next_value::<String>()?)?,
                "secret" => fill(&mut secret, map.next_value::<Secret>()?)?,
                "base_url" => fill(&mut base_url, map.next_value::<Option<String>>()?)?,
                "is_default" => fill(&mut is_default, map.next_value::<bool>()?)?,
                "is_active" => fill(&mut is_active, map.next_value::<bool>()?)?,
                "created_at" => fill(&mut created_at, map.next_value_seed(Rfc3339Seed)?)?,
                "expires_at" => fill(&mut expires_at, map.next_value_seed(Rfc3339OptionSeed)?)?,
                _ => {
                    let name = name.into_owned();
                    if extra.contains_key(&name) {
                        return Err(give_up());
                    }
                    let value = map.next_value_seed(StrictValue)?;
                    extra.insert(name, value);
                }
            }
        }
        Ok(BundleKey {
            id: id.ok_or_else(give_up)?,
            provider: provider.ok_or_else(give_up)?,
            label: label.ok_or_else(give_up)?,
            secret: secret.ok_or_else(give_up)?,
            base_url: base_url.flatten(),
            is_default: is_default.ok_or_else(give_up)?,
            is_active: is_active.ok_or_else(give_up)?,
            created_at: created_at.ok_or_else(give_up)?,
            expires_at: expires_at.flatten(),
            extra,
        })
    }
}

/// A provider written as its plain string name, the only form byok writes. (The derived
/// reader takes a few more, which the two-pass way still handles.)
struct ProviderSeed;

impl<'de> de::DeserializeSeed<'de> for ProviderSeed {
    type Value = Provider;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> de::Visitor<'de> for ProviderSeed {
    type Value = Provider;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a provider name")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Provider, E> {
        Provider::from_id(v).ok_or_else(give_up)
    }
}

/// The same parser the derived reader uses (`time::serde::rfc3339`), so the same dates
/// are taken.
struct Rfc3339Seed;

impl<'de> de::DeserializeSeed<'de> for Rfc3339Seed {
    type Value = OffsetDateTime;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        time::serde::rfc3339::deserialize(d)
    }
}

struct Rfc3339OptionSeed;

impl<'de> de::DeserializeSeed<'de> for Rfc3339OptionSeed {
    type Value = Option<OffsetDateTime>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        time::serde::rfc3339::option::deserialize(d)
    }
}

/// Any JSON value as serde_json's own `Value` reader builds it, but refusing an object
/// that repeats a key at any depth.
struct StrictValue;

impl<'de> de::DeserializeSeed<'de> for StrictValue {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> de::Visitor<'de> for StrictValue {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element_seed(StrictValue)? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(name) = map.next_key_seed(KeySeed)? {
            let name = name.into_owned();
            if out.contains_key(&name) {
                return Err(give_up());
            }
            let value = map.next_value_seed(StrictValue)?;
            out.insert(name, value);
        }
        Ok(Value::Object(out))
    }
}

/// The duplicate-key check over the whole text, then the derived `Deserialize`: slower,
/// but it takes every form serde takes, and its errors are the ones the spec's negative
/// vectors name.
fn from_json_two_pass(bytes: &[u8]) -> Result<BundlePayload, BundleError> {
    check_no_duplicate_keys(bytes).map_err(|e| match e {
        JsonError::DuplicateKey(k) => BundleError::DuplicateKey {
            key: field_name_for_message(&k),
        },
        // The message of a syntax error only names a position; re-derive it anyway
        // so no serde text ever reaches the user from decrypted bytes.
        JsonError::Syntax(_) => match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
            Err(e) => bad_payload(format!("it is not JSON ({})", syntax_detail(&e))),
            Ok(_) => bad_payload("it is not JSON"),
        },
    })?;
    match serde_json::from_slice::<BundlePayload>(bytes) {
        Ok(p) => {
            p.validate()?;
            Ok(p)
        }
        // serde's message could quote a secret; say what is wrong in our own words.
        Err(_) => Err(diagnose(bytes)),
    }
}

fn schema_error(found: u64) -> BundleError {
    if found > u64::from(SCHEMA) {
        BundleError::NewerSchema { found }
    } else {
        bad_payload(format!("schema is {found}; it must be 1"))
    }
}

struct CountingWriter(usize);

impl io::Write for CountingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Serialise twice, first only to count: the buffer is then allocated at its final size
/// and never reallocated, so no unwiped copy of a secret is left behind by a `Vec` grow.
fn write_zeroizing(
    write: impl Fn(&mut dyn io::Write) -> serde_json::Result<()>,
) -> Result<Zeroizing<Vec<u8>>, BundleError> {
    let fail = |_| bad_payload("it could not be written as JSON");
    let mut counter = CountingWriter(0);
    write(&mut counter).map_err(fail)?;
    let mut out = Zeroizing::new(Vec::with_capacity(counter.0));
    write(&mut *out).map_err(fail)?;
    Ok(out)
}

/// Name the first thing wrong with a key list that did not deserialise, without quoting
/// any value from it. Runs only on the error path.
fn diagnose(bytes: &[u8]) -> BundleError {
    let Ok(v) = serde_json::from_slice::<Value>(bytes) else {
        return bad_payload("it is not JSON");
    };
    let Value::Object(top) = &v else {
        return bad_payload(format!(
            "it is {}, not an object with \"schema\" and \"keys\"",
            describe(&v)
        ));
    };
    match top.get("format").and_then(Value::as_str) {
        Some(FORMAT) => return bad_payload("this is already an encrypted bundle"),
        Some(crate::vault::FORMAT) => return bad_payload("this is a byok vault record"),
        _ => {}
    }
    match top.get("schema") {
        None => return bad_payload("\"schema\" is missing"),
        Some(s) => match s.as_u64() {
            Some(1) => {}
            Some(n) => return schema_error(n),
            None => return bad_payload("\"schema\" must be the number 1"),
        },
    }
    if let Some(why) = time_problem(top.get("exported_at"), false) {
        return bad_payload(format!("exported_at {why}"));
    }
    let keys = match top.get("keys") {
        None => return bad_payload("\"keys\" is missing"),
        Some(Value::Array(a)) => a,
        Some(_) => return bad_payload("\"keys\" is not a list"),
    };
    for (i, k) in keys.iter().enumerate() {
        if let Some(why) = key_problem(k) {
            return bad_payload(format!("key {}: {why}", i + 1));
        }
    }
    bad_payload("it does not match schema 1")
}

fn key_problem(k: &Value) -> Option<String> {
    let Value::Object(m) = k else {
        return Some(format!("it is {}, not an object", describe(k)));
    };
    for name in ["id", "label", "secret"] {
        match m.get(name) {
            Some(Value::String(_)) => {}
            Some(_) => return Some(format!("{name} is not a string")),
            None => return Some(format!("{name} is missing")),
        }
    }
    match m.get("provider") {
        None => return Some("provider is missing".into()),
        Some(Value::String(p)) if Provider::from_id(p).is_some() => {}
        Some(Value::String(p)) => {
            // A future provider's name is worth showing; anything else might be a
            // secret pasted into the wrong field.
            let shown = p.len() <= 24
                && !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            return Some(if shown {
                format!("provider \"{p}\" is not one this byok knows; update byok to import it")
            } else {
                "provider is not one of anthropic, openai, gemini, openai-compatible".into()
            });
        }
        Some(_) => return Some("provider is not a string".into()),
    }
    match m.get("base_url") {
        None | Some(Value::Null | Value::String(_)) => {}
        Some(_) => return Some("base_url is neither a string nor null".into()),
    }
    for name in ["is_default", "is_active"] {
        match m.get(name) {
            Some(Value::Bool(_)) => {}
            Some(_) => return Some(format!("{name} is not true or false")),
            None => return Some(format!("{name} is missing")),
        }
    }
    if let Some(why) = time_problem(m.get("created_at"), false) {
        return Some(format!("created_at {why}"));
    }
    if let Some(why) = time_problem(m.get("expires_at"), true) {
        return Some(format!("expires_at {why}"));
    }
    None
}

fn time_problem(v: Option<&Value>, optional: bool) -> Option<&'static str> {
    match v {
        None | Some(Value::Null) if optional => None,
        None => Some("is missing"),
        Some(Value::String(s)) if OffsetDateTime::parse(s, &Rfc3339).is_ok() => None,
        Some(_) => Some("is not an RFC 3339 date and time"),
    }
}

impl BundleKey {
    /// The id as a UUID, when it is one (byok writes UUIDs; other writers may not).
    pub fn uuid(&self) -> Option<Uuid> {
        Uuid::parse_str(&self.id).ok()
    }

    /// The vault entry for this key, under `id` (the caller decides what to do with an id
    /// that is not a UUID or already taken). Vault-only fields found in `extra`, as
    /// [`BundleKey::from_key_entry`] writes them, go back to their own fields; left in
    /// `extra` they would be written twice.
    pub fn to_key_entry(&self, id: Uuid) -> KeyEntry {
        let mut extra = self.extra.clone();
        let mut take_time = |name: &str| {
            extra.remove(name).and_then(|v| {
                v.as_str()
                    .and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok())
            })
        };
        let rotated_at = take_time("rotated_at");
        let last_used_at = take_time("last_used_at");
        let last_test_at = take_time("last_test_at");
        let last_test = extra
            .remove("last_test")
            .and_then(|v| serde_json::from_value::<TestResult>(v).ok());
        let notes = match extra.remove("notes") {
            Some(Value::String(s)) => s,
            _ => String::new(),
        };
        // byok does not export usage; a bundle from elsewhere may carry it.
        let usage = extra
            .remove("usage")
            .and_then(|v| serde_json::from_value::<UsageTotals>(v).ok())
            .unwrap_or_default();
        // Whatever else names a typed field (a value of another shape, say) goes.
        extra.retain(|name, _| {
            !KEY_FIELDS.contains(&name.as_str()) && !ENTRY_ONLY_FIELDS.contains(&name.as_str())
        });
        KeyEntry {
            id,
            provider: self.provider,
            label: self.label.clone(),
            secret: self.secret.clone(),
            base_url: self.base_url.clone(),
            is_default: self.is_default,
            is_active: self.is_active,
            created_at: self.created_at,
            rotated_at,
            last_used_at,
            last_test_at,
            last_test,
            expires_at: self.expires_at,
            notes,
            usage,
            extra,
        }
    }

    /// The bundle entry for a vault key. The vault's extra fields come along; its own
    /// fields with no bundle column (notes, usage and test times) go into `extra`.
    pub fn from_key_entry(k: &KeyEntry) -> BundleKey {
        let mut extra: Map<String, Value> = k
            .extra
            .iter()
            .filter(|(name, _)| {
                !KEY_FIELDS.contains(&name.as_str()) && !ENTRY_ONLY_FIELDS.contains(&name.as_str())
            })
            .map(|(name, v)| (name.clone(), v.clone()))
            .collect();
        let mut put_time = |name: &str, t: Option<OffsetDateTime>| {
            if let Some(s) = t.and_then(|t| t.format(&Rfc3339).ok()) {
                extra.insert(name.to_owned(), Value::String(s));
            }
        };
        put_time("rotated_at", k.rotated_at);
        put_time("last_used_at", k.last_used_at);
        put_time("last_test_at", k.last_test_at);
        if let Some(v) = k
            .last_test
            .as_ref()
            .and_then(|t| serde_json::to_value(t).ok())
        {
            extra.insert("last_test".into(), v);
        }
        if !k.notes.is_empty() {
            extra.insert("notes".into(), Value::String(k.notes.clone()));
        }
        BundleKey {
            id: k.id.to_string(),
            provider: k.provider,
            label: k.label.clone(),
            secret: k.secret.clone(),
            base_url: k.base_url.clone(),
            is_default: k.is_default,
            is_active: k.is_active,
            created_at: k.created_at,
            expires_at: k.expires_at,
            extra,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Writing

// Field order is the spec's; the golden vector's `protected` is exactly this, compact.
#[derive(Serialize)]
struct HeaderOut<'a> {
    format: &'a str,
    version: u32,
    kdf: KdfOut<'a>,
    cipher: CipherOut<'a>,
    #[serde(rename = "contentType")]
    content_type: &'a str,
}

#[derive(Serialize)]
struct KdfOut<'a> {
    name: &'a str,
    hash: &'a str,
    iterations: u32,
    salt: String,
}

#[derive(Serialize)]
struct CipherOut<'a> {
    name: &'a str,
    length: u64,
    iv: String,
    #[serde(rename = "tagLength")]
    tag_length: u64,
}

#[derive(Serialize)]
struct FileOut<'a> {
    format: &'a str,
    version: u32,
    protected: &'a str,
    ciphertext: String,
}

/// A payload of `n` keys shaped like real ones (about the size of an Anthropic key),
/// for benchmarks (`benches/bundle_open.rs`, the CLI's `bundle_bench` example). Not for
/// tests of behaviour: its secrets are all alike.
#[doc(hidden)]
pub fn bench_payload(n: usize) -> BundlePayload {
    let now =
        OffsetDateTime::from_unix_timestamp(1_790_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let keys = (0..n)
        .map(|i| {
            let provider = Provider::ALL[i % Provider::ALL.len()];
            BundleKey {
                id: format!("{:08x}-0000-4000-8000-{:012x}", i, i),
                provider,
                label: format!("Key number {i}"),
                secret: Secret::new(format!("sk-ant-api03-FAKE{}-{i:08}AA", "x".repeat(76))),
                base_url: (provider == Provider::OpenaiCompatible)
                    .then(|| "https://openrouter.ai/api/v1".to_owned()),
                is_default: i < Provider::ALL.len(),
                is_active: true,
                created_at: now,
                expires_at: None,
                extra: Map::new(),
            }
        })
        .collect();
    BundlePayload {
        schema: 1,
        exported_at: now,
        keys,
    }
}

/// Write a bundle under a key the caller derived (with [`crypto::derive_key`] or
/// WebCrypto) from the passphrase, `salt` and `iterations`. `salt` and `iv` must be fresh
/// random draws for every export; [`seal`] does that.
pub fn seal_with_key(
    payload: &BundlePayload,
    key: &AeadKey,
    salt: &[u8],
    iv: &[u8; IV_LEN],
    iterations: u32,
) -> Result<String, BundleError> {
    check_iterations(iterations)?;
    if salt.len() < SALT_LEN {
        return Err(BundleError::SaltTooShort { len: salt.len() });
    }
    payload.validate()?;
    let header = HeaderOut {
        format: FORMAT,
        version: VERSION,
        kdf: KdfOut {
            name: KDF_NAME,
            hash: KDF_HASH,
            iterations,
            salt: b64_encode(salt),
        },
        cipher: CipherOut {
            name: CIPHER_NAME,
            length: KEY_BITS,
            iv: b64_encode(iv),
            tag_length: TAG_BITS,
        },
        content_type: CONTENT_TYPE,
    };
    let header_json =
        serde_json::to_vec(&header).map_err(|_| malformed("the header could not be written"))?;
    let protected = b64_encode(&header_json);
    let plaintext = payload.to_json()?;
    let ciphertext = crypto::seal(key, iv, protected.as_bytes(), &plaintext);
    let file = FileOut {
        format: FORMAT,
        version: VERSION,
        protected: &protected,
        ciphertext: b64_encode(&ciphertext),
    };
    let mut text = serde_json::to_string_pretty(&file)
        .map_err(|_| malformed("the file could not be written"))?;
    text.push('\n');
    // A file byok would refuse to read back is not worth writing.
    if ciphertext.len() < TAG_LEN || text.len() > MAX_FILE_BYTES {
        return Err(BundleError::TooLarge { size: text.len() });
    }
    Ok(text)
}

/// Write a bundle under `passphrase`, with a fresh random salt and IV.
pub fn seal(
    payload: &BundlePayload,
    passphrase: &str,
    iterations: u32,
) -> Result<String, BundleError> {
    // Checked here as well so a bad count fails before the derivation, not after.
    check_iterations(iterations)?;
    payload.validate()?;
    let salt: [u8; SALT_LEN] = crypto::random_array().map_err(|_| BundleError::Rng)?;
    let iv: [u8; IV_LEN] = crypto::random_array().map_err(|_| BundleError::Rng)?;
    let key = crypto::derive_key(passphrase.as_bytes(), &salt, iterations);
    seal_with_key(payload, &key, &salt, &iv, iterations)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = r#""id":"k1","provider":"openai","label":"L","secret":"sk-1","is_default":true,"is_active":false,"created_at":"2026-11-01T09:30:00Z""#;

    fn list(keys: &[String], top_extra: &str) -> String {
        format!(
            r#"{{"schema":1,"exported_at":"2026-11-20T10:00:00Z"{top_extra},"keys":[{}]}}"#,
            keys.join(",")
        )
    }

    /// Whatever the one-pass reader takes, the two-pass reader takes too, with the same
    /// result; and `from_json` always answers as the two-pass reader does.
    fn same_as_two_pass(text: &str) -> bool {
        let bytes = text.as_bytes();
        let slow = from_json_two_pass(bytes);
        assert_eq!(
            BundlePayload::from_json(bytes),
            slow,
            "from_json differs on {text}"
        );
        match from_json_one_pass(bytes) {
            Some(p) => {
                let slow = slow.or_else(|e| match e {
                    // Refused by `validate`, which runs on both results alike.
                    BundleError::BadPayload { .. } | BundleError::NewerSchema { .. } => {
                        serde_json::from_slice::<BundlePayload>(bytes).map_err(|_| e)
                    }
                    e => Err(e),
                });
                assert_eq!(Ok(p), slow, "one-pass differs on {text}");
                true
            }
            None => false,
        }
    }

    #[test]
    fn one_pass_reader_agrees_with_two_pass_reader() {
        let k = |more: &str| format!("{{{KEY}{more}}}");
        // (text, whether the one-pass reader must take it itself)
        let cases: Vec<(String, bool)> = vec![
            (list(&[], ""), true),
            (list(&[k("")], ""), true),
            (
                list(&[k(""), k(r#","expires_at":null,"base_url":null"#)], ""),
                true,
            ),
            (
                list(&[k(r#","expires_at":"2027-01-01T00:00:00+02:00""#)], ""),
                true,
            ),
            (list(&[k(r#","base_url":"https://x.test/v1""#)], ""), true),
            (
                list(
                    &[k(
                        r#","notes":"n","last_test":{"outcome":"ok","message":"m","models":["a"]},"n":[1,-2,3.5,1e300,-0,null,true,{"a":{}}],"\u0061b":"x""#,
                    )],
                    "",
                ),
                true,
            ),
            (list(&[k("")], r#","future":{"a":[1,{"b":2}]}"#), true),
            (list(&[k("")], "") + "  \n", true),
            // Unusual forms only the derived reader takes.
            (
                list(&[k("").replace(r#""openai""#, r#"{"openai":null}"#)], ""),
                false,
            ),
            (r#"[1,"2026-11-20T10:00:00Z",[]]"#.to_owned(), false),
            // Refusals, each to be named by the two-pass reader.
            (list(&[k(r#","id":"again""#)], ""), false),
            (list(&[k(r#","\u0069d":"again""#)], ""), false),
            (list(&[k(r#","x":1,"x":2"#)], ""), false),
            (list(&[k(r#","x":{"y":1,"y":2}"#)], ""), false),
            (list(&[k(r#","x":[{"y":1,"y":2}]"#)], ""), false),
            (list(&[k("")], r#","f":1,"f":2"#), false),
            (list(&[k("")], r#","f":{"g":[{"h":1,"h":1}]}"#), false),
            (list(&[k("")], r#","schema":1"#), false),
            (
                list(&[k("").replace("openai", "openai-compatible")], ""),
                true,
            ),
            (list(&[k("").replace("openai", "mistral")], ""), false),
            (list(&[k("").replace(r#","label":"L""#, "")], ""), false),
            (list(&[k("").replace("true", r#""true""#)], ""), false),
            (
                list(&[k("").replace("2026-11-01T09:30:00Z", "yesterday")], ""),
                false,
            ),
            (list(&[k(r#","expires_at":5"#)], ""), false),
            (
                list(&[k("")], "").replace(r#""schema":1"#, r#""schema":2"#),
                true,
            ),
            (
                list(&[k("")], "").replace(r#""schema":1"#, r#""schema":1.0"#),
                false,
            ),
            (list(&[k("")], "") + "x", false),
            (list(&[k("")], "")[1..].to_owned(), false),
            (r#"{"format":"byok-bundle"}"#.to_owned(), false),
            (list(&[k(r#","x":1e400"#)], ""), false),
            ("[]".to_owned(), false),
            ("null".to_owned(), false),
        ];
        for (text, fast) in &cases {
            assert_eq!(same_as_two_pass(text), *fast, "one-pass reader on {text}");
        }
    }
}
