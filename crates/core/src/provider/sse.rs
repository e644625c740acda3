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

/// Feed it bytes as they arrive, in chunks of any size; it returns the events completed
/// so far. Bytes are kept until a whole line is in, so a UTF-8 character or a `\r\n` cut
/// between two chunks decodes the same as if it had arrived in one.
#[derive(Debug, Default)]
pub struct SseDecoder {
    /// Bytes of the current, not yet terminated line.
    line: Vec<u8>,
    /// The previous chunk ended on `\r`: a `\n` starting the next one belongs to it.
    after_cr: bool,
    /// Whether the start of the stream (where a BOM may sit) is behind us.
    started: bool,
    event: Option<String>,
    data: String,
    /// `data` holds at least one `data:` line (an empty one counts).
    has_data: bool,
}

impl SseDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, bytes: &[u8]) -> Vec<SseEvent> {
        let mut out = Vec::new();
        let mut rest = bytes;
        if self.after_cr && !rest.is_empty() {
            self.after_cr = false;
            if rest[0] == b'\n' {
                rest = &rest[1..];
            }
        }
        while let Some(end) = rest.iter().position(|&b| b == b'\n' || b == b'\r') {
            self.line.extend_from_slice(&rest[..end]);
            self.end_line(&mut out);
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
        }
        self.line.extend_from_slice(rest);
        out
    }

    /// The stream ended. An unterminated last line is dropped (it was cut off mid-way),
    /// but complete `data:` lines still waiting for their blank line are dispatched: the
    /// spec would drop them too, yet servers that omit the final blank line exist, and
    /// dropping a complete `data: [DONE]` would make a finished answer look cut off.
    pub fn finish(&mut self) -> Vec<SseEvent> {
        self.line.clear();
        self.after_cr = false;
        let mut out = Vec::new();
        self.dispatch(&mut out);
        out
    }

    fn end_line(&mut self, out: &mut Vec<SseEvent>) {
        let raw = std::mem::take(&mut self.line);
        let mut bytes = raw.as_slice();
        if !self.started {
            self.started = true;
            bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        }
        if bytes.is_empty() {
            self.dispatch(out);
        } else {
            // Invalid UTF-8 cannot come from a well-behaved server; replacing it keeps the
            // rest of the stream usable (JSON parsing will then judge the event).
            let line = String::from_utf8_lossy(bytes);
            self.field(&line);
        }
        // Reuse the allocation for the next line.
        self.line = raw;
        self.line.clear();
    }

    fn field(&mut self, line: &str) {
        if line.starts_with(':') {
            return;
        }
        let (name, value) = match line.split_once(':') {
            Some((n, v)) => (n, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match name {
            "event" => self.event = Some(value.to_string()),
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            // `id` and `retry` steer browser reconnection, which a one-shot POST never does.
            _ => {}
        }
    }

    fn dispatch(&mut self, out: &mut Vec<SseEvent>) {
        let event = self.event.take();
        if !self.has_data {
            return;
        }
        self.has_data = false;
        out.push(SseEvent {
            event: event.filter(|e| !e.is_empty()),
            data: std::mem::take(&mut self.data),
        });
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
