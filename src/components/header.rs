use leptos::prelude::*;
use leptos_router::components::A;

use crate::state::session::use_session;

#[component]
pub fn Header() -> impl IntoView {
    let session = use_session();
    view! {
        <header class="top">
            <a class="brand" href="/">"byok"</a>
            <Show when=move || session.is_unlocked() fallback=|| view! {
                <nav aria-label="Main">
                    <A href="/">"Vault"</A>
                    <A href="/direct">"Chat without saving a key"</A>
                </nav>
            }>
                <nav aria-label="Main">
                    <A href="/">"Keys"</A>
                    <A href="/chat">"Chat"</A>
                    <A href="/usage">"Usage"</A>
                    <A href="/transfer">"Export & import"</A>
                    <A href="/settings">"Settings"</A>
                </nav>
                <button class="secondary lock" type="button" on:click=move |_| session.lock()>
                    "Lock"
                </button>
            </Show>
        </header>
    }
}
