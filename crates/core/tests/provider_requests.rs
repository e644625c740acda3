//! The requests byok sends: exact URL, headers and JSON body per provider, and the key
//! only ever in its header.

use byok_core::Secret;
use byok_core::model::Provider;
use byok_core::provider::{
    ChatMessage, ChatParams, HttpRequest, Role, chat_request, gemini_model_id, models_request,
};
use serde_json::{Value, json};

/// Obviously fake; its middle (`MIDDLE`) must never show in a request's Debug output.
const KEY: &str = "sk-test-FAKEnotArealKEYforTESTSmiddleFAKEtest";
const MIDDLE: &str = "notArealKEYforTESTS";

fn secret() -> Secret {
    Secret::new(KEY)
}

fn params(model: &str) -> ChatParams {
    ChatParams {
        model: model.into(),
        system: Some("Be brief.".into()),
        messages: vec![
            ChatMessage {
                role: Role::User,
                content: "Hi".into(),
            },
            ChatMessage {
                role: Role::Assistant,
                content: "Hello!".into(),
            },
            ChatMessage {
                role: Role::User,
                content: "2+2?".into(),
            },
        ],
        temperature: Some(0.7),
        max_tokens: Some(256),
    }
}

fn body(r: &HttpRequest) -> Value {
    serde_json::from_str(r.body.as_deref().expect("has a body")).expect("body is JSON")
}

fn headers(r: &HttpRequest) -> Vec<(&str, &str)> {
    r.headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}

/// The key appears exactly once, in the named header, and nowhere in URL or body.
fn key_only_in(r: &HttpRequest, header: &str) {
    assert!(!r.url.contains(KEY), "key in URL: {}", r.url);
    assert!(!r.url.contains("key="), "key parameter in URL: {}", r.url);
    if let Some(b) = &r.body {
        assert!(!b.contains(KEY), "key in body");
    }
    let holders: Vec<&str> = r
        .headers
        .iter()
        .filter(|(_, v)| v.contains(KEY))
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(holders, vec![header]);
    let shown = format!("{r:?}");
    assert!(!shown.contains(KEY), "Debug shows the key: {shown}");
    assert!(!shown.contains(MIDDLE), "Debug shows the key: {shown}");
}

#[test]
fn anthropic_chat() {
    let r = chat_request(
        Provider::Anthropic,
        "https://api.anthropic.com",
        &secret(),
        &params("claude-sonnet-4-5"),
    );
    assert_eq!(r.method, "POST");
    assert_eq!(r.url, "https://api.anthropic.com/v1/messages");
    assert_eq!(
        headers(&r),
        vec![
            ("x-api-key", KEY),
            ("anthropic-version", "2023-06-01"),
            ("anthropic-dangerous-direct-browser-access", "true"),
            ("content-type", "application/json"),
        ]
    );
    assert_eq!(
        body(&r),
        json!({
            "model": "claude-sonnet-4-5",
            "max_tokens": 256,
            "system": "Be brief.",
            "messages": [
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Hello!"},
                {"role": "user", "content": "2+2?"},
            ],
            "temperature": 0.7,
            "stream": true,
        })
    );
    // The float is written as the user typed it, not as 0.699999988079071.
    assert!(
        r.body
            .as_deref()
            .expect("body")
            .contains("\"temperature\":0.7,")
    );
    key_only_in(&r, "x-api-key");
}

#[test]
fn anthropic_chat_defaults() {
    let p = ChatParams {
        system: Some("  ".into()),
        temperature: None,
        max_tokens: None,
        ..params("claude-haiku-4-5")
    };
    let b = body(&chat_request(
        Provider::Anthropic,
        "https://api.anthropic.com/",
        &secret(),
        &p,
    ));
    assert_eq!(b["max_tokens"], 4096, "Anthropic requires max_tokens");
    assert!(b.get("system").is_none(), "blank system prompt is left out");
    assert!(b.get("temperature").is_none());
}

#[test]
fn anthropic_models() {
    let r = models_request(Provider::Anthropic, "https://api.anthropic.com", &secret());
    assert_eq!(r.method, "GET");
    assert_eq!(r.url, "https://api.anthropic.com/v1/models?limit=1000");
    assert_eq!(r.body, None);
    assert_eq!(r.header("X-Api-Key"), Some(KEY));
    assert_eq!(r.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(
        r.header("anthropic-dangerous-direct-browser-access"),
        Some("true")
    );
    key_only_in(&r, "x-api-key");
}

#[test]
fn openai_chat() {
    let r = chat_request(
        Provider::Openai,
        "https://api.openai.com",
        &secret(),
        &params("gpt-4o-mini"),
    );
    assert_eq!(r.method, "POST");
    assert_eq!(r.url, "https://api.openai.com/v1/chat/completions");
    assert_eq!(
        headers(&r),
        vec![
            ("authorization", format!("Bearer {KEY}").as_str()),
            ("content-type", "application/json"),
        ]
    );
    assert_eq!(
        body(&r),
        json!({
            "model": "gpt-4o-mini",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Hello!"},
                {"role": "user", "content": "2+2?"},
            ],
            "temperature": 0.7,
            // OpenAI's reasoning models refuse the older `max_tokens`.
            "max_completion_tokens": 256,
            "stream": true,
            "stream_options": {"include_usage": true},
        })
    );
    key_only_in(&r, "authorization");
}

#[test]
fn openai_chat_without_options() {
    let p = ChatParams {
        system: None,
        temperature: None,
        max_tokens: None,
        ..params("gpt-4.1")
    };
    let b = body(&chat_request(
        Provider::Openai,
        "https://api.openai.com",
        &secret(),
        &p,
    ));
    assert_eq!(b["messages"][0]["role"], "user");
    assert!(b.get("temperature").is_none());
    assert!(b.get("max_tokens").is_none());
    assert!(b.get("max_completion_tokens").is_none());
}

#[test]
fn openai_models() {
    let r = models_request(Provider::Openai, "https://api.openai.com", &secret());
    assert_eq!(r.method, "GET");
    assert_eq!(r.url, "https://api.openai.com/v1/models");
    assert_eq!(
        r.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    key_only_in(&r, "authorization");
}

#[test]
fn openai_compatible_uses_base_url_as_given() {
    let cases = [
        (
            "https://openrouter.ai/api/v1",
            "https://openrouter.ai/api/v1",
        ),
        (
            "https://api.groq.com/openai/v1/",
            "https://api.groq.com/openai/v1",
        ),
        ("http://localhost:11434/v1", "http://localhost:11434/v1"),
        ("https://example.com/custom", "https://example.com/custom"),
    ];
    for (base, prefix) in cases {
        let r = chat_request(
            Provider::OpenaiCompatible,
            base,
            &secret(),
            &params("meta-llama/llama-3.3-70b-instruct"),
        );
        assert_eq!(r.url, format!("{prefix}/chat/completions"));
        let b = body(&r);
        // Compatible servers often know only the classic name.
        assert_eq!(b["max_tokens"], 256);
        assert!(b.get("max_completion_tokens").is_none());
        assert_eq!(b["model"], "meta-llama/llama-3.3-70b-instruct");
        assert_eq!(b["stream_options"], json!({"include_usage": true}));
        key_only_in(&r, "authorization");
        let m = models_request(Provider::OpenaiCompatible, base, &secret());
        assert_eq!(m.url, format!("{prefix}/models"));
        key_only_in(&m, "authorization");
    }
}

#[test]
fn gemini_chat() {
    let r = chat_request(
        Provider::Gemini,
        "https://generativelanguage.googleapis.com",
        &secret(),
        &params("gemini-2.5-flash"),
    );
    assert_eq!(r.method, "POST");
    assert_eq!(
        r.url,
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    );
    assert_eq!(
        headers(&r),
        vec![
            ("x-goog-api-key", KEY),
            ("content-type", "application/json"),
        ]
    );
    assert_eq!(
        body(&r),
        json!({
            "contents": [
                {"role": "user", "parts": [{"text": "Hi"}]},
                {"role": "model", "parts": [{"text": "Hello!"}]},
                {"role": "user", "parts": [{"text": "2+2?"}]},
            ],
            "systemInstruction": {"parts": [{"text": "Be brief."}]},
            "generationConfig": {"temperature": 0.7, "maxOutputTokens": 256},
        })
    );
    key_only_in(&r, "x-goog-api-key");
}

#[test]
fn gemini_chat_without_options_and_model_forms() {
    let p = ChatParams {
        system: None,
        temperature: None,
        max_tokens: None,
        ..params("models/gemini-2.5-pro")
    };
    let r = chat_request(
        Provider::Gemini,
        "https://generativelanguage.googleapis.com",
        &secret(),
        &p,
    );
    assert_eq!(
        r.url,
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse"
    );
    let b = body(&r);
    assert!(b.get("systemInstruction").is_none());
    assert!(b.get("generationConfig").is_none());
    // Only one of the two options set: only that one is sent.
    let p = ChatParams {
        temperature: Some(1.0),
        ..p
    };
    let b = body(&chat_request(
        Provider::Gemini,
        "https://generativelanguage.googleapis.com",
        &secret(),
        &p,
    ));
    assert_eq!(b["generationConfig"], json!({"temperature": 1.0}));
}

#[test]
fn gemini_model_id_cannot_escape_its_path_segment() {
    let p = params("../../x?key=leak#frag/ü");
    let r = chat_request(
        Provider::Gemini,
        "https://generativelanguage.googleapis.com",
        &secret(),
        &p,
    );
    assert_eq!(
        r.url,
        "https://generativelanguage.googleapis.com/v1beta/models/..%2F..%2Fx%3Fkey%3Dleak%23frag%2F%C3%BC:streamGenerateContent?alt=sse"
    );
    assert_eq!(
        gemini_model_id("models/gemini-2.5-flash"),
        "gemini-2.5-flash"
    );
    assert_eq!(gemini_model_id("gemini-2.5-flash"), "gemini-2.5-flash");
}

#[test]
fn gemini_models() {
    let r = models_request(
        Provider::Gemini,
        "https://generativelanguage.googleapis.com",
        &secret(),
    );
    assert_eq!(r.method, "GET");
    assert_eq!(
        r.url,
        "https://generativelanguage.googleapis.com/v1beta/models?pageSize=1000"
    );
    assert_eq!(r.header("x-goog-api-key"), Some(KEY));
    key_only_in(&r, "x-goog-api-key");
}

#[test]
fn built_in_providers_on_a_custom_origin() {
    // The mock provider in the end-to-end tests, or a corporate proxy.
    let base = "http://127.0.0.1:43210";
    let chat = |p: Provider, m: &str| chat_request(p, base, &secret(), &params(m)).url;
    let models = |p: Provider| models_request(p, base, &secret()).url;
    assert_eq!(
        chat(Provider::Anthropic, "c"),
        format!("{base}/v1/messages")
    );
    assert_eq!(
        chat(Provider::Openai, "g"),
        format!("{base}/v1/chat/completions")
    );
    assert_eq!(
        chat(Provider::Gemini, "gemini-2.5-flash"),
        format!("{base}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse")
    );
    assert_eq!(
        models(Provider::Anthropic),
        format!("{base}/v1/models?limit=1000")
    );
    assert_eq!(models(Provider::Openai), format!("{base}/v1/models"));
    assert_eq!(
        models(Provider::Gemini),
        format!("{base}/v1beta/models?pageSize=1000")
    );
    // A path prefix is kept; a version pasted from the docs is not doubled.
    assert_eq!(
        chat_request(
            Provider::Openai,
            "https://proxy.example/openai/",
            &secret(),
            &params("g")
        )
        .url,
        "https://proxy.example/openai/v1/chat/completions"
    );
    assert_eq!(
        models_request(Provider::Openai, "https://api.openai.com/v1/", &secret()).url,
        "https://api.openai.com/v1/models"
    );
    assert_eq!(
        models_request(
            Provider::Gemini,
            "https://generativelanguage.googleapis.com/v1beta",
            &secret()
        )
        .url,
        "https://generativelanguage.googleapis.com/v1beta/models?pageSize=1000"
    );
    // No base at all: the provider's own.
    assert_eq!(
        models_request(Provider::Anthropic, "", &secret()).url,
        "https://api.anthropic.com/v1/models?limit=1000"
    );
}

#[test]
fn debug_masks_every_credential_header() {
    for p in Provider::ALL {
        let base = p
            .default_base_url()
            .unwrap_or("https://openrouter.ai/api/v1");
        let r = chat_request(p, base, &secret(), &params("m"));
        let shown = format!("{r:?}");
        assert!(!shown.contains(MIDDLE), "{p:?}: {shown}");
        assert!(
            shown.contains("…test"),
            "{p:?}: mask shows the last four: {shown}"
        );
    }
}

#[test]
fn text_is_escaped_into_json() {
    let mut p = params("m");
    p.messages[0].content = "quote \" backslash \\ newline \n tab \t nul \u{0} emoji 😀".into();
    for provider in Provider::ALL {
        let r = chat_request(provider, "https://x.example", &secret(), &p);
        let b = body(&r);
        let text = match provider {
            Provider::Gemini => &b["contents"][0]["parts"][0]["text"],
            Provider::OpenaiCompatible | Provider::Openai => &b["messages"][1]["content"],
            Provider::Anthropic => &b["messages"][0]["content"],
        };
        assert_eq!(
            text.as_str(),
            Some(p.messages[0].content.as_str()),
            "{provider:?}"
        );
    }
}
