//! From a provider's SSE stream to what the chat shows: text as it arrives, token usage,
//! and how the answer ended.
//!
//! Contract, whatever the bytes: after `finish()` the events end with exactly one
//! terminal event (`Done`, `Error` or `StreamCut`) and nothing follows it; `Usage`
//! appears at most once, right before the terminal event, so the caller can record it
//! without deduplicating. The result does not depend on how the bytes were chunked.

use serde_json::Value;

use super::error::{ProviderError, classify_stream_error};
use super::sse::{SseDecoder, SseEvent, SseEventRef};
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
    /// Off only in the test that holds the fast path to the general one.
    fast: bool,
    /// Bytes of answer text handed out so far.
    text_bytes: usize,
}

/// An answer longer than this is stopped: no model writes 16 MB in one answer, and a
/// server that streams without end would otherwise fill the tab's memory.
pub const MAX_ANSWER_BYTES: usize = 16 << 20;

impl StreamParser {
    pub fn new(provider: Provider) -> Self {
        Self {
            provider,
            sse: SseDecoder::new(),
            usage: Usage::default(),
            stop_reason: None,
            ended: false,
            in_tail: false,
            fast: true,
            text_bytes: 0,
        }
    }

    pub fn push(&mut self, bytes: &[u8]) -> Vec<StreamEvent> {
        let mut out = Vec::new();
        if !self.ended {
            self.decode(&mut out, |sse, on_event| sse.push_with(bytes, on_event));
            self.check_size(&mut out);
        }
        out
    }

    /// Ends the answer, with an error that says why, once the server sent more than any
    /// answer needs (one endless event, or endless text).
    fn check_size(&mut self, out: &mut Vec<StreamEvent>) {
        if self.ended {
            return;
        }
        self.text_bytes += out
            .iter()
            .map(|e| match e {
                StreamEvent::TextDelta(t) => t.len(),
                _ => 0,
            })
            .sum::<usize>();
        let name = self.provider.display_name();
        let message = if self.sse.overflowed() {
            format!(
                "{name} sent a stream event over 4 MB, more than any answer needs, so byok stopped reading. The answer may be incomplete."
            )
        } else if self.text_bytes > MAX_ANSWER_BYTES {
            "The answer passed 16 MB, more than any model writes at once, so byok stopped reading it."
                .to_string()
        } else {
            return;
        };
        self.end(
            StreamEvent::Error(ProviderError::new(TestOutcome::Other, message)),
            out,
        );
    }

    /// Run the SSE decoder, handling each event it completes until the stream ends.
    fn decode(
        &mut self,
        out: &mut Vec<StreamEvent>,
        feed: impl FnOnce(&mut SseDecoder, &mut dyn FnMut(SseEventRef<'_>)),
    ) {
        // Taken out for the call so the callback may borrow the rest of the parser.
        let mut sse = std::mem::take(&mut self.sse);
        feed(&mut sse, &mut |e| {
            if !self.ended {
                self.event(e, out);
            }
        });
        self.sse = sse;
    }

    pub fn handle_event(&mut self, event: &SseEvent) -> Vec<StreamEvent> {
        let mut out = Vec::new();
        if !self.ended {
            let e = SseEventRef {
                event: event.event.as_deref(),
                data: &event.data,
            };
            self.event(e, &mut out);
        }
        out
    }

    /// The usage reported so far, as (input, output, cached) tokens: what the stream's
    /// end reports, and what an answer cut off now is billed for.
    pub fn usage_so_far(&self) -> Option<(u64, u64, Option<u64>)> {
        self.usage.seen.then(|| {
            (
                self.usage.total_input(self.provider),
                self.usage.output,
                self.usage.cached,
            )
        })
    }

    /// The body ended (or was aborted). Calling it again returns nothing.
    pub fn finish(&mut self) -> Vec<StreamEvent> {
        if self.ended {
            return Vec::new();
        }
        self.in_tail = true;
        let mut out = Vec::new();
        self.decode(&mut out, |sse, on_event| sse.finish_with(on_event));
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

    fn event(&mut self, e: SseEventRef<'_>, out: &mut Vec<StreamEvent>) {
        let data = e.data.trim();
        if data.is_empty() || e.event == Some("ping") {
            return;
        }
        if data == "[DONE]" && self.provider_is_openai() {
            let stop_reason = self.stop_reason.take();
            self.end(StreamEvent::Done { stop_reason }, out);
            return;
        }
        if self.fast && self.text_delta_fast(data, out) {
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
            Provider::Anthropic => self.anthropic(e.event, &v, out),
            Provider::Openai | Provider::OpenaiCompatible => self.openai(&v, out),
            Provider::Gemini => self.gemini(&v, out),
        }
    }

    /// Nearly every event of a long answer is a plain text delta. Those are read into
    /// borrowed typed structs instead of a `Value` tree, several times less work in wasm
    /// (a 50 KB answer can come as 20,000 events). Anything else, or anything unusual (an
    /// escaped type name, a duplicate field, usage or an error riding along), returns
    /// false and takes the general path, which stays the definition of the behaviour.
    fn text_delta_fast(&mut self, data: &str, out: &mut Vec<StreamEvent>) -> bool {
        match self.provider {
            Provider::Anthropic => {
                if let Some(text) = fast::anthropic_text_delta(data) {
                    push_text(&text, out);
                    return true;
                }
                let Ok(e) = serde_json::from_str::<fast::AnthropicEvent>(data) else {
                    return false;
                };
                let Some(d) = e.delta.filter(|d| d.kind == "text_delta") else {
                    return false;
                };
                if e.kind != "content_block_delta" {
                    return false;
                }
                if let Some(t) = d.text {
                    push_text(&t, out);
                }
                true
            }
            Provider::Openai | Provider::OpenaiCompatible => {
                let Ok(c) = serde_json::from_str::<fast::OpenaiChunk>(data) else {
                    return false;
                };
                if c.error.is_some() || c.usage.is_some() || c.x_groq.is_some() {
                    return false;
                }
                for choice in c.choices.iter().filter(|c| c.index.unwrap_or(0) == 0) {
                    if let Some(d) = &choice.delta {
                        for t in [&d.content, &d.refusal].into_iter().flatten() {
                            push_text(t, out);
                        }
                    }
                    if let Some(r) = &choice.finish_reason {
                        self.stop_reason = Some(r.to_string());
                    }
                }
                true
            }
            Provider::Gemini => false,
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
        if let Some((input_tokens, output_tokens, cached_tokens)) = self.usage_so_far() {
            out.push(StreamEvent::Usage {
                input_tokens,
                output_tokens,
                cached_tokens,
            });
        }
        out.push(terminal);
        self.ended = true;
    }
}

/// The typed shapes of [`StreamParser::text_delta_fast`]. Unknown fields are skipped
/// as the general path skips them; a field of an unexpected type fails the parse, which
/// sends the event down the general path.
mod fast {
    use std::borrow::Cow;

    use serde::Deserialize;
    use serde::de::IgnoredAny;

    /// Anthropic sends every text delta in one byte-for-byte shape; reading that shape
    /// by its fixed parts leaves serde_json only the text itself (which it unescapes and
    /// checks is one whole string). Any other spelling returns `None` and is read as
    /// JSON. About half the parsing time of a long answer in wasm.
    pub fn anthropic_text_delta(data: &str) -> Option<Cow<'_, str>> {
        let rest = data.strip_prefix(r#"{"type":"content_block_delta","index":"#)?;
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        // JSON allows no empty number and no leading zero.
        if digits == 0 || (digits > 1 && rest.starts_with('0')) {
            return None;
        }
        let rest = &rest[digits..];
        let text = rest
            .strip_prefix(r#","delta":{"type":"text_delta","text":"#)?
            .strip_suffix("}}")?;
        serde_json::from_str::<Cow<str>>(text).ok()
    }

    #[derive(Deserialize)]
    pub struct AnthropicEvent<'a> {
        #[serde(rename = "type", borrow)]
        pub kind: Cow<'a, str>,
        #[serde(borrow)]
        pub delta: Option<AnthropicDelta<'a>>,
    }

    #[derive(Deserialize)]
    pub struct AnthropicDelta<'a> {
        #[serde(rename = "type", borrow)]
        pub kind: Cow<'a, str>,
        #[serde(borrow)]
        pub text: Option<Cow<'a, str>>,
    }

    #[derive(Deserialize)]
    pub struct OpenaiChunk<'a> {
        #[serde(borrow)]
        pub choices: Vec<OpenaiChoice<'a>>,
        #[serde(default)]
        pub error: Option<IgnoredAny>,
        #[serde(default)]
        pub usage: Option<IgnoredAny>,
        #[serde(default)]
        pub x_groq: Option<IgnoredAny>,
    }

    #[derive(Deserialize)]
    pub struct OpenaiChoice<'a> {
        #[serde(default)]
        pub index: Option<u64>,
        #[serde(borrow, default)]
        pub delta: Option<OpenaiDelta<'a>>,
        #[serde(borrow, default)]
        pub finish_reason: Option<Cow<'a, str>>,
    }

    #[derive(Deserialize)]
    pub struct OpenaiDelta<'a> {
        #[serde(borrow, default)]
        pub content: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        pub refusal: Option<Cow<'a, str>>,
    }
}

fn push_text(text: &str, out: &mut Vec<StreamEvent>) {
    if !text.is_empty() {
        out.push(StreamEvent::TextDelta(text.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(provider: Provider, fast: bool, body: &str, chunk: usize) -> Vec<StreamEvent> {
        let mut p = StreamParser::new(provider);
        p.fast = fast;
        let mut out = Vec::new();
        for part in body.as_bytes().chunks(chunk.max(1)) {
            out.extend(p.push(part));
        }
        out.extend(p.finish());
        out
    }

    fn body(events: &[(&str, &str)]) -> String {
        events
            .iter()
            .map(|(name, data)| {
                if name.is_empty() {
                    format!("data: {data}\n\n")
                } else {
                    format!("event: {name}\ndata: {data}\n\n")
                }
            })
            .collect()
    }

    /// Every event, ordinary or odd, gives exactly what the general path gives.
    #[test]
    fn the_fast_path_reads_every_event_as_the_general_path_does() {
        let anthropic = [
            (
                "message_start",
                r#"{"type":"message_start","message":{"usage":{"input_tokens":12,"output_tokens":1}}}"#,
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}}"#,
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"lo \"x\"\n\u00e9\ud83d\udd11"}}"#,
            ),
            (
                "content_block_delta",
                r#"{"type":"content\u005fblock_delta","delta":{"type":"text_delta","text":"escaped type"}}"#,
            ),
            // Near misses of the exact shape Anthropic sends.
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":12,"delta":{"type":"text_delta","text":"two digits \u00e9"}}"#,
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":,"delta":{"type":"text_delta","text":"no index"}}"#,
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":01,"delta":{"type":"text_delta","text":"zero"}}"#,
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a","text":"b"}}"#,
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a"},"x":{}}"#,
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"open}}"#,
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","delta":{"type":"text_delta","text":"dup","text":"last wins"}}"#,
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","delta":{"type":"text_delta","text":null}}"#,
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","delta":{"type":"text_delta","text":42}}"#,
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","delta":{"type":"thinking_delta","thinking":"hm"}}"#,
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","delta":"not an object"}"#,
            ),
            (
                "content_block_delta",
                r#"{"delta":{"type":"text_delta","text":"no type: sse name used"}}"#,
            ),
            (
                "",
                r#"{"type":"content_block_delta","delta":{"type":"text_delta","text":" unnamed"},"extra":[1,{"a":2}]}"#,
            ),
            (
                "message_delta",
                r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":9}}"#,
            ),
            ("message_stop", r#"{"type":"message_stop"}"#),
        ];
        let openai = [
            r#"{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#,
            r#"{"choices":[{"index":0,"delta":{"content":"Hi \u00e9\n"}}]}"#,
            r#"{"choices":[{"index":1,"delta":{"content":"other choice"}}]}"#,
            r#"{"choices":[{"index":"0","delta":{"content":"string index"}}]}"#,
            r#"{"choices":[{"index":-1,"delta":{"content":"negative index"}}]}"#,
            r#"{"choices":[{"delta":{"content":"no index"}}]}"#,
            r#"{"choices":[{"index":0,"delta":null}]}"#,
            r#"{"choices":[{"index":0,"delta":{"content":7}}]}"#,
            r#"{"choices":[{"index":0,"delta":{"refusal":"I can't"}}]}"#,
            r#"{"choices":[{"index":0,"delta":{"content":"a","content":"b"}}]}"#,
            r#"{"choices":[5,{"index":0,"delta":{"content":"after junk"}}]}"#,
            r#"{"choices":[],"error":null,"usage":null}"#,
            r#"{"nochoices":true}"#,
            r#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
            r#"{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":3,"prompt_tokens_details":{"cached_tokens":1}}}"#,
            r#"{"choices":[{"index":0,"delta":{"content":"groq"}}],"x_groq":{"usage":{"prompt_tokens":1,"completion_tokens":2}}}"#,
            "[DONE]",
        ];
        let openai_error = [
            r#"{"choices":[{"index":0,"delta":{"content":"before"}}]}"#,
            r#"{"choices":[],"error":{"message":"overloaded","type":"server_error"}}"#,
        ];
        let a_events: Vec<(&str, &str)> = anthropic.to_vec();
        let o_events: Vec<(&str, &str)> = openai.iter().map(|d| ("", *d)).collect();
        let e_events: Vec<(&str, &str)> = openai_error.iter().map(|d| ("", *d)).collect();
        let cases = [
            (Provider::Anthropic, body(&a_events)),
            (Provider::Openai, body(&o_events)),
            (Provider::OpenaiCompatible, body(&o_events)),
            (Provider::Openai, body(&e_events)),
        ];
        for (provider, text) in &cases {
            // Each event on its own too, so one odd event cannot hide behind an earlier end.
            let singles: Vec<String> = text.split_inclusive("\n\n").map(str::to_string).collect();
            for (i, b) in std::iter::once(text.clone()).chain(singles).enumerate() {
                for chunk in [1, 7, 4096] {
                    let general = run(*provider, false, &b, chunk);
                    assert_eq!(
                        run(*provider, true, &b, chunk),
                        general,
                        "{provider:?}, case {i}, chunks of {chunk}"
                    );
                }
            }
        }
        // And the fast path is really taken for the ordinary shapes.
        let mut p = StreamParser::new(Provider::Anthropic);
        let mut out = Vec::new();
        assert!(p.text_delta_fast(anthropic[1].1, &mut out));
        let dup = anthropic.iter().find(|(_, d)| d.contains(r#""dup""#));
        assert!(
            !p.text_delta_fast(dup.map_or("", |(_, d)| *d), &mut out),
            "a duplicate field"
        );
        // The ordinary shape is read by its fixed parts; its near misses are not.
        assert_eq!(
            fast::anthropic_text_delta(anthropic[1].1).as_deref(),
            Some("Hel")
        );
        let by_shape = anthropic
            .iter()
            .filter(|(_, d)| fast::anthropic_text_delta(d).is_some())
            .count();
        assert_eq!(by_shape, 3, "Hel, the escaped text and two digits");
        let mut p = StreamParser::new(Provider::Openai);
        assert!(p.text_delta_fast(openai[1], &mut out));
        assert!(!p.text_delta_fast(openai[14], &mut out));
        assert_eq!(
            out,
            vec![
                StreamEvent::TextDelta("Hel".into()),
                StreamEvent::TextDelta("Hi \u{e9}\n".into())
            ]
        );
    }
}
