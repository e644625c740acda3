//! The "Add key" form.

use byok_core::Secret;
use byok_core::keyfmt;
use byok_core::model::{NewKey, Provider, new_id};
use leptos::html;
use leptos::prelude::*;

use crate::components::field_error::{Field, FieldErr};
use crate::components::key_item::{expiry_warning, parse_date};
use crate::error::AppError;
use crate::state::session::use_session;
use crate::state::toasts::use_toasts;

/// Fill the base URL from a key's guessed service (OpenRouter, Groq), and keep following
/// the guess while the person has not typed their own: a URL filled in for an earlier
/// paste must not stay behind, or the new key would be sent to the old key's service.
pub fn follow_guess(
    base_url: RwSignal<String>,
    auto_filled: RwSignal<Option<String>>,
    suggested: Option<&str>,
) {
    let auto = auto_filled.get_untracked();
    if base_url.with_untracked(|b| b.is_empty() || Some(b.as_str()) == auto.as_deref()) {
        let next = suggested.map(str::to_string);
        base_url.set(next.clone().unwrap_or_default());
        auto_filled.set(next);
    }
}

/// The base URL of a provider with an API of its own, under "Advanced" (an
/// OpenAI-compatible key asks for its address outright instead). Shared by the Add form
/// and the direct chat.
#[component]
pub fn AdvancedBaseUrl<F, V>(provider: RwSignal<Provider>, field: F) -> impl IntoView
where
    F: Fn() -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    view! {
        <Show when=move || provider.get() != Provider::OpenaiCompatible>
            <details>
                <summary>"Advanced"</summary>
                <div class="stack">
                    {field.clone()}
                    <p class="hint">"Leave empty to use the provider's own API."</p>
                </div>
            </details>
        </Show>
    }
}

/// Saving a key under another provider than its prefix says would send it to that other
/// company: asked once, in words, before it is saved (`None` when the key fits).
pub fn mismatch_question(secret: &str, provider: Provider) -> Option<String> {
    keyfmt::check(secret, Some(provider))
        .into_iter()
        .find_map(|w| match w {
            keyfmt::KeyWarning::ProviderMismatch { guessed } => Some(format!(
                "This key looks like {} key, but it is saved as {} key: chats would send it there. Choose the right provider, or press Save again to keep it as it is.",
                guessed.with_article(),
                provider.with_article()
            )),
            _ => None,
        })
}

/// What looks wrong with the secret being typed, as the person types it. Nothing while
/// a save was refused under the field (`error`): that message is the one to act on, and
/// the hint would say it again.
pub fn live_warnings(
    secret: RwSignal<String>,
    provider: impl Fn() -> Option<Provider> + Send + Sync + 'static,
    error: FieldErr,
) -> Memo<Vec<String>> {
    Memo::new(move |_| {
        let provider = provider();
        let refused = error.is_on(Field::Secret);
        secret.with(|s| {
            if s.is_empty() || refused {
                Vec::new()
            } else {
                keyfmt::check(s, provider)
                    .iter()
                    .map(|w| w.message())
                    .collect::<Vec<_>>()
            }
        })
    })
}

#[component]
pub fn AddKeyForm(on_done: Callback<()>) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let secret = RwSignal::new(String::new());
    let provider = RwSignal::new(Provider::Anthropic);
    // Once the person picks a provider themselves, the guess stops overriding it.
    let provider_chosen = RwSignal::new(false);
    let label = RwSignal::new(String::new());
    let base_url = RwSignal::new(String::new());
    let auto_base_url = RwSignal::new(None::<String>);
    let expires = RwSignal::new(String::new());
    let notes = RwSignal::new(String::new());
    let make_default = RwSignal::new(false);
    let error = FieldErr::new(
        "add",
        [
            (Field::Secret, "add-secret"),
            (Field::Label, "add-label"),
            (Field::BaseUrl, "add-base-url"),
            (Field::Expires, "add-expires"),
        ],
    );
    // The mismatch question was asked for the form as it is now.
    let mismatch_asked = RwSignal::new(false);
    let secret_input = NodeRef::<html::Input>::new();

    Effect::new(move |_| {
        if let Some(i) = secret_input.get() {
            let _ = i.focus();
        }
    });

    let warnings = live_warnings(secret, move || Some(provider.get()), error);
    let guess_kind = Memo::new(move |_| secret.with(|s| keyfmt::guess(s).kind));

    let on_secret = move |ev| {
        let v = event_target_value(&ev);
        let g = keyfmt::guess(&v);
        if let Some(p) = g.provider.filter(|_| !provider_chosen.get_untracked()) {
            provider.set(p);
        }
        follow_guess(base_url, auto_base_url, g.suggested_base_url);
        secret.set(v);
    };

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !mismatch_asked.get_untracked()
            && let Some(q) =
                secret.with_untracked(|s| mismatch_question(s, provider.get_untracked()))
        {
            mismatch_asked.set(true);
            // By the button, which stays focused: pressing it again keeps the key as is.
            return error.show(Field::Form, q);
        }
        let expires_at = match expires.with_untracked(|e| parse_date(e)) {
            Ok(d) => d,
            Err(msg) => return error.show(Field::Expires, msg),
        };
        let id = match new_id() {
            Ok(id) => id,
            Err(e) => {
                return error.show(Field::Form, AppError::Crypto(e.to_string()).message());
            }
        };
        let new = NewKey {
            provider: provider.get_untracked(),
            label: label.get_untracked(),
            secret: Secret::new(secret.get_untracked()),
            base_url: Some(base_url.get_untracked()),
            expires_at,
            notes: notes.get_untracked(),
            make_default: make_default.get_untracked(),
        };
        let shown_label = new.label.trim().to_string();
        match session.mutate(|v| v.add(new, id, crate::now())) {
            Ok(_) => {
                secret.set(String::new());
                toasts.info(format!("Saved the key \u{201c}{shown_label}\u{201d}."));
                on_done.run(());
            }
            Err(e) => error.show_error(&e),
        }
    };

    let base_url_field = move || {
        view! {
            <label for="add-base-url">"Base URL"</label>
            <input
                id="add-base-url"
                type="url"
                placeholder="https://api.example.com/v1"
                aria-invalid=error.invalid(Field::BaseUrl)
                aria-describedby=error.id(Field::BaseUrl)
                prop:value=move || base_url.get()
                on:input=move |ev| base_url.set(event_target_value(&ev))
            />
            {error.view(Field::BaseUrl)}
        }
    };

    view! {
        <form class="card stack add-key" novalidate on:submit=save aria-labelledby="add-title" on:keydown=move |ev| {
            // Escape closes an empty form only: typed work is never thrown away by one key.
            let untouched = secret.with_untracked(String::is_empty)
                && label.with_untracked(String::is_empty)
                && notes.with_untracked(String::is_empty);
            if ev.key() == "Escape" && untouched {
                ev.prevent_default();
                on_done.run(());
            }
        }
        // An error is about what was there at Save: any change may have mended it.
        on:input=move |_| {
            error.clear();
            mismatch_asked.set(false);
        }>
            <h2 id="add-title">"Add a key"</h2>
            <label for="add-secret">"Secret"</label>
            <input
                id="add-secret"
                node_ref=secret_input
                type="password"
                autocomplete="off"
                spellcheck="false"
                aria-describedby="add-secret-error add-secret-hints"
                aria-invalid=error.invalid(Field::Secret)
                prop:value=move || secret.get()
                on:input=on_secret
            />
            {error.view(Field::Secret)}
            <div id="add-secret-hints" role="status">
                {move || guess_kind.get().map(|k| view! { <p class="hint">"Looks like: " {k}</p> })}
                <ul class="warnings">
                    {move || warnings.get().into_iter().map(|w| view! { <li>{w}</li> }).collect_view()}
                </ul>
            </div>
            <label for="add-provider">"Provider"</label>
            <select
                id="add-provider"
                on:change=move |ev| {
                    if let Some(p) = Provider::from_id(&event_target_value(&ev)) {
                        provider.set(p);
                        provider_chosen.set(true);
                    }
                }
                prop:value=move || provider.get().id()
            >
                {Provider::ALL
                    .into_iter()
                    .map(|p| view! { <option value=p.id() selected=move || provider.get() == p>{p.display_name()}</option> })
                    .collect_view()}
            </select>
            <label for="add-label">"Label"</label>
            <input
                id="add-label"
                type="text"
                placeholder="Personal, Work, …"
                maxlength="80"
                aria-invalid=error.invalid(Field::Label)
                aria-describedby=error.id(Field::Label)
                prop:value=move || label.get()
                on:input=move |ev| label.set(event_target_value(&ev))
            />
            {error.view(Field::Label)}
            <Show when=move || provider.get() == Provider::OpenaiCompatible>{base_url_field}</Show>
            <label for="add-expires">"Expires on (optional)"</label>
            <input
                id="add-expires"
                type="date"
                aria-describedby="add-expires-error add-expires-hints"
                aria-invalid=error.invalid(Field::Expires)
                prop:value=move || expires.get()
                on:input=move |ev| expires.set(event_target_value(&ev))
            />
            {error.view(Field::Expires)}
            <ul class="warnings" id="add-expires-hints" role="status">
                {move || expires.with(|x| expiry_warning(x)).map(|w| view! { <li>{w}</li> })}
            </ul>
            <label for="add-notes">"Notes (optional)"</label>
            <textarea
                id="add-notes"
                rows="2"
                prop:value=move || notes.get()
                on:input=move |ev| notes.set(event_target_value(&ev))
            ></textarea>
            <label class="check">
                <input
                    type="checkbox"
                    prop:checked=move || make_default.get()
                    on:change=move |ev| make_default.set(event_target_checked(&ev))
                />
                {move || format!("Make this the default {} key", provider.get().display_name())}
            </label>
            <AdvancedBaseUrl provider field=base_url_field/>
            {error.view(Field::Form)}
            <div class="row">
                <button type="submit">"Save"</button>
                <button type="button" class="secondary" on:click=move |_| on_done.run(())>"Cancel"</button>
            </div>
        </form>
    }
}
