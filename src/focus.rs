//! Keyboard focus that does not fall off the page.
//!
//! When the focused element is removed (a form that closes on Save, a row deleted, a
//! page that replaces the unlock form) or disabled while its work runs, the browser moves
//! focus to `<body>`: a screen reader loses its place, and keyboard users start again
//! from the top. [`install`] puts focus back near where it was instead.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::*;
use leptos::tachys::html::element::ElementType;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};

/// What Tab can reach, and so what focus may be put back on.
const TABBABLE: &str = "a[href], button:not([disabled]), input:not([disabled]):not([type=\"hidden\"]), \
    select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex=\"-1\"])";

/// How long a control disabled during its work is waited for (a key test, an export).
const WAIT_ENABLED: Duration = Duration::from_secs(60);
const WAIT_STEP: Duration = Duration::from_millis(100);

/// A `NodeRef` that focuses its element once it is in the page. The `autofocus`
/// attribute only works once per page load, not in forms opened later.
pub fn focus_on_show<E>() -> NodeRef<E>
where
    E: ElementType,
    E::Output: JsCast + Clone + 'static,
{
    let r = NodeRef::new();
    r.on_load(|el: E::Output| {
        let _ = el.unchecked_ref::<HtmlElement>().focus();
    });
    r
}

/// Moves focus to the element matching `selector`, if there is one.
pub fn focus_selector(selector: &str) {
    if let Some(el) = document().query_selector(selector).ok().flatten() {
        put_focus(&el);
    }
}

/// Moves focus to `selector` once the change just made has been drawn (the element may
/// not exist, or still be disabled, until the page's effects have run).
pub fn focus_when_drawn(selector: impl Into<String>) {
    let selector = selector.into();
    set_timeout(move || focus_selector(&selector), Duration::ZERO);
}

/// Focus without scrolling: a mouse user whose click removed the focused element should
/// not see the page jump.
fn put_focus(el: &Element) {
    let options = web_sys::FocusOptions::new();
    options.set_prevent_scroll(true);
    if let Some(el) = el.dyn_ref::<HtmlElement>() {
        let _ = el.focus_with_options(&options);
    }
}

/// Watches focus for the life of the page.
pub fn install() {
    // The focused element's ancestors, nearest first, recorded while it is in the page:
    // once it is removed, its own parents may be gone too.
    let chain: Rc<RefCell<Vec<Element>>> = Rc::default();
    let recorded = chain.clone();
    // For the life of the page: the handles are not kept, so the listeners stay.
    let _ = window_event_listener(leptos::ev::focusin, move |ev| {
        let mut v = Vec::new();
        let mut at = ev.target().and_then(|t| t.dyn_into::<Element>().ok());
        while let Some(el) = at {
            at = el.parent_element();
            v.push(el);
        }
        *recorded.borrow_mut() = v;
    });
    let _ = window_event_listener(leptos::ev::focusout, move |ev| {
        // Focus going to another element is not a loss. The window losing focus has no
        // related target either, but its element stays the active one (`settle` checks).
        if ev.related_target().is_some() {
            return;
        }
        let lost = chain.borrow().clone();
        // Read now: a quick job (a key test answered in 30 ms) may enable it again
        // before the check below runs.
        let disabled = lost.first().is_some_and(|e| e.has_attribute("disabled"));
        set_timeout(
            move || settle(lost, disabled, Duration::ZERO),
            Duration::ZERO,
        );
    });
}

fn focus_is_lost() -> bool {
    let doc = document();
    match doc.active_element() {
        None => true,
        Some(a) => doc
            .body()
            .is_some_and(|b| a == *b.unchecked_ref::<Element>()),
    }
}

/// `chain[0]` lost focus (`disabled`: by being disabled): put it somewhere sensible if
/// nothing else took it.
fn settle(chain: Vec<Element>, disabled: bool, waited: Duration) {
    let Some(lost) = chain.first() else { return };
    if !focus_is_lost() {
        return;
    }
    if lost.is_connected() {
        // Disabled while its work runs: it gets focus back when the work is done. Left
        // while usable, it was left by the person themselves (a click on the page).
        if !disabled {
            return;
        }
        if !lost.has_attribute("disabled") {
            put_focus(lost);
        } else if waited < WAIT_ENABLED {
            set_timeout(move || settle(chain, true, waited + WAIT_STEP), WAIT_STEP);
        }
        return;
    }
    for place in chain.iter().skip(1).filter(|e| e.is_connected()) {
        let tag = place.tag_name();
        if tag == "MAIN" || tag == "BODY" || tag == "HTML" {
            break;
        }
        let Ok(found) = place.query_selector_all(TABBABLE) else {
            continue;
        };
        let near = (0..found.length())
            .filter_map(|i| found.item(i))
            .filter_map(|n| n.dyn_into::<HtmlElement>().ok())
            .find(|el| el.offset_parent().is_some());
        if let Some(el) = near {
            put_focus(&el);
            return;
        }
    }
    // The page's content changed as a whole: start from its main region.
    focus_selector("main");
}
