use leptos::prelude::*;

use crate::state::toasts::{ToastKind, use_toasts};

/// Messages are announced to screen readers: errors assertively, the rest politely.
#[component]
pub fn ToastRegion() -> impl IntoView {
    let toasts = use_toasts();
    view! {
        <div class="toasts" aria-live="polite">
            <For
                each=move || toasts.list.get()
                key=|t| t.id
                children=move |t| {
                    let id = t.id;
                    let error = t.kind == ToastKind::Error;
                    view! {
                        <div class="toast" class:error=error role=if error { "alert" } else { "status" }>
                            <span>{t.text}</span>
                            <button
                                type="button"
                                class="icon"
                                aria-label="Dismiss message"
                                on:click=move |_| toasts.dismiss(id)
                            >
                                "×"
                            </button>
                        </div>
                    }
                }
            />
        </div>
    }
}
