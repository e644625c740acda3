//! The streaming markdown renderer in real Chromium DOM: however an answer arrives, the
//! finished answer's DOM is exactly a full render of its text.
#![cfg(target_arch = "wasm32")]

use byok_app::components::markdown::{Incremental, MAX_NESTING, render_into};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn div() -> web_sys::Element {
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .expect("document");
    let d = doc.create_element("div").expect("div");
    doc.body().expect("body").append_child(&d).expect("append");
    d
}

/// Stream `text` in pieces of about `step` bytes, finish, and compare with one render.
fn streamed_equals_full(text: &str, step: usize) {
    let streamed = div();
    let mut r = Incremental::default();
    let mut end = 0;
    while end < text.len() {
        end = (end + step).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        r.update(&streamed, &text[..end]);
    }
    r.finish(&streamed, text);
    let full = div();
    render_into(&full, text);
    assert_eq!(
        streamed.inner_html(),
        full.inner_html(),
        "step {step}, text starting {:?}",
        &text[..text.len().min(40)]
    );
    assert!(streamed.child_element_count() > 0);
    streamed.remove();
    full.remove();
}

const MIXED: &str = "# Title\n\nIntro paragraph\nwith two lines.\n\n1. one\n\n2. two\n3. three\n\n```rust\nfn main() {\n\n    println!(\"hi\");\n}\n```\n\n- a\n  - nested\n\n  continued\n- b\n\n> quote\nlazy\n\n---\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nSetext\n===\n\n    indented code\n\n    more\n\nend";

/// Reference definitions after their use: the one case that needs a full final render.
const LATE_REFS: &str = "See [the docs][d] and [x].\n\n- a [d] item\n\nMore text.\n\n[d]: https://example.com/docs\n[x]: https://example.com/x \"X\"\n";

#[wasm_bindgen_test]
fn a_streamed_answer_ends_as_exactly_one_full_render() {
    for step in [1, 3, 17] {
        streamed_equals_full(MIXED, step);
        streamed_equals_full(LATE_REFS, step);
        streamed_equals_full(include_str!("mock-provider/replies/markdown.md"), step);
    }
    for step in [61, 997] {
        streamed_equals_full(include_str!("mock-provider/replies/long.md"), step);
    }
}

#[wasm_bindgen_test]
fn late_reference_definitions_become_links_in_the_final_render() {
    let d = div();
    let mut r = Incremental::default();
    r.update(&d, &LATE_REFS[..LATE_REFS.find("[d]: ").expect("def")]);
    assert_eq!(d.query_selector_all("a").expect("query").length(), 0);
    r.finish(&d, LATE_REFS);
    assert_eq!(d.query_selector_all("a").expect("query").length(), 3);
}

/// How deep the elements under `e` go.
fn depth(e: &web_sys::Element) -> usize {
    let kids = e.children();
    (0..kids.length())
        .filter_map(|i| kids.item(i))
        .map(|c| 1 + depth(&c))
        .max()
        .unwrap_or(0)
}

#[wasm_bindgen_test]
fn endless_nesting_stops_at_a_depth_and_keeps_the_text() {
    for (open, what) in [
        (">", "block quotes"),
        ("- ", "lists"),
        ("1. ", "numbered lists"),
    ] {
        let text = format!("{}deep words\n\nafter", open.repeat(5_000));
        let d = div();
        render_into(&d, &text);
        // Each level can be a couple of elements (a list and its item).
        assert!(
            depth(&d) <= 2 * MAX_NESTING + 4,
            "{what}: {} deep",
            depth(&d)
        );
        let shown = d.text_content().unwrap_or_default();
        assert!(
            shown.contains("deep words") && shown.contains("after"),
            "{what}: {shown:?}"
        );
        // Streamed, it ends the same.
        streamed_equals_full(&text[..text.len().min(20_000)], 997);
    }
}
