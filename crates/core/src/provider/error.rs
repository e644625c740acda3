//! Turning a provider's refusal into a class a person can act on and a sentence they can
//! read. Providers disagree about status codes (Gemini answers a wrong key with 400,
//! OpenAI a restricted key with 401, Anthropic an empty balance with 400), so the body's
//! own error type and message decide first, the status second.

use serde_json::Value;

use crate::keyfmt;
use crate::model::{Provider, TestOutcome};

/// A failed request or a failure reported inside a stream. `message` is for people and
/// never holds a key: anything key-like the provider echoed back is masked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ProviderError {
    pub class: TestOutcome,
    pub message: String,
    /// How long the provider asked us to wait, when it said.
    pub retry_after_secs: Option<u64>,
}

impl ProviderError {
    pub fn new(class: TestOutcome, message: impl Into<String>) -> Self {
        Self {
            class,
            message: message.into(),
            retry_after_secs: None,
        }
    }

    /// The message to keep with a key's test result: without the rate limit's "Try
    /// again in 7 seconds.", which means nothing once read days later.
    pub fn lasting_message(&self) -> String {
        if self.class != TestOutcome::RateLimited {
            return self.message.clone();
        }
        let Some(at) = self.message.find(" Try again ") else {
            return self.message.clone();
        };
        let rest = &self.message[at + 1..];
        match rest
            .find(". ")
            .map(|i| i + 1)
            .or(rest.ends_with('.').then_some(rest.len()))
        {
            Some(end) => format!("{}{}", &self.message[..at], &rest[end..]),
            None => self.message.clone(),
        }
    }

    /// The same error with every copy of `secret` in its message masked. For errors a
    /// stream sends, whose text was read before the caller could mask it.
    pub fn hiding(mut self, secret: &str) -> Self {
        self.message = hide_secret(&self.message, secret);
        self
    }
}

/// `text` with every copy of `secret` masked. The message masking in [`classify`] goes
/// by what keys look like, and misses a short or unusual key a server echoes (a local
/// proxy's `sk-1234`): callers that know the key mask it in the body first.
pub fn hide_secret(text: &str, secret: &str) -> String {
    let secret = secret.trim();
    if secret.is_empty() {
        return text.to_string();
    }
    text.replace(secret, &keyfmt::mask(secret))
}

pub const INVALID_KEY_MESSAGE: &str =
    "The key was refused: it is wrong, revoked, or for another provider.";

/// Longest part of the provider's own message that is quoted back.
const MAX_QUOTED_CHARS: usize = 300;

/// Classifies a non-2xx response. `retry_after` is the `Retry-After` header, if any.
pub fn classify(
    provider: Provider,
    status: u16,
    body: &str,
    retry_after: Option<&str>,
) -> ProviderError {
    let info = match serde_json::from_str::<Value>(body) {
        Ok(v) => ErrorInfo::from_json(&v),
        Err(_) => ErrorInfo::from_text(body),
    };
    let header_wait = retry_after.and_then(parse_seconds);
    decide(provider, Some(status), &info, header_wait)
}

/// Classifies an error object sent inside a stream (no HTTP status to go by).
pub(crate) fn classify_stream_error(provider: Provider, value: &Value) -> ProviderError {
    decide(provider, None, &ErrorInfo::from_json(value), None)
}

/// What the error bodies of all providers have in common, pulled out of their shapes:
/// Anthropic `{type:"error", error:{type, message}}`, OpenAI (and compatibles)
/// `{error:{message, type, code}}`, Google `{error:{code, message, status, details}}`.
#[derive(Debug, Default)]
struct ErrorInfo {
    message: Option<String>,
    /// Machine-readable tags: error types and codes, Google status, reasons, quota ids.
    kinds: Vec<String>,
    /// A numeric code in the body (Google's `error.code`, OpenRouter's).
    code: Option<u16>,
    /// Google's `RetryInfo.retryDelay`.
    retry_delay_secs: Option<u64>,
}

impl ErrorInfo {
    fn from_json(v: &Value) -> Self {
        // Gemini's non-SSE stream endpoint wraps the error in an array.
        let v = match v {
            Value::Array(items) => items.first().unwrap_or(&Value::Null),
            other => other,
        };
        let mut info = ErrorInfo::default();
        let err = match v.get("error") {
            Some(Value::String(s)) => {
                info.message = Some(s.clone());
                return info;
            }
            Some(e @ Value::Object(_)) => e,
            // FastAPI-style `{detail}` or a bare `{message}` from proxies.
            _ => {
                info.message = ["message", "detail"]
                    .iter()
                    .find_map(|k| v.get(k).and_then(Value::as_str))
                    .map(str::to_string);
                return info;
            }
        };
        info.message = err
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_string);
        for field in ["type", "code", "status"] {
            match err.get(field) {
                Some(Value::String(s)) => info.kinds.push(s.clone()),
                Some(Value::Number(n)) => {
                    info.code = n.as_u64().and_then(|n| u16::try_from(n).ok());
                }
                _ => {}
            }
        }
        for detail in err
            .get("details")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(reason) = detail.get("reason").and_then(Value::as_str) {
                info.kinds.push(reason.to_string());
            }
            if let Some(delay) = detail.get("retryDelay").and_then(Value::as_str) {
                info.retry_delay_secs = parse_seconds(delay.trim_end_matches('s'));
            }
            for violation in detail
                .get("violations")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(id) = violation.get("quotaId").and_then(Value::as_str) {
                    info.kinds.push(id.to_string());
                }
            }
        }
        info
    }

    /// A non-JSON body: quote it only if it reads like a sentence, not an HTML page.
    fn from_text(body: &str) -> Self {
        let t = body.trim();
        ErrorInfo {
            message: (!t.is_empty() && !t.starts_with('<')).then(|| t.to_string()),
            ..Default::default()
        }
    }

    fn has(&self, kind: &str) -> bool {
        self.kinds.iter().any(|k| k.eq_ignore_ascii_case(kind))
    }

    fn kind_contains(&self, needle: &str) -> bool {
        self.kinds
            .iter()
            .any(|k| k.to_ascii_lowercase().contains(needle))
    }
}

fn decide(
    provider: Provider,
    status: Option<u16>,
    info: &ErrorInfo,
    header_wait: Option<u64>,
) -> ProviderError {
    use TestOutcome::*;
    let status = status.or(info.code);
    let msg = info.message.as_deref().unwrap_or("").to_ascii_lowercase();
    let said = info
        .message
        .as_deref()
        .map(sanitize)
        .filter(|s| !s.is_empty())
        .map(|s| format!(" {provider} said: \"{s}\""))
        .unwrap_or_default();
    let wait = header_wait.or(info.retry_delay_secs);
    let is = |code: u16| status == Some(code);
    let name = provider.display_name();

    let (class, text) = if msg.contains("cors requests are not allowed") {
        (
            MissingPermission,
            format!(
                "Your {name} organisation does not allow API calls from a web browser, so this \
                 key cannot be used here. An organisation admin can change that, or use a key \
                 from another organisation."
            ),
        )
    } else if msg.contains("missing scopes") {
        let scopes = missing_scopes(info.message.as_deref().unwrap_or(""));
        (
            MissingPermission,
            format!(
                "This restricted key lacks a permission this request needs{scopes}. Grant it \
                 in the {name} dashboard, or use a key with full access."
            ),
        )
    } else if no_credit(info, &msg) || is(402) {
        (
            NoCredit,
            "The account has run out of credit or quota: add credit, or check the plan and \
             billing."
                .to_string(),
        )
    } else if is(401)
        || ["authentication_error", "invalid_api_key", "API_KEY_INVALID"]
            .iter()
            .any(|k| info.has(k))
        || [
            "api key not valid",
            "incorrect api key",
            "invalid x-api-key",
        ]
        .iter()
        .any(|m| msg.contains(m))
    {
        (InvalidKey, INVALID_KEY_MESSAGE.to_string())
    } else if is(403) || info.has("permission_error") || info.has("PERMISSION_DENIED") {
        let text = if info.has("SERVICE_DISABLED") || msg.contains("has not been used in project") {
            "The Gemini API (Generative Language API) is not enabled in this key's Google \
             Cloud project: enable it there, or use a key from AI Studio."
                .to_string()
        } else if info.kind_contains("blocked") || msg.contains("are blocked") {
            "This key's restrictions (allowed websites, apps or APIs) forbid this request: \
             relax them in the Google Cloud console."
                .to_string()
        } else {
            "The key works but lacks permission for this request.".to_string()
        };
        (MissingPermission, text)
    } else if is(529) || info.has("overloaded_error") || msg.contains("overloaded") {
        (
            ProviderDown,
            format!("{name} is overloaded, try again shortly."),
        )
    } else if is(429)
        || [
            "rate_limit_error",
            "rate_limit_exceeded",
            "RESOURCE_EXHAUSTED",
        ]
        .iter()
        .any(|k| info.has(k))
    {
        let when = match wait {
            Some(s) => format!("Try again in {}.", duration(s)),
            None => "Try again shortly.".to_string(),
        };
        (
            RateLimited,
            format!("Rate limited: {name} is refusing more requests for now. {when}"),
        )
    } else if is(404)
        || ["not_found_error", "model_not_found", "NOT_FOUND"]
            .iter()
            .any(|k| info.has(k))
    {
        // A wrong path ("Invalid URL (GET /v1/models)") also mentions models; the base
        // URL is then what to fix, not the model.
        let wrong_path = msg.contains("invalid url") || msg.contains("no route");
        let text = if info.has("model_not_found") || (msg.contains("model") && !wrong_path) {
            "Model not found: the provider does not offer this model, or not to this key."
        } else {
            "Not found (HTTP 404): check the base URL."
        };
        (Other, text.to_string())
    } else if is(413) || info.has("request_too_large") {
        (
            Other,
            "The request is too large for the provider: shorten the conversation.".to_string(),
        )
    } else if status.is_some_and(|s| s >= 500 || s == 408)
        || [
            "api_error",
            "server_error",
            "INTERNAL",
            "UNAVAILABLE",
            "DEADLINE_EXCEEDED",
        ]
        .iter()
        .any(|k| info.has(k))
    {
        let code = status.map(|s| format!(" (HTTP {s})")).unwrap_or_default();
        (
            ProviderDown,
            format!("{name} is having trouble{code}; try again later."),
        )
    } else {
        let code = status.map(|s| format!(" (HTTP {s})")).unwrap_or_default();
        (Other, format!("{name} refused the request{code}."))
    };
    ProviderError {
        class,
        message: format!("{text}{said}"),
        retry_after_secs: wait,
    }
}

/// Out of money rather than out of breath: waiting will not help, another key might.
fn no_credit(info: &ErrorInfo, msg: &str) -> bool {
    if ["insufficient_quota", "billing_error", "billing_not_active"]
        .iter()
        .any(|k| info.has(k))
    {
        return true;
    }
    // Google sends RESOURCE_EXHAUSTED and the same "exceeded your current quota" sentence
    // for both; the quota ids in the details tell a per-minute limit from a daily one.
    if info.kind_contains("perminute") {
        return false;
    }
    info.kind_contains("perday")
        || [
            "credit balance is too low",
            "insufficient credits",
            "insufficient balance",
            "exceeded your current quota",
        ]
        .iter()
        .any(|m| msg.contains(m))
}

/// `" (Missing scopes: model.request)"` from OpenAI's sentence, or nothing.
fn missing_scopes(message: &str) -> String {
    let Some(start) = message.find("Missing scopes:") else {
        return String::new();
    };
    let rest = &message[start..];
    let end = rest.find(". ").unwrap_or(rest.len());
    format!(" ({})", sanitize(rest[..end].trim_end_matches('.')))
}

/// Seconds from `Retry-After` (`"20"`, `"1.5"`) or Google's `retryDelay` (`"22.4s"` with
/// the `s` removed). An HTTP date is ignored: core has no clock to compare it with.
fn parse_seconds(s: &str) -> Option<u64> {
    let s = s.trim();
    if let Ok(n) = s.parse::<u64>() {
        return Some(n);
    }
    let f = s.parse::<f64>().ok()?;
    // Bounded so that the cast below cannot saturate into nonsense.
    (f.is_finite() && (0.0..1e9).contains(&f)).then(|| f.ceil() as u64)
}

fn duration(secs: u64) -> String {
    match secs {
        1 => "1 second".to_string(),
        s if s < 120 => format!("{s} seconds"),
        s if s < 7200 => format!("{} minutes", s.div_ceil(60)),
        s => format!("{} hours", s.div_ceil(3600)),
    }
}

/// The provider's message made safe to show: key-like tokens masked, control characters
/// and runs of whitespace collapsed, length bounded.
pub(crate) fn sanitize(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(MAX_QUOTED_CHARS + 8));
    let mut token = String::new();
    let mut last_space = true;
    let flush = |token: &mut String, out: &mut String| {
        if !token.is_empty() {
            out.push_str(&mask_if_key(token));
            token.clear();
        }
    };
    for c in message.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '*') {
            token.push(c);
            last_space = false;
        } else {
            flush(&mut token, &mut out);
            if c.is_whitespace() || c.is_control() {
                if !last_space {
                    out.push(' ');
                }
                last_space = true;
            } else {
                out.push(c);
                last_space = false;
            }
        }
    }
    flush(&mut token, &mut out);
    let trimmed = out.trim();
    if trimmed.chars().count() > MAX_QUOTED_CHARS {
        let cut: String = trimmed.chars().take(MAX_QUOTED_CHARS).collect();
        format!("{}…", cut.trim_end())
    } else {
        trimmed.to_string()
    }
}

/// Keys are long random strings: a known key prefix, or a long run of letters mixed with
/// digits. Model names (`gemini-2.5-flash-preview-05-20`) have only short runs, so they
/// stay readable.
fn mask_if_key(token: &str) -> String {
    // A full stop ending the sentence is not part of the key.
    let core = token.trim_end_matches('.');
    let trailing = &token[core.len()..];
    let known_prefix = core.len() >= 16 && keyfmt::guess(core).prefix.is_some();
    let random_run = core.split(|c: char| !c.is_ascii_alphanumeric()).any(|run| {
        run.len() >= 20
            && run.bytes().any(|b| b.is_ascii_digit())
            && run.bytes().any(|b| b.is_ascii_alphabetic())
    });
    if known_prefix || random_run {
        format!("{}{trailing}", keyfmt::mask(core))
    } else {
        token.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_masks_keys_keeps_words() {
        let s = sanitize(
            "Incorrect API key provided: sk-proj-FAKEnotArealKEYforTESTSabc0123456789.\n You can \
             find it at https://platform.openai.com/account/api-keys.",
        );
        assert!(!s.contains("notArealKEYfor"), "{s}");
        assert!(s.contains("sk-proj-…6789."), "{s}");
        assert!(
            s.contains("https://platform.openai.com/account/api-keys."),
            "{s}"
        );
        let s = sanitize("models/gemini-2.5-flash-preview-05-20 is not found");
        assert_eq!(s, "models/gemini-2.5-flash-preview-05-20 is not found");
        let s =
            sanitize("token 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 x");
        assert!(!s.contains("9f86d081"), "{s}");
    }

    #[test]
    fn a_kept_test_result_drops_the_wait_of_the_moment() {
        let body = r#"{"type":"error","error":{"type":"rate_limit_error","message":"Slow down"}}"#;
        let e = classify(Provider::Anthropic, 429, body, Some("7"));
        assert!(
            e.message.contains("Try again in 7 seconds."),
            "{}",
            e.message
        );
        let kept = e.lasting_message();
        assert!(!kept.contains("Try again"), "{kept}");
        assert!(
            kept.starts_with("Rate limited: Anthropic is refusing more requests for now."),
            "{kept}"
        );
        assert!(
            kept.contains("Slow down"),
            "the provider's words stay: {kept}"
        );
        let e = classify(Provider::Anthropic, 429, body, None);
        assert!(
            !e.lasting_message().contains("Try again"),
            "{}",
            e.lasting_message()
        );
        // Other failures keep their whole message.
        let e = classify(Provider::Anthropic, 500, "oops", None);
        assert_eq!(e.lasting_message(), e.message);
    }

    #[test]
    fn a_short_or_unusual_key_echoed_by_a_server_is_masked_when_known() {
        for key in [
            "sk-1234",
            "abc+def/ghi+jkl/mno+pqr/stu+vwx",
            "onlyletterskeyFAKE",
        ] {
            let body = format!(r#"{{"error":{{"message":"Invalid key {key}, check it"}}}}"#);
            let e = classify(
                Provider::OpenaiCompatible,
                400,
                &hide_secret(&body, key),
                None,
            );
            let unmasked = classify(Provider::OpenaiCompatible, 400, &body, None);
            assert!(
                unmasked.message.contains(key),
                "the message quotes the server: {}",
                unmasked.message
            );
            assert!(!e.message.contains(key), "{key}: {}", e.message);
            let streamed = ProviderError::new(TestOutcome::Other, format!("bad {key}")).hiding(key);
            assert!(!streamed.message.contains(key), "{}", streamed.message);
        }
        assert_eq!(hide_secret("no key here", "  "), "no key here");
    }

    #[test]
    fn sanitize_bounds_length() {
        let s = sanitize(&"word ".repeat(500));
        assert!(s.chars().count() <= MAX_QUOTED_CHARS + 1);
        assert!(s.ends_with('…'));
    }

    #[test]
    fn seconds() {
        assert_eq!(parse_seconds("20"), Some(20));
        assert_eq!(parse_seconds("1.2"), Some(2));
        assert_eq!(parse_seconds("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_seconds("-3"), None);
        assert_eq!(parse_seconds("NaN"), None);
    }
}
