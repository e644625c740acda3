//! Failure classification on the providers' real error bodies, and model list parsing.

use byok_core::model::{Provider, TestOutcome};
use byok_core::provider::{
    INVALID_KEY_MESSAGE, classify, default_model, fallback_models, models_from_response,
};

use Provider::{Anthropic, Gemini, Openai, OpenaiCompatible};
use TestOutcome::*;

struct Case {
    provider: Provider,
    status: u16,
    body: &'static str,
    retry_after: Option<&'static str>,
    class: TestOutcome,
    says: &'static [&'static str],
    wait: Option<u64>,
}

const fn case(
    provider: Provider,
    status: u16,
    body: &'static str,
    class: TestOutcome,
    says: &'static [&'static str],
) -> Case {
    Case {
        provider,
        status,
        body,
        retry_after: None,
        class,
        says,
        wait: None,
    }
}

const CASES: &[Case] = &[
    // --- Anthropic ---
    case(
        Anthropic,
        401,
        r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"}"#,
        InvalidKey,
        &[INVALID_KEY_MESSAGE, "invalid x-api-key"],
    ),
    case(
        Anthropic,
        403,
        r#"{"type":"error","error":{"type":"permission_error","message":"Your API key does not have permission to use the specified resource."}}"#,
        MissingPermission,
        &["lacks permission"],
    ),
    case(
        Anthropic,
        401,
        r#"{"type":"error","error":{"type":"invalid_request_error","message":"CORS requests are not allowed for this Organization because of the CORS settings. Please contact the organization's admin."}}"#,
        MissingPermission,
        &["does not allow API calls from a web browser"],
    ),
    case(
        Anthropic,
        400,
        r#"{"type":"error","error":{"type":"invalid_request_error","message":"Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits."}}"#,
        NoCredit,
        &["run out of credit"],
    ),
    case(
        Anthropic,
        404,
        r#"{"type":"error","error":{"type":"not_found_error","message":"model: claude-sonnet-9"}}"#,
        Other,
        &["Model not found", "claude-sonnet-9"],
    ),
    case(
        Anthropic,
        413,
        r#"{"type":"error","error":{"type":"request_too_large","message":"Request exceeds the maximum allowed number of bytes."}}"#,
        Other,
        &["too large"],
    ),
    case(
        Anthropic,
        500,
        r#"{"type":"error","error":{"type":"api_error","message":"Internal server error"}}"#,
        ProviderDown,
        &["Anthropic is having trouble (HTTP 500)"],
    ),
    case(
        Anthropic,
        529,
        r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        ProviderDown,
        &["Anthropic is overloaded, try again shortly."],
    ),
    case(
        Anthropic,
        400,
        r#"{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: 100000 > 64000, which is the maximum allowed number of output tokens for claude-sonnet-4-5"}}"#,
        Other,
        &[
            "refused the request (HTTP 400)",
            "max_tokens: 100000 > 64000",
        ],
    ),
    // --- OpenAI ---
    case(
        Openai,
        401,
        r#"{"error":{"message":"Incorrect API key provided: sk-proj-********************************************************************************************************************************************************xZ9Q. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#,
        InvalidKey,
        &[INVALID_KEY_MESSAGE, "sk-proj-…xZ9Q."],
    ),
    case(
        Openai,
        401,
        r#"{"error":{"message":"You have insufficient permissions for this operation. Missing scopes: model.request. Check that you have the correct role in your organization (Reader, Writer, Owner) and project (Member, Owner), and if you're using a restricted API key, that it has the necessary scopes.","type":"invalid_request_error","param":null,"code":null}}"#,
        MissingPermission,
        &["restricted key", "(Missing scopes: model.request)"],
    ),
    case(
        Openai,
        403,
        r#"{"error":{"message":"You have insufficient permissions for this operation. Missing scopes: api.model.read.","type":"invalid_request_error","param":null,"code":null}}"#,
        MissingPermission,
        &["(Missing scopes: api.model.read)"],
    ),
    case(
        Openai,
        404,
        r#"{"error":{"message":"The model `gpt-9` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}"#,
        Other,
        &["Model not found"],
    ),
    case(
        Openai,
        404,
        r#"{"error":{"message":"Invalid URL (GET /v1/models)","type":"invalid_request_error","param":null,"code":null}}"#,
        Other,
        &["check the base URL"],
    ),
    case(
        Openai,
        429,
        r#"{"error":{"message":"You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#,
        NoCredit,
        &["run out of credit"],
    ),
    Case {
        provider: Openai,
        status: 429,
        body: r#"{"error":{"message":"Rate limit reached for gpt-4o-mini in organization org-AbCdEf on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#,
        retry_after: Some("20"),
        class: RateLimited,
        says: &["Rate limited", "Try again in 20 seconds."],
        wait: Some(20),
    },
    case(
        Openai,
        503,
        r#"{"error":{"message":"The engine is currently overloaded, please try again later","type":"server_error","param":null,"code":null}}"#,
        ProviderDown,
        &["overloaded"],
    ),
    case(
        Openai,
        502,
        "<html><body>Bad gateway</body></html>",
        ProviderDown,
        &["(HTTP 502)"],
    ),
    // --- Gemini ---
    case(
        Gemini,
        400,
        r#"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com","metadata":{"service":"generativelanguage.googleapis.com"}},{"@type":"type.googleapis.com/google.rpc.LocalizedMessage","locale":"en-US","message":"API key not valid. Please pass a valid API key."}]}}"#,
        InvalidKey,
        &[INVALID_KEY_MESSAGE],
    ),
    case(
        Gemini,
        403,
        r#"{"error":{"code":403,"message":"Generative Language API has not been used in project 123456789012 before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/generativelanguage.googleapis.com/overview?project=123456789012 then retry.","status":"PERMISSION_DENIED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"SERVICE_DISABLED","domain":"googleapis.com"}]}}"#,
        MissingPermission,
        &["not enabled"],
    ),
    case(
        Gemini,
        403,
        r#"{"error":{"code":403,"message":"Requests from referer http://localhost:8080/ are blocked.","status":"PERMISSION_DENIED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_HTTP_REFERRER_BLOCKED","domain":"googleapis.com"}]}}"#,
        MissingPermission,
        &["restrictions"],
    ),
    case(
        Gemini,
        404,
        r#"{"error":{"code":404,"message":"models/gemini-9-ultra is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.","status":"NOT_FOUND"}}"#,
        Other,
        &["Model not found", "models/gemini-9-ultra"],
    ),
    Case {
        provider: Gemini,
        status: 429,
        body: r#"{"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests","quotaId":"GenerateRequestsPerMinutePerProjectPerModel-FreeTier","quotaDimensions":{"location":"global","model":"gemini-2.5-pro"},"quotaValue":"5"}]},{"@type":"type.googleapis.com/google.rpc.Help","links":[{"description":"Learn more about Gemini API quotas","url":"https://ai.google.dev/gemini-api/docs/rate-limits"}]},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"22.5s"}]}}"#,
        retry_after: None,
        class: RateLimited,
        says: &["Try again in 23 seconds."],
        wait: Some(23),
    },
    case(
        Gemini,
        429,
        r#"{"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests","quotaId":"GenerateRequestsPerDayPerProjectPerModel-FreeTier","quotaValue":"100"}]}]}}"#,
        NoCredit,
        &["quota"],
    ),
    case(
        Gemini,
        429,
        r#"{"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details.","status":"RESOURCE_EXHAUSTED"}}"#,
        NoCredit,
        &["quota"],
    ),
    case(
        Gemini,
        429,
        r#"{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}"#,
        RateLimited,
        &["Try again shortly."],
    ),
    case(
        Gemini,
        503,
        r#"{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}"#,
        ProviderDown,
        &["Gemini is overloaded"],
    ),
    case(
        Gemini,
        500,
        r#"[{"error":{"code":500,"message":"An internal error has occurred.","status":"INTERNAL"}}]"#,
        ProviderDown,
        &["(HTTP 500)", "internal error"],
    ),
    // --- OpenAI-compatible ---
    case(
        OpenaiCompatible,
        401,
        r#"{"error":{"message":"No auth credentials found","code":401}}"#,
        InvalidKey,
        &[INVALID_KEY_MESSAGE],
    ),
    case(
        OpenaiCompatible,
        402,
        r#"{"error":{"message":"Insufficient credits. Add more using https://openrouter.ai/settings/credits","code":402}}"#,
        NoCredit,
        &["run out of credit"],
    ),
    case(
        OpenaiCompatible,
        402,
        r#"{"error":{"message":"Insufficient Balance","type":"unknown_error","param":null,"code":"invalid_request_error"}}"#,
        NoCredit,
        &[],
    ),
    case(
        OpenaiCompatible,
        401,
        r#"{"error":{"message":"Invalid API Key","type":"invalid_request_error","code":"invalid_api_key"}}"#,
        InvalidKey,
        &[],
    ),
    case(
        OpenaiCompatible,
        404,
        r#"{"error":{"message":"model \"llama9\" not found, try pulling it first","type":"api_error","param":null,"code":null}}"#,
        Other,
        &["Model not found", "llama9"],
    ),
    case(
        OpenaiCompatible,
        404,
        "404 page not found",
        Other,
        &["check the base URL"],
    ),
    case(OpenaiCompatible, 408, "", ProviderDown, &["(HTTP 408)"]),
    case(OpenaiCompatible, 418, "", Other, &["(HTTP 418)"]),
    case(
        OpenaiCompatible,
        422,
        r#"{"detail":"temperature out of range"}"#,
        Other,
        &["temperature out of range"],
    ),
];

#[test]
fn real_error_bodies_are_classified() {
    for (i, c) in CASES.iter().enumerate() {
        let e = classify(c.provider, c.status, c.body, c.retry_after);
        assert_eq!(
            e.class, c.class,
            "case {i} ({:?} {}): {}",
            c.provider, c.status, e.message
        );
        for s in c.says {
            assert!(
                e.message.contains(s),
                "case {i}: {:?} lacks {s:?}",
                e.message
            );
        }
        assert_eq!(e.retry_after_secs, c.wait, "case {i}");
        assert_eq!(e.to_string(), e.message);
    }
}

#[test]
fn status_alone_decides_when_the_body_says_nothing() {
    let by_status = [
        (400, Other),
        (401, InvalidKey),
        (402, NoCredit),
        (403, MissingPermission),
        (404, Other),
        (429, RateLimited),
        (500, ProviderDown),
        (502, ProviderDown),
        (503, ProviderDown),
        (504, ProviderDown),
        (529, ProviderDown),
    ];
    for p in Provider::ALL {
        for (status, class) in by_status {
            for body in ["", "not json", "{}", "null", "[]", "<html>oops</html>"] {
                let e = classify(p, status, body, None);
                assert_eq!(e.class, class, "{p:?} {status} {body:?}: {}", e.message);
            }
        }
    }
    let e = classify(Anthropic, 529, "", None);
    assert!(
        e.message.contains("overloaded, try again shortly"),
        "{}",
        e.message
    );
}

#[test]
fn retry_after_header() {
    let e = classify(Anthropic, 429, "", Some("45"));
    assert_eq!(e.retry_after_secs, Some(45));
    assert!(e.message.contains("45 seconds"), "{}", e.message);
    let e = classify(Anthropic, 429, "", Some("600"));
    assert!(e.message.contains("10 minutes"), "{}", e.message);
    let e = classify(Openai, 429, "", Some("Wed, 21 Oct 2015 07:28:00 GMT"));
    assert_eq!(e.retry_after_secs, None);
    assert!(e.message.contains("Try again shortly."));
}

#[test]
fn echoed_keys_are_masked() {
    // Fake keys in the real formats (none of these was ever a key).
    let keys = [
        "sk-ant-api03-FAKE0000TEST1111FAKE2222TEST3333FAKE4444TEST5555FAKE6666TEST7777FAKE8888-NOT-A-REAL-KEY-AA",
        "sk-proj-FAKE12TEST34FAKE56TEST78NOT90REAL12KEY34FAKE56TEST78",
        "AIzaFAKE_TEST_KEY_0123456789_NOT_REAL_X",
        "AQ.FAKE0TEST1NOT2A3REAL4KEY5FAKE6TEST7",
        "gsk_FAKE0TEST1NOT2A3REAL4KEY5FAKE6TEST7NOT8",
        "deadbeef00000000fa4e0000deadbeef",
    ];
    for key in keys {
        for body in [
            format!(
                r#"{{"error":{{"message":"Incorrect API key provided: {key}.","code":"invalid_api_key"}}}}"#
            ),
            format!("bad key {key}"),
            format!(
                r#"{{"error":{{"code":400,"message":"see https://x.example/?key={key}&a=1"}}}}"#
            ),
        ] {
            for p in Provider::ALL {
                let e = classify(p, 401, &body, None);
                let middle = &key[key.len() / 2 - 4..key.len() / 2 + 4];
                assert!(!e.message.contains(middle), "{p:?}: {}", e.message);
                assert!(!e.message.contains(key), "{p:?}: {}", e.message);
            }
        }
    }
}

#[test]
fn quoted_provider_message_is_bounded() {
    let long = format!(r#"{{"error":{{"message":"{}"}}}}"#, "blah ".repeat(2000));
    let e = classify(Openai, 400, &long, None);
    assert!(e.message.chars().count() < 500, "{}", e.message.len());
}

#[test]
fn models_anthropic_and_openai_shapes() {
    let anthropic = r#"{"data":[{"type":"model","id":"claude-sonnet-4-5-20250929","display_name":"Claude Sonnet 4.5","created_at":"2025-09-29T00:00:00Z"},{"type":"model","id":"claude-haiku-4-5-20251001","display_name":"Claude Haiku 4.5","created_at":"2025-10-01T00:00:00Z"}],"has_more":false,"first_id":"claude-sonnet-4-5-20250929","last_id":"claude-haiku-4-5-20251001"}"#;
    assert_eq!(
        models_from_response(Anthropic, anthropic).expect("parses"),
        vec!["claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001"]
    );
    let openai = r#"{"object":"list","data":[{"id":"gpt-4o-mini","object":"model","created":1721172741,"owned_by":"system"},{"id":"text-embedding-3-large","object":"model","created":1705953180,"owned_by":"system"},{"id":"whisper-1","object":"model","created":1677532384,"owned_by":"openai-internal"},{"id":"gpt-4.1","object":"model","created":1744316542,"owned_by":"system"},{"id":"dall-e-3","object":"model","created":1698785189,"owned_by":"system"},{"id":"gpt-4o-mini-tts","object":"model","created":1742403959,"owned_by":"system"},{"id":"gpt-4o-audio-preview","object":"model","created":1727460443,"owned_by":"system"},{"id":"omni-moderation-latest","object":"model","created":1731689265,"owned_by":"system"},{"id":"gpt-5-mini","object":"model","created":1754425928,"owned_by":"system"},{"id":"gpt-4.1","object":"model","created":1744316542,"owned_by":"system"}]}"#;
    assert_eq!(
        models_from_response(Openai, openai).expect("parses"),
        vec!["gpt-4o-mini", "gpt-4.1", "gpt-5-mini"]
    );
    // Compatible services list whatever they serve, embeddings included: all are kept.
    let compat = models_from_response(OpenaiCompatible, openai).expect("parses");
    assert_eq!(compat.len(), 9);
    let ollama_bare = r#"[{"id":"llama3.2:latest"},{"id":"qwen3:8b"}]"#;
    assert_eq!(
        models_from_response(OpenaiCompatible, ollama_bare).expect("parses"),
        vec!["llama3.2:latest", "qwen3:8b"]
    );
}

#[test]
fn models_gemini_shape() {
    let body = r#"{"models":[
      {"name":"models/embedding-001","version":"001","displayName":"Embedding 001","supportedGenerationMethods":["embedContent"]},
      {"name":"models/gemini-2.5-flash","version":"001","displayName":"Gemini 2.5 Flash","inputTokenLimit":1048576,"outputTokenLimit":65536,"supportedGenerationMethods":["generateContent","countTokens","createCachedContent","batchGenerateContent"],"temperature":1,"topP":0.95,"topK":64,"maxTemperature":2,"thinking":true},
      {"name":"models/gemini-2.5-pro","supportedGenerationMethods":["generateContent","countTokens"]},
      {"name":"models/imagen-4.0-generate-001","supportedGenerationMethods":["predict"]},
      {"name":"models/aqa"}
    ],"nextPageToken":"Cg9tb2RlbHMvZ2VtaW5pLTI"}"#;
    assert_eq!(
        models_from_response(Gemini, body).expect("parses"),
        vec!["gemini-2.5-flash", "gemini-2.5-pro"]
    );
}

#[test]
fn models_bad_bodies_are_errors_not_panics() {
    for p in Provider::ALL {
        for body in [
            "",
            "nope",
            "{}",
            r#"{"data":5}"#,
            r#"{"models":{}}"#,
            "null",
        ] {
            let e = models_from_response(p, body).expect_err(body);
            assert_eq!(e.class, Other);
            assert!(e.message.contains("not understood"), "{}", e.message);
        }
        // Odd entries are skipped, not fatal.
        let odd = r#"{"data":[1,{"id":7},{"id":"ok"}],"models":[1,{"name":"models/ok","supportedGenerationMethods":["generateContent"]}]}"#;
        assert_eq!(models_from_response(p, odd).expect("parses"), vec!["ok"]);
    }
}

#[test]
fn fallback_lists() {
    assert!(fallback_models(Anthropic).contains(&"claude-sonnet-4-5"));
    assert!(fallback_models(Anthropic).contains(&"claude-haiku-4-5"));
    assert!(fallback_models(Openai).contains(&"gpt-4o-mini"));
    assert!(fallback_models(Openai).contains(&"gpt-4.1"));
    assert!(fallback_models(Gemini).contains(&"gemini-2.5-flash"));
    assert!(fallback_models(Gemini).contains(&"gemini-2.5-pro"));
    assert!(fallback_models(OpenaiCompatible).is_empty());
}

#[test]
fn a_new_chat_starts_with_the_same_model_for_direct_and_tested_keys() {
    let list = |ms: &[&str]| ms.iter().map(|m| m.to_string()).collect::<Vec<_>>();
    // Untested (or a direct key): the first built-in model.
    assert_eq!(
        default_model(Anthropic, &[]).as_deref(),
        Some("claude-sonnet-4-5")
    );
    assert_eq!(default_model(Openai, &[]).as_deref(), Some("gpt-5"));
    // Anthropic lists newest first, Opus before Sonnet: the Sonnet snapshot is chosen,
    // and not a model that only starts like it.
    let anthropic = list(&[
        "claude-opus-4-5-20251101",
        "claude-sonnet-4-5-preview",
        "claude-sonnet-4-5-20250929",
        "claude-haiku-4-5-20251001",
    ]);
    assert_eq!(
        default_model(Anthropic, &anthropic).as_deref(),
        Some("claude-sonnet-4-5-20250929")
    );
    // OpenAI's order means nothing; an old snapshot listed first is passed over.
    let openai = list(&["gpt-4-0613", "gpt-4o-mini", "gpt-4.1", "gpt-5-mini"]);
    assert_eq!(
        default_model(Openai, &openai).as_deref(),
        Some("gpt-5-mini")
    );
    // An alias is preferred to its snapshot.
    let both = list(&["gpt-5-2025-08-07", "gpt-5"]);
    assert_eq!(default_model(Openai, &both).as_deref(), Some("gpt-5"));
    // None of the known ones (a compatible server, or a restricted key): its first.
    let other = list(&["mock/llama-3.1-8b-instruct", "mock/mistral-small"]);
    assert_eq!(
        default_model(OpenaiCompatible, &other).as_deref(),
        Some("mock/llama-3.1-8b-instruct")
    );
    assert_eq!(default_model(OpenaiCompatible, &[]), None);
}
