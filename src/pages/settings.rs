//! `/settings`: auto-lock, passphrase change, and forgetting the vault.

use byok_core::passphrase;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::passphrase_field::PassphraseWithStrength;
use crate::components::vault_gate::VaultGate;
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
    error: RwSignal<Option<String>>,
) {
    match session.save_settings(s) {
        Ok(()) => {
            error.set(None);
            toasts.info("Settings saved.");
        }
        Err(e) => error.set(Some(e.message())),
    }
}

#[component]
fn AutoLockSettings() -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let current = session.settings.get_untracked();
    let minutes = RwSignal::new(current.auto_lock_minutes.to_string());
    let hidden = RwSignal::new(current.lock_when_hidden);
    let error = RwSignal::new(None::<String>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let m = match minutes.get_untracked().trim().parse::<f64>() {
            Ok(m) if m == 0.0 || (0.25..=1440.0).contains(&m) => m,
            _ => {
                error.set(Some(
                    "Enter a number of minutes from 0.25 to 1440, or 0 for never.".into(),
                ));
                return;
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
        <form class="card stack" on:submit=save aria-labelledby="autolock-title">
            <h2 id="autolock-title">"Auto-lock"</h2>
            <label for="autolock-minutes">"Lock after this many minutes without activity (0 = never)"</label>
            <input
                id="autolock-minutes"
                type="number"
                min="0"
                max="1440"
                step="0.25"
                prop:value=move || minutes.get()
                on:input=move |ev| minutes.set(event_target_value(&ev))
            />
            <label class="check">
                <input type="checkbox" prop:checked=move || hidden.get() on:change=move |ev| hidden.set(event_target_checked(&ev))/>
                "Lock when this tab is hidden"
            </label>
            <Show when=move || error.get().is_some()>
                <p class="error" role="alert">{move || error.get().unwrap_or_default()}</p>
            </Show>
            <button type="submit">"Save settings"</button>
        </form>
    }
}

#[component]
fn ReminderSettings() -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let days = RwSignal::new(session.settings.get_untracked().rotation_days.to_string());
    let error = RwSignal::new(None::<String>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let d = match days.get_untracked().trim().parse::<u32>() {
            Ok(d) if d <= 3650 => d,
            _ => {
                error.set(Some(
                    "Enter a whole number of days from 0 to 3650 (0 turns the reminder off)."
                        .into(),
                ));
                return;
            }
        };
        let s = Settings {
            rotation_days: d,
            ..session.settings.get_untracked()
        };
        save_with_feedback(session, toasts, s, error);
    };
    view! {
        <form class="card stack" on:submit=save aria-labelledby="reminders-title">
            <h2 id="reminders-title">"Key reminders"</h2>
            <label for="rotation-days">"Remind me to rotate a key after this many days (0 = never)"</label>
            <input
                id="rotation-days"
                type="number"
                min="0"
                max="3650"
                step="1"
                prop:value=move || days.get()
                on:input=move |ev| days.set(event_target_value(&ev))
            />
            <p class="hint">"The Keys page also reminds you of keys that expire within 14 days, keys that have expired, and keys never tested."</p>
            <Show when=move || error.get().is_some()>
                <p class="error" role="alert">{move || error.get().unwrap_or_default()}</p>
            </Show>
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
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let (o, n) = (old.get_untracked(), new.get_untracked());
        if o.is_empty() {
            return error.set(Some("Type your current passphrase.".into()));
        }
        if let Some(r) = passphrase::assess(&n).refusal {
            return error.set(Some(r.to_string()));
        }
        if n != repeat.get_untracked() {
            return error.set(Some("The two new passphrases differ.".into()));
        }
        busy.set(true);
        error.set(None);
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
                Err(e) => error.set(Some(e.message())),
            }
        });
    };
    view! {
        <form class="card stack" on:submit=submit aria-labelledby="chpass-title" aria-busy=move || busy.get().to_string()>
            <h2 id="chpass-title">"Change passphrase"</h2>
            <label for="old-pass">"Current passphrase"</label>
            <input id="old-pass" type="password" autocomplete="current-password" prop:value=move || old.get() on:input=move |ev| old.set(event_target_value(&ev))/>
            <PassphraseWithStrength value=new label="New passphrase" id="chg-pass"/>
            <label for="chg-pass-repeat">"Repeat new passphrase"</label>
            <input id="chg-pass-repeat" type="password" autocomplete="new-password" prop:value=move || repeat.get() on:input=move |ev| repeat.set(event_target_value(&ev))/>
            <Show when=move || error.get().is_some()>
                <p class="error" role="alert">{move || error.get().unwrap_or_default()}</p>
            </Show>
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
            <p>"Removes everything byok stored in this browser: the keys, every saved conversation, the usage history, budgets, prices and settings. Keys you have not exported are gone for good; conversations and usage cannot be exported, so they go for good too."</p>
            <label for="forget-confirm">"Type FORGET to confirm"</label>
            <input id="forget-confirm" type="text" autocomplete="off" prop:value=move || typed.get() on:input=move |ev| typed.set(event_target_value(&ev))/>
            <Show when=move || error.get().is_some()>
                <p class="error" role="alert">{move || error.get().unwrap_or_default()}</p>
            </Show>
            <button type="submit" class="danger">"Forget this browser's vault"</button>
        </form>
    }
}
