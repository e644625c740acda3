//! The HTTP requests byok sends, as plain data: the browser turns them into `fetch` calls,
//! the tests compare them field by field.

use serde::{Deserialize, Serialize};

use crate::keyfmt::mask;
use crate::model::Provider;
use crate::secret::Secret;

/// Anthropic requires `max_tokens`; this is what byok asks for when the user set none.
pub const ANTHROPIC_DEFAULT_MAX_TOKENS: u32 = 4096;

const ANTHROPIC_VERSION: &str = "2023-06-01";

/// Header names whose values are credentials (lower case, as the builders write them).
const SECRET_HEADERS: [&str; 3] = ["x-api-key", "authorization", "x-goog-api-key"];

/// A request for the browser to send. `Debug` masks credentials, so a request can be
/// logged; the URL never holds the key (query strings end up in logs and history).
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

impl HttpRequest {
    /// The first header of that name, compared case-insensitively as HTTP does.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl std::fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<(&str, String)> = self
            .headers
            .iter()
            .map(|(n, v)| {
                let shown = if SECRET_HEADERS.iter().any(|s| n.eq_ignore_ascii_case(s)) {
                    match v.split_once(' ') {
                        Some((scheme, token)) => format!("{scheme} {}", mask(token)),
                        None => mask(v),
                    }
                } else {
                    v.clone()
                };
                (n.as_str(), shown)
            })
            .collect();
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &headers)
            .field("body", &self.body)
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: Role,
    pub content: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ChatParams {
    pub model: String,
    pub system: Option<String>,
    pub messages: Vec<ChatMessage>,
    pub temperature: Option<f32>,
    pub max_tokens: Option<u32>,
}

/// `GET` the provider's model list: it proves the key works without spending tokens.
pub fn models_request(provider: Provider, base_url: &str, secret: &Secret) -> HttpRequest {
    // Anthropic pages at 20 and Gemini at 50 by default; one large page keeps the key
    // test a single request.
    let tail = match provider {
        Provider::Anthropic => "/models?limit=1000",
        Provider::Gemini => "/models?pageSize=1000",
        Provider::Openai | Provider::OpenaiCompatible => "/models",
    };
    HttpRequest {
        method: "GET",
        url: endpoint(provider, base_url, tail),
        headers: auth_headers(provider, secret),
        body: None,
    }
}

/// A streaming chat request (`stream: true` / `:streamGenerateContent?alt=sse`).
pub fn chat_request(
    provider: Provider,
    base_url: &str,
    secret: &Secret,
    params: &ChatParams,
) -> HttpRequest {
    let (tail, body) = match provider {
        Provider::Anthropic => ("/messages".to_string(), anthropic_body(params)),
        Provider::Openai | Provider::OpenaiCompatible => (
            "/chat/completions".to_string(),
            openai_body(provider, params),
        ),
        Provider::Gemini => (
            format!(
                "/models/{}:streamGenerateContent?alt=sse",
                encode_path_segment(gemini_model_id(&params.model))
            ),
            gemini_body(params),
        ),
    };
    let mut headers = auth_headers(provider, secret);
    headers.push(("content-type".into(), "application/json".into()));
    HttpRequest {
        method: "POST",
        url: endpoint(provider, base_url, &tail),
        headers,
        body: Some(body),
    }
}

/// Gemini lists models as `models/gemini-2.5-flash` but its URL wants the bare id; accept
/// either, since both end up in saved conversations.
pub fn gemini_model_id(model: &str) -> &str {
    model.strip_prefix("models/").unwrap_or(model)
}

/// Built-in providers take an origin (`https://api.openai.com`, or a mock's
/// `http://127.0.0.1:PORT`) and byok adds the version path; an OpenAI-compatible base URL
/// is used as given, since those services put `/v1` (or `/api/v1`, `/openai/v1`) in it.
fn endpoint(provider: Provider, base_url: &str, tail: &str) -> String {
    let mut base = base_url.trim().trim_end_matches('/');
    if base.is_empty() {
        base = provider.default_base_url().unwrap_or("");
    }
    let version = match provider {
        Provider::Anthropic | Provider::Openai => "/v1",
        Provider::Gemini => "/v1beta",
        Provider::OpenaiCompatible => "",
    };
    // People paste `https://api.openai.com/v1` from the docs; `/v1/v1/...` would 404.
    if base.ends_with(version) {
        format!("{base}{tail}")
    } else {
        format!("{base}{version}{tail}")
    }
}

fn auth_headers(provider: Provider, secret: &Secret) -> Vec<(String, String)> {
    let key = secret.expose().to_string();
    match provider {
        Provider::Anthropic => vec![
            ("x-api-key".into(), key),
            ("anthropic-version".into(), ANTHROPIC_VERSION.into()),
            // Without it Anthropic refuses any request that carries an Origin header.
            (
                "anthropic-dangerous-direct-browser-access".into(),
                "true".into(),
            ),
        ],
        Provider::Openai | Provider::OpenaiCompatible => {
            vec![("authorization".into(), format!("Bearer {key}"))]
        }
        Provider::Gemini => vec![("x-goog-api-key".into(), key)],
    }
}

/// Percent-encodes all but RFC 3986 unreserved characters, so a model id can never add
/// path segments or a query to the URL.
fn encode_path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn to_json<T: Serialize>(value: &T) -> String {
    // Plain structs of strings and numbers: serialising cannot fail (no maps with
    // non-string keys, no failing `Serialize` impls). A float that is NaN becomes `null`.
    serde_json::to_string(value).unwrap_or_default()
}

fn anthropic_body(p: &ChatParams) -> String {
    #[derive(Serialize)]
    struct Body<'a> {
        model: &'a str,
        max_tokens: u32,
        #[serde(skip_serializing_if = "Option::is_none")]
        system: Option<&'a str>,
        messages: &'a [ChatMessage],
        #[serde(skip_serializing_if = "Option::is_none")]
        temperature: Option<f32>,
        stream: bool,
    }
    to_json(&Body {
        model: &p.model,
        max_tokens: p.max_tokens.unwrap_or(ANTHROPIC_DEFAULT_MAX_TOKENS),
        system: non_empty(&p.system),
        messages: &p.messages,
        temperature: p.temperature,
        stream: true,
    })
}

fn openai_body(provider: Provider, p: &ChatParams) -> String {
    #[derive(Serialize)]
    struct Msg<'a> {
        role: &'a str,
        content: &'a str,
    }
    #[derive(Serialize)]
    struct StreamOptions {
        include_usage: bool,
    }
    #[derive(Serialize)]
    struct Body<'a> {
        model: &'a str,
        messages: Vec<Msg<'a>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        temperature: Option<f32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        max_tokens: Option<u32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        max_completion_tokens: Option<u32>,
        stream: bool,
        stream_options: StreamOptions,
    }
    let mut messages = Vec::with_capacity(p.messages.len() + 1);
    if let Some(system) = non_empty(&p.system) {
        messages.push(Msg {
            role: "system",
            content: system,
        });
    }
    messages.extend(p.messages.iter().map(|m| Msg {
        role: match m.role {
            Role::User => "user",
            Role::Assistant => "assistant",
        },
        content: &m.content,
    }));
    // OpenAI's reasoning models (o-series, gpt-5) reject `max_tokens` and every OpenAI
    // model accepts its replacement; compatible servers (Ollama, older vLLM, ...) often
    // know only the old name.
    let (max_tokens, max_completion_tokens) = match provider {
        Provider::Openai => (None, p.max_tokens),
        _ => (p.max_tokens, None),
    };
    to_json(&Body {
        model: &p.model,
        messages,
        temperature: p.temperature,
        max_tokens,
        max_completion_tokens,
        stream: true,
        stream_options: StreamOptions {
            include_usage: true,
        },
    })
}

fn gemini_body(p: &ChatParams) -> String {
    #[derive(Serialize)]
    struct Part<'a> {
        text: &'a str,
    }
    #[derive(Serialize)]
    struct Content<'a> {
        #[serde(skip_serializing_if = "Option::is_none")]
        role: Option<&'a str>,
        parts: [Part<'a>; 1],
    }
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct GenerationConfig {
        #[serde(skip_serializing_if = "Option::is_none")]
        temperature: Option<f32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        max_output_tokens: Option<u32>,
    }
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Body<'a> {
        contents: Vec<Content<'a>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        system_instruction: Option<Content<'a>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        generation_config: Option<GenerationConfig>,
    }
    let contents = p
        .messages
        .iter()
        .map(|m| Content {
            role: Some(match m.role {
                Role::User => "user",
                Role::Assistant => "model",
            }),
            parts: [Part { text: &m.content }],
        })
        .collect();
    let generation_config =
        (p.temperature.is_some() || p.max_tokens.is_some()).then_some(GenerationConfig {
            temperature: p.temperature,
            max_output_tokens: p.max_tokens,
        });
    to_json(&Body {
        contents,
        system_instruction: non_empty(&p.system).map(|s| Content {
            role: None,
            parts: [Part { text: s }],
        }),
        generation_config,
    })
}

/// An empty system prompt in the UI means "none": sending it would at best be useless,
/// and Gemini refuses an empty text part.
fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !s.trim().is_empty())
}
