//! `fetch` for provider calls: the request as core built it, an abort signal, and
//! failures told apart the way a person needs (aborted, blocked by the page's connect
//! policy, blocked by the provider's CORS or unreachable).

use std::cell::RefCell;

use byok_core::model::{TestOutcome, origin_of};
use byok_core::provider::{HttpRequest, ProviderError};
use js_sys::Uint8Array;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

thread_local! {
    /// Origins the page's CSP refused recently, with when (ms). A blocked `fetch` only
    /// says "Failed to fetch"; the violation event says why.
    static BLOCKED: RefCell<Vec<(String, f64)>> = const { RefCell::new(Vec::new()) };
}

/// Listen for CSP violations once, so failed requests can be explained.
pub fn install_policy_watch() {
    let _ = leptos::prelude::window_event_listener_untyped("securitypolicyviolation", |e| {
        if let Some(v) = e.dyn_ref::<web_sys::SecurityPolicyViolationEvent>() {
            let uri = v.blocked_uri();
            let origin = origin_of(&uri).to_string();
            BLOCKED.with(|b| {
                let mut b = b.borrow_mut();
                b.retain(|(_, t)| crate::now_ms() - *t < 10_000.0);
                b.push((origin, crate::now_ms()));
            });
        }
    });
}

fn blocked_by_policy(origin: &str) -> bool {
    BLOCKED.with(|b| {
        b.borrow()
            .iter()
            .any(|(o, t)| o == origin && crate::now_ms() - *t < 10_000.0)
    })
}

#[derive(Debug, Clone, PartialEq)]
pub enum NetError {
    Aborted,
    Provider(ProviderError),
}

impl NetError {
    pub fn message(&self) -> String {
        match self {
            NetError::Aborted => "Stopped.".into(),
            NetError::Provider(p) => p.message.clone(),
        }
    }
}

fn failed_to_reach(url: &str) -> NetError {
    let origin = origin_of(url).to_string();
    // Settle the event queue question: the violation event may land just after the
    // rejected promise, so the caller re-checks on the next tick via `explain_failure`.
    let online = web_sys::window()
        .map(|w| w.navigator().on_line())
        .unwrap_or(true);
    let (class, message) = if blocked_by_policy(&origin) {
        (
            TestOutcome::Blocked,
            format!(
                "This page's connect policy does not allow {origin}. Whoever hosts byok can allow it (byok-host --connect-src {origin})."
            ),
        )
    } else if !online {
        (
            TestOutcome::Network,
            "The browser is offline. Check the network and try again.".to_string(),
        )
    } else {
        (
            TestOutcome::Blocked,
            format!(
                "The browser could not reach {origin}: the provider refused a request from a web page (CORS), or the server is unreachable. Check the base URL; a local server must allow this page's origin."
            ),
        )
    };
    NetError::Provider(ProviderError::new(class, message))
}

fn is_abort(e: &JsValue) -> bool {
    e.dyn_ref::<web_sys::DomException>()
        .map(|d| d.name() == "AbortError")
        .unwrap_or(false)
}

pub struct Fetched {
    pub status: u16,
    pub retry_after: Option<String>,
    pub response: web_sys::Response,
}

pub async fn send(
    req: &HttpRequest,
    signal: Option<&web_sys::AbortSignal>,
) -> Result<Fetched, NetError> {
    let init = web_sys::RequestInit::new();
    init.set_method(req.method);
    // The key is a header for the provider alone: no cookies, no referrer.
    init.set_credentials(web_sys::RequestCredentials::Omit);
    init.set_referrer_policy(web_sys::ReferrerPolicy::NoReferrer);
    init.set_cache(web_sys::RequestCache::NoStore);
    let headers = web_sys::Headers::new().map_err(|_| failed_to_reach(&req.url))?;
    for (n, v) in &req.headers {
        headers
            .append(n, v)
            .map_err(|_| failed_to_reach(&req.url))?;
    }
    init.set_headers(&headers);
    if let Some(b) = &req.body {
        init.set_body(&JsValue::from_str(b));
    }
    if let Some(s) = signal {
        init.set_signal(Some(s));
    }
    let window = web_sys::window().ok_or_else(|| failed_to_reach(&req.url))?;
    let resp = match JsFuture::from(window.fetch_with_str_and_init(&req.url, &init)).await {
        Ok(r) => r,
        Err(e) if is_abort(&e) => return Err(NetError::Aborted),
        Err(_) => {
            // Give the securitypolicyviolation event a moment to arrive.
            gloo_timers::future::TimeoutFuture::new(30).await;
            return Err(failed_to_reach(&req.url));
        }
    };
    let response: web_sys::Response = resp.dyn_into().map_err(|_| failed_to_reach(&req.url))?;
    let retry_after = response.headers().get("retry-after").ok().flatten();
    Ok(Fetched {
        status: response.status(),
        retry_after,
        response,
    })
}

pub async fn read_text(r: &web_sys::Response) -> Result<String, NetError> {
    let p = r.text().map_err(|_| cut())?;
    match JsFuture::from(p).await {
        Ok(t) => Ok(t.as_string().unwrap_or_default()),
        Err(e) if is_abort(&e) => Err(NetError::Aborted),
        Err(_) => Err(cut()),
    }
}

fn cut() -> NetError {
    NetError::Provider(ProviderError::new(
        TestOutcome::Network,
        byok_core::provider::STREAM_CUT_MESSAGE,
    ))
}

/// How long the chunks of a streamed body gather before wasm takes them: a provider
/// sends a delta every few milliseconds, each its own browser task, and one round trip
/// into wasm per delta was most of a paced stream's script time. The answer is drawn at
/// most every 100 ms anyway; the first chunk and the end of the body are not held.
const GATHER_MS: u32 = 40;

#[wasm_bindgen::prelude::wasm_bindgen(inline_js = r#"
export class Batches {
  constructor(reader, wait) {
    this.reader = reader; this.wait = wait; this.parts = []; this.size = 0; this.since = 0;
    this.first = true; this.done = false; this.error = null; this.waiting = null; this.timer = null;
    this.pump();
  }
  pump() {
    this.reader.read().then(({ done, value }) => {
      if (done) { this.done = true; } else {
        if (!this.size) this.since = performance.now();
        this.parts.push(value); this.size += value.length; this.pump();
      }
      this.wake();
    }, (e) => { this.error = e; this.wake(); });
  }
  wake() {
    if (!this.waiting) return;
    if (this.error || this.done) return this.deliver();
    if (!this.size || this.timer !== null) return;
    const age = performance.now() - this.since;
    if (this.first || age >= this.wait) return this.deliver();
    this.timer = setTimeout(() => { this.timer = null; this.deliver(); }, this.wait - age);
  }
  deliver() {
    const w = this.waiting;
    if (!w) return;
    if (this.timer !== null) { clearTimeout(this.timer); this.timer = null; }
    this.waiting = null;
    if (this.size) {
      let out = this.parts[0];
      if (this.parts.length > 1) {
        out = new Uint8Array(this.size);
        let at = 0;
        for (const p of this.parts) { out.set(p, at); at += p.length; }
      }
      this.parts = []; this.size = 0; this.first = false;
      w.resolve(out);
    } else if (this.error) {
      w.reject(this.error);
    } else {
      w.resolve(null);
    }
  }
  next() {
    return new Promise((resolve, reject) => { this.waiting = { resolve, reject }; this.wake(); });
  }
}
"#)]
extern "C" {
    /// A body read ahead in JS: `next()` gives what has arrived as one `Uint8Array`
    /// (the chunks of up to [`GATHER_MS`]), `null` at the end, or the read's error once
    /// everything before it was given.
    type Batches;
    #[wasm_bindgen(constructor)]
    fn new(reader: &web_sys::ReadableStreamDefaultReader, wait: u32) -> Batches;
    #[wasm_bindgen(method)]
    fn next(this: &Batches) -> js_sys::Promise;
}

/// Feed the body to `on_bytes` as it arrives, in batches (see [`GATHER_MS`]).
pub async fn read_stream(
    r: &web_sys::Response,
    mut on_bytes: impl FnMut(&[u8]),
) -> Result<(), NetError> {
    let Some(body) = r.body() else {
        return Ok(());
    };
    let reader: web_sys::ReadableStreamDefaultReader =
        body.get_reader().dyn_into().map_err(|_| cut())?;
    let batches = Batches::new(&reader, GATHER_MS);
    loop {
        let batch = match JsFuture::from(batches.next()).await {
            Ok(b) => b,
            Err(e) if is_abort(&e) => return Err(NetError::Aborted),
            Err(_) => return Err(cut()),
        };
        // Joined in JS, then copied once into wasm memory.
        match batch.dyn_ref::<Uint8Array>() {
            Some(bytes) => on_bytes(&bytes.to_vec()),
            None => return Ok(()),
        }
    }
}
