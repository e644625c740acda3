//! byok web app: the Leptos single-page app. Logic on plain types lives in `byok-core`;
//! this crate is the browser side: storage, WebCrypto, and the views.

pub mod app;
pub mod collate;
pub mod components;
pub mod download;
pub mod error;
pub mod focus;
pub mod idb;
pub mod keytest;
pub mod net;
pub mod pages;
pub mod shell;
pub mod state;
pub mod storage;
pub mod webcrypto;

/// Starts the app in the task after the wasm's instantiation, and [`app::App`] draws the
/// page a task after its frame: one task for all three held the main thread for 50 to
/// 100 ms in a third of cold loads, mostly compiling code on its first run
/// (docs/benchmark.md).
pub fn start() {
    leptos::prelude::set_timeout(
        || leptos::mount::mount_to_body(app::App),
        std::time::Duration::ZERO,
    );
}

/// Milliseconds since the epoch from the browser clock.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

pub fn now() -> time::OffsetDateTime {
    byok_core::model::time_from_millis(now_ms())
}

/// Now, in the browser's time zone: the same instant as [`now`], for what counts calendar
/// days where the person is (a key's expiry, "yesterday"). What is stored takes [`now`].
pub fn now_here() -> time::OffsetDateTime {
    let ms = now_ms();
    let t = byok_core::model::time_from_millis(ms);
    // Minutes behind UTC at this very instant (summer time included): one clock reading
    // for both, so a change of summer time between two readings cannot mix them.
    let behind = js_sys::Date::new(&ms.into()).get_timezone_offset();
    time::UtcOffset::from_whole_seconds((-behind * 60.0) as i32).map_or(t, |o| t.to_offset(o))
}

/// Today in the person's own time zone: usage is counted per local calendar day.
pub fn today() -> time::Date {
    now_here().date()
}

/// The price list shipped with the app, parsed once.
pub fn shipped_prices() -> &'static [byok_core::usage::PriceRule] {
    static PRICES: std::sync::OnceLock<Vec<byok_core::usage::PriceRule>> =
        std::sync::OnceLock::new();
    PRICES.get_or_init(byok_core::usage::shipped_prices)
}

/// A `performance.mark("byok:<name>")`: the benchmark scripts read these to split a slow
/// step into its parts. Costs a few microseconds; never carries data.
pub fn perf_mark(name: &str) {
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        let _ = p.mark(&format!("byok:{name}"));
    }
}
