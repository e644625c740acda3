//! Provider calls: the request as core built it, made by `src/net.js` (in a worker where
//! the page allows one, so the thousands of network chunks of a streamed answer are not
//! main-thread tasks), with failures told apart the way a person needs (stopped, blocked
//! by the page's connect policy, offline, blocked by the provider's CORS or unreachable,
//! cut off mid-answer).

use byok_core::model::{TestOutcome, origin_of};
use byok_core::provider::{HttpRequest, ProviderError};
use js_sys::Uint8Array;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// How long the chunks of a streamed body gather before the page takes them: a provider
/// sends a delta every few milliseconds, and one hand-over per delta was most of a paced
/// stream's main-thread time. The answer is drawn at most every 100 ms anyway; the first
/// chunk and the end of the body are not held.
const GATHER_MS: u32 = 40;

#[wasm_bindgen(module = "/src/net.js")]
extern "C" {
    type Call;
    #[wasm_bindgen(constructor)]
    fn new(
        url: &str,
        method: &str,
        names: Vec<String>,
        values: Vec<String>,
        body: Option<String>,
        signal: Option<web_sys::AbortSignal>,
        wait: u32,
    ) -> Call;
    #[wasm_bindgen(static_method_of = Call, js_name = fromResponse)]
    fn from_response(response: &web_sys::Response, wait: u32) -> Call;
    #[wasm_bindgen(method)]
    fn head(this: &Call) -> js_sys::Promise;
    #[wasm_bindgen(method)]
    fn next(this: &Call) -> js_sys::Promise;
    #[wasm_bindgen(method)]
    fn abort(this: &Call);
    #[wasm_bindgen(method, getter, js_name = where)]
    fn where_read(this: &Call) -> Option<String>;
    #[wasm_bindgen(js_name = warm)]
    fn warm_worker();
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

/// Start the worker that makes provider calls, ahead of the first call.
pub fn warm() {
    warm_worker();
}

/// A failure as `src/net.js` names it, for a call to `url`.
fn failure(kind: &JsValue, url: &str) -> NetError {
    let origin = origin_of(url).to_string();
    let (class, message) = match kind.as_string().as_deref() {
        Some("abort") => return NetError::Aborted,
        Some("cut") => return cut(),
        Some("blocked") => (
            TestOutcome::Blocked,
            format!(
                "This page's connect policy does not allow {origin}. Whoever hosts byok can allow it (byok-host --connect-src {origin})."
            ),
        ),
        Some("redirected") => (
            TestOutcome::Blocked,
            format!(
                "{origin} answered with a redirect to another address. byok does not follow it, since the key would go along; check the base URL."
            ),
        ),
        Some("lost") => (
            TestOutcome::Network,
            "The request was interrupted before the provider answered. Try again.".to_string(),
        ),
        Some("offline") => (
            TestOutcome::Network,
            "The browser is offline. Check the network and try again.".to_string(),
        ),
        _ => (
            TestOutcome::Blocked,
            format!(
                "The browser could not reach {origin}: the provider refused a request from a web page (CORS), or the server is unreachable. Check the base URL; a local server must allow this page's origin."
            ),
        ),
    };
    NetError::Provider(ProviderError::new(class, message))
}

fn cut() -> NetError {
    NetError::Provider(ProviderError::new(
        TestOutcome::Network,
        byok_core::provider::STREAM_CUT_MESSAGE,
    ))
}

/// A provider's answer: its status, and its body still to be read.
pub struct Response {
    pub status: u16,
    pub retry_after: Option<String>,
    url: String,
    call: Call,
}

/// Send `req`; resolves once the response's status and headers are in. Aborting
/// `signal` stops the call at any point, body included.
pub async fn send(
    req: &HttpRequest,
    signal: Option<&web_sys::AbortSignal>,
) -> Result<Response, NetError> {
    let (names, values) = req.headers.iter().cloned().unzip();
    let call = Call::new(
        &req.url,
        req.method,
        names,
        values,
        req.body.clone(),
        signal.cloned(),
        GATHER_MS,
    );
    Response::from_call(call, &req.url).await
}

/// A body nobody reads any more is not fetched to its end (a no-op once it has ended).
impl Drop for Response {
    fn drop(&mut self) {
        self.call.abort();
    }
}

impl Response {
    async fn from_call(call: Call, url: &str) -> Result<Response, NetError> {
        let head = JsFuture::from(call.head())
            .await
            .map_err(|k| failure(&k, url))?;
        let get = |name: &str| js_sys::Reflect::get(&head, &JsValue::from_str(name)).ok();
        let status = get("status")
            .and_then(|s| s.as_f64())
            .map(|s| s as u16)
            .ok_or_else(cut)?;
        Ok(Response {
            status,
            retry_after: get("retryAfter").and_then(|r| r.as_string()),
            url: url.to_string(),
            call,
        })
    }

    /// A response already in hand, read the way a provider's is (for tests of the
    /// batching, which need no server).
    pub async fn of(response: &web_sys::Response) -> Result<Response, NetError> {
        Self::from_call(Call::from_response(response, GATHER_MS), &response.url()).await
    }

    /// Feed the body to `on_bytes` as it arrives, in batches (see [`GATHER_MS`]).
    pub async fn read(&self, mut on_bytes: impl FnMut(&[u8])) -> Result<(), NetError> {
        loop {
            let batch = JsFuture::from(self.call.next())
                .await
                .map_err(|k| failure(&k, &self.url))?;
            match batch.dyn_ref::<Uint8Array>() {
                Some(bytes) => on_bytes(&bytes.to_vec()),
                None => return Ok(()),
            }
        }
    }

    /// The whole body as text, as `Response.text()` gives it: a leading byte order mark
    /// dropped, invalid UTF-8 replaced.
    pub async fn text(&self) -> Result<String, NetError> {
        let mut body = Vec::new();
        self.read(|b| body.extend_from_slice(b)).await?;
        let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&body);
        Ok(String::from_utf8_lossy(body).into_owned())
    }

    /// Whether the body is read by the worker, off the page's main thread.
    pub fn read_off_main_thread(&self) -> bool {
        self.call.where_read().as_deref() == Some("worker")
    }
}
