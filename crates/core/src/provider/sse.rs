//! An incremental Server-Sent Events decoder (the WHATWG "event stream" format).
//!
//! Written here rather than taken from a crate: the SSE crates on crates.io
//! (`eventsource-stream`, `sse-stream`, `sse-codec`) only decode a `futures` `Stream`
//! (pulling `futures-core`/`futures-util`, `nom` or `http-body`), while the browser hands
//! us plain byte chunks from a `ReadableStream`. The format is small enough that a
//! push-based decoder is shorter than the glue would be.

/// One dispatched event. `event` is `None` when the stream gave no `event:` field (the
/// spec's default type "message"); `data` has its lines joined by `\n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub event: Option<String>,
    pub data: String,
}

/// An event as [`SseDecoder::push_with`] hands it over: borrowed from the decoder's own
/// buffers, so a stream of 20,000 small events costs no allocation per event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SseEventRef<'a> {
    pub event: Option<&'a str>,
    pub data: &'a str,
}

impl SseEventRef<'_> {
    pub fn to_event(self) -> SseEvent {
        SseEvent {
            event: self.event.map(str::to_string),
            data: self.data.to_string(),
        }
    }
}

/// Feed it bytes as they arrive, in chunks of any size; it returns the events completed
/// so far. Bytes are kept until a whole line is in, so a UTF-8 character or a `\r\n` cut
/// between two chunks decodes the same as if it had arrived in one.
#[derive(Debug, Default)]
pub struct SseDecoder {
    /// Bytes of the current line when it began in an earlier chunk.
    line: Vec<u8>,
    /// The previous chunk ended on `\r`: a `\n` starting the next one belongs to it.
    after_cr: bool,
    /// Whether the start of the stream (where a BOM may sit) is behind us.
    started: bool,
    /// The `event:` field; empty means none (the spec treats both alike).
    event: String,
    data: String,
    /// `data` holds at least one `data:` line (an empty one counts).
    has_data: bool,
    /// A line or an event outgrew [`MAX_EVENT_BYTES`]: nothing more is decoded.
    overflowed: bool,
}

/// Far more than any real event (a text delta is a few hundred bytes): a line or event
/// past this is a broken or hostile server, whose one endless line would otherwise grow
/// memory until the tab dies.
pub const MAX_EVENT_BYTES: usize = 4 << 20;

impl SseDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, bytes: &[u8]) -> Vec<SseEvent> {
        let mut out = Vec::new();
        self.push_with(bytes, |e| out.push(e.to_event()));
        out
    }

    /// [`push`](Self::push) without building a list: `on_event` sees each event as it
    /// completes.
    pub fn push_with(&mut self, bytes: &[u8], mut on_event: impl FnMut(SseEventRef<'_>)) {
        if self.overflowed {
            return;
        }
        let mut rest = bytes;
        if self.after_cr && !rest.is_empty() {
            self.after_cr = false;
            if rest[0] == b'\n' {
                rest = &rest[1..];
            }
        }
        while let Some(end) = memchr::memchr2(b'\n', b'\r', rest) {
            if self.line.is_empty() {
                // The usual case: the whole line is in this chunk, read in place.
                self.end_line(&rest[..end], &mut on_event);
            } else {
                let mut line = std::mem::take(&mut self.line);
                line.extend_from_slice(&rest[..end]);
                self.end_line(&line, &mut on_event);
                // Keep the allocation for the next split line.
                line.clear();
                self.line = line;
            }
            if rest[end] == b'\r' {
                match rest.get(end + 1) {
                    Some(b'\n') => rest = &rest[end + 2..],
                    Some(_) => rest = &rest[end + 1..],
                    None => {
                        self.after_cr = true;
                        rest = &[];
                    }
                }
            } else {
                rest = &rest[end + 1..];
            }
            if self.overflowed {
                return;
            }
        }
        if self.line.len() + rest.len() > MAX_EVENT_BYTES {
            self.overflow();
            return;
        }
        self.line.extend_from_slice(rest);
    }

    /// Whether a line or event outgrew [`MAX_EVENT_BYTES`] (decoding stopped there).
    pub fn overflowed(&self) -> bool {
        self.overflowed
    }

    fn overflow(&mut self) {
        self.overflowed = true;
        self.line = Vec::new();
        self.data = String::new();
        self.has_data = false;
    }

    /// The stream ended. An unterminated last line is dropped (it was cut off mid-way),
    /// but complete `data:` lines still waiting for their blank line are dispatched: the
    /// spec would drop them too, yet servers that omit the final blank line exist, and
    /// dropping a complete `data: [DONE]` would make a finished answer look cut off.
    pub fn finish(&mut self) -> Vec<SseEvent> {
        let mut out = Vec::new();
        self.finish_with(|e| out.push(e.to_event()));
        out
    }

    /// [`finish`](Self::finish) without building a list.
    pub fn finish_with(&mut self, mut on_event: impl FnMut(SseEventRef<'_>)) {
        self.line.clear();
        self.after_cr = false;
        self.dispatch(&mut on_event);
    }

    fn end_line(&mut self, mut bytes: &[u8], on_event: &mut impl FnMut(SseEventRef<'_>)) {
        if !self.started {
            self.started = true;
            bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        }
        if bytes.is_empty() {
            self.dispatch(on_event);
            return;
        }
        if bytes[0] == b':' {
            return;
        }
        // Split on bytes: `:` never occurs inside a multi-byte UTF-8 character, and only
        // the value is text anyone reads.
        let (name, value) = match memchr::memchr(b':', bytes) {
            Some(i) => {
                let v = &bytes[i + 1..];
                (&bytes[..i], v.strip_prefix(b" ").unwrap_or(v))
            }
            None => (bytes, &[][..]),
        };
        match name {
            b"event" => {
                self.event.clear();
                push_text(&mut self.event, value);
            }
            b"data" => {
                if self.data.len() + value.len() >= MAX_EVENT_BYTES {
                    return self.overflow();
                }
                if self.has_data {
                    self.data.push('\n');
                }
                push_text(&mut self.data, value);
                self.has_data = true;
            }
            // `id` and `retry` steer browser reconnection, which a one-shot POST never does.
            _ => {}
        }
    }

    fn dispatch(&mut self, on_event: &mut impl FnMut(SseEventRef<'_>)) {
        if self.has_data {
            self.has_data = false;
            on_event(SseEventRef {
                event: (!self.event.is_empty()).then_some(self.event.as_str()),
                data: &self.data,
            });
        }
        self.event.clear();
        self.data.clear();
    }
}

/// Invalid UTF-8 cannot come from a well-behaved server; replacing it keeps the rest of
/// the stream usable (JSON parsing will then judge the event).
fn push_text(to: &mut String, bytes: &[u8]) {
    match std::str::from_utf8(bytes) {
        Ok(text) => to.push_str(text),
        Err(_) => to.push_str(&String::from_utf8_lossy(bytes)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(input: &[u8]) -> Vec<SseEvent> {
        let mut d = SseDecoder::new();
        let mut out = d.push(input);
        out.extend(d.finish());
        out
    }

    fn ev(event: Option<&str>, data: &str) -> SseEvent {
        SseEvent {
            event: event.map(str::to_string),
            data: data.to_string(),
        }
    }

    #[test]
    fn line_ends_comments_and_multiline_data() {
        let got = all(b": hello\r\nevent: a\rdata: 1\ndata:2\r\n\r\ndata\n\n\nevent: b\n\n");
        assert_eq!(got, vec![ev(Some("a"), "1\n2"), ev(None, "")]);
    }

    #[test]
    fn bom_only_at_start_and_unknown_fields() {
        let got = all(b"\xEF\xBB\xBFdata: x\nid: 7\nretry: 10\nfoo\n\n");
        assert_eq!(got, vec![ev(None, "x")]);
    }

    #[test]
    fn cr_then_lf_in_next_chunk_is_one_line_end() {
        let mut d = SseDecoder::new();
        assert!(d.push(b"data: a\r").is_empty());
        assert!(d.push(b"\n").is_empty());
        assert_eq!(d.push(b"\r\n"), vec![ev(None, "a")]);
    }

    #[test]
    fn finish_keeps_complete_lines_drops_partial_one() {
        assert_eq!(all(b"data: [DONE]\n"), vec![ev(None, "[DONE]")]);
        assert_eq!(all(b"data: {\"cut"), vec![]);
    }

    #[test]
    fn an_event_name_never_carries_over() {
        // The name buffer is reused between events: a blank line must clear it, with or
        // without data before it.
        let got = all(b"event: a\ndata: 1\n\ndata: 2\n\nevent: b\n\ndata: 3\n\n");
        assert_eq!(got, vec![ev(Some("a"), "1"), ev(None, "2"), ev(None, "3")]);
    }

    #[test]
    fn push_with_sees_what_push_returns() {
        let body = b"event: x\r\ndata: one\r\ndata: two\r\n\r\ndata: \xFFbad\n\ndata: tail";
        let mut seen = Vec::new();
        let mut d = SseDecoder::new();
        for part in body.chunks(5) {
            d.push_with(part, |e| seen.push(e.to_event()));
        }
        d.finish_with(|e| seen.push(e.to_event()));
        assert_eq!(seen, all(body));
        assert_eq!(
            seen,
            vec![ev(Some("x"), "one\ntwo"), ev(None, "\u{FFFD}bad")]
        );
    }

    #[test]
    fn utf8_split_across_chunks() {
        let text = "data: héllo 😀\n\n".as_bytes();
        for cut in 0..text.len() {
            let mut d = SseDecoder::new();
            let mut got = d.push(&text[..cut]);
            got.extend(d.push(&text[cut..]));
            got.extend(d.finish());
            assert_eq!(got, vec![ev(None, "héllo 😀")], "cut at {cut}");
        }
    }
}
