//! byok-core: everything byok knows that does not need a browser. The web app, the `byok`
//! command-line tool and the tests all go through these types, so a rule (one default
//! per provider, the bundle's refusal rules, how a key is masked) lives in one place.

pub mod bundle;
pub mod conversation;
pub mod crypto;
pub mod encoding;
pub mod keyfmt;
pub mod model;
pub mod passphrase;
pub mod provider;
pub mod secret;
pub mod transfer;
pub mod usage;
pub mod vault;

pub use secret::Secret;
