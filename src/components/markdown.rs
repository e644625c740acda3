//! Model output as markdown, built as DOM nodes (never `innerHTML`): raw HTML in the
//! answer is shown as text, links keep only http(s)/mailto targets and open with
//! `rel="noopener noreferrer"`, images are shown as links (loading them would reach
//! hosts the page must not contact), code blocks get a copy button.

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, Node};

/// A URL the page may link to: absolute http(s) or mailto, nothing that runs script.
pub fn safe_href(url: &str) -> Option<&str> {
    let t = url.trim();
    let lower = t.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:"))
        .then_some(t)
}

/// Deeper than any answer needs: the rest of a deeper answer nests no further. Model
/// output can nest without end (100,000 `>` make as many block quotes), and a chain of
/// elements that deep is more than a browser lays out in good time.
pub const MAX_NESTING: usize = 32;

fn el(doc: &Document, tag: &str) -> Option<Element> {
    doc.create_element(tag).ok()
}

fn options() -> Options {
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    opts.insert(Options::ENABLE_TASKLISTS);
    opts
}

/// Where the unfinished end of a growing answer starts: the byte offset of the last
/// top-level block of `text` when everything before it can no longer change, else 0.
///
/// A top-level block is closed once another one has started, with one catch: a line
/// that is still being written can turn out to continue the block before it
/// (`1. a` + blank + `2` becomes a list item when `.` arrives), so the last block only
/// counts once its first line is complete.
pub fn settled_prefix(text: &str) -> usize {
    let mut depth = 0usize;
    let mut starts: Vec<usize> = Vec::new();
    for (ev, range) in Parser::new_ext(text, options()).into_offset_iter() {
        match ev {
            Event::Start(_) => {
                if depth == 0 {
                    starts.push(range.start);
                }
                depth += 1;
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Rule if depth == 0 => starts.push(range.start),
            _ => {}
        }
    }
    match starts.as_slice() {
        // From the start of the line: an indented code block's offset is past its indent.
        [.., before, last] if before < last && text[*last..].contains('\n') => {
            line_start(text, *last)
        }
        _ => 0,
    }
}

fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// Renders an answer while it streams in without redoing finished blocks: each update
/// parses and builds only the part after the last settled block, so the work for a
/// whole answer stays close to one render of it, however many deltas it came in.
/// [`render_into`] gives the exact final form once the answer is complete (references
/// defined late and similar whole-document effects).
#[derive(Default)]
pub struct Incremental {
    /// Bytes of the text already rendered for good.
    settled_len: usize,
    /// Child nodes of the container that belong to the settled part.
    settled_nodes: u32,
}

impl Incremental {
    pub fn update(&mut self, into: &Element, text: &str) {
        if self.replaced(text) {
            // The text was replaced (a retry): start over.
            *self = Incremental::default();
            into.set_text_content(None);
        }
        self.drop_unsettled(into);
        let rest = &text[self.settled_len..];
        let cut = settled_prefix(rest);
        if cut > 0 {
            append_rendered(into, &rest[..cut]);
            self.settled_len += cut;
            self.settled_nodes = into.child_nodes().length();
        }
        append_rendered(into, &text[self.settled_len..]);
    }

    /// `text` does not continue what was rendered so far.
    fn replaced(&self, text: &str) -> bool {
        text.len() < self.settled_len || !text.is_char_boundary(self.settled_len)
    }

    /// Remove the nodes of the unfinished end, built by the previous update.
    fn drop_unsettled(&self, into: &Element) {
        let nodes = into.child_nodes();
        while nodes.length() > self.settled_nodes {
            match into.last_child() {
                Some(c) => {
                    let _ = into.remove_child(&c);
                }
                None => break,
            }
        }
    }

    /// The exact render of the complete answer; the next update starts afresh.
    ///
    /// With the options byok uses, the one effect that reaches across blocks is a link
    /// reference definition (`[x]: url`), which may come after the blocks that use it.
    /// Without one, the settled blocks are already what a full render builds, so only
    /// the unfinished end is rebuilt (the same DOM, tested in tests/markdown.rs); with
    /// one, everything is rendered again.
    pub fn finish(&mut self, into: &Element, text: &str) {
        // A definition needs "]:", so most answers skip the extra full parse.
        let refs = text.contains("]:")
            && Parser::new_ext(text, options())
                .reference_definitions()
                .iter()
                .next()
                .is_some();
        if refs || self.replaced(text) {
            render_into(into, text);
        } else {
            // Nothing more will stream in: the unfinished end is rendered in one go,
            // without first looking for where its settled blocks end.
            self.drop_unsettled(into);
            append_rendered(into, &text[self.settled_len..]);
        }
        *self = Incremental::default();
    }
}

/// Render `text` into `into`, replacing what was there.
pub fn render_into(into: &Element, text: &str) {
    into.set_text_content(None);
    append_rendered(into, text);
}

/// Render `text` at the end of `into`.
fn append_rendered(into: &Element, text: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let mut stack: Vec<Node> = vec![into.clone().into()];
    let append = |stack: &mut Vec<Node>, node: &Node| {
        if let Some(parent) = stack.last() {
            let _ = parent.append_child(node);
        }
    };
    let text_node = |s: &str| -> Node { doc.create_text_node(s).into() };
    let mut in_code_block = false;
    // Starts past MAX_NESTING that made no element: their ends pop nothing.
    let mut flattened = 0usize;
    for ev in Parser::new_ext(text, options()) {
        match ev {
            Event::Start(tag) => {
                if stack.len() > MAX_NESTING {
                    flattened += 1;
                    in_code_block |= matches!(tag, Tag::CodeBlock(_));
                    continue;
                }
                let node: Option<Element> = match &tag {
                    Tag::Paragraph => el(&doc, "p"),
                    Tag::Heading { level, .. } => {
                        // Model headings sit inside a page that has its own h1/h2.
                        let n = (*level as usize + 2).min(6);
                        el(&doc, &format!("h{n}"))
                    }
                    Tag::BlockQuote(_) => el(&doc, "blockquote"),
                    Tag::CodeBlock(kind) => {
                        in_code_block = true;
                        let wrap = el(&doc, "div");
                        if let Some(w) = &wrap {
                            w.set_class_name("code-block");
                            if let Some(b) = el(&doc, "button") {
                                b.set_class_name("copy-code secondary");
                                let _ = b.set_attribute("type", "button");
                                b.set_text_content(Some("Copy code"));
                                let _ = w.append_child(&b);
                            }
                            if let (CodeBlockKind::Fenced(lang), Some(l)) = (kind, el(&doc, "span"))
                                && !lang.is_empty()
                            {
                                l.set_class_name("code-lang");
                                l.set_text_content(Some(lang));
                                let _ = w.append_child(&l);
                            }
                        }
                        let pre = el(&doc, "pre");
                        let code = el(&doc, "code");
                        if let (Some(w), Some(pre), Some(code)) = (wrap, pre, code) {
                            let _ = pre.append_child(&code);
                            let _ = w.append_child(&pre);
                            append(&mut stack, &w);
                            stack.push(code.into());
                        }
                        continue;
                    }
                    Tag::List(Some(start)) => el(&doc, "ol").inspect(|e| {
                        let _ = e.set_attribute("start", &start.to_string());
                    }),
                    Tag::List(None) => el(&doc, "ul"),
                    Tag::Item => el(&doc, "li"),
                    Tag::Emphasis => el(&doc, "em"),
                    Tag::Strong => el(&doc, "strong"),
                    Tag::Strikethrough => el(&doc, "del"),
                    Tag::Table(_) => {
                        // In a box of its own that scrolls sideways: a wide table stays
                        // whole on a narrow screen instead of breaking its words.
                        let wrap = el(&doc, "div");
                        let table = el(&doc, "table");
                        if let (Some(w), Some(t)) = (wrap, table) {
                            w.set_class_name("table-scroll");
                            let _ = w.append_child(&t);
                            append(&mut stack, &w);
                            stack.push(t.into());
                        }
                        continue;
                    }
                    Tag::TableHead => el(&doc, "thead"),
                    Tag::TableRow => el(&doc, "tr"),
                    Tag::TableCell => el(&doc, "td"),
                    Tag::Link { dest_url, .. } => match safe_href(dest_url) {
                        Some(href) => el(&doc, "a").inspect(|a| {
                            let _ = a.set_attribute("href", href);
                            let _ = a.set_attribute("rel", "noopener noreferrer nofollow");
                            let _ = a.set_attribute("target", "_blank");
                        }),
                        // An unsafe target keeps its text and loses the link.
                        None => el(&doc, "span"),
                    },
                    Tag::Image { dest_url, .. } => match safe_href(dest_url) {
                        Some(href) => el(&doc, "a").inspect(|a| {
                            let _ = a.set_attribute("href", href);
                            let _ = a.set_attribute("rel", "noopener noreferrer nofollow");
                            let _ = a.set_attribute("target", "_blank");
                            a.set_class_name("image-link");
                        }),
                        None => el(&doc, "span"),
                    },
                    _ => el(&doc, "span"),
                };
                if let Some(n) = node {
                    let n: Node = n.into();
                    append(&mut stack, &n);
                    stack.push(n);
                }
            }
            Event::End(end) => {
                if matches!(end, TagEnd::CodeBlock) {
                    in_code_block = false;
                }
                if flattened > 0 {
                    flattened -= 1;
                } else if stack.len() > 1 {
                    stack.pop();
                }
            }
            Event::Text(t) => append(&mut stack, &text_node(&t)),
            Event::Code(t) => {
                if let Some(c) = el(&doc, "code") {
                    c.set_text_content(Some(&t));
                    append(&mut stack, &c.into());
                }
            }
            // Raw HTML from the model is shown, not interpreted.
            Event::Html(t) | Event::InlineHtml(t) => append(&mut stack, &text_node(&t)),
            Event::SoftBreak => append(
                &mut stack,
                &text_node(if in_code_block { "\n" } else { " " }),
            ),
            Event::HardBreak => {
                if let Some(br) = el(&doc, "br") {
                    append(&mut stack, &br.into());
                }
            }
            Event::Rule => {
                if let Some(hr) = el(&doc, "hr") {
                    append(&mut stack, &hr.into());
                }
            }
            Event::TaskListMarker(done) => {
                append(&mut stack, &text_node(if done { "☑ " } else { "☐ " }))
            }
            Event::FootnoteReference(t) | Event::InlineMath(t) | Event::DisplayMath(t) => {
                append(&mut stack, &text_node(&t))
            }
        }
    }
}

/// For the container's click handler: the code of the block whose "Copy code" button
/// was pressed, if that is what was clicked.
pub fn code_for_copy_button(target: &web_sys::EventTarget) -> Option<String> {
    let button: &Element = target.dyn_ref()?;
    if !button.class_list().contains("copy-code") {
        return None;
    }
    let block = button.parent_element()?;
    block.query_selector("code").ok().flatten()?.text_content()
}

#[cfg(test)]
mod tests {
    use super::{line_start, options, safe_href, settled_prefix};
    use pulldown_cmark::{Event, Parser};

    fn block_starts(text: &str) -> Vec<usize> {
        let mut depth = 0usize;
        let mut out = Vec::new();
        for (ev, r) in Parser::new_ext(text, options()).into_offset_iter() {
            match ev {
                Event::Start(_) => {
                    if depth == 0 {
                        out.push(line_start(text, r.start));
                    }
                    depth += 1;
                }
                Event::End(_) => depth -= 1,
                Event::Rule if depth == 0 => out.push(line_start(text, r.start)),
                _ => {}
            }
        }
        out
    }

    const DOCS: &[&str] = &[
        include_str!("../../tests/mock-provider/replies/markdown.md"),
        include_str!("../../tests/mock-provider/replies/long.md"),
        "# Title\n\nIntro paragraph\nwith two lines.\n\n1. one\n\n2. two\n3. three\n\n```rust\nfn main() {\n\n    println!(\"hi\");\n}\n```\n\n- a\n  - nested\n\n  continued\n- b\n\n> quote\nlazy\n\n---\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nSetext\n===\n\n    indented code\n\n    more\n\nend",
        "para\n\n~~~\nfence ``` not closing\n~~~~\n\nafter\n\n<div>\n\nraw\n\n</div>\n\n* [ ] task\n* [x] done\n\ntext",
    ];

    #[test]
    fn settled_blocks_of_a_growing_answer_are_blocks_of_the_final_answer() {
        for doc in DOCS {
            let finals = block_starts(doc);
            // Every prefix a stream could deliver, settled step by step as the app does.
            let mut settled = 0usize;
            for end in (0..=doc.len()).filter(|i| doc.is_char_boundary(*i)) {
                let cut = settled_prefix(&doc[settled..end]);
                if cut > 0 {
                    settled += cut;
                    assert!(
                        finals.contains(&settled),
                        "cut at {settled} (prefix {end}) is not a block start of the final text: {:?}",
                        &doc[settled.saturating_sub(20)..settled]
                    );
                }
            }
            assert!(settled > 0, "a long answer settles some blocks");
        }
    }

    #[test]
    fn an_unfinished_line_never_settles_the_block_before_it() {
        assert_eq!(settled_prefix("1. a\n\n2"), 0);
        assert_eq!(settled_prefix("para\n\nnext"), 0);
        assert_eq!(settled_prefix("para\n\nnext\n"), 6);
        assert_eq!(settled_prefix("only one block\n"), 0);
        assert_eq!(settled_prefix(""), 0);
    }

    #[test]
    fn only_web_and_mail_links_survive() {
        assert_eq!(
            safe_href("https://example.com/x"),
            Some("https://example.com/x")
        );
        assert_eq!(safe_href(" HTTP://a.b "), Some("HTTP://a.b"));
        assert_eq!(safe_href("mailto:a@b.c"), Some("mailto:a@b.c"));
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:x",
            " javascript:x",
            "data:text/html,x",
            "vbscript:x",
            "/relative",
            "#frag",
            "file:///etc/passwd",
        ] {
            assert_eq!(safe_href(bad), None, "{bad}");
        }
    }
}
