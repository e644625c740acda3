//! An error about one field of a form, shown under that field: the field is marked
//! invalid, described by the message, and given the focus, so neither a sighted person
//! nor a screen reader has to look for what to mend. Errors about the form as a whole
//! go by its button (`Field::Form`).
//!
//! A screen reader reads a field's description as the focus arrives, so the message is
//! an alert only when the focus does not move (no input to go to, or the person is in it
//! already): otherwise it would be read twice.

use byok_core::model::ModelError;
use leptos::prelude::*;

use crate::error::AppError;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Field {
    Secret,
    Label,
    BaseUrl,
    Expires,
    Passphrase,
    /// A new passphrase (its strength hint stays its own).
    NewPassphrase,
    Repeat,
    /// The price form's fields.
    Provider,
    Model,
    Input,
    Output,
    Cached,
    Form,
}

impl Field {
    /// The field a saving error is about.
    pub fn of(e: &AppError) -> Field {
        match e {
            AppError::Model(m) => match m {
                ModelError::EmptyLabel | ModelError::DuplicateLabel { .. } => Field::Label,
                ModelError::EmptySecret
                | ModelError::SecretHasSpaces
                | ModelError::DuplicateSecret { .. } => Field::Secret,
                ModelError::MissingBaseUrl | ModelError::BadBaseUrl(_) => Field::BaseUrl,
                ModelError::NotFound => Field::Form,
            },
            _ => Field::Form,
        }
    }
}

/// A form's one error at a time, and which field it is about.
#[derive(Clone, Copy)]
pub struct FieldErr {
    /// The field, the text, and whether it is announced as an alert.
    err: RwSignal<Option<(Field, String, bool)>>,
    /// Prefix of the element ids: `{prefix}-{field}-error`.
    prefix: StoredValue<String>,
    /// The id of each field's input, which an error about it focuses.
    inputs: StoredValue<Vec<(Field, String)>>,
}

impl FieldErr {
    /// `inputs`: the id of each field's input (a field left out gets no focus).
    pub fn new<S: Into<String>>(
        prefix: impl Into<String>,
        inputs: impl IntoIterator<Item = (Field, S)>,
    ) -> Self {
        Self {
            err: RwSignal::new(None),
            prefix: StoredValue::new(prefix.into()),
            inputs: StoredValue::new(inputs.into_iter().map(|(f, s)| (f, s.into())).collect()),
        }
    }

    /// Show `text` under `field` and focus the field's input once drawn.
    pub fn show(self, field: Field, text: impl Into<String>) {
        let input = self
            .inputs
            .try_with_value(|i| {
                i.iter()
                    .find(|(f, _)| *f == field)
                    .map(|(_, id)| id.clone())
            })
            .flatten();
        let focused = document()
            .active_element()
            .map(|a| a.id())
            .filter(|a| !a.is_empty());
        let alert = input.is_none() || input == focused;
        let shown = Some((field, text.into(), alert));
        if alert && self.err.with_untracked(Option::is_some) {
            // A message already in the page does not become an alert by a change of its
            // role: it is drawn afresh, a tick later, to be announced.
            self.err.set(None);
            set_timeout(
                move || drop(self.err.try_set(shown)),
                std::time::Duration::ZERO,
            );
        } else {
            self.err.set(shown);
        }
        if let Some(id) = input {
            set_timeout(
                move || {
                    let Some(el) = document().get_element_by_id(&id) else {
                        return;
                    };
                    // A field under a closed "Advanced" is opened to, or its message
                    // would not be seen.
                    if let Ok(Some(d)) = el.closest("details") {
                        let _ = d.set_attribute("open", "");
                    }
                    if let Ok(el) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(el) {
                        let _ = el.focus();
                        // A refused passphrase is typed again from scratch, as at unlock:
                        // selected, the first key pressed replaces it.
                        if matches!(field, Field::Passphrase | Field::NewPassphrase)
                            && let Ok(i) =
                                wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlInputElement>(el)
                        {
                            i.select();
                        }
                    }
                },
                std::time::Duration::ZERO,
            );
        }
    }

    /// A saving error, under the field it is about.
    pub fn show_error(self, e: &AppError) {
        self.show(Field::of(e), e.message());
    }

    /// Also safe once the form is gone (a save that finished after it closed).
    pub fn clear(self) {
        if self.err.try_with_untracked(Option::is_some) == Some(true) {
            self.err.set(None);
        }
    }

    pub fn is_on(self, field: Field) -> bool {
        self.err
            .with(|e| e.as_ref().is_some_and(|(f, _, _)| *f == field))
    }

    /// The id of the message for `field`, for the input's `aria-describedby`.
    pub fn id(self, field: Field) -> String {
        let field = format!("{field:?}").to_lowercase();
        self.prefix
            .try_with_value(|p| format!("{p}-{field}-error"))
            .unwrap_or_default()
    }

    /// `aria-invalid` for the field's input.
    pub fn invalid(self, field: Field) -> impl Fn() -> Option<&'static str> + Send + Sync {
        move || self.is_on(field).then_some("true")
    }

    /// The message under `field` (nothing while it has none).
    pub fn view(self, field: Field) -> impl IntoView {
        view! {
            <Show when=move || self.is_on(field)>
                <p class="error" id=self.id(field)
                    role=move || self.err.with(|e| e.as_ref().is_some_and(|(_, _, a)| *a)).then_some("alert")>
                    {move || self.err.with(|e| e.as_ref().map(|(_, t, _)| t.clone()).unwrap_or_default())}
                </p>
            </Show>
        }
    }
}
