use byok_core::passphrase;
use leptos::prelude::*;

/// A passphrase input with a live strength meter and the reason it would be refused.
/// The value lives in the caller's signal only while the form is open.
#[component]
pub fn PassphraseWithStrength(
    value: RwSignal<String>,
    #[prop(into)] label: String,
    #[prop(into)] id: String,
) -> impl IntoView {
    let strength = Memo::new(move |_| value.with(|v| passphrase::assess(v)));
    let hint_id = format!("{id}-strength");
    view! {
        <label for=id.clone()>{label}</label>
        <input
            id=id
            type="password"
            autocomplete="new-password"
            aria-describedby=hint_id.clone()
            prop:value=move || value.get()
            on:input=move |ev| value.set(event_target_value(&ev))
        />
        <div class="strength" id=hint_id>
            <meter min="0" max="4" low="2" high="3" optimum="4" value=move || strength.get().score aria-label="Passphrase strength"></meter>
            <span>
                {move || {
                    let s = strength.get();
                    if value.with(|v| v.is_empty()) {
                        "At least 12 characters; several unrelated words work well.".to_string()
                    } else {
                        match s.refusal {
                            Some(r) => format!("Strength: {}. {}", s.label(), r),
                            None => format!("Strength: {}.", s.label()),
                        }
                    }
                }}
            </span>
        </div>
    }
}
