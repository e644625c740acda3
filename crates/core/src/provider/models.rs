//! Model lists: what the provider says a key can use, and what byok offers when it has
//! not asked yet.

use serde_json::Value;

use super::error::ProviderError;
use crate::model::{Provider, TestOutcome};

/// Model ids from a successful `models_request` response, in the provider's order
/// (Anthropic lists newest first), without duplicates.
pub fn models_from_response(provider: Provider, body: &str) -> Result<Vec<String>, ProviderError> {
    let bad = |why: &str| {
        ProviderError::new(
            TestOutcome::Other,
            format!(
                "The key works, but the model list from {} was not understood ({why}).",
                provider.display_name()
            ),
        )
    };
    let v: Value = serde_json::from_str(body).map_err(|_| bad("not JSON"))?;
    let mut out: Vec<String> = Vec::new();
    let mut add = |id: &str| {
        if !id.is_empty() && !out.iter().any(|m| m == id) {
            out.push(id.to_string());
        }
    };
    match provider {
        Provider::Gemini => {
            let models = v
                .get("models")
                .and_then(Value::as_array)
                .ok_or_else(|| bad("no \"models\" list"))?;
            for m in models {
                // Embedding, image and audio-only models are listed too; only these chat.
                let chats = m
                    .get("supportedGenerationMethods")
                    .and_then(Value::as_array)
                    .is_some_and(|ms| ms.iter().any(|x| x == "generateContent"));
                if let Some(name) = m.get("name").and_then(Value::as_str)
                    && chats
                {
                    add(super::request::gemini_model_id(name));
                }
            }
        }
        Provider::Anthropic | Provider::Openai | Provider::OpenaiCompatible => {
            // Some compatible servers answer with the bare array instead of `{data}`.
            let models = v
                .get("data")
                .or(Some(&v))
                .and_then(Value::as_array)
                .ok_or_else(|| bad("no \"data\" list"))?;
            for m in models {
                if let Some(id) = m.get("id").and_then(Value::as_str)
                    && (provider != Provider::Openai || openai_chat_model(id))
                {
                    add(id);
                }
            }
        }
    }
    Ok(out)
}

/// OpenAI lists every model of the account; these families cannot answer a chat
/// completion, so offering them would only produce errors.
fn openai_chat_model(id: &str) -> bool {
    const NOT_CHAT: [&str; 12] = [
        "embedding",
        "whisper",
        "tts",
        "dall-e",
        "moderation",
        "transcribe",
        "realtime",
        "gpt-image",
        "sora",
        "babbage",
        "davinci",
        "-audio",
    ];
    !NOT_CHAT.iter().any(|n| id.contains(n))
}

/// Offered before the key was tested, or when the list could not be fetched. Free text in
/// the picker covers models newer than this list.
pub fn fallback_models(provider: Provider) -> &'static [&'static str] {
    match provider {
        Provider::Anthropic => &[
            "claude-sonnet-4-5",
            "claude-haiku-4-5",
            "claude-opus-4-5",
            "claude-opus-4-1",
        ],
        Provider::Openai => &[
            "gpt-5",
            "gpt-5-mini",
            "gpt-5-nano",
            "gpt-4.1",
            "gpt-4.1-mini",
            "gpt-4o-mini",
        ],
        Provider::Gemini => &[
            "gemini-2.5-flash",
            "gemini-2.5-pro",
            "gemini-2.5-flash-lite",
        ],
        Provider::OpenaiCompatible => &[],
    }
}

/// The model a new chat starts with, from the models a key's test listed (empty when it
/// was never tested). The first of [`fallback_models`] the key can use wins, so a
/// direct key and a tested vault key start alike: providers list models newest first
/// (Anthropic: an Opus, the dearest) or in no useful order (OpenAI: often an old
/// snapshot first). A dated snapshot stands for its alias (`claude-sonnet-4-5-20250929`
/// for `claude-sonnet-4-5`). A key offering none of them starts with its first model.
pub fn default_model(provider: Provider, listed: &[String]) -> Option<String> {
    let known = fallback_models(provider);
    if listed.is_empty() {
        return known.first().map(|m| m.to_string());
    }
    known
        .iter()
        .find_map(|want| {
            listed.iter().find(|m| m == want).or_else(|| {
                listed.iter().find(|m| {
                    m.strip_prefix(want)
                        .and_then(|rest| rest.strip_prefix('-'))
                        .is_some_and(|date| {
                            !date.is_empty()
                                && date.bytes().all(|b| b.is_ascii_digit() || b == b'-')
                        })
                })
            })
        })
        .or_else(|| listed.first())
        .cloned()
}
