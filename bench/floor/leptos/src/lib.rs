// The smallest app with what byok uses of Leptos: signals, a keyed list, Show, forms,
// the router. Its size is the floor under any Leptos front end built as byok is.
use leptos::prelude::*;
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::path;

#[component]
fn Home() -> impl IntoView {
    let count = RwSignal::new(0);
    let text = RwSignal::new(String::new());
    view! {
        <h1>"Home"</h1>
        <button on:click=move |_| count.update(|c| *c += 1)>{move || count.get()}</button>
        <input prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))/>
        <Show when=move || !text.get().is_empty()><p>{move || text.get()}</p></Show>
        <ul><For each=move || 0..count.get() key=|i| *i children=|i| view! { <li>{i}</li> }/></ul>
    }
}

#[component]
fn Other() -> impl IntoView {
    view! { <h1>"Other"</h1> }
}

pub fn app() {
    mount_to_body(|| {
        view! {
            <Router>
                <nav><A href="/">"Home"</A><A href="/other">"Other"</A></nav>
                <Routes fallback=|| "Not found">
                    <Route path=path!("/") view=Home/>
                    <Route path=path!("/other") view=Other/>
                </Routes>
            </Router>
        }
    })
}
