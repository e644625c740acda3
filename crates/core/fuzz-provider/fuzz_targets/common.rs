//! The property all three stream targets check: whatever the bytes, parsing never
//! panics, ends with exactly one terminal event (at most one `Usage`, right before it),
//! and gives the same events however the bytes are chunked.

use byok_core::model::Provider;
use byok_core::provider::{SseDecoder, StreamEvent, StreamParser};

fn parse<'a>(provider: Provider, chunks: impl IntoIterator<Item = &'a [u8]>) -> Vec<StreamEvent> {
    let mut p = StreamParser::new(provider);
    let mut out = Vec::new();
    for c in chunks {
        out.extend(p.push(c));
    }
    out.extend(p.finish());
    assert!(p.finish().is_empty(), "a second finish added events");
    assert!(p.push(b"data: x\n\n").is_empty(), "events after the end");
    out
}

fn decode<'a>(chunks: impl IntoIterator<Item = &'a [u8]>) -> Vec<byok_core::provider::SseEvent> {
    let mut d = SseDecoder::new();
    let mut out = Vec::new();
    for c in chunks {
        out.extend(d.push(c));
    }
    out.extend(d.finish());
    out
}

/// Chunk lengths from a tiny xorshift seeded by the first input byte, so libFuzzer can
/// steer the splits as well as the content.
fn chunks(body: &[u8], seed: u8) -> Vec<&[u8]> {
    // Never zero, or xorshift would stay at zero.
    let mut state = u32::from(seed).wrapping_mul(2_654_435_761) | 1;
    let max = usize::from(seed % 32) + 1;
    let mut out = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let n = (state as usize % max + 1).min(rest.len());
        let (a, b) = rest.split_at(n);
        out.push(a);
        rest = b;
    }
    out
}

pub fn check(provider: Provider, data: &[u8]) {
    let Some((&seed, body)) = data.split_first() else {
        return;
    };
    let whole = parse(provider, [body]);

    let terminals = whole.iter().filter(|e| e.is_terminal()).count();
    assert_eq!(terminals, 1, "{whole:?}");
    assert!(whole.last().is_some_and(StreamEvent::is_terminal));
    let usages = whole
        .iter()
        .filter(|e| matches!(e, StreamEvent::Usage { .. }))
        .count();
    assert!(usages <= 1);
    if usages == 1 {
        assert!(matches!(whole[whole.len() - 2], StreamEvent::Usage { .. }));
    }

    let split = chunks(body, seed);
    assert_eq!(
        parse(provider, split.iter().copied()),
        whole,
        "chunked differently"
    );
    assert_eq!(
        decode(split.iter().copied()),
        decode([body]),
        "SSE decoder chunked"
    );
    if body.len() <= 256 {
        assert_eq!(parse(provider, body.chunks(1)), whole, "byte at a time");
    }
}
