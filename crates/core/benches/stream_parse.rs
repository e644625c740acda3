//! Criterion: the provider stream parser (SSE decoding + JSON per event + text deltas)
//! over a big transcript, in MB/s (scripts/bench). The transcript is what the mock
//! provider sends for a 50 KB answer in 20,000 deltas, fed in 16 KiB chunks as a
//! browser's fetch hands them over.

use byok_core::model::Provider;
use byok_core::provider::{StreamEvent, StreamParser};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

const DELTAS: usize = 20_000;
const CHUNK: usize = 16 * 1024;

fn text(i: usize) -> String {
    // 2-3 characters per delta, with the JSON escapes a markdown answer needs.
    ["Th", "e \"", "qu", "ick\n", "`x`", " - ", "br", "own"][i % 8].to_string()
}

fn transcript(provider: Provider) -> Vec<u8> {
    let mut s = String::new();
    let esc = |t: &str| serde_json::to_string(t).expect("string");
    match provider {
        Provider::Anthropic => {
            s.push_str("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"m\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":10,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":1}}}\n\n");
            s.push_str("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n");
            for i in 0..DELTAS {
                s.push_str(&format!("event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{{\"type\":\"text_delta\",\"text\":{}}}}}\n\n", esc(&text(i))));
            }
            s.push_str("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n");
            s.push_str("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":20000}}\n\n");
            s.push_str("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
        }
        _ => {
            let head = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_mock\",\"choices\":[{\"index\":0,\"delta\":";
            for i in 0..DELTAS {
                s.push_str(&format!("data: {head}{{\"content\":{}}},\"logprobs\":null,\"finish_reason\":null}}]}}\n\n", esc(&text(i))));
            }
            s.push_str(&format!(
                "data: {head}{{}},\"logprobs\":null,\"finish_reason\":\"stop\"}}]}}\n\n"
            ));
            s.push_str("data: [DONE]\n\n");
        }
    }
    s.into_bytes()
}

fn parse_all(provider: Provider, bytes: &[u8]) -> usize {
    let mut p = StreamParser::new(provider);
    let mut chars = 0;
    let mut count = |evs: Vec<StreamEvent>| {
        for e in evs {
            if let StreamEvent::TextDelta(t) = e {
                chars += t.len();
            }
        }
    };
    for chunk in bytes.chunks(CHUNK) {
        count(p.push(chunk));
    }
    count(p.finish());
    chars
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("stream_parse");
    for (name, provider) in [
        ("openai", Provider::Openai),
        ("anthropic", Provider::Anthropic),
    ] {
        let t = transcript(provider);
        assert!(parse_all(provider, &t) > DELTAS);
        g.throughput(Throughput::Bytes(t.len() as u64));
        g.bench_function(name, |b| b.iter(|| parse_all(provider, black_box(&t))));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
