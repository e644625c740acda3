//! The stream parsers on recorded-style provider streams (`tests/vectors/provider/`), fed
//! in every way a network could chunk them.

use std::path::{Path, PathBuf};

use byok_core::model::Provider;
use byok_core::provider::{SseDecoder, StreamEvent, StreamParser};
use serde_json::{Value, json};

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/provider")
}

fn provider_of(name: &str) -> Provider {
    // `openai-compatible-` before `openai-`: the longer prefix wins.
    [
        ("anthropic-", Provider::Anthropic),
        ("openai-compatible-", Provider::OpenaiCompatible),
        ("openai-", Provider::Openai),
        ("gemini-", Provider::Gemini),
    ]
    .into_iter()
    .find(|(p, _)| name.starts_with(p))
    .map(|(_, provider)| provider)
    .unwrap_or_else(|| panic!("vector {name} has no provider prefix"))
}

fn vectors() -> Vec<(String, Provider, Vec<u8>, Value)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(vectors_dir()).expect("vectors dir") {
        let path = entry.expect("dir entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("txt") {
            continue;
        }
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("utf-8 name")
            .to_string();
        let body = std::fs::read(&path).expect("read vector");
        let expect_path = path.with_extension("expect.json");
        let expect: Value = serde_json::from_slice(
            &std::fs::read(&expect_path).unwrap_or_else(|_| panic!("{name}.expect.json")),
        )
        .expect("expect is JSON");
        out.push((name.clone(), provider_of(&name), body, expect));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(out.len() >= 15, "vectors went missing: {}", out.len());
    out
}

fn parse_chunks<'a>(
    provider: Provider,
    chunks: impl IntoIterator<Item = &'a [u8]>,
) -> Vec<StreamEvent> {
    let mut p = StreamParser::new(provider);
    let mut out = Vec::new();
    for c in chunks {
        out.extend(p.push(c));
    }
    out.extend(p.finish());
    // A second finish must add nothing.
    assert!(p.finish().is_empty());
    out
}

fn parse_whole(provider: Provider, body: &[u8]) -> Vec<StreamEvent> {
    parse_chunks(provider, [body])
}

/// The stream contract: one terminal event, last; at most one `Usage`, right before it.
fn check_contract(name: &str, events: &[StreamEvent]) {
    let terminals = events.iter().filter(|e| e.is_terminal()).count();
    assert_eq!(terminals, 1, "{name}: {events:?}");
    assert!(
        events.last().is_some_and(StreamEvent::is_terminal),
        "{name}"
    );
    let usages: Vec<usize> = events
        .iter()
        .enumerate()
        .filter(|(_, e)| matches!(e, StreamEvent::Usage { .. }))
        .map(|(i, _)| i)
        .collect();
    assert!(usages.len() <= 1, "{name}: {events:?}");
    if let Some(&i) = usages.first() {
        assert_eq!(
            i,
            events.len() - 2,
            "{name}: usage not right before the end"
        );
    }
}

fn summary(events: &[StreamEvent]) -> Value {
    let mut text = String::new();
    let mut usage = Value::Null;
    let mut end = Value::Null;
    for e in events {
        match e {
            StreamEvent::TextDelta(t) => text.push_str(t),
            StreamEvent::Usage {
                input_tokens,
                output_tokens,
                cached_tokens,
            } => {
                usage = json!({
                    "input_tokens": input_tokens,
                    "output_tokens": output_tokens,
                    "cached_tokens": cached_tokens,
                })
            }
            StreamEvent::Done { stop_reason } => end = json!({ "done": stop_reason }),
            StreamEvent::Error(err) => {
                end = json!({ "error": err.class, "message": err.message });
            }
            StreamEvent::StreamCut => end = json!("cut"),
        }
    }
    json!({ "text": text, "usage": usage, "end": end })
}

fn check_expected(name: &str, got: &Value, expect: &Value) {
    assert_eq!(got["text"], expect["text"], "{name}: text");
    assert_eq!(got["usage"], expect["usage"], "{name}: usage");
    let (g, e) = (&got["end"], &expect["end"]);
    if let Some(class) = e.get("error") {
        assert_eq!(&g["error"], class, "{name}: error class, got {g}");
        let needle = e["message_contains"].as_str().expect("message_contains");
        let message = g["message"].as_str().expect("message");
        assert!(
            message.contains(needle),
            "{name}: {message:?} lacks {needle:?}"
        );
    } else {
        assert_eq!(g, e, "{name}: end");
    }
}

#[test]
fn vectors_parse_as_expected() {
    for (name, provider, body, expect) in vectors() {
        let events = parse_whole(provider, &body);
        check_contract(&name, &events);
        check_expected(&name, &summary(&events), &expect);
    }
}

#[test]
fn every_two_way_split_gives_the_same_events() {
    for (name, provider, body, _) in vectors() {
        let whole = parse_whole(provider, &body);
        for cut in 0..=body.len() {
            let (a, b) = body.split_at(cut);
            let got = parse_chunks(provider, [a, b]);
            assert_eq!(got, whole, "{name}: split at byte {cut}");
        }
    }
}

#[test]
fn byte_at_a_time_gives_the_same_events() {
    for (name, provider, body, _) in vectors() {
        let whole = parse_whole(provider, &body);
        let got = parse_chunks(provider, body.chunks(1));
        assert_eq!(got, whole, "{name}: one byte at a time");
    }
}

#[test]
fn three_way_splits_give_the_same_events() {
    for (name, provider, body, _) in vectors() {
        let whole = parse_whole(provider, &body);
        let n = body.len();
        // Every 7th boundary against every 11th keeps this quick yet lands cuts inside
        // line ends, multi-byte characters and JSON alike.
        for i in (0..=n).step_by(7) {
            for j in (i..=n).step_by(11) {
                let got = parse_chunks(provider, [&body[..i], &body[i..j], &body[j..]]);
                assert_eq!(got, whole, "{name}: split at {i} and {j}");
            }
        }
    }
}

fn with_line_ends(body: &[u8], eol: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() * 2);
    for &b in body {
        if b == b'\n' {
            out.extend_from_slice(eol);
        } else {
            out.push(b);
        }
    }
    out
}

#[test]
fn crlf_and_cr_line_ends_give_the_same_events() {
    for (name, provider, body, _) in vectors() {
        let whole = parse_whole(provider, &body);
        for eol in [&b"\r\n"[..], &b"\r"[..]] {
            let other = with_line_ends(&body, eol);
            assert_eq!(parse_whole(provider, &other), whole, "{name} with {eol:?}");
            for cut in 0..=other.len() {
                let (a, b) = other.split_at(cut);
                assert_eq!(
                    parse_chunks(provider, [a, b]),
                    whole,
                    "{name} with {eol:?}, split at {cut}"
                );
            }
        }
    }
}

#[test]
fn sse_decoder_is_split_invariant_on_vectors() {
    for (name, _, body, _) in vectors() {
        let mut d = SseDecoder::new();
        let mut whole = d.push(&body);
        whole.extend(d.finish());
        for cut in 0..=body.len() {
            let mut d = SseDecoder::new();
            let mut got = d.push(&body[..cut]);
            got.extend(d.push(&body[cut..]));
            got.extend(d.finish());
            assert_eq!(got, whole, "{name}: split at {cut}");
        }
    }
}

#[test]
fn anthropic_event_name_is_enough_without_type_field() {
    let body = b"event: content_block_delta\ndata: {\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"}}\n\n\
                 event: message_stop\ndata: {}\n\n";
    // The `type` field is the authority when present; without it the SSE name is used.
    let events = parse_whole(Provider::Anthropic, body);
    assert_eq!(
        events,
        vec![
            StreamEvent::TextDelta("x".into()),
            StreamEvent::Done { stop_reason: None }
        ]
    );
}

#[test]
fn anthropic_error_event_classified_like_http_error() {
    let body = b"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Number of request tokens has exceeded your per-minute rate limit\"}}\n\n";
    let events = parse_whole(Provider::Anthropic, body);
    let [StreamEvent::Error(e)] = events.as_slice() else {
        panic!("{events:?}");
    };
    assert_eq!(e.class, byok_core::model::TestOutcome::RateLimited);
}

#[test]
fn nothing_after_the_terminal_event() {
    let body = b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n\
                 data: [DONE]\n\n\
                 data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"late\"}}]}\n\n";
    let events = parse_whole(Provider::Openai, body);
    assert_eq!(
        events,
        vec![
            StreamEvent::TextDelta("a".into()),
            StreamEvent::Done { stop_reason: None }
        ]
    );
}

#[test]
fn empty_and_garbage_bodies_never_panic_and_end_once() {
    let cases: [&[u8]; 8] = [
        b"",
        b"\n\n\n",
        b"\xff\xfe\x00garbage\n\n",
        b"data: \xff\xff\n\n",
        b"data: [DONE]\n\n",
        b"data: null\n\n",
        b"data: []\n\ndata: {\"choices\":7,\"candidates\":\"x\",\"usage\":[1]}\n\n",
        b"event: error\ndata: {\"error\":\"plain string\"}\n\n",
    ];
    for provider in Provider::ALL {
        for body in cases {
            let events = parse_whole(provider, body);
            check_contract(&format!("{provider:?} {body:?}"), &events);
        }
    }
}

#[test]
fn openai_second_choice_is_ignored() {
    let body = b"data: {\"choices\":[{\"index\":1,\"delta\":{\"content\":\"B\"}},{\"index\":0,\"delta\":{\"content\":\"A\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";
    let events = parse_whole(Provider::OpenaiCompatible, body);
    assert_eq!(
        events,
        vec![
            StreamEvent::TextDelta("A".into()),
            StreamEvent::Done {
                stop_reason: Some("stop".into())
            }
        ]
    );
}

#[test]
fn absurd_token_counts_saturate_instead_of_overflowing() {
    let max = u64::MAX;
    let anthropic = format!(
        "event: message_start\ndata: {{\"type\":\"message_start\",\"message\":{{\"usage\":{{\"input_tokens\":{max},\"cache_read_input_tokens\":{max},\"cache_creation_input_tokens\":{max}}}}}}}\n\n\
         event: message_stop\ndata: {{\"type\":\"message_stop\"}}\n\n"
    );
    let gemini = format!(
        "data: {{\"candidates\":[{{\"finishReason\":\"STOP\"}}],\"usageMetadata\":{{\"candidatesTokenCount\":{max},\"thoughtsTokenCount\":{max}}}}}\n\n"
    );
    for (provider, body, input, output) in [
        (Provider::Anthropic, anthropic, max, 0),
        (Provider::Gemini, gemini, 0, max),
    ] {
        let events = parse_whole(provider, body.as_bytes());
        assert_eq!(
            events[0],
            StreamEvent::Usage {
                input_tokens: input,
                output_tokens: output,
                cached_tokens: (provider == Provider::Anthropic).then_some(max),
            },
            "{provider:?}"
        );
    }
}

#[test]
fn anthropic_partial_usage_repeat_keeps_cache_counts() {
    let body = b"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":10,\"cache_read_input_tokens\":100,\"cache_creation_input_tokens\":5,\"output_tokens\":1}}}\n\n\
                 event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"input_tokens\":10,\"output_tokens\":7}}\n\n\
                 event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    let events = parse_whole(Provider::Anthropic, body);
    assert_eq!(
        events[0],
        StreamEvent::Usage {
            input_tokens: 115,
            output_tokens: 7,
            cached_tokens: Some(100),
        }
    );
}

/// What a lock that cuts an answer off counts: the usage reported so far, as `finish`
/// would report it, before any end; nothing before the provider said anything.
#[test]
fn usage_so_far_is_what_finish_would_report() {
    let mut p = StreamParser::new(Provider::Anthropic);
    assert_eq!(p.usage_so_far(), None);
    p.push(b"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":10,\"cache_read_input_tokens\":100,\"output_tokens\":1}}}\n\n");
    assert_eq!(p.usage_so_far(), Some((110, 1, Some(100))));
    let finished = p.finish();
    assert!(finished.contains(&StreamEvent::Usage {
        input_tokens: 110,
        output_tokens: 1,
        cached_tokens: Some(100),
    }));
}

/// A server that never ends a line, or never ends its answer, is cut off with a word
/// instead of filling memory.
#[test]
fn an_endless_line_or_answer_is_stopped_with_a_reason() {
    let error_of = |events: &[StreamEvent]| {
        events.iter().find_map(|e| match e {
            StreamEvent::Error(p) => Some(p.message.clone()),
            _ => None,
        })
    };
    // One line, 64 KiB at a time, with no end.
    let mut p = StreamParser::new(Provider::OpenaiCompatible);
    let chunk = vec![b'x'; 64 << 10];
    let mut said = None;
    for _ in 0..100 {
        let evs = p.push(&chunk);
        if let Some(m) = error_of(&evs) {
            said = Some(m);
            break;
        }
    }
    let said = said.expect("stopped before 6.4 MB");
    assert!(said.contains("over 4 MB"), "{said}");
    assert!(
        p.push(b"\n\ndata: [DONE]\n\n").is_empty(),
        "nothing after the end"
    );

    // Well-formed deltas without end: stopped past 16 MB of text.
    let mut p = StreamParser::new(Provider::OpenaiCompatible);
    let delta = format!(
        "data: {}\n\n",
        json!({"choices":[{"index":0,"delta":{"content":"y".repeat(4000)}}]})
    );
    let burst = delta.repeat(256);
    let mut text = 0usize;
    let mut said = None;
    for _ in 0..40 {
        let evs = p.push(burst.as_bytes());
        text += evs
            .iter()
            .map(|e| match e {
                StreamEvent::TextDelta(t) => t.len(),
                _ => 0,
            })
            .sum::<usize>();
        if let Some(m) = error_of(&evs) {
            said = Some(m);
            break;
        }
    }
    let said = said.expect("stopped before 40 MB");
    assert!(said.contains("16 MB"), "{said}");
    assert!(
        text > 16 << 20 && text < 18 << 20,
        "{text} bytes of text got through"
    );

    // A normal long answer is not affected.
    let mut p = SseDecoder::new();
    assert_eq!(
        p.push(format!("data: {}\n\n", "z".repeat(1 << 20)).as_bytes())
            .len(),
        1
    );
    assert!(!p.overflowed());
}
