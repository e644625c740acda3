//! "Test" for a key: list the provider's models (no tokens spent) and explain a failure
//! by what the person can do about it.

use byok_core::model::{KeyEntry, TestOutcome, TestResult};
use byok_core::provider::{classify, models_from_response, models_request};

use crate::net::{self, NetError};

pub async fn test_key(key: &KeyEntry) -> TestResult {
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
    match net::send(&req, None).await {
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
            let e = classify(key.provider, f.status, &body, f.retry_after.as_deref());
            fail(e.class, e.message)
        }
        Err(NetError::Provider(e)) => fail(e.class, e.message),
        Err(NetError::Aborted) => fail(TestOutcome::Other, "The test was stopped.".into()),
    }
}
