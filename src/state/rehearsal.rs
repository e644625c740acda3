//! Rehearsals: the code of a slow first step run once, on made-up data, while the person
//! is still typing.
//!
//! The browser compiles each wasm function (and its JS glue) the first time it runs, so
//! the first unlock of a page used to spend about 20 ms after the key derivation on that
//! (opening the record, parsing the vault, building the key list); a second unlock in
//! the same page spends about 3 ms. Likewise the first answer of a page spent about 45 ms
//! more main-thread time than the next ones (stream parsing, markdown rendering). Typing
//! a passphrase or a question takes seconds, so those seconds now run the same code once
//! on made-up data (a throwaway key, one invented entry, a short invented answer),
//! rendered into an element that is never attached to the page, then thrown away.
//! Nothing is stored, sent or read (`docs/benchmark.md`, unlock and streaming).

use std::cell::Cell;
use std::time::Duration;

use byok_core::Secret;
use byok_core::crypto::{AeadKey, DEFAULT_ITERATIONS, SALT_LEN};
use byok_core::model::{NewKey, Provider, Vault, new_id};
use byok_core::provider::{StreamEvent, StreamParser};
use byok_core::vault;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

use crate::components::markdown;
use crate::state::{Session, Toasts};

thread_local! {
    static UNLOCK: Cell<bool> = const { Cell::new(false) };
    static ANSWER: Cell<bool> = const { Cell::new(false) };
}

/// Queue the unlock rehearsal for when the page is idle (at most once per page).
pub fn schedule() {
    if !UNLOCK.replace(true) {
        when_idle(rehearse);
    }
}

/// Queue the answer rehearsal (stream parsing and markdown rendering) for when the page
/// is idle (at most once per page).
pub fn schedule_answer() {
    if !ANSWER.replace(true) {
        when_idle(rehearse_answer);
    }
}

fn when_idle(f: fn()) {
    let run = Closure::once_into_js(f);
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

/// A short answer in each wire format, parsed as a stream, then rendered as it streams
/// in and once finished.
fn rehearse_answer() {
    // The worker that makes provider calls starts now rather than with the first question.
    crate::net::warm();
    const ANSWER: &str = "# Title\n\nSome *emphasis*, **strong**, `code` and a [link](https://example.com).\n\n- one\n- two\n  - nested\n\n1. first\n2. second\n\n> quoted\n\n```rust\nfn main() {}\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n---\n\nThe end.";
    let mut text = String::new();
    for provider in [Provider::Anthropic, Provider::Openai, Provider::Gemini] {
        let mut parser = StreamParser::new(provider);
        let mut events = Vec::new();
        for piece in ANSWER.split_inclusive(' ') {
            events.extend(parser.push(made_up_event(provider, piece).as_bytes()));
        }
        events.extend(parser.finish());
        if provider == Provider::Anthropic {
            text = events
                .into_iter()
                .filter_map(|e| match e {
                    StreamEvent::TextDelta(t) => Some(t),
                    _ => None,
                })
                .collect();
        }
    }
    let Ok(el) = document().create_element("div") else {
        return;
    };
    let mut renderer = markdown::Incremental::default();
    for end in (0..text.len())
        .step_by(16)
        .filter(|i| text.is_char_boundary(*i))
    {
        renderer.update(&el, &text[..end]);
    }
    renderer.finish(&el, &text);
    crate::perf_mark("rehearsal-answer-done");
}

/// One streamed text delta in `provider`'s wire format.
fn made_up_event(provider: Provider, piece: &str) -> String {
    let piece = serde_json::Value::from(piece).to_string();
    match provider {
        Provider::Anthropic => format!(
            "event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{{\"type\":\"text_delta\",\"text\":{piece}}}}}\n\n"
        ),
        Provider::Gemini => format!(
            "data: {{\"candidates\":[{{\"content\":{{\"parts\":[{{\"text\":{piece}}}],\"role\":\"model\"}}}}]}}\n\n"
        ),
        Provider::Openai | Provider::OpenaiCompatible => {
            format!("data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"content\":{piece}}}}}]}}\n\n")
        }
    }
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
