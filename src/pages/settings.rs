//! `/settings`: auto-lock, passphrase change, and forgetting the vault.

use byok_core::passphrase;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::field_error::{Field, FieldErr};
use crate::components::passphrase_field::PassphraseWithStrength;
use crate::components::vault_gate::VaultGate;
use crate::error::AppError;
use crate::state::session::use_session;
use crate::state::toasts::use_toasts;
use crate::storage::Settings;

#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <VaultGate>
            <h1>"Settings"</h1>
            <AutoLockSettings/>
            <ReminderSettings/>
            <ChangePassphrase/>
            <ForgetVault/>
        </VaultGate>
    }
}

/// Save the settings; say so, or show why not next to the form that asked.
fn save_with_feedback(
    session: crate::state::Session,
    toasts: crate::state::Toasts,
    s: Settings,
    error: FieldErr,
) {
    match session.save_settings(s) {
        Ok(()) => {
            error.clear();
            toasts.info("Settings saved.");
        }
        Err(e) => error.show(Field::Form, e.message()),
    }
}

#[component]
fn AutoLockSettings() -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let current = session.settings.get_untracked();
    let minutes = RwSignal::new(current.auto_lock_minutes.to_string());
    let hidden = RwSignal::new(current.lock_when_hidden);
    // One field: the form's error is that field's.
    let error = FieldErr::new("autolock", [(Field::Form, "autolock-minutes")]);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let m = match minutes.get_untracked().trim().parse::<f64>() {
            Ok(m) if m == 0.0 || (0.25..=1440.0).contains(&m) => m,
            _ => {
                return error.show(
                    Field::Form,
                    "Enter a number of minutes from 0.25 (15 seconds) to 1440 (a day), or 0 for never.",
                );
            }
        };
        let s = Settings {
            auto_lock_minutes: m,
            lock_when_hidden: hidden.get_untracked(),
            ..session.settings.get_untracked()
        };
        save_with_feedback(session, toasts, s, error);
    };
    view! {
        // novalidate: the page's own message, not the browser's bubble, for every bad value.
        <form class="card stack" novalidate on:submit=save aria-labelledby="autolock-title" on:input=move |_| error.clear()>
            <h2 id="autolock-title">"Auto-lock"</h2>
            <label for="autolock-minutes">"Lock after this many minutes without activity (0 = never)"</label>
            <input
                id="autolock-minutes"
                type="number"
                min="0"
                max="1440"
                step="0.25"
                aria-describedby=error.id(Field::Form)
                aria-invalid=error.invalid(Field::Form)
                prop:value=move || minutes.get()
                on:input=move |ev| minutes.set(event_target_value(&ev))
            />
            {error.view(Field::Form)}
            <label class="check">
                <input type="checkbox" prop:checked=move || hidden.get() on:change=move |ev| hidden.set(event_target_checked(&ev))/>
                "Lock when this tab is hidden"
            </label>
            <button type="submit">"Save settings"</button>
        </form>
    }
}

#[component]
fn ReminderSettings() -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let days = RwSignal::new(session.settings.get_untracked().rotation_days.to_string());
    let error = FieldErr::new("rotation-days", [(Field::Form, "rotation-days")]);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let d = match days.get_untracked().trim().parse::<u32>() {
            Ok(d) if d <= 3650 => d,
            _ => {
                return error.show(
                    Field::Form,
                    "Enter a whole number of days from 0 to 3650 (0 turns the reminder off).",
                );
            }
        };
        let s = Settings {
            rotation_days: d,
            ..session.settings.get_untracked()
        };
        save_with_feedback(session, toasts, s, error);
    };
    view! {
        <form class="card stack" novalidate on:submit=save aria-labelledby="reminders-title" on:input=move |_| error.clear()>
            <h2 id="reminders-title">"Key reminders"</h2>
            <label for="rotation-days">"Remind me to rotate a key after this many days (0 = never)"</label>
            <input
                id="rotation-days"
                type="number"
                min="0"
                max="3650"
                step="1"
                aria-describedby=error.id(Field::Form)
                aria-invalid=error.invalid(Field::Form)
                prop:value=move || days.get()
                on:input=move |ev| days.set(event_target_value(&ev))
            />
            {error.view(Field::Form)}
            <p class="hint">"The Keys page also reminds you of keys that expire within 14 days, keys that have expired, and keys never tested nor used in a chat."</p>
            <button type="submit">"Save reminders"</button>
        </form>
    }
}

#[component]
fn ChangePassphrase() -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let old = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let repeat = RwSignal::new(String::new());
    let error = FieldErr::new(
        "chpass",
        [
            (Field::Passphrase, "old-pass"),
            (Field::NewPassphrase, "chg-pass"),
            (Field::Repeat, "chg-pass-repeat"),
        ],
    );
    // The strength hint under the new passphrase says why it is refused.
    let refused = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let (o, n) = (old.get_untracked(), new.get_untracked());
        if o.is_empty() {
            return error.show(Field::Passphrase, "Type your current passphrase.");
        }
        if passphrase::assess(&n).refusal.is_some() {
            refused.set(true);
            return crate::focus::focus_selector("#chg-pass");
        }
        if n != repeat.get_untracked() {
            return error.show(
                Field::Repeat,
                "The two new passphrases differ. Type the same new passphrase twice.",
            );
        }
        if n == o {
            return error.show(
                Field::NewPassphrase,
                "The new passphrase is the same as the one under Current passphrase: nothing would change. Type a new one.",
            );
        }
        busy.set(true);
        error.clear();
        spawn_local(async move {
            let r = session.change_passphrase(&o, &n).await;
            busy.set(false);
            match r {
                Ok(()) => {
                    old.set(String::new());
                    new.set(String::new());
                    repeat.set(String::new());
                    toasts.info("Passphrase changed. Use the new one from now on.");
                }
                // A wrong current passphrase is mended in its own field.
                Err(e @ AppError::WrongCurrentPassphrase) => {
                    error.show(Field::Passphrase, e.message());
                }
                Err(e) => error.show(Field::Form, e.message()),
            }
        });
    };
    view! {
        <form class="card stack" novalidate on:submit=submit aria-labelledby="chpass-title" aria-busy=move || busy.get().to_string() on:input=move |_| { error.clear(); refused.set(false); }>
            <h2 id="chpass-title">"Change passphrase"</h2>
            <label for="old-pass">"Current passphrase"</label>
            <input id="old-pass" type="password" autocomplete="current-password" aria-invalid=error.invalid(Field::Passphrase) aria-describedby=error.id(Field::Passphrase) prop:value=move || old.get() on:input=move |ev| old.set(event_target_value(&ev))/>
            {error.view(Field::Passphrase)}
            <PassphraseWithStrength value=new label="New passphrase" id="chg-pass" invalid=refused error=(error, Field::NewPassphrase)/>
            {error.view(Field::NewPassphrase)}
            <label for="chg-pass-repeat">"Repeat new passphrase"</label>
            <input id="chg-pass-repeat" type="password" autocomplete="new-password" aria-invalid=error.invalid(Field::Repeat) aria-describedby=error.id(Field::Repeat) prop:value=move || repeat.get() on:input=move |ev| repeat.set(event_target_value(&ev))/>
            {error.view(Field::Repeat)}
            {error.view(Field::Form)}
            <button type="submit" disabled=move || busy.get()>
                {move || if busy.get() { "Changing passphrase…" } else { "Change passphrase" }}
            </button>
            <Show when=move || busy.get()>
                <p class="progress" role="status"><span class="spinner" aria-hidden="true"></span>"Deriving keys…"</p>
            </Show>
        </form>
    }
}

/// Wipes the vault after a typed confirmation. Also offered on the unlock screen, for a
/// forgotten passphrase.
#[component]
pub fn ForgetVault() -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let typed = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if typed.get_untracked().trim() != "FORGET" {
            return error.set(Some("Type FORGET in capitals to confirm.".into()));
        }
        match session.forget() {
            Ok(()) => {
                // Conversations live in IndexedDB: they go too.
                leptos::task::spawn_local(async move {
                    if let Err(e) = crate::idb::delete_database().await {
                        toasts.error(format!("Saved conversations could not be removed: {e}"));
                    }
                });
                toasts.info("The vault was removed from this browser.");
                leptos_router::hooks::use_navigate()("/", Default::default());
            }
            Err(e) => error.set(Some(e.message())),
        }
    };
    view! {
        <form class="card stack danger-zone" on:submit=submit aria-labelledby="forget-title">
            <h2 id="forget-title">"Forget this browser's vault"</h2>
            <p>"Removes everything byok stored in this browser: the keys, every saved conversation, the usage history, budgets, prices and settings. Keys you have not exported are gone for good. An exported bundle holds the keys only: conversations, the usage history, budgets and prices go for good too."</p>
            <label for="forget-confirm">"Type FORGET to confirm"</label>
            <input id="forget-confirm" type="text" autocomplete="off" prop:value=move || typed.get() on:input=move |ev| typed.set(event_target_value(&ev))/>
            <Show when=move || error.get().is_some()>
                <p class="error" role="alert">{move || error.get().unwrap_or_default()}</p>
            </Show>
            <button type="submit" class="danger">"Forget this browser's vault"</button>
        </form>
    }
}
