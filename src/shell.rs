//! Taking over from the first screen in `index.html`.
//!
//! The page shows the unlock (or create) form as plain HTML before the wasm has arrived,
//! so a person can start typing at once. The app draws its own page behind that copy
//! (style/main.css keeps it out of sight), then, just before the next paint, removes the
//! copy and carries over what was typed, the focus with the caret, and a submit that was
//! pressed meanwhile (`crate::app::App`). Until then the two share ids: the app's forms
//! reach their fields through node refs, and [`Shell::hand_over`] looks them up by id
//! only once the copy is gone.

use std::time::Duration;

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlInputElement};

/// The fields both copies have, by id.
const FIELDS: [&str; 3] = ["unlock-pass", "new-pass", "new-pass-repeat"];

pub struct Shell {
    el: Element,
    focused: Option<(String, Option<u32>, Option<u32>)>,
    submitted: bool,
}

/// Take the first screen out of the document, remembering its state; `None` when the
/// page showed none (another page, storage blocked, already taken).
pub fn take() -> Option<Shell> {
    let doc = document();
    let el = doc.get_element_by_id("byok-shell")?;
    let focused = doc
        .active_element()
        .filter(|a| el.contains(Some(a)))
        .and_then(|a| a.dyn_into::<HtmlInputElement>().ok())
        .map(|i| {
            (
                i.id(),
                i.selection_start().ok().flatten(),
                i.selection_end().ok().flatten(),
            )
        });
    let submitted = el.get_attribute("data-submitted").is_some();
    let shown = !el.has_attribute("hidden");
    el.remove();
    shown.then_some(Shell {
        el,
        focused,
        submitted,
    })
}

impl Shell {
    /// Hand the typed values, focus and a pending submit to the app's form, once it is
    /// drawn (the same task, or a few ticks later if the page is still being built).
    pub fn hand_over(self) {
        self.try_hand_over(20);
    }

    fn try_hand_over(self, tries: u32) {
        let present = FIELDS
            .iter()
            .any(|id| self.field(id).is_some() && app_field(id).is_some());
        if !present {
            if tries > 0 {
                set_timeout(move || self.try_hand_over(tries - 1), Duration::ZERO);
            } else {
                self.wipe();
            }
            return;
        }
        let mut form = None;
        for id in FIELDS {
            let (Some(old), Some(new)) = (self.field(id), app_field(id)) else {
                continue;
            };
            let value = old.value();
            if !value.is_empty() {
                new.set_value(&value);
                // The app's fields keep their value in signals fed by `input` events.
                let init = web_sys::EventInit::new();
                init.set_bubbles(true);
                if let Ok(ev) = web_sys::Event::new_with_event_init_dict("input", &init) {
                    let _ = new.dispatch_event(&ev);
                }
            }
            form = form.or(new.form());
        }
        if let Some((id, start, end)) = &self.focused
            && let Some(new) = app_field(id)
        {
            let _ = new.focus();
            if let (Some(s), Some(e)) = (start, end) {
                let _ = new.set_selection_range(*s, *e);
            }
        }
        // As pressing the form's button would: through the app's submit handler.
        if self.submitted
            && let Some(form) = form
        {
            let _ = form.request_submit();
        }
        self.wipe();
    }

    fn field(&self, id: &str) -> Option<HtmlInputElement> {
        self.el
            .query_selector(&format!("#{id}"))
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<HtmlInputElement>().ok())
    }

    /// The removed copy holds what was typed: clear it rather than wait for collection.
    fn wipe(&self) {
        for id in FIELDS {
            if let Some(f) = self.field(id) {
                f.set_value("");
            }
        }
    }
}

/// The app's own field with this id (the copy is out of the document by then).
fn app_field(id: &str) -> Option<HtmlInputElement> {
    document()
        .get_element_by_id(id)
        .and_then(|e| e.dyn_into::<HtmlInputElement>().ok())
}
