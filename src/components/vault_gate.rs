//! Shows its children only while the vault is unlocked; otherwise the form that gets
//! there (create a vault, or unlock it).

use byok_core::passphrase;
use byok_core::vault::VaultError;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::field_error::{Field, FieldErr};
use crate::components::passphrase_field::PassphraseWithStrength;
use crate::error::AppError;
use crate::state::session::{Phase, use_session};

#[component]
pub fn VaultGate(children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    move || {
        match session.phase.get() {
        Phase::Unlocked => children().into_any(),
        Phase::Locked => view! { <UnlockForm/> }.into_any(),
        Phase::NoVault => view! { <CreateVaultForm/> }.into_any(),
        Phase::StorageUnavailable => view! {
            <section class="card narrow">
                <h1>"Storage is blocked"</h1>
                <p role="alert">
                    "This browser does not let byok use local storage, so a vault cannot be kept here. "
                    "Private windows and some privacy settings do this. Allow site data for this page, or "
                    "use a normal window."
                </p>
            </section>
        }
        .into_any(),
    }
    }
}

#[component]
fn CreateVaultForm() -> impl IntoView {
    let session = use_session();
    let pass = RwSignal::new(String::new());
    let repeat = RwSignal::new(String::new());
    let error = FieldErr::new("create", [(Field::Repeat, "new-pass-repeat")]);
    // The strength hint under the field already says why a passphrase is refused.
    let refused = RwSignal::new(false);
    let busy = RwSignal::new(false);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let p = pass.get_untracked();
        let s = passphrase::assess(&p);
        if s.refusal.is_some() {
            refused.set(true);
            crate::focus::focus_when_drawn("#new-pass");
            return;
        }
        if p != repeat.get_untracked() {
            return error.show(
                Field::Repeat,
                "The two passphrases differ. Type the same passphrase twice.",
            );
        }
        error.clear();
        busy.set(true);
        spawn_local(async move {
            let result = session.create(&p).await;
            busy.set(false);
            match result {
                Ok(()) => {
                    pass.set(String::new());
                    repeat.set(String::new());
                }
                Err(e) => error.show(Field::Form, e.message()),
            }
        });
    };

    view! {
        <section class="card narrow" aria-labelledby="create-title">
            <h1 id="create-title">"Create your vault"</h1>
            <p>
                "byok keeps your LLM API keys in this browser, encrypted with a passphrase only you know. "
                "Keys are sent only to the provider they belong to."
            </p>
            <form on:submit=submit class="stack" novalidate aria-busy=move || busy.get().to_string() on:input=move |_| { refused.set(false); error.clear(); }>
                <PassphraseWithStrength value=pass label="Passphrase" id="new-pass" invalid=refused/>
                <label for="new-pass-repeat">"Repeat passphrase"</label>
                <input
                    id="new-pass-repeat"
                    type="password"
                    autocomplete="new-password"
                    aria-invalid=error.invalid(Field::Repeat)
                    aria-describedby=error.id(Field::Repeat)
                    prop:value=move || repeat.get()
                    on:input=move |ev| repeat.set(event_target_value(&ev))
                />
                {error.view(Field::Repeat)}
                <p class="warning">
                    <strong>"There is no way to recover a lost passphrase."</strong>
                    " Nobody can reset it, not even us. Once you have added keys, export an encrypted bundle: it is the backup of your keys."
                </p>
                {error.view(Field::Form)}
                <button type="submit" disabled=move || busy.get()>
                    {move || if busy.get() { "Creating vault…" } else { "Create vault" }}
                </button>
                <Show when=move || busy.get()>
                    <p class="progress" role="status"><span class="spinner" aria-hidden="true"></span>"Deriving the encryption key from your passphrase…"</p>
                </Show>
            </form>
        </section>
    }
}

#[component]
fn UnlockForm() -> impl IntoView {
    let session = use_session();
    let input = NodeRef::<html::Input>::new();
    let error = RwSignal::new(None::<String>);
    let damaged = RwSignal::new(false);
    let busy = RwSignal::new(false);

    Effect::new(move |_| {
        if let Some(i) = input.get() {
            let _ = i.focus();
        }
    });
    crate::state::rehearsal::schedule();

    let refocus = move || {
        // try_: the form may be gone if the person moved on while the key derived.
        if let Some(Some(i)) = input.try_get_untracked() {
            let _ = i.focus();
            i.select();
        }
    };

    let run = move |previous: bool| {
        let Some(field) = input.get_untracked() else {
            return;
        };
        let p = field.value();
        if p.is_empty() {
            error.set(Some("Type your passphrase.".into()));
            refocus();
            return;
        }
        // Queued before the busy state is drawn, so the key derivation starts first and
        // the redraw happens while the browser derives.
        spawn_local(async move {
            let result = if previous {
                session.unlock_previous(&p).await
            } else {
                session.unlock(&p).await
            };
            busy.try_set(false);
            match result {
                Ok(()) => {}
                Err(AppError::Vault(VaultError::WrongPassphrase)) => {
                    error.try_set(Some("Wrong passphrase. Check it and try again.".into()));
                    refocus();
                }
                Err(AppError::Vault(VaultError::Corrupt(why))) => {
                    damaged.set(true);
                    let offer = if session.has_previous() {
                        " The copy saved before the last change is still here: you can open it instead."
                    } else {
                        " There is no earlier copy; import your exported bundle into a new vault."
                    };
                    error.set(Some(format!("The saved vault is damaged ({why}).{offer}")));
                    refocus();
                }
                Err(e) => {
                    error.set(Some(e.message()));
                    refocus();
                }
            }
        });
        busy.set(true);
        error.set(None);
    };

    view! {
        <section class="card narrow" aria-labelledby="unlock-title">
            <h1 id="unlock-title">"Unlock your vault"</h1>
            {move || session.locked_why.get().map(|why| view! { <p class="hint" role="status">{why}</p> })}
            <form
                class="stack"
                aria-busy=move || busy.get().to_string()
                on:submit=move |ev| {
                    ev.prevent_default();
                    if !busy.get_untracked() {
                        run(false);
                    }
                }
            >
                <label for="unlock-pass">"Passphrase"</label>
                <input
                    id="unlock-pass"
                    node_ref=input
                    type="password"
                    autocomplete="current-password"
                    aria-invalid=move || error.get().is_some().to_string()
                    aria-describedby="unlock-error"
                />
                <p id="unlock-error" class="error" role="alert">{move || error.get().unwrap_or_default()}</p>
                <button type="submit" disabled=move || busy.get()>
                    {move || if busy.get() { "Unlocking…" } else { "Unlock" }}
                </button>
                <Show when=move || busy.get()>
                    <p class="progress" role="status"><span class="spinner" aria-hidden="true"></span>"Deriving the key…"</p>
                </Show>
                <Show when=move || damaged.get() && session.has_previous()>
                    <button type="button" class="secondary" on:click=move |_| run(true) disabled=move || busy.get()>
                        "Open the previous copy"
                    </button>
                </Show>
            </form>
            // The way out for a forgotten passphrase: otherwise only in Settings, which
            // needs the passphrase.
            <details class="forgot">
                <summary>"Forgot your passphrase?"</summary>
                <p>"Nobody can recover it: your keys are encrypted with it, and byok keeps no copy. If you exported a bundle, you can start again: forget this browser's vault, create a new one with a new passphrase, and import the bundle under Export & import (you need the bundle's own passphrase)."</p>
                <crate::pages::settings::ForgetVault/>
            </details>
        </section>
    }
}
