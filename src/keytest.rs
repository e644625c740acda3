//! "Test" for a key: list the provider's models (no tokens spent) and explain a failure
//! by what the person can do about it.

use byok_core::model::{KeyEntry, TestOutcome, TestResult};
use byok_core::provider::{classify, hide_secret, models_from_response, models_request};

use crate::net::{self, NetError};

/// A provider that answers a model list slower than this is taken as not answering: the
/// person would otherwise watch "Testing the key…" with no end.
const TEST_TIMEOUT_MS: u32 = 30_000;

/// Ends the call when dropped: a test given up on (the timeout, or "Stop testing", which
/// drops this future) must not leave its request running, whatever stage it is at.
struct AbortOnDrop(Option<web_sys::AbortController>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(c) = &self.0 {
            c.abort();
        }
    }
}

pub async fn test_key(key: &KeyEntry) -> TestResult {
    use futures::future::{Either, select};
    let stop = AbortOnDrop(web_sys::AbortController::new().ok());
    let test = std::pin::pin!(run_test(key, stop.0.as_ref().map(|c| c.signal())));
    let timeout = gloo_timers::future::TimeoutFuture::new(TEST_TIMEOUT_MS);
    match select(test, timeout).await {
        Either::Left((result, _)) => result,
        Either::Right(_) => {
            // The call ends too (as `stop` goes).
            TestResult {
                outcome: TestOutcome::Network,
                message: format!(
                    "The provider did not answer within {} seconds. Check the base URL, or try again later.",
                    TEST_TIMEOUT_MS / 1000
                ),
                models: Vec::new(),
            }
        }
    }
}

async fn run_test(key: &KeyEntry, signal: Option<web_sys::AbortSignal>) -> TestResult {
    let Some(base) = key.effective_base_url() else {
        return TestResult {
            outcome: TestOutcome::Other,
            message: "This key has no base URL to test against; add one under Edit.".into(),
            models: Vec::new(),
        };
    };
    let req = models_request(key.provider, base, &key.secret);
    let fail = |outcome, message| TestResult {
        outcome,
        message,
        models: Vec::new(),
    };
    match net::send(&req, signal.as_ref()).await {
        Ok(f) if (200..300).contains(&f.status) => match f.text().await {
            Ok(body) => match models_from_response(key.provider, &body) {
                Ok(models) => TestResult {
                    outcome: TestOutcome::Ok,
                    message: format!(
                        "The key works: {} model{} available.",
                        models.len(),
                        if models.len() == 1 { "" } else { "s" }
                    ),
                    models,
                },
                Err(e) => fail(e.class, e.message),
            },
            Err(e) => fail(TestOutcome::Network, e.message()),
        },
        Ok(f) => {
            let body = f.text().await.unwrap_or_default();
            // A server may echo the key; the masking in `classify` goes by its looks only.
            let body = hide_secret(&body, key.secret.expose());
            let e = classify(key.provider, f.status, &body, f.retry_after.as_deref());
            fail(e.class, e.lasting_message())
        }
        Err(NetError::Provider(e)) => fail(e.class, e.message),
        Err(NetError::Aborted) => fail(TestOutcome::Other, "The test was stopped.".into()),
    }
}
