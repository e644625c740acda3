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

fn el(doc: &Document, tag: &str) -> Option<Element> {
    doc.create_element(tag).ok()
}

/// Render `text` into `into`, replacing what was there.
pub fn render_into(into: &Element, text: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    into.set_text_content(None);
    let mut stack: Vec<Node> = vec![into.clone().into()];
    let append = |stack: &mut Vec<Node>, node: &Node| {
        if let Some(parent) = stack.last() {
            let _ = parent.append_child(node);
        }
    };
    let text_node = |s: &str| -> Node { doc.create_text_node(s).into() };
    let mut in_code_block = false;
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    opts.insert(Options::ENABLE_TASKLISTS);
    for ev in Parser::new_ext(text, opts) {
        match ev {
            Event::Start(tag) => {
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
                    Tag::Table(_) => el(&doc, "table"),
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
                if stack.len() > 1 {
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
    use super::safe_href;

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
