//! Every failure a person can meet, as one type that knows what to tell them: what
//! happened, and what to do next. No variant carries a secret.

use byok_core::bundle::BundleError;
use byok_core::crypto::CryptoError;
use byok_core::model::{ModelError, ResolveError};
use byok_core::usage::UsageError;
use byok_core::vault::VaultError;

use crate::storage::StorageError;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    #[error(transparent)]
    Usage(#[from] UsageError),
    #[error("The browser's cryptography failed ({0}). Reload the page and try again.")]
    Crypto(String),
    #[error("{}", bundle_sentence(.0))]
    Bundle(#[from] BundleError),
    #[error("The vault is locked. Unlock it first.")]
    Locked,
    #[error(
        "The vault was forgotten in another tab: this browser holds none now. Create a new one, and import your exported bundle into it if you have one."
    )]
    ForgottenElsewhere,
    #[error("The vault was created anew in another tab. Unlock it with its passphrase to see it.")]
    ReplacedElsewhere,
    #[error("The current passphrase is wrong; nothing was changed.")]
    WrongCurrentPassphrase,
    #[error("{0}")]
    Invalid(String),
}

/// What to do about a file that is not a bundle byok can read.
const CHOOSE_EXPORT: &str = "Choose the file byok exported: its name ends in .byok.json, as in byok-keys-2026-11-28.byok.json.";

/// The core's bundle messages are written to follow `byok: FILE: ` in a terminal; on a
/// page each is a sentence of its own, and the passphrase one says what to try. Those
/// about the file's inner format lead with what a person can act on; the exact rule
/// follows, for whoever made the file.
fn bundle_sentence(e: &BundleError) -> String {
    match e {
        BundleError::NotJson { cut_off: false, .. } => {
            return format!("This file is not a byok bundle: it is not JSON text. {CHOOSE_EXPORT}");
        }
        BundleError::NotABundle { what } => {
            return format!("This file is not a byok bundle. {CHOOSE_EXPORT} (In detail: {what}.)");
        }
        BundleError::UnknownFormat { found } => {
            return format!(
                "This file is not a byok bundle. {CHOOSE_EXPORT} (In detail: its format is {found}.)"
            );
        }
        BundleError::DuplicateKey { .. }
        | BundleError::HeaderMismatch { .. }
        | BundleError::Malformed { .. }
        | BundleError::BadBase64 { .. }
        | BundleError::UnsupportedKdf { .. }
        | BundleError::UnsupportedCipher { .. }
        | BundleError::BadIterations { .. }
        | BundleError::SaltTooShort { .. }
        | BundleError::BadIvLength { .. }
        | BundleError::CiphertextTooShort { .. }
        | BundleError::BadContentType { .. }
        | BundleError::UnsupportedVersion { .. } => {
            return format!(
                "This bundle is damaged or was not made by byok, so it cannot be read. If you edited it, export it again. (In detail: {}.)",
                e.user_message()
            );
        }
        _ => {}
    }
    let text = e.user_message();
    let mut chars = text.chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default();
    if !out.ends_with(['.', '?', '!']) {
        out.push('.');
    }
    if matches!(e, BundleError::WrongPassphraseOrTampered) {
        out.push_str(
            " Check that this is the passphrase the bundle was exported with, and try again.",
        );
    }
    out
}

/// Where the text to open came from: the sentences about a file would puzzle someone
/// who pasted it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum BundleSource {
    File,
    Pasted,
}

/// What to do about pasted text that is not a whole bundle.
const PASTE_WHOLE: &str =
    "Paste the whole content of the .byok.json file byok exported, from its first { to its last }.";

/// [`bundle_sentence`] for a bundle read from `source`.
pub fn bundle_message(e: &BundleError, source: BundleSource) -> String {
    if source == BundleSource::File {
        return bundle_sentence(e);
    }
    match e {
        BundleError::Empty => format!("There is no text to read yet. {PASTE_WHOLE}"),
        BundleError::NotJson { cut_off: true, .. } => {
            format!("This text is cut off: it ends before the bundle does. {PASTE_WHOLE}")
        }
        BundleError::NotJson { .. }
        | BundleError::NotABundle { .. }
        | BundleError::UnknownFormat { .. } => format!("This text is not a byok bundle. {PASTE_WHOLE}"),
        BundleError::WrongPassphraseOrTampered => "Wrong passphrase, or the text was changed. Check that this is the passphrase the bundle was exported with, and try again.".into(),
        _ => bundle_sentence(e),
    }
}

impl AppError {
    pub fn message(&self) -> String {
        self.to_string()
    }
}

impl From<CryptoError> for AppError {
    fn from(e: CryptoError) -> Self {
        AppError::Crypto(e.to_string())
    }
}
