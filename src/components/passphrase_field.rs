use byok_core::passphrase;
use leptos::prelude::*;

use crate::components::field_error::{Field, FieldErr};

/// A passphrase input with a live strength meter and the reason it would be refused.
/// The value lives in the caller's signal only while the form is open.
#[component]
pub fn PassphraseWithStrength(
    value: RwSignal<String>,
    #[prop(into)] label: String,
    #[prop(into)] id: String,
    /// Set when the form was sent with a passphrase it refuses: the field is marked
    /// invalid and its hint, which says why, is shown as the error.
    #[prop(optional, into)]
    invalid: Signal<bool>,
    /// A form's error about this field that is not about strength (the same passphrase
    /// as before): it marks the field and describes it too, shown where the form puts it.
    #[prop(optional)]
    error: Option<(FieldErr, Field)>,
) -> impl IntoView {
    let strength = Memo::new(move |_| value.with(|v| passphrase::assess(v)));
    let hint_id = format!("{id}-strength");
    let error_on = move || error.is_some_and(|(e, f)| e.is_on(f));
    let described = {
        let hint_id = hint_id.clone();
        move || match error {
            Some((e, f)) if e.is_on(f) => format!("{} {hint_id}", e.id(f)),
            _ => hint_id.clone(),
        }
    };
    // Sent with Enter from this field: the focus stays, so the refusal is announced.
    // Sent any other way, the focus comes to the field and its hint is read with it.
    let entered = RwSignal::new(false);
    view! {
        <label for=id.clone()>{label}</label>
        <input
            id=id
            type="password"
            autocomplete="new-password"
            aria-describedby=described
            aria-invalid=move || (invalid.get() || error_on()).then_some("true")
            prop:value=move || value.get()
            on:input=move |ev| { entered.set(false); value.set(event_target_value(&ev)); }
            on:keydown=move |ev| entered.set(ev.key() == "Enter")
            on:blur=move |_| entered.set(false)
        />
        <div class="strength" class:invalid=move || invalid.get() id=hint_id>
            <meter min="0" max="4" low="2" high="3" optimum="4" value=move || strength.get().score aria-label="Passphrase strength"></meter>
            <span>
                {move || {
                    let s = strength.get();
                    if value.with(|v| v.is_empty()) {
                        if invalid.get() {
                            "Type a passphrase: at least 12 characters; several unrelated words work well.".to_string()
                        } else {
                            "At least 12 characters; several unrelated words work well.".to_string()
                        }
                    } else {
                        match s.refusal {
                            Some(r) => format!("Strength: {}. {}", s.label(), r),
                            None => format!("Strength: {}.", s.label()),
                        }
                    }
                }}
            </span>
        </div>
        // The hint is not a live region (it changes with every key): a refusal is
        // announced once, as the form is sent.
        <Show when=move || invalid.get() && entered.get()>
            <p class="sr-only" role="alert">
                {move || strength.get().refusal.unwrap_or("Type a passphrase.")}
            </p>
        </Show>
    }
}
