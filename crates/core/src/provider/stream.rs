//! From a provider's SSE stream to what the chat shows: text as it arrives, token usage,
//! and how the answer ended.
//!
//! Contract, whatever the bytes: after `finish()` the events end with exactly one
//! terminal event (`Done`, `Error` or `StreamCut`) and nothing follows it; `Usage`
//! appears at most once, right before the terminal event, so the caller can record it
//! without deduplicating. The result does not depend on how the bytes were chunked.

use serde_json::Value;

use super::error::{ProviderError, classify_stream_error};
use super::sse::{SseDecoder, SseEvent};
use crate::model::{Provider, TestOutcome};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEvent {
    TextDelta(String),
    /// `input_tokens` counts every prompt token, cached ones included (as OpenAI and
    /// Gemini report them; Anthropic's three input counts are summed), so `cached_tokens`
    /// is a part of it. `output_tokens` includes reasoning/thinking tokens, which all
    /// three bill as output.
    Usage {
        input_tokens: u64,
        output_tokens: u64,
        cached_tokens: Option<u64>,
    },
    Done {
        stop_reason: Option<String>,
    },
    /// The provider reported a failure, or sent something unreadable.
    Error(ProviderError),
    /// The stream ended before the provider said the answer was complete: what arrived
    /// is a partial answer.
    StreamCut,
}

impl StreamEvent {
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            StreamEvent::Done { .. } | StreamEvent::Error(_) | StreamEvent::StreamCut
        )
    }
}

/// What a person reads for [`StreamEvent::StreamCut`].
pub const STREAM_CUT_MESSAGE: &str =
    "The answer was cut off: the connection ended before the provider finished.";

#[derive(Debug, Default)]
struct Usage {
    seen: bool,
    /// Prompt tokens as the provider counts them: for Anthropic the uncached part only.
    input: u64,
    output: u64,
    cached: Option<u64>,
    /// Anthropic only: tokens written to its cache, billed as input.
    cache_creation: u64,
}

impl Usage {
    fn total_input(&self, provider: Provider) -> u64 {
        match provider {
            // Saturating: the counts come from the network and may be absurd.
            Provider::Anthropic => self
                .input
                .saturating_add(self.cache_creation)
                .saturating_add(self.cached.unwrap_or(0)),
            _ => self.input,
        }
    }
}

/// One per response. Feed it the body's bytes with [`push`](Self::push) (or events from
/// your own SSE decoder with [`handle_event`](Self::handle_event)), then call
/// [`finish`](Self::finish) when the body ends. OpenAI-compatible streams use the OpenAI
/// format.
#[derive(Debug)]
pub struct StreamParser {
    provider: Provider,
    sse: SseDecoder,
    usage: Usage,
    stop_reason: Option<String>,
    /// A terminal event went out; everything after it is ignored.
    ended: bool,
    /// Handling the event `finish()` found without its closing blank line.
    in_tail: bool,
}

impl StreamParser {
    pub fn new(provider: Provider) -> Self {
        Self {
            provider,
            sse: SseDecoder::new(),
            usage: Usage::default(),
            stop_reason: None,
            ended: false,
            in_tail: false,
        }
    }

    pub fn push(&mut self, bytes: &[u8]) -> Vec<StreamEvent> {
        if self.ended {
            return Vec::new();
        }
        let events = self.sse.push(bytes);
        self.handle_all(events)
    }

    pub fn handle_event(&mut self, event: &SseEvent) -> Vec<StreamEvent> {
        let mut out = Vec::new();
        if !self.ended {
            self.event(event, &mut out);
        }
        out
    }

    /// The body ended (or was aborted). Calling it again returns nothing.
    pub fn finish(&mut self) -> Vec<StreamEvent> {
        if self.ended {
            return Vec::new();
        }
        let tail = self.sse.finish();
        self.in_tail = true;
        let mut out = self.handle_all(tail);
        if !self.ended {
            // A stop reason proves the answer complete even without the end marker: some
            // OpenAI-compatible servers skip `[DONE]`, and Gemini has no marker at all.
            if self.stop_reason.is_some() {
                let stop_reason = self.stop_reason.take();
                self.end(StreamEvent::Done { stop_reason }, &mut out);
            } else {
                self.end(StreamEvent::StreamCut, &mut out);
            }
        }
        out
    }

    fn handle_all(&mut self, events: Vec<SseEvent>) -> Vec<StreamEvent> {
        let mut out = Vec::new();
        for e in &events {
            if self.ended {
                break;
            }
            self.event(e, &mut out);
        }
        out
    }

    fn event(&mut self, e: &SseEvent, out: &mut Vec<StreamEvent>) {
        let data = e.data.trim();
        if data.is_empty() || e.event.as_deref() == Some("ping") {
            return;
        }
        if data == "[DONE]" && self.provider_is_openai() {
            let stop_reason = self.stop_reason.take();
            self.end(StreamEvent::Done { stop_reason }, out);
            return;
        }
        let v: Value = match serde_json::from_str(data) {
            Ok(v) => v,
            // An event the stream never closed is unreadable because it was cut off, which
            // `finish` reports as such; calling it malformed would blame the provider.
            Err(_) if self.in_tail => return,
            Err(err) => {
                let name = self.provider.display_name();
                let message = format!(
                    "{name} sent a stream event byok could not read ({err}); the answer may be \
                     incomplete."
                );
                self.end(
                    StreamEvent::Error(ProviderError::new(TestOutcome::Other, message)),
                    out,
                );
                return;
            }
        };
        match self.provider {
            Provider::Anthropic => self.anthropic(e.event.as_deref(), &v, out),
            Provider::Openai | Provider::OpenaiCompatible => self.openai(&v, out),
            Provider::Gemini => self.gemini(&v, out),
        }
    }

    fn provider_is_openai(&self) -> bool {
        matches!(self.provider, Provider::Openai | Provider::OpenaiCompatible)
    }

    /// `message_start` (input usage), `content_block_delta` (text), `message_delta` (stop
    /// reason, output usage), `message_stop`, `error`; `ping` and block start/stop carry
    /// nothing we show, and unknown types are skipped so new API features do not break.
    fn anthropic(&mut self, sse_name: Option<&str>, v: &Value, out: &mut Vec<StreamEvent>) {
        let kind = v.get("type").and_then(Value::as_str).or(sse_name);
        match kind {
            Some("message_start") => {
                if let Some(u) = v.get("message").and_then(|m| m.get("usage")) {
                    self.anthropic_usage(u);
                }
            }
            Some("content_block_delta") => {
                let delta = v.get("delta");
                if delta.and_then(|d| d.get("type")).and_then(Value::as_str) == Some("text_delta")
                    && let Some(text) = delta.and_then(|d| d.get("text")).and_then(Value::as_str)
                {
                    push_text(text, out);
                }
            }
            Some("message_delta") => {
                if let Some(r) = v
                    .get("delta")
                    .and_then(|d| d.get("stop_reason"))
                    .and_then(Value::as_str)
                {
                    self.stop_reason = Some(r.to_string());
                }
                if let Some(u) = v.get("usage") {
                    self.anthropic_usage(u);
                }
            }
            Some("message_stop") => {
                let stop_reason = self.stop_reason.take();
                self.end(StreamEvent::Done { stop_reason }, out);
            }
            Some("error") => {
                let err = classify_stream_error(self.provider, v);
                self.end(StreamEvent::Error(err), out);
            }
            _ => {}
        }
    }

    /// `message_start` has the input counts; `message_delta` has the final output count
    /// and, in newer API versions, some input counts again. Each count present wins, one
    /// by one, so a partial repeat cannot erase the others.
    fn anthropic_usage(&mut self, u: &Value) {
        let n = |k: &str| u.get(k).and_then(Value::as_u64);
        let usage = &mut self.usage;
        if let Some(v) = n("input_tokens") {
            usage.input = v;
            usage.seen = true;
        }
        if let Some(v) = n("cache_read_input_tokens") {
            usage.cached = Some(v);
            usage.seen = true;
        }
        if let Some(v) = n("cache_creation_input_tokens") {
            usage.cache_creation = v;
            usage.seen = true;
        }
        if let Some(v) = n("output_tokens") {
            usage.output = v;
            usage.seen = true;
        }
    }

    /// Chunks of `choices[].delta.content`; `finish_reason` on the last content chunk; with
    /// `include_usage`, one more chunk with empty `choices` and `usage`; then `[DONE]`.
    fn openai(&mut self, v: &Value, out: &mut Vec<StreamEvent>) {
        if v.get("error").is_some_and(|e| !e.is_null()) {
            let err = classify_stream_error(self.provider, v);
            self.end(StreamEvent::Error(err), out);
            return;
        }
        for choice in v
            .get("choices")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            // byok asks for one choice; a server sending more would interleave them.
            if choice.get("index").and_then(Value::as_u64).unwrap_or(0) != 0 {
                continue;
            }
            if let Some(delta) = choice.get("delta") {
                // A refusal is the model's answer too; the user should see it.
                for field in ["content", "refusal"] {
                    if let Some(text) = delta.get(field).and_then(Value::as_str) {
                        push_text(text, out);
                    }
                }
            }
            if let Some(r) = choice.get("finish_reason").and_then(Value::as_str) {
                self.stop_reason = Some(r.to_string());
            }
        }
        // Groq reports usage under `x_groq` instead.
        let usage = v
            .get("usage")
            .filter(|u| u.is_object())
            .or_else(|| v.get("x_groq").and_then(|x| x.get("usage")));
        if let Some(u) = usage.filter(|u| u.is_object()) {
            let n = |k: &str| u.get(k).and_then(Value::as_u64);
            self.usage = Usage {
                seen: true,
                input: n("prompt_tokens").unwrap_or(0),
                output: n("completion_tokens").unwrap_or(0),
                cached: u
                    .get("prompt_tokens_details")
                    .and_then(|d| d.get("cached_tokens"))
                    .and_then(Value::as_u64),
                cache_creation: 0,
            };
        }
    }

    /// Every chunk is a `GenerateContentResponse`; the last has `finishReason`, and
    /// `usageMetadata` grows as it goes, so the last one seen is kept.
    fn gemini(&mut self, v: &Value, out: &mut Vec<StreamEvent>) {
        if v.get("error").is_some_and(|e| !e.is_null()) {
            let err = classify_stream_error(self.provider, v);
            self.end(StreamEvent::Error(err), out);
            return;
        }
        if let Some(reason) = v
            .get("promptFeedback")
            .and_then(|f| f.get("blockReason"))
            .and_then(Value::as_str)
        {
            let message = format!("Gemini refused the prompt (blocked: {reason}).");
            self.end(
                StreamEvent::Error(ProviderError::new(TestOutcome::Other, message)),
                out,
            );
            return;
        }
        if let Some(candidate) = v
            .get("candidates")
            .and_then(Value::as_array)
            .and_then(|c| c.first())
        {
            for part in candidate
                .get("content")
                .and_then(|c| c.get("parts"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                // Thought summaries are not the answer.
                if part.get("thought").and_then(Value::as_bool) == Some(true) {
                    continue;
                }
                if let Some(text) = part.get("text").and_then(Value::as_str) {
                    push_text(text, out);
                }
            }
            if let Some(r) = candidate.get("finishReason").and_then(Value::as_str) {
                self.stop_reason = Some(r.to_string());
            }
        }
        if let Some(u) = v.get("usageMetadata").filter(|u| u.is_object()) {
            let n = |k: &str| u.get(k).and_then(Value::as_u64);
            self.usage = Usage {
                seen: true,
                input: n("promptTokenCount").unwrap_or(0),
                output: n("candidatesTokenCount")
                    .unwrap_or(0)
                    .saturating_add(n("thoughtsTokenCount").unwrap_or(0)),
                cached: n("cachedContentTokenCount"),
                cache_creation: 0,
            };
        }
    }

    fn end(&mut self, terminal: StreamEvent, out: &mut Vec<StreamEvent>) {
        if self.usage.seen {
            out.push(StreamEvent::Usage {
                input_tokens: self.usage.total_input(self.provider),
                output_tokens: self.usage.output,
                cached_tokens: self.usage.cached,
            });
        }
        out.push(terminal);
        self.ended = true;
    }
}

fn push_text(text: &str, out: &mut Vec<StreamEvent>) {
    if !text.is_empty() {
        out.push(StreamEvent::TextDelta(text.to_string()));
    }
}
