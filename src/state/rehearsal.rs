//! A rehearsal of the unlock, run once while the unlock form waits for the passphrase.
//!
//! The browser compiles each wasm function (and its JS glue) the first time it runs, so
//! the first unlock of a page used to spend about 20 ms after the key derivation on that
//! (opening the record, parsing the vault, building the key list); a second unlock in
//! the same page spends about 3 ms. Typing a passphrase takes seconds, so those seconds
//! now run the same code once on made-up data (a throwaway key, one invented entry),
//! rendered into an element that is never attached to the page, then thrown away.
//! Nothing is stored and nothing real is read (`docs/benchmark.md`, unlock).

use std::cell::Cell;
use std::time::Duration;

use byok_core::Secret;
use byok_core::crypto::{AeadKey, DEFAULT_ITERATIONS, SALT_LEN};
use byok_core::model::{NewKey, Provider, Vault, new_id};
use byok_core::vault;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

use crate::state::{Session, Toasts};

thread_local! {
    static STARTED: Cell<bool> = const { Cell::new(false) };
}

/// Queue the rehearsal for when the page is idle (at most once per page).
pub fn schedule() {
    if STARTED.replace(true) {
        return;
    }
    let run = Closure::once_into_js(rehearse);
    let opts = web_sys::IdleRequestOptions::new();
    opts.set_timeout(1000);
    let w = window();
    if w.request_idle_callback_with_options(run.unchecked_ref(), &opts)
        .is_err()
    {
        // No idle callbacks (Safari before 18): soon after the form is shown instead.
        let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(run.unchecked_ref(), 50);
    }
}

fn rehearse() {
    // Any failure only means the real unlock compiles the code itself.
    let Some(v) = open_made_up_vault() else {
        return;
    };
    let Ok(el) = document().create_element("div") else {
        return;
    };
    let handle = leptos::mount::mount_to(el.unchecked_into(), move || {
        // Created inside the mount, so they are disposed with it.
        provide_context(Session::rehearsal(v));
        provide_context(Toasts::new());
        view! { <crate::pages::keys::KeysPage/> }
    });
    // Kept until the effects have run once too, then unmounted.
    set_timeout(
        move || {
            drop(handle);
            crate::perf_mark("rehearsal-done");
        },
        Duration::ZERO,
    );
}

/// Create, seal, parse and open a vault with one invented entry, as an unlock opens one.
fn open_made_up_vault() -> Option<Vault> {
    let kek = AeadKey::generate().ok()?;
    let mut v = Vault::default();
    let entry = NewKey {
        provider: Provider::Openai,
        label: "Rehearsal".into(),
        secret: Secret::new("sk-rehearsal-FAKE-never-sent"),
        base_url: None,
        expires_at: None,
        notes: String::new(),
        make_default: true,
    };
    v.add(entry, new_id().ok()?, crate::now()).ok()?;
    let (record, _) = vault::create(&v, &kek, &[7; SALT_LEN], DEFAULT_ITERATIONS).ok()?;
    let record = vault::parse(&record.to_json()).ok()?;
    let data_key = record.unwrap_key(&kek).ok()?;
    record.decrypt(&data_key).ok()
}
