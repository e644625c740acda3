//! The router and the app-wide contexts.

use leptos::ev;
use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::components::header::Header;
use crate::components::toasts::ToastRegion;
use crate::pages::chat::ChatPage;
use crate::pages::direct::{DirectMemory, DirectPage, PendingSave};
use crate::pages::keys::KeysPage;
use crate::pages::not_found::NotFound;
use crate::pages::settings::SettingsPage;
use crate::pages::transfer::TransferPage;
use crate::pages::usage::UsagePage;
use crate::state::{Session, Toasts, autolock};
use crate::storage;

#[component]
pub fn App() -> impl IntoView {
    let session = Session::new();
    let toasts = Toasts::new();
    provide_context(session);
    provide_context(toasts);
    provide_context(PendingSave(RwSignal::new(None)));
    let direct = DirectMemory::default();
    provide_context(direct);
    // A lock drops every key from the page: a pasted one too.
    session.on_lock(move || direct.forget());
    autolock::install(session);
    crate::focus::install();

    // Another tab saved, created or forgot the vault: follow it.
    let _ = window_event_listener(ev::storage, move |e: web_sys::StorageEvent| {
        let ours = match e.key() {
            Some(k) => k == storage::VAULT_KEY,
            // `clear()` in another tab reports no key.
            None => true,
        };
        if !ours {
            if e.key().as_deref() == Some(storage::SETTINGS_KEY) {
                session.settings.set(storage::read_settings());
            }
            return;
        }
        let before = session.external_updates.get_untracked();
        match session.on_external_change() {
            Ok(()) if session.external_updates.get_untracked() != before => {
                toasts.info("Updated with changes made in another tab.")
            }
            Ok(()) => {}
            Err(err) => toasts.error(err.message()),
        }
    });

    // The page comes a task after the frame (see `crate::start`), drawn behind the first
    // screen, which hides the app meanwhile (style/main.css) and keeps taking keystrokes.
    // The first screen leaves just before the next paint, handing over what was typed:
    // no paint shows both, or neither.
    let drawn = RwSignal::new(false);
    set_timeout(
        move || {
            drawn.set(true);
            request_animation_frame(|| {
                if let Some(shell) = crate::shell::take() {
                    shell.hand_over();
                }
            });
        },
        std::time::Duration::ZERO,
    );

    view! {
        <Router>
            <a class="skip" href="#main" on:click=|ev| {
                // The router would only change the URL: move focus as the link promises.
                ev.prevent_default();
                crate::focus::focus_selector("main");
            }>"Skip to content"</a>
            <Header/>
            <InsecureNotice/>
            <main id="main" tabindex="-1">
                <Show when=move || drawn.get()>
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=path!("/") view=KeysPage/>
                    <Route path=path!("/chat") view=ChatPage/>
                    <Route path=path!("/direct") view=DirectPage/>
                    <Route path=path!("/settings") view=SettingsPage/>
                    <Route path=path!("/transfer") view=TransferPage/>
                    <Route path=path!("/usage") view=UsagePage/>
                </Routes>
                </Show>
            </main>
            <ToastRegion/>
            <PageTitle/>
        </Router>
    }
}

/// Over plain http from another machine (not a secure context) the app still works, with
/// its own PBKDF2 and AES-GCM in place of WebCrypto, which browsers keep from such
/// pages; but whoever is on the network path can change the page it runs as, and so
/// read the passphrase and the keys. The person should know before typing either.
#[component]
fn InsecureNotice() -> impl IntoView {
    let insecure = !window().is_secure_context();
    insecure.then(|| {
        view! {
            <p class="warning insecure" role="alert">
                "This page came over plain http, not https: anyone on the network "
                "between could have changed it and could read what you type here, your "
                "passphrase and keys included. Open byok over https, or on this computer as localhost."
            </p>
        }
    })
}

/// The tab's title names the page, so a screen reader announces where a link led and
/// tabs and history entries tell pages apart.
#[component]
fn PageTitle() -> impl IntoView {
    let session = crate::state::session::use_session();
    let path = leptos_router::hooks::use_location().pathname;
    Effect::new(move |_| {
        let unlocked = session.is_unlocked();
        let page = match path.get().as_str() {
            "/direct" => "Chat without saving a key",
            p if !unlocked && GATED.contains(&p) => "Vault",
            "/" => "Keys",
            "/chat" => "Chat",
            "/usage" => "Usage",
            "/transfer" => "Export & import",
            "/settings" => "Settings",
            _ => "Page not found",
        };
        document().set_title(&format!("{page} \u{b7} byok"));
    });
}

/// The pages behind the vault gate (as in the first-screen script in `index.html`).
const GATED: [&str; 5] = ["/", "/chat", "/usage", "/transfer", "/settings"];
