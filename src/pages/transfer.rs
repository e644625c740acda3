//! `/transfer`: encrypted export and import of key bundles (`spec/bundle-v1.md`). There
//! is no plaintext export at all.

use std::collections::HashSet;
use std::sync::Arc;

use byok_core::bundle::{self, MAX_FILE_BYTES, ParsedBundle};
use byok_core::crypto::{self, DEFAULT_ITERATIONS, IV_LEN, SALT_LEN};
use byok_core::model::Provider;
use byok_core::passphrase;
use byok_core::transfer::{
    self, Choices, ImportPlan, ImportSummary, ItemStatus, KeyChange, Selection,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;
use wasm_bindgen::JsCast;

use crate::components::field_error::{Field, FieldErr};
use crate::components::passphrase_field::PassphraseWithStrength;
use crate::components::vault_gate::VaultGate;
use crate::error::{AppError, BundleSource, bundle_message};
use crate::state::session::use_session;
use crate::state::toasts::use_toasts;

#[component]
pub fn TransferPage() -> impl IntoView {
    view! {
        <VaultGate>
            <h1>"Export & import"</h1>
            <ExportPanel/>
            <ImportPanel/>
        </VaultGate>
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    All,
    Provider,
    Pick,
}

fn today() -> String {
    byok_core::usage::day_string(crate::today())
}

/// What an import did, in one sentence: what was added, then each other outcome that
/// happened.
fn import_sentence(s: &ImportSummary) -> String {
    let mut out = format!(
        "Imported {} new key{}",
        s.added,
        if s.added == 1 { "" } else { "s" }
    );
    for (n, what) in [
        (s.replaced, format!("replaced {}", s.replaced)),
        (s.updated, format!("updated {}", s.updated)),
        (s.skipped, format!("skipped {} already here", s.skipped)),
        (s.refused, format!("{} could not be imported", s.refused)),
        (
            s.stale,
            format!("{} not updated: changed in another tab meanwhile", s.stale),
        ),
    ] {
        if n > 0 {
            out.push_str(", ");
            out.push_str(&what);
        }
    }
    out.push('.');
    out
}

#[component]
fn ExportPanel() -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let scope = RwSignal::new(Scope::All);
    let provider = RwSignal::new(Provider::Anthropic);
    let picked = RwSignal::new(HashSet::<Uuid>::new());
    let use_vault_pass = RwSignal::new(false);
    let pass = RwSignal::new(String::new());
    let repeat = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = FieldErr::new(
        "export",
        [
            (Field::Passphrase, "export-vault-pass"),
            (Field::Repeat, "export-pass-repeat"),
        ],
    );
    // The strength hint under the bundle passphrase says why it is refused.
    let refused = RwSignal::new(false);
    let done = RwSignal::new(None::<String>);

    let rows = Memo::new(move |_| {
        session.vault.with(|v| {
            v.as_ref()
                .map(|v| {
                    v.keys
                        .iter()
                        .map(|k| (k.id, k.provider, k.label.clone(), k.masked()))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    });

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        done.set(None);
        let selection = match scope.get_untracked() {
            Scope::All => Selection::All,
            Scope::Provider => Selection::Provider(provider.get_untracked()),
            Scope::Pick => Selection::Keys(picked.get_untracked().into_iter().collect()),
        };
        let Some(payload) = session.vault.with_untracked(|v| {
            v.as_ref()
                .map(|v| transfer::export_payload(v, &selection, crate::now()))
        }) else {
            return;
        };
        if payload.keys.is_empty() {
            error.show(Field::Form, "Choose at least one key to export.");
            return crate::focus::focus_selector(".pick-list input, #export-provider");
        }
        let p = pass.get_untracked();
        let reuse = use_vault_pass.get_untracked();
        if !reuse {
            if passphrase::assess(&p).refusal.is_some() {
                refused.set(true);
                return crate::focus::focus_selector("#export-pass");
            }
            if p != repeat.get_untracked() {
                return error.show(
                    Field::Repeat,
                    "The two passphrases differ. Type the same passphrase twice.",
                );
            }
        } else if p.is_empty() {
            return error.show(Field::Passphrase, "Type your vault passphrase.");
        }
        error.clear();
        busy.set(true);
        spawn_local(async move {
            if reuse && let Err(e) = session.check_passphrase(&p).await {
                busy.set(false);
                return error.show(Field::Passphrase, e.message());
            }
            let result: Result<usize, AppError> = async {
                let salt: [u8; SALT_LEN] = crypto::random_array()?;
                let iv: [u8; IV_LEN] = crypto::random_array()?;
                let key = crate::webcrypto::derive_key(&p, &salt, DEFAULT_ITERATIONS).await?;
                let text = bundle::seal_with_key(&payload, &key, &salt, &iv, DEFAULT_ITERATIONS)?;
                crate::download::save_file(
                    &text,
                    &format!("byok-keys-{}.byok.json", today()),
                    "application/json",
                )?;
                Ok(payload.keys.len())
            }
            .await;
            busy.set(false);
            match result {
                Ok(n) => {
                    pass.set(String::new());
                    repeat.set(String::new());
                    let file = format!("byok-keys-{}.byok.json", today());
                    done.set(Some(format!(
                        "{n} key{} exported to {file} in your downloads. The secrets are now also in that file, encrypted: it is only as safe as its passphrase, so keep the two apart.",
                        if n == 1 { "" } else { "s" }
                    )));
                    toasts.info("Bundle exported.");
                    // The button was pressed; what became of it is read next.
                    crate::focus::focus_when_drawn("#export-done");
                }
                Err(e) => error.show(Field::Form, e.message()),
            }
        });
    };

    view! {
        <form class="card stack" novalidate on:submit=submit aria-labelledby="export-title" aria-busy=move || busy.get().to_string()
            on:input=move |_| { error.clear(); refused.set(false); } on:change=move |_| error.clear()>
            <h2 id="export-title">"Export keys"</h2>
            <p class="hint">"Writes an encrypted bundle file that byok in another browser, or the byok command-line tool, can open. It holds your keys, with their labels, notes and dates; conversations, the usage history, budgets and prices stay in this browser."</p>
            <fieldset class="stack">
                <legend>"Which keys"</legend>
                <label class="check"><input type="radio" name="scope" prop:checked=move || scope.get() == Scope::All on:change=move |_| scope.set(Scope::All)/>"All keys"</label>
                <label class="check"><input type="radio" name="scope" prop:checked=move || scope.get() == Scope::Provider on:change=move |_| scope.set(Scope::Provider)/>"One provider's keys"</label>
                <Show when=move || scope.get() == Scope::Provider>
                    <label for="export-provider">"Provider"</label>
                    <select id="export-provider" on:change=move |ev| if let Some(p) = Provider::from_id(&event_target_value(&ev)) { provider.set(p) }>
                        {Provider::ALL.into_iter().map(|p| view! { <option value=p.id() selected=move || provider.get() == p>{p.display_name()}</option> }).collect_view()}
                    </select>
                </Show>
                <label class="check"><input type="radio" name="scope" prop:checked=move || scope.get() == Scope::Pick on:change=move |_| scope.set(Scope::Pick)/>"Keys I pick"</label>
                <Show when=move || scope.get() == Scope::Pick>
                    <ul class="pick-list">
                        {move || rows.get().into_iter().map(|(id, p, label, masked)| view! {
                            <li>
                                <label class="check">
                                    <input type="checkbox" prop:checked=move || picked.with(|s| s.contains(&id))
                                        on:change=move |ev| { let on = event_target_checked(&ev); picked.update(|s| { if on { s.insert(id); } else { s.remove(&id); } }) }/>
                                    {format!("{label} ({}, {masked})", p.display_name())}
                                </label>
                            </li>
                        }).collect_view()}
                    </ul>
                </Show>
            </fieldset>
            <label class="check">
                <input type="checkbox" prop:checked=move || use_vault_pass.get() on:change=move |ev| { use_vault_pass.set(event_target_checked(&ev)); pass.set(String::new()); repeat.set(String::new()); refused.set(false); }/>
                "Use my vault passphrase for the bundle"
            </label>
            <Show
                when=move || use_vault_pass.get()
                fallback=move || view! {
                    <PassphraseWithStrength value=pass label="Bundle passphrase" id="export-pass" invalid=refused/>
                    <label for="export-pass-repeat">"Repeat bundle passphrase"</label>
                    <input id="export-pass-repeat" type="password" autocomplete="new-password"
                        aria-invalid=error.invalid(Field::Repeat) aria-describedby=error.id(Field::Repeat)
                        prop:value=move || repeat.get() on:input=move |ev| repeat.set(event_target_value(&ev))/>
                    {error.view(Field::Repeat)}
                }
            >
                <label for="export-vault-pass">"Vault passphrase"</label>
                <input id="export-vault-pass" type="password" autocomplete="current-password"
                    aria-invalid=error.invalid(Field::Passphrase) aria-describedby=error.id(Field::Passphrase)
                    prop:value=move || pass.get() on:input=move |ev| pass.set(event_target_value(&ev))/>
                {error.view(Field::Passphrase)}
            </Show>
            {error.view(Field::Form)}
            <button type="submit" disabled=move || busy.get()>{move || if busy.get() { "Encrypting…" } else { "Export bundle" }}</button>
            <Show when=move || busy.get()>
                <p class="progress" role="status"><span class="spinner" aria-hidden="true"></span>"Deriving the bundle key and encrypting…"</p>
            </Show>
            <Show when=move || done.get().is_some()>
                <p id="export-done" class="done" tabindex="-1">{move || done.get().unwrap_or_default()}</p>
            </Show>
        </form>
    }
}

#[derive(Clone, PartialEq)]
enum Stage {
    Pick,
    /// The file passed every check that needs no passphrase; its header, for people.
    Parsed(String),
    Preview,
    /// Keys were imported: what happened, with the way to them.
    Done(String),
}

#[component]
fn ImportPanel() -> impl IntoView {
    let session = use_session();
    let stage = RwSignal::new(Stage::Pick);
    // Shared, not copied, with the task that opens it: the ciphertext can be megabytes.
    let parsed = StoredValue::new(None::<Arc<ParsedBundle>>);
    let plan = StoredValue::new(None::<Arc<ImportPlan>>);
    // Bumped when `plan` changes, since a StoredValue is not reactive.
    let plan_version = RwSignal::new(0u32);
    let replace = RwSignal::new(HashSet::<usize>::new());
    let take_default = RwSignal::new(HashSet::<usize>::new());
    let update = RwSignal::new(HashSet::<usize>::new());
    let pasted = RwSignal::new(String::new());
    let pass = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    // A failure to open the bundle, shown by the passphrase field it is about.
    let open_error = FieldErr::new("import", [(Field::Passphrase, "import-pass")]);
    // The file the bundle came from, named in the summary.
    let source = RwSignal::new(None::<String>);
    let from = move || match source.try_with_untracked(Option::is_some) {
        Some(false) => BundleSource::Pasted,
        _ => BundleSource::File,
    };
    // The file input shows the name of the file the bundle on screen came from, and
    // nothing when it came from elsewhere (dropped, pasted) or was put away.
    let file_input = NodeRef::<leptos::html::Input>::new();
    let clear_file = move || {
        if let Some(i) = file_input.get_untracked() {
            i.set_value("");
        }
    };
    // The file shown as the picker opens: the picker empties the field (so the same file
    // chosen again still counts as a change), and a picker closed without a choice puts
    // it back, since its bundle is still the one on screen.
    let shown_file = StoredValue::new_local(None::<web_sys::File>);
    let open_picker = move |_| {
        if let Some(i) = file_input.get_untracked() {
            shown_file.set_value(i.files().and_then(|l| l.get(0)));
            i.set_value("");
        }
    };
    let picker_closed = move |_: leptos::ev::Event| {
        let (Some(i), Some(f)) = (file_input.get_untracked(), shown_file.get_value()) else {
            return;
        };
        if let Ok(dt) = web_sys::DataTransfer::new()
            && dt.items().add_with_file(&f).is_ok()
        {
            i.set_files(dt.files().as_ref());
        }
    };
    let dragging = RwSignal::new(false);

    // try_: also called when a save finishes, by which time the panel may be gone.
    let reset = move || {
        parsed.try_set_value(None);
        plan.try_set_value(None);
        plan_version.try_update(|n| *n += 1);
        replace.try_set(HashSet::new());
        take_default.try_set(HashSet::new());
        update.try_set(HashSet::new());
        pass.try_set(String::new());
        open_error.clear();
        stage.try_set(Stage::Pick);
    };

    let take_text = move |text: String, name: Option<String>| {
        reset();
        source.set(name);
        match bundle::parse(text.as_bytes()) {
            Ok(p) => {
                let h = &p.header;
                let what = match source.get_untracked() {
                    Some(n) => format!("\u{201c}{n}\u{201d} is a byok bundle"),
                    None => "This is a byok bundle".into(),
                };
                let summary = format!(
                    "{what} holding {} of encrypted keys. Type the passphrase it was exported with to see what it contains. (It is encrypted with AES-256-GCM, and the passphrase goes through {} rounds of PBKDF2 first, which makes guessing it slow.)",
                    byte_size(p.ciphertext_len()),
                    byok_core::usage::group_thousands(&h.iterations.to_string())
                );
                parsed.set_value(Some(Arc::new(p)));
                error.set(None);
                stage.set(Stage::Parsed(summary));
            }
            Err(e) => error.set(Some(bundle_message(&e, from()))),
        }
    };

    let take_file = move |file: web_sys::File| {
        error.set(None);
        let size = file.size();
        // Refused by size before a byte is read: a 100 MB file never reaches memory.
        if size > MAX_FILE_BYTES as f64 {
            reset();
            error.set(Some(format!(
                "This file is {:.1} MB; a byok bundle is never larger than 16 MB. It is not a bundle byok can import.",
                size / 1_048_576.0
            )));
            return;
        }
        busy.set(true);
        let name = file.name();
        spawn_local(async move {
            let text = wasm_bindgen_futures::JsFuture::from(file.text()).await;
            busy.set(false);
            match text.ok().and_then(|t| t.as_string()) {
                Some(t) => take_text(t, Some(name)),
                None => error.set(Some(
                    "The file could not be read as text. Is it a byok bundle?".into(),
                )),
            }
        });
    };

    let on_file = move |ev: leptos::ev::Event| {
        let input: Option<web_sys::HtmlInputElement> = ev.target().and_then(|t| t.dyn_into().ok());
        if let Some(f) = input
            .as_ref()
            .and_then(|i| i.files())
            .and_then(|l| l.get(0))
        {
            take_file(f);
        }
    };

    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        clear_file();
        if let Some(f) = ev
            .data_transfer()
            .and_then(|d| d.files())
            .and_then(|l| l.get(0))
        {
            take_file(f);
        }
    };

    let open = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        // Held by the task: the panel may be gone (locked, navigated away) while the key
        // derives.
        let Some(bundle) = parsed.with_value(|p| p.clone()) else {
            return;
        };
        let p = pass.get_untracked();
        if p.is_empty() {
            return open_error.show(Field::Passphrase, "Type the bundle's passphrase.");
        }
        busy.set(true);
        open_error.clear();
        spawn_local(async move {
            let result: Result<(), AppError> = async {
                let payload = crate::webcrypto::open_bundle(&bundle, &p).await?;
                let new_plan = session
                    .vault
                    .with_untracked(|v| v.as_ref().map(|v| transfer::plan_import(v, payload.keys)))
                    .ok_or(AppError::Locked)?;
                plan.try_set_value(Some(Arc::new(new_plan)));
                plan_version.try_update(|n| *n += 1);
                Ok(())
            }
            .await;
            busy.set(false);
            match result {
                Ok(()) => {
                    pass.set(String::new());
                    stage.set(Stage::Preview);
                    // The form is gone: what the bundle holds, then Import, are next.
                    crate::focus::focus_when_drawn("#import-preview");
                }
                // Back in the field to type it again, as at unlock.
                Err(AppError::Bundle(e)) => {
                    open_error.show(Field::Passphrase, bundle_message(&e, from()));
                }
                Err(e) => open_error.show(Field::Passphrase, e.message()),
            }
        });
    };

    let confirm = move |_| {
        if busy.get_untracked() {
            return;
        }
        let choices = Choices {
            replace: replace.get_untracked(),
            take_default: take_default.get_untracked(),
            update: update.get_untracked(),
        };
        let Some(p) = plan.with_value(|p| p.clone()) else {
            return;
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result = session
                .mutate_async(|v| transfer::apply_import(v, &p, &choices))
                .await;
            busy.try_set(false);
            match result {
                Ok(s) => {
                    reset();
                    stage.try_set(Stage::Done(import_sentence(&s)));
                    // The Import button is gone: the result, then the way on, are next.
                    crate::focus::focus_when_drawn("#import-done");
                }
                Err(e) => {
                    error.try_set(Some(e.message()));
                }
            }
        });
    };

    // Whether the plan has keys to add, and whether it has keys the bundle says
    // something new about.
    let has = move |f: fn(&ItemStatus) -> bool| {
        plan_version.track();
        plan.with_value(|p| {
            p.as_ref()
                .is_some_and(|p| p.items.iter().any(|i| f(&i.status)))
        })
    };
    let adds = move || has(|s| matches!(s, ItemStatus::New | ItemStatus::LabelClash { .. }));
    let changes = move || has(|s| matches!(s, ItemStatus::Changed { .. }));
    // Whether pressing Import would change anything.
    let importable = move || adds() || update.with(|u| !u.is_empty());

    view! {
        <section
            class="card stack dropzone"
            class:dragging=move || dragging.get()
            aria-labelledby="import-title"
            aria-busy=move || busy.get().to_string()
            on:dragover=move |ev: leptos::ev::DragEvent| { ev.prevent_default(); dragging.set(true); }
            on:dragleave=move |_| dragging.set(false)
            on:drop=on_drop
        >
            <h2 id="import-title">"Import keys"</h2>
            <p class="hint">"Choose a bundle file, drop it here, or paste its text. Nothing is saved until you confirm."</p>
            <label for="import-file">"Bundle file"</label>
            <input id="import-file" type="file" accept=".json,application/json" node_ref=file_input
                on:click=open_picker on:cancel=picker_closed on:change=on_file/>
            <label for="import-paste">"Or paste the bundle text"</label>
            <textarea id="import-paste" rows="3" spellcheck="false" prop:value=move || pasted.get() on:input=move |ev| { pasted.set(event_target_value(&ev)); error.set(None); }></textarea>
            <div class="row">
                <button type="button" class="secondary" on:click=move |_| { clear_file(); take_text(pasted.get_untracked(), None) }>"Read pasted text"</button>
            </div>
            <Show when=move || error.get().is_some()>
                <p class="error" role="alert">{move || error.get().unwrap_or_default()}</p>
            </Show>
            {move || match stage.get() {
                Stage::Pick => ().into_any(),
                Stage::Parsed(summary) => view! {
                    <form class="panel stack" on:submit=open aria-label="Open bundle">
                        <p role="status">{summary}</p>
                        <label for="import-pass">"Passphrase for this bundle"</label>
                        <input id="import-pass" type="password" autocomplete="off" node_ref=crate::focus::focus_on_show()
                            aria-describedby=open_error.id(Field::Passphrase) aria-invalid=open_error.invalid(Field::Passphrase)
                            prop:value=move || pass.get() on:input=move |ev| { pass.set(event_target_value(&ev)); open_error.clear(); }/>
                        {open_error.view(Field::Passphrase)}
                        <div class="row">
                            <button type="submit" disabled=move || busy.get()>{move || if busy.get() { "Opening…" } else { "Open bundle" }}</button>
                            <button type="button" class="secondary" on:click=move |_| { reset(); clear_file(); }>"Cancel"</button>
                        </div>
                        <Show when=move || busy.get()>
                            <p class="progress" role="status"><span class="spinner" aria-hidden="true"></span>"Deriving the bundle key…"</p>
                        </Show>
                    </form>
                }.into_any(),
                Stage::Preview => view! { <ImportPreview plan plan_version replace take_default update/>
                    <Show when=move || !importable()>
                        <p class="hint" role="status">{move || if changes() {
                            "Nothing to import yet: every key in this bundle is already here or cannot be imported. To take what was changed elsewhere, choose \u{201c}Update it from the bundle\u{201d} for those keys."
                        } else {
                            "Nothing to import: every key in this bundle is already here or cannot be imported."
                        }}</p>
                    </Show>
                    <div class="row">
                        <button type="button" on:click=confirm disabled=move || busy.get() || !importable()>{move || if busy.get() { "Importing…" } else { "Import" }}</button>
                        <button type="button" class="secondary" on:click=move |_| { reset(); clear_file(); }>"Cancel"</button>
                    </div>
                }.into_any(),
                Stage::Done(what) => view! {
                    <div id="import-done" class="done stack" tabindex="-1">
                        <p role="status">{what}</p>
                        <p><a href="/">"Open the key list"</a></p>
                    </div>
                }.into_any(),
            }}
        </section>
    }
}

/// How many plain "new key" rows to list before summarising: a 10,000-key bundle must
/// not build 10,000 rows. Rows that need a decision are always listed.
const MAX_PLAIN_ROWS: usize = 100;

#[component]
fn ImportPreview(
    plan: StoredValue<Option<Arc<ImportPlan>>>,
    plan_version: RwSignal<u32>,
    replace: RwSignal<HashSet<usize>>,
    take_default: RwSignal<HashSet<usize>>,
    update: RwSignal<HashSet<usize>>,
) -> impl IntoView {
    move || {
        plan_version.track();
        plan.with_value(|p| {
            let p = p.as_ref()?;
            let count = |f: fn(&ItemStatus) -> bool| p.items.iter().filter(|i| f(&i.status)).count();
            let new = count(|s| matches!(s, ItemStatus::New));
            let present = count(|s| matches!(s, ItemStatus::AlreadyPresent { .. }));
            let refused = count(|s| matches!(s, ItemStatus::Refused { .. }));
            let clashes = count(|s| matches!(s, ItemStatus::LabelClash { .. }));
            let changed: Vec<usize> = p
                .items
                .iter()
                .enumerate()
                .filter(|(_, it)| matches!(it.status, ItemStatus::Changed { .. }))
                .map(|(i, _)| i)
                .collect();
            let mut plain_shown = 0;
            let rows = p
                .items
                .iter()
                .enumerate()
                .filter(|(_, it)| {
                    let decision = it.default_conflict.is_some()
                        || matches!(it.status, ItemStatus::LabelClash { .. } | ItemStatus::Changed { .. });
                    if decision {
                        return true;
                    }
                    plain_shown += 1;
                    plain_shown <= MAX_PLAIN_ROWS
                })
                .map(|(i, it)| {
                    let k = &it.key;
                    let title = format!("{} ({}, {})", k.label, k.provider.display_name(), k.secret.masked());
                    let status = match &it.status {
                        ItemStatus::New => view! { <span class="badge ok">"New"</span> }.into_any(),
                        ItemStatus::Refused { reason } => {
                            view! { <span class="badge expired">{format!("Not imported: {reason}")}</span> }.into_any()
                        }
                        ItemStatus::AlreadyPresent { existing_label } => {
                            view! { <span class="badge muted">{format!("Already here as \u{201c}{existing_label}\u{201d}: skipped")}</span> }.into_any()
                        }
                        ItemStatus::Changed { existing_label, changes, .. } => {
                            let what = format!(
                                "Already here as \u{201c}{existing_label}\u{201d}; the bundle has a different {}.",
                                KeyChange::list(changes)
                            );
                            let label = existing_label.clone();
                            view! {
                                <span class="badge muted">{what}</span>
                                <label class="sr-only" for=format!("update-{i}")>{format!("What to do with \u{201c}{label}\u{201d}")}</label>
                                <select id=format!("update-{i}")
                                    prop:value=move || if update.with(|u| u.contains(&i)) { "update" } else { "keep" }
                                    on:change=move |ev| { let on = event_target_value(&ev) == "update"; update.update(|s| { if on { s.insert(i); } else { s.remove(&i); } }) }>
                                    <option value="keep">"Keep it as it is here"</option>
                                    <option value="update">"Update it from the bundle"</option>
                                </select>
                            }.into_any()
                        }
                        // The label is another key's of this same bundle: nothing here to replace.
                        ItemStatus::LabelClash { existing_id, suggested_label } if existing_id.is_nil() => {
                            view! { <span class="badge muted">{format!("Label used twice: imported as \u{201c}{suggested_label}\u{201d}")}</span> }.into_any()
                        }
                        ItemStatus::LabelClash { suggested_label, .. } => {
                            let suggested = suggested_label.clone();
                            let label = k.label.clone();
                            view! {
                                <label class="sr-only" for=format!("clash-{i}")>{format!("What to do with \u{201c}{label}\u{201d}")}</label>
                                <select id=format!("clash-{i}") on:change=move |ev| { let r = event_target_value(&ev) == "replace"; replace.update(|s| { if r { s.insert(i); } else { s.remove(&i); } }) }>
                                    <option value="rename" selected=true>{format!("Import as \u{201c}{suggested}\u{201d}")}</option>
                                    <option value="replace">{format!("Replace the existing \u{201c}{label}\u{201d}")}</option>
                                </select>
                            }.into_any()
                        }
                    };
                    let conflict = it.default_conflict.clone().map(|existing| view! {
                        <label class="check">
                            <input type="checkbox" on:change=move |ev| { let on = event_target_checked(&ev); take_default.update(|s| { if on { s.insert(i); } else { s.remove(&i); } }) }/>
                            {format!("Make it the default instead of \u{201c}{existing}\u{201d}")}
                        </label>
                    });
                    view! { <li class="preview-item"><span>{title}</span>" "{status}{conflict}</li> }
                })
                .collect_view();
            let more = plain_shown.saturating_sub(MAX_PLAIN_ROWS);
            Some(view! {
                <div class="panel stack" id="import-preview" tabindex="-1" aria-label="What the bundle holds">
                    <p role="status">{format!(
                        "{new} new, {present} already here, {}{clashes} with a label already in use{}. Nothing is saved until you press Import.",
                        if changed.is_empty() { String::new() } else { format!("{} already here but changed elsewhere, ", changed.len()) },
                        if refused > 0 { format!(", {refused} refused") } else { String::new() },
                    )}</p>
                    {(changed.len() > 1).then(|| {
                        let all = changed.clone();
                        view! {
                            <div class="row">
                                <button type="button" class="secondary" on:click=move |_| update.set(all.iter().copied().collect())>
                                    {format!("Update all {} changed keys from the bundle", changed.len())}
                                </button>
                            </div>
                        }
                    })}
                    <ul class="preview-list">{rows}</ul>
                    {(more > 0).then(|| view! { <p class="hint">{format!("…and {more} more new keys.")}</p> })}
                </div>
            })
        })
    }
}

/// "1.9 kB", "640 bytes": the size of the encrypted part, as people read sizes.
fn byte_size(n: usize) -> String {
    if n < 1000 {
        format!("{n} bytes")
    } else if n < 1_000_000 {
        format!("{:.1} kB", n as f64 / 1000.0)
    } else {
        format!("{:.1} MB", n as f64 / 1_000_000.0)
    }
}
