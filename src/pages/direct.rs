//! `/direct`: chat with a pasted key (or the keys of a bundle) without any vault. The
//! keys and the conversation live in this tab's memory only; nothing is written to any
//! browser storage.

use byok_core::Secret;
use byok_core::bundle;
use byok_core::keyfmt;
use byok_core::model::{KeyEntry, NewKey, Provider, TestOutcome, Vault, new_id};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use crate::components::chat::Chat;
use crate::components::field_error::{Field, FieldErr};
use crate::components::key_form::AdvancedBaseUrl;
use crate::error::AppError;

/// A key from the direct session that the person asked to save into their vault.
#[derive(Clone, Copy)]
pub struct PendingSave(pub RwSignal<Option<KeyEntry>>);

/// The direct session, held by the app rather than the page: a look at the vault or the
/// Settings page in between must not cost the key and the conversation. Still memory
/// only: a reload, closing the tab, "End and forget" or a lock of the vault ends it (a
/// lock drops every key from the page, and a pasted one is no exception).
#[derive(Clone, Copy)]
pub struct DirectMemory {
    pub keys: RwSignal<Vec<KeyEntry>>,
    /// The conversation as of its last finished answer (or an answer cut by leaving).
    pub conversation: StoredValue<Option<byok_core::conversation::Conversation>>,
    /// What was being written when the page was left: the message, and the chat's
    /// settings (system prompt, temperature, max tokens), as typed.
    pub draft: StoredValue<DirectDraft>,
}

#[derive(Clone, Default)]
pub struct DirectDraft {
    pub message: String,
    pub system: String,
    pub temperature: String,
    pub max_tokens: String,
}

impl Default for DirectMemory {
    fn default() -> Self {
        Self {
            keys: RwSignal::new(Vec::new()),
            conversation: StoredValue::new(None),
            draft: StoredValue::new(DirectDraft::default()),
        }
    }
}

impl DirectMemory {
    /// Whether a session is open. The chat writes into the memory only then: once it is
    /// ended, the chat's own clean-up (its unsent message, an answer cut short) must
    /// not bring the old conversation back.
    pub fn is_open(&self) -> bool {
        self.keys.with_untracked(|k| !k.is_empty())
    }

    pub fn forget(&self) {
        self.keys.set(Vec::new());
        self.conversation.set_value(None);
        self.draft.set_value(DirectDraft::default());
    }
}

#[component]
pub fn DirectPage() -> impl IntoView {
    let memory = use_context::<DirectMemory>().unwrap_or_default();
    let keys = memory.keys;
    let secret = RwSignal::new(String::new());
    let provider = RwSignal::new(Provider::Anthropic);
    let base_url = RwSignal::new(String::new());
    let auto_base_url = RwSignal::new(None::<String>);
    // Each form says what is wrong under its own field; `notice` is about keys a
    // bundle brought, once the chat is open.
    let error = FieldErr::new(
        "direct",
        [
            (Field::Secret, "direct-secret"),
            (Field::BaseUrl, "direct-base"),
        ],
    );
    // Anything but the passphrase is about the file: the file field takes the focus.
    let bundle_error = FieldErr::new(
        "direct-bundle",
        [
            (Field::Passphrase, "direct-bundle-pass"),
            (Field::Form, "direct-bundle"),
        ],
    );
    let notice = RwSignal::new(None::<String>);
    let bundle_pass = RwSignal::new(String::new());
    let bundle_text = StoredValue::new(None::<String>);
    let busy = RwSignal::new(false);
    let checking = RwSignal::new(false);
    let pending = use_context::<PendingSave>();

    let start = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // Enter in a field while the check runs (the button is disabled meanwhile).
        if checking.get_untracked() {
            return;
        }
        let mut v = Vault::default();
        let id = match new_id() {
            Ok(id) => id,
            Err(e) => return error.show(Field::Form, AppError::from(e).message()),
        };
        let new = NewKey {
            provider: provider.get_untracked(),
            label: "Pasted key".into(),
            secret: Secret::new(secret.get_untracked()),
            base_url: Some(base_url.get_untracked()),
            expires_at: None,
            notes: String::new(),
            make_default: true,
        };
        match v.add(new, id, crate::now()) {
            Ok(_) => {
                error.clear();
                let Some(mut k) = v.keys.pop() else { return };
                checking.set(true);
                // Asked of the provider first (its model list, no tokens spent): a key it
                // refuses, or an address the page may not call, is mended here in the
                // form instead of found out after a message is written. Anything else
                // (a rate limit, an outage, a list not understood) may still chat, and
                // the chat says what the check found.
                spawn_local(async move {
                    let result = crate::keytest::test_key(&k).await;
                    checking.try_set(false);
                    let field = match result.outcome {
                        TestOutcome::InvalidKey => Some(Field::Secret),
                        TestOutcome::Blocked
                            if base_url.with_untracked(|u| !u.trim().is_empty()) =>
                        {
                            Some(Field::BaseUrl)
                        }
                        TestOutcome::Blocked => Some(Field::Form),
                        _ => None,
                    };
                    if let Some(f) = field {
                        return error.show(f, result.message);
                    }
                    k.record_test(result, crate::now());
                    keys.try_set(vec![k]);
                    secret.try_set(String::new());
                    notice.try_set(None);
                    // The form gives way to the chat: start in its message box.
                    crate::focus::focus_when_drawn("#chat-input");
                });
            }
            Err(e) => {
                // The field here is "API key"; the core's message names the Add form's
                // "Secret" field.
                let e = AppError::from(e);
                let text = match e {
                    AppError::Model(byok_core::model::ModelError::EmptySecret) => {
                        "The API key is empty: paste it here.".to_string()
                    }
                    _ => e.message(),
                };
                error.show(Field::of(&e), text);
            }
        }
    };

    let open_bundle = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(text) = bundle_text.get_value() else {
            return bundle_error.show(Field::Form, "Choose a bundle file first.");
        };
        let pass = bundle_pass.get_untracked();
        busy.set(true);
        spawn_local(async move {
            let r: Result<(Vec<KeyEntry>, usize), AppError> = async {
                let parsed = bundle::parse(text.as_bytes())?;
                let payload = crate::webcrypto::open_bundle(&parsed, &pass).await?;
                let mut out = Vec::new();
                let mut refused = 0;
                for k in &payload.keys {
                    // The checks of an import: a key must not go to an address that a
                    // saved key could not have (credentials in it, a query, no https).
                    let Ok(base_url) = byok_core::transfer::check_entry(k) else {
                        refused += 1;
                        continue;
                    };
                    let id = k.uuid().map(Ok).unwrap_or_else(new_id)?;
                    let mut e = k.to_key_entry(id);
                    e.base_url = base_url;
                    out.push(e);
                }
                Ok((out, refused))
            }
            .await;
            busy.try_set(false);
            match r {
                Ok((ks, refused)) if ks.is_empty() && refused > 0 => {
                    bundle_error.show(
                        Field::Form,
                        "No key in this bundle can be used: each has an empty label or secret, or a base URL byok does not accept. Import it on the Export & import page to see why.",
                    );
                }
                Ok((ks, refused)) => {
                    bundle_pass.try_set(String::new());
                    notice.try_set((refused > 0).then(|| {
                        let (n, was) = if refused == 1 { ("key", "was") } else { ("keys", "were") };
                        format!(
                            "{refused} {n} of this bundle {was} left out: an empty label or secret, or a base URL byok does not accept."
                        )
                    }));
                    keys.try_set(ks);
                }
                Err(e) => {
                    // A wrong passphrase is mended in its field; anything else is the file.
                    let f = match e {
                        AppError::Bundle(
                            byok_core::bundle::BundleError::WrongPassphraseOrTampered,
                        ) => Field::Passphrase,
                        _ => Field::Form,
                    };
                    bundle_error.show(f, e.message());
                }
            }
        });
    };

    let on_file = move |ev: leptos::ev::Event| {
        let input: Option<web_sys::HtmlInputElement> = ev.target().and_then(|t| t.dyn_into().ok());
        let Some(f) = input.and_then(|i| i.files()).and_then(|l| l.get(0)) else {
            return;
        };
        if f.size() > bundle::MAX_FILE_BYTES as f64 {
            return bundle_error.show(
                Field::Form,
                "This file is larger than any byok bundle (16 MB at most).",
            );
        }
        spawn_local(async move {
            let t = wasm_bindgen_futures::JsFuture::from(f.text())
                .await
                .ok()
                .and_then(|t| t.as_string());
            bundle_text.set_value(t);
        });
    };

    let base_url_field = move || {
        view! {
            <label for="direct-base">"Base URL"</label>
            <input id="direct-base" type="url" placeholder="https://api.example.com/v1"
                aria-invalid=error.invalid(Field::BaseUrl) aria-describedby=error.id(Field::BaseUrl)
                prop:value=move || base_url.get() on:input=move |ev| base_url.set(event_target_value(&ev))/>
            {error.view(Field::BaseUrl)}
        }
    };

    view! {
        <h1>"Chat without saving a key"</h1>
        <p class="banner" role="note">
            <strong>"Nothing is saved."</strong>
            " The key and the conversation live only in this tab's memory: no browser storage is used. They stay while you visit other pages of byok; reloading the page, closing the tab, locking your vault or "
            <em>"End and forget"</em>
            " ends them."
        </p>
        <Show when=move || keys.with(Vec::is_empty)>
            <form class="card stack" novalidate on:submit=start aria-label="Use a key for this session" on:input=move |_| error.clear()>
                <label for="direct-secret">"API key"</label>
                <input id="direct-secret" type="password" autocomplete="off" spellcheck="false"
                    aria-invalid=error.invalid(Field::Secret) aria-describedby=error.id(Field::Secret)
                    prop:value=move || secret.get()
                    on:input=move |ev| {
                        let v = event_target_value(&ev);
                        let g = keyfmt::guess(&v);
                        if let Some(p) = g.provider { provider.set(p); }
                        crate::components::key_form::follow_guess(base_url, auto_base_url, g.suggested_base_url);
                        secret.set(v);
                    }/>
                {error.view(Field::Secret)}
                <label for="direct-provider">"Provider"</label>
                <select id="direct-provider" on:change=move |ev| if let Some(p) = Provider::from_id(&event_target_value(&ev)) { provider.set(p) }>
                    {Provider::ALL.into_iter().map(|p| view! { <option value=p.id() selected=move || provider.get() == p>{p.display_name()}</option> }).collect_view()}
                </select>
                // As in the Add form: an OpenAI-compatible key needs its address (filled in
                // for the prefixes byok knows, such as OpenRouter's); the others have one.
                <Show when=move || provider.get() == Provider::OpenaiCompatible>{base_url_field}</Show>
                <AdvancedBaseUrl provider field=base_url_field/>
                {error.view(Field::Form)}
                <p class="hint" role="status">{move || checking.get().then(|| format!("Asking {} whether it accepts the key\u{2026}", provider.get().display_name()))}</p>
                <button type="submit" disabled=move || checking.get()>{move || if checking.get() { "Checking the key\u{2026}" } else { "Start chatting" }}</button>
            </form>
            <form class="card stack" novalidate on:submit=open_bundle aria-label="Use the keys of a bundle" on:input=move |_| bundle_error.clear()>
                <h2>"Or use the keys of a bundle"</h2>
                <label for="direct-bundle">"Bundle file"</label>
                <input id="direct-bundle" type="file" accept=".json,application/json" on:change=on_file/>
                <label for="direct-bundle-pass">"Passphrase for this bundle"</label>
                <input id="direct-bundle-pass" type="password" autocomplete="off"
                    aria-invalid=bundle_error.invalid(Field::Passphrase) aria-describedby=bundle_error.id(Field::Passphrase)
                    prop:value=move || bundle_pass.get() on:input=move |ev| bundle_pass.set(event_target_value(&ev))/>
                {bundle_error.view(Field::Passphrase)}
                {bundle_error.view(Field::Form)}
                <button type="submit" disabled=move || busy.get()>{move || if busy.get() { "Opening…" } else { "Open bundle" }}</button>
            </form>
        </Show>
        <Show when=move || !keys.with(Vec::is_empty)>
            <Show when=move || notice.get().is_some()>
                <p class="warning" role="status">{move || notice.get().unwrap_or_default()}</p>
            </Show>
            <div class="row direct-actions">
                <button type="button" class="secondary" on:click=move |_| {
                    notice.set(None);
                    memory.forget();
                    crate::focus::focus_when_drawn("#direct-secret");
                }>"End and forget"</button>
                {pending.map(|p| view! {
                    <button type="button" class="secondary" on:click=move |_| {
                        p.0.set(keys.with_untracked(|k| k.first().cloned()));
                        leptos_router::hooks::use_navigate()("/", Default::default());
                    }>"Save this key in a vault"</button>
                })}
            </div>
            {move || {
                let on_save = Callback::new(move |c| {
                    if memory.is_open() {
                        memory.conversation.set_value(Some(c));
                    }
                });
                match memory.conversation.get_value() {
                    Some(c) => view! { <Chat keys direct=true conversation=c on_save/> }.into_any(),
                    None => view! { <Chat keys direct=true on_save/> }.into_any(),
                }
            }}
        </Show>
    }
}
