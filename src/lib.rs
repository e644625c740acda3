//! byok web app: the Leptos single-page app. Logic on plain types lives in `byok-core`;
//! this crate is the browser side: storage, WebCrypto, and the views.

pub mod app;
pub mod components;
pub mod error;
pub mod idb;
pub mod keytest;
pub mod net;
pub mod pages;
pub mod state;
pub mod storage;
pub mod webcrypto;

pub fn start() {
    leptos::mount::mount_to_body(app::App);
}

/// Milliseconds since the epoch from the browser clock.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

pub fn now() -> time::OffsetDateTime {
    byok_core::model::time_from_millis(now_ms())
}
