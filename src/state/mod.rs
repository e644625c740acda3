//! App-wide state, provided as contexts: the vault session and the toasts.

pub mod autolock;
pub mod rehearsal;
pub mod session;
pub mod toasts;

pub use session::{Phase, Session};
pub use toasts::Toasts;
