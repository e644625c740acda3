//! `/chat`: chat with the vault's keys.

use leptos::prelude::*;

use crate::components::chat::Chat;
use crate::components::vault_gate::VaultGate;
use crate::state::session::use_session;

#[component]
pub fn ChatPage() -> impl IntoView {
    let session = use_session();
    let keys = Signal::derive(move || {
        session
            .vault
            .with(|v| v.as_ref().map(|v| v.keys.clone()).unwrap_or_default())
    });
    view! {
        <VaultGate>
            <h1>"Chat"</h1>
            <Show
                when=move || keys.with(|k| !k.is_empty())
                fallback=|| view! { <p class="empty card">"Add a key under " <a href="/">"Keys"</a> " to start chatting."</p> }
            >
                <Chat keys direct=false/>
            </Show>
        </VaultGate>
    }
}
