//! One key in the list: masked secret, badges, and every action on it.

use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

use byok_core::Secret;
use byok_core::model::{KeyEdit, KeyEntry, ModelError, TestOutcome, TestResult, Vault};
use byok_core::usage::{BudgetLevel, BudgetStatus, Prices, Reminder, age_days, ago, reminders};
use leptos::prelude::*;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::components::field_error::{Field, FieldErr};
use crate::error::AppError;
use crate::state::session::use_session;
use crate::state::toasts::use_toasts;

/// `YYYY-MM-DD` from a date input, as midnight UTC of that day; empty means none.
pub fn parse_date(s: &str) -> Result<Option<OffsetDateTime>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &fmt)
        .map(|d| Some(d.midnight().assume_utc()))
        .map_err(|_| "The expiry date is not a valid date (YYYY-MM-DD).".to_string())
}

/// Said under an expiry field as the date is typed. A past date is allowed (the
/// provider may really have expired the key), but the key would then never be chosen,
/// which nothing else on the form shows.
pub fn expiry_warning(s: &str) -> Option<&'static str> {
    match parse_date(s) {
        Ok(Some(x)) if x.date() <= crate::today() => {
            Some("This date has passed: the key will not be used for requests.")
        }
        _ => None,
    }
}

pub fn format_date(d: OffsetDateTime) -> String {
    byok_core::usage::day_string(d.date())
}

const REVEAL_FOR: Duration = Duration::from_secs(30);
const CLIPBOARD_CLEAR_AFTER: Duration = Duration::from_secs(30);

type VaultChange = Box<dyn FnOnce(&mut Vault) -> Result<(), ModelError>>;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Panel {
    None,
    Edit,
    Rotate,
    Delete,
}

/// What each built row shows of its key, kept current by one pass over the vault per
/// change ([`KeyRows::refresh`]), so a change wakes only the rows whose key it touched.
/// With a memo per row on the whole vault, every change re-ran a thousand memos and
/// woke every row's views: one 55 ms task for a Deactivate with 1,000 rows built.
///
/// It also carries each row's actions: the row's buttons name theirs (`data-act`), and
/// one click handler on the list ([`KeyRows::on_click`]) runs it. A listener per button
/// was eight per row, and removing 8,000 of them was a large part of the one long task
/// of leaving the page with a thousand rows built.
#[derive(Clone, Copy)]
pub struct KeyRows(StoredValue<HashMap<Uuid, Row>>);

#[derive(Clone, Copy)]
struct Row {
    entry: RwSignal<Option<KeyEntry>>,
    budget: RwSignal<Option<BudgetStatus>>,
    act: StoredValue<Option<RowActions>, LocalStorage>,
    /// How many tests of this key run (its own Test button, "Test all keys"): both can.
    testing: RwSignal<u8>,
}

type RowActions = Rc<dyn Fn(Action)>;

/// What a row's button asks for, as its `data-act` names it.
#[derive(Clone, Copy)]
enum Action {
    Test,
    Reveal,
    Copy,
    Edit,
    SetDefault,
    SwitchActive,
    Rotate,
    Delete,
}

impl Action {
    const ALL: [Action; 8] = [
        Action::Test,
        Action::Reveal,
        Action::Copy,
        Action::Edit,
        Action::SetDefault,
        Action::SwitchActive,
        Action::Rotate,
        Action::Delete,
    ];

    fn name(self) -> &'static str {
        match self {
            Action::Test => "test",
            Action::Reveal => "reveal",
            Action::Copy => "copy",
            Action::Edit => "edit",
            Action::SetDefault => "default",
            Action::SwitchActive => "active",
            Action::Rotate => "rotate",
            Action::Delete => "delete",
        }
    }

    fn named(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }
}

impl KeyRows {
    pub fn new() -> Self {
        Self(StoredValue::new(HashMap::new()))
    }

    /// The signals for a row being built, filled from the vault as it is now.
    fn register(self, id: Uuid, vault: Option<&Vault>) -> Row {
        let (entry, budget) = vault
            .map(|v| (v.get(id).cloned(), budget_of(v, id, crate::today())))
            .unwrap_or_default();
        let row = Row {
            entry: RwSignal::new(entry),
            budget: RwSignal::new(budget),
            act: StoredValue::new_local(None),
            testing: RwSignal::new(0),
        };
        self.0.update_value(|rows| {
            rows.insert(id, row);
        });
        row
    }

    /// Show on the key's row (if it is built) that "Test all keys" is testing it.
    pub fn set_testing(self, id: Uuid, on: bool) {
        if let Some(row) = self
            .0
            .try_with_value(|rows| rows.get(&id).copied())
            .flatten()
        {
            row.testing.try_update(|n| count_test(n, on));
        }
    }

    /// The list's click handler: runs the action of the row button clicked, if any.
    /// Disabled buttons get no click, as with a listener of their own.
    pub fn on_click(self, ev: &web_sys::MouseEvent) {
        use wasm_bindgen::JsCast;
        let Some(button) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|e| e.closest("button[data-act]").ok().flatten())
        else {
            return;
        };
        let action = button
            .get_attribute("data-act")
            .and_then(|a| Action::named(&a));
        let id = button
            .closest("li[data-key]")
            .ok()
            .flatten()
            .and_then(|li| li.get_attribute("data-key"))
            .and_then(|k| Uuid::parse_str(&k).ok());
        let (Some(action), Some(id)) = (action, id) else {
            return;
        };
        // Taken out of the register first: the action may change the vault, which
        // updates the register.
        let run = self
            .0
            .try_with_value(|rows| rows.get(&id).copied())
            .flatten()
            .and_then(|row| row.act.try_get_value().flatten());
        if let Some(run) = run {
            run(action);
        }
    }

    /// Bring every built row up to date with the vault; rows whose key is gone, or
    /// whose view was dropped, leave the register.
    pub fn refresh(self, vault: &Vault) {
        let today = crate::today();
        let keys: HashMap<Uuid, &KeyEntry> = vault.keys.iter().map(|k| (k.id, k)).collect();
        let mut changed: Vec<(Row, Option<KeyEntry>, Option<Option<BudgetStatus>>)> = Vec::new();
        self.0.update_value(|rows| {
            rows.retain(|id, row| {
                let Some(&k) = keys.get(id) else {
                    return false;
                };
                let Some(entry) = row.entry.try_with_untracked(|e| e.as_ref() != Some(k)) else {
                    return false;
                };
                let now = budget_of(vault, *id, today);
                let budget = row
                    .budget
                    .try_with_untracked(|b| *b != now)
                    .unwrap_or(false);
                if entry || budget {
                    changed.push((*row, entry.then(|| k.clone()), budget.then_some(now)));
                }
                true
            });
        });
        // Set once the register is released: setting notifies subscribers, and none of
        // that should run while the register is borrowed.
        for (row, entry, budget) in changed {
            if let Some(e) = entry {
                row.entry.try_set(Some(e));
            }
            if let Some(b) = budget {
                row.budget.try_set(b);
            }
        }
    }
}

impl Default for KeyRows {
    fn default() -> Self {
        Self::new()
    }
}

fn count_test(n: &mut u8, start: bool) {
    *n = if start {
        n.saturating_add(1)
    } else {
        n.saturating_sub(1)
    };
}

pub fn budget_of(v: &Vault, id: Uuid, today: time::Date) -> Option<BudgetStatus> {
    let prices = Prices {
        custom: &v.prices,
        shipped: crate::shipped_prices(),
    };
    v.budget_status(&prices, id, today)
}

#[component]
pub fn KeyItem(
    id: Uuid,
    rows: KeyRows,
    /// Left out by the search: kept in the page, with any open form, but not shown.
    #[prop(into)]
    filtered: Signal<bool>,
) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let Row {
        entry,
        budget,
        act,
        testing,
    } = session
        .vault
        .with_untracked(|v| rows.register(id, v.as_ref()));
    let (entry, budget) = (entry.read_only(), budget.read_only());
    // Whether the secret shows: the row shows the key's current secret, so a rotation
    // while it shows replaces it on screen too (a copy taken at Reveal used to stay).
    let revealed = RwSignal::new(false);
    let panel = RwSignal::new(Panel::None);
    let error = RwSignal::new(None::<String>);
    // A row the search hides does not keep its key on show behind the scenes.
    Effect::new(move |_| {
        if filtered.get() && revealed.get_untracked() {
            revealed.set(false);
        }
    });
    // Each reveal gets a number so an older timer cannot hide a newer reveal early.
    let reveal_gen = StoredValue::new(0u32);

    let label = move || entry.with(|e| e.as_ref().map(|e| e.label.clone()).unwrap_or_default());

    let toggle_reveal = move || {
        if revealed.get_untracked() {
            revealed.set(false);
            return;
        }
        revealed.set(true);
        let g = reveal_gen.get_value() + 1;
        reveal_gen.set_value(g);
        set_timeout(
            move || {
                if reveal_gen.try_get_value() == Some(g) {
                    revealed.try_set(false);
                }
            },
            REVEAL_FOR,
        );
    };

    let copy = move || {
        let Some(s) = entry.with_untracked(|e| e.as_ref().map(|e| e.secret.clone())) else {
            return;
        };
        let clipboard = window().navigator().clipboard();
        let p = clipboard.write_text(s.expose());
        leptos::task::spawn_local(async move {
            match wasm_bindgen_futures::JsFuture::from(p).await {
                Ok(_) => {
                    toasts.info("Copied. In 30 seconds byok empties the clipboard, if this tab is in front then (the browser allows it only then).");
                    set_timeout(
                        move || {
                            // Browsers refuse this when the page is not focused; then the
                            // copied key stays until something else is copied.
                            let _ = window().navigator().clipboard().write_text("");
                        },
                        CLIPBOARD_CLEAR_AFTER,
                    );
                }
                Err(_) => toasts.error(
                    "The browser did not allow copying. Reveal the key and copy it by hand.",
                ),
            }
        });
    };

    let act_on = move |f: VaultChange, done: &'static str| match session.mutate(f) {
        Ok(()) => {
            error.set(None);
            panel.set(Panel::None);
            if !done.is_empty() {
                toasts.info(done);
            }
        }
        Err(e) => error.set(Some(e.message())),
    };

    let run_test = move || {
        let Some(k) = entry.get_untracked() else {
            return;
        };
        testing.update(|n| count_test(n, true));
        leptos::task::spawn_local(async move {
            let result = crate::keytest::test_key(&k).await;
            testing.try_update(|n| count_test(n, false));
            // A key rotated while the test ran gets no result from its old secret.
            let same_secret = k.secret.clone();
            if let Err(e) = session.mutate(|v| {
                if v.get(id).is_some_and(|now| now.secret == same_secret) {
                    v.record_test(id, result, crate::now())
                } else {
                    Ok(())
                }
            }) {
                error.set(Some(e.message()));
            }
        });
    };

    act.set_value(Some(Rc::new(move |a: Action| match a {
        Action::Test => run_test(),
        Action::Reveal => toggle_reveal(),
        Action::Copy => copy(),
        Action::Edit => panel.set(Panel::Edit),
        Action::SetDefault => {
            // A default is the key used, so the vault switches it on: say so.
            let was_off = entry.with_untracked(|e| e.as_ref().is_some_and(|e| !e.is_active));
            act_on(
                Box::new(move |v| v.set_default(id)),
                if was_off {
                    "Default changed. The key was switched off, so it is switched on again."
                } else {
                    "Default changed."
                },
            )
        }
        Action::SwitchActive => {
            let active = entry.with_untracked(|e| e.as_ref().is_some_and(|e| e.is_active));
            act_on(
                Box::new(move |v| v.set_active(id, !active)),
                if active {
                    "Key switched off."
                } else {
                    "Key switched on."
                },
            )
        }
        Action::Rotate => panel.set(Panel::Rotate),
        Action::Delete => panel.set(Panel::Delete),
    })));
    let key = id.to_string();

    view! {
        <Show when=move || entry.with(Option::is_some)>
            <li class="key" class:filtered=move || filtered.get() aria-label=label data-key=key.clone()>
                <div class="key-head">
                    <span class="key-label">{label}</span>
                    <KeyBadges entry=entry budget=budget/>
                </div>
                <code class="key-secret" aria-label="Secret">
                    {move || entry.with(|e| match e {
                        Some(e) if revealed.get() => e.secret.expose().to_string(),
                        Some(e) => e.masked(),
                        None => String::new(),
                    })}
                </code>
                <KeyMeta entry=entry budget=budget/>
                <p class="test-result" role="status" aria-live="polite">
                    {move || if testing.get() > 0 {
                        "Testing the key…".to_string()
                    } else {
                        entry.with(|e| e.as_ref().and_then(|e| e.last_test.as_ref().map(|t| t.message.clone())).unwrap_or_default())
                    }}
                </p>
                <div class="actions">
                    <button type="button" class="secondary" data-act=Action::Test.name() disabled=move || { testing.get() > 0 }>"Test"</button>
                    <button type="button" class="secondary" data-act=Action::Reveal.name() aria-pressed=move || revealed.get().to_string()>
                        {move || if revealed.get() { "Hide" } else { "Reveal" }}
                    </button>
                    <button type="button" class="secondary" data-act=Action::Copy.name()>"Copy"</button>
                    <button type="button" class="secondary" data-act=Action::Edit.name()>"Edit"</button>
                    // Hidden rather than in a Show: a Show per row is an owner, a memo and an
                    // effect more to build and drop for each of a thousand rows.
                    <button type="button" class="secondary" data-act=Action::SetDefault.name() hidden=move || entry.with(|e| e.as_ref().is_none_or(|e| e.is_default))>"Set as default"</button>
                    <button type="button" class="secondary" data-act=Action::SwitchActive.name()>
                        {move || if entry.with(|e| e.as_ref().is_some_and(|e| e.is_active)) { "Deactivate" } else { "Activate" }}
                    </button>
                    <button type="button" class="secondary" data-act=Action::Rotate.name()>"Rotate"</button>
                    <button type="button" class="danger" data-act=Action::Delete.name()>"Delete"</button>
                </div>
                // Empty, it takes no room (`.error:empty`).
                <p class="error" role="alert">{move || error.get().unwrap_or_default()}</p>
                {move || match panel.get() {
                    Panel::None => ().into_any(),
                    Panel::Edit => view! { <EditPanel id entry panel/> }.into_any(),
                    Panel::Rotate => view! { <RotatePanel id entry panel/> }.into_any(),
                    Panel::Delete => {
                        let (name, masked) = entry.with_untracked(|e| e.as_ref().map(|e| (e.label.clone(), e.masked())).unwrap_or_default());
                        view! {
                            <div class="confirm" role="alertdialog" aria-label="Confirm delete" on:keydown=move |ev| close_on_escape(&ev, id, panel)>
                                <p>{format!("Delete the key \u{201c}{name}\u{201d} ({masked})? This cannot be undone unless you have an exported bundle.")}</p>
                                <div class="row">
                                    <button type="button" class="danger" on:click=move |_| {
                                        match session.mutate(|v| v.remove(id).map(|_| ())) {
                                            Ok(()) => toasts.info(format!("Deleted \u{201c}{name}\u{201d}.")),
                                            Err(e) => error.set(Some(e.message())),
                                        }
                                    }>"Yes, delete"</button>
                                    <button type="button" class="secondary" node_ref=crate::focus::focus_on_show() on:click=move |_| close_panel(id, panel)>"Cancel"</button>
                                </div>
                            </div>
                        }.into_any()
                    }
                }}
            </li>
        </Show>
    }
}

/// Closes the row's open form and gives focus back to the button that opened it (first,
/// so that the focused element is not removed under the person's feet).
fn close_panel(id: Uuid, panel: RwSignal<Panel>) {
    let opener = match panel.get_untracked() {
        Panel::Edit => Action::Edit,
        Panel::Rotate => Action::Rotate,
        Panel::Delete => Action::Delete,
        Panel::None => return,
    };
    crate::focus::focus_selector(&format!(
        "li[data-key=\"{id}\"] button[data-act=\"{}\"]",
        opener.name()
    ));
    panel.set(Panel::None);
}

fn close_on_escape(ev: &leptos::ev::KeyboardEvent, id: Uuid, panel: RwSignal<Panel>) {
    if ev.key() == "Escape" {
        ev.prevent_default();
        close_panel(id, panel);
    }
}

#[component]
fn KeyBadges(
    entry: ReadSignal<Option<KeyEntry>>,
    budget: ReadSignal<Option<BudgetStatus>>,
) -> impl IntoView {
    let session = use_session();
    move || {
        let rotation = session.settings.with(|s| s.rotation_days);
        let level = budget.with(|b| b.map(|b| b.level));
        entry.with(|e| {
            let Some(e) = e else { return Vec::new() };
            session.today.track();
            let now = crate::now_here();
            let mut b: Vec<(&'static str, String)> = Vec::new();
            if e.is_default {
                b.push(("badge default", "Default".into()));
            }
            // An expired key is not used although switched on: its Expired badge below
            // says so, and an "Active" beside it would say the opposite.
            if !e.is_active {
                b.push(("badge inactive", "Inactive".into()));
            } else if !e.is_expired(now) {
                b.push(("badge active", "Active".into()));
            }
            // A failed test has its own badge below, on or off.
            for r in reminders(e, now, rotation)
                .into_iter()
                .filter(|r| !matches!(r, Reminder::TestFailed { .. }))
            {
                let class = match r {
                    Reminder::Expired { .. } => "badge expired",
                    Reminder::NeverTested => "badge muted",
                    _ => "badge warn",
                };
                b.push((class, r.badge().into()));
            }
            match &e.last_test {
                Some(t) if t.outcome == byok_core::model::TestOutcome::Ok => {
                    b.push(("badge ok", "Test passed".into()))
                }
                // The key may be fine: the provider was busy or out of reach then.
                Some(t) if t.outcome.is_transient() => {
                    b.push(("badge warn", "Test: try again later".into()))
                }
                Some(_) => b.push(("badge expired", "Test failed".into())),
                None => {}
            }
            match level {
                Some(BudgetLevel::Over) => b.push(("badge expired", "Over budget".into())),
                Some(BudgetLevel::Near) => b.push(("badge warn", "Budget 80%".into())),
                _ => {}
            }
            b.into_iter()
                .map(|(c, t)| view! { <span class=c>{t}</span> })
                .collect::<Vec<_>>()
        })
    }
}

#[component]
fn KeyMeta(
    entry: ReadSignal<Option<KeyEntry>>,
    budget: ReadSignal<Option<BudgetStatus>>,
) -> impl IntoView {
    let session = use_session();
    move || {
        entry.with(|e| {
            let e = e.as_ref()?;
            session.today.track();
            let now = crate::now_here();
            // Moments by the day they were where the person is; the expiry is a date.
            let here = |t: OffsetDateTime| format_date(t.to_offset(now.offset()));
            let mut parts = vec![format!("Added {}", here(e.created_at))];
            if let Some(r) = e.rotated_at {
                parts.push(format!("rotated {}", here(r)));
            }
            parts.push(format!("age {} days", age_days(e, now)));
            if let Some(x) = e.expires_at {
                parts.push(format!("expires {}", format_date(x)));
            }
            parts.push(match e.last_used_at {
                Some(t) => format!("last used {}", ago(t, now)),
                None => "never used".into(),
            });
            if let Some(t) = e.last_test_at {
                parts.push(format!("last tested {}", ago(t, now)));
            }
            if let Some(u) = &e.base_url {
                parts.push(format!("base URL {u}"));
            }
            let notes = (!e.notes.is_empty()).then(|| e.notes.clone());
            let warning = budget.with(|b| b.and_then(|b| b.warning(&e.label)));
            let budget_line = budget.with(|b| {
                b.filter(|b| b.level == BudgetLevel::Under)
                    .map(|b| b.summary())
            });
            Some(view! {
                <p class="meta">{parts.join(" · ")}</p>
                {budget_line.map(|t| view! { <p class="meta">{t}</p> })}
                {warning.map(|w| view! { <p class="warning" role="status">{w}</p> })}
                {notes.map(|n| view! { <p class="notes">{n}</p> })}
            })
        })
    }
}

#[component]
fn EditPanel(
    id: Uuid,
    entry: ReadSignal<Option<KeyEntry>>,
    panel: RwSignal<Panel>,
) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let e = entry.get_untracked();
    let label = RwSignal::new(e.as_ref().map(|e| e.label.clone()).unwrap_or_default());
    let base_url = RwSignal::new(
        e.as_ref()
            .and_then(|e| e.base_url.clone())
            .unwrap_or_default(),
    );
    let expires = RwSignal::new(
        e.as_ref()
            .and_then(|e| e.expires_at)
            .map(format_date)
            .unwrap_or_default(),
    );
    let notes = RwSignal::new(e.as_ref().map(|e| e.notes.clone()).unwrap_or_default());
    let pid = id.simple().to_string();
    let error = FieldErr::new(
        format!("e-{pid}"),
        [
            (Field::Label, format!("l-{pid}")),
            (Field::BaseUrl, format!("u-{pid}")),
            (Field::Expires, format!("x-{pid}")),
        ],
    );
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let expires_at = match parse_date(&expires.get_untracked()) {
            Ok(d) => d,
            Err(m) => return error.show(Field::Expires, m),
        };
        let edit = KeyEdit {
            label: label.get_untracked(),
            base_url: Some(base_url.get_untracked()),
            expires_at,
            notes: notes.get_untracked(),
        };
        match session.mutate(|v| v.edit(id, edit)) {
            Ok(()) => {
                close_panel(id, panel);
                toasts.info("Changes saved.");
            }
            Err(e) => error.show_error(&e),
        }
    };
    view! {
        <form class="panel stack" novalidate on:submit=save aria-label="Edit key" on:keydown=move |ev| close_on_escape(&ev, id, panel) on:input=move |_| error.clear()>
            <label for=format!("l-{pid}")>"Label"</label>
            <input id=format!("l-{pid}") type="text" maxlength="80" node_ref=crate::focus::focus_on_show() aria-invalid=error.invalid(Field::Label) aria-describedby=error.id(Field::Label) prop:value=move || label.get() on:input=move |ev| label.set(event_target_value(&ev))/>
            {error.view(Field::Label)}
            <label for=format!("u-{pid}")>"Base URL"</label>
            <input id=format!("u-{pid}") type="url" aria-invalid=error.invalid(Field::BaseUrl) aria-describedby=error.id(Field::BaseUrl) prop:value=move || base_url.get() on:input=move |ev| base_url.set(event_target_value(&ev))/>
            {error.view(Field::BaseUrl)}
            <label for=format!("x-{pid}")>"Expires on (optional)"</label>
            <input id=format!("x-{pid}") type="date" aria-invalid=error.invalid(Field::Expires) aria-describedby=format!("{} x-{pid}-hints", error.id(Field::Expires)) prop:value=move || expires.get() on:input=move |ev| expires.set(event_target_value(&ev))/>
            {error.view(Field::Expires)}
            <ul class="warnings" id=format!("x-{pid}-hints") role="status">
                {move || expires.with(|x| expiry_warning(x)).map(|w| view! { <li>{w}</li> })}
            </ul>
            <label for=format!("n-{pid}")>"Notes (optional)"</label>
            <textarea id=format!("n-{pid}") rows="2" prop:value=move || notes.get() on:input=move |ev| notes.set(event_target_value(&ev))></textarea>
            {error.view(Field::Form)}
            <div class="row">
                <button type="submit">"Save"</button>
                <button type="button" class="secondary" on:click=move |_| close_panel(id, panel)>"Cancel"</button>
            </div>
        </form>
    }
}

/// Where a rotation stands: the new secret is tried with its provider before it
/// replaces the old one, so a mistyped paste does not cost a working key.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RotateStep {
    Ready,
    Testing,
    /// The test failed, or could not run. Enter tests again; only the separate "Save
    /// anyway" replaces the secret, so a second Enter cannot cost a working key.
    Failed,
}

#[component]
fn RotatePanel(
    id: Uuid,
    entry: ReadSignal<Option<KeyEntry>>,
    panel: RwSignal<Panel>,
) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let secret = RwSignal::new(String::new());
    // Empty, not the old secret's date: a new secret has its own expiry, if any.
    let expires = RwSignal::new(String::new());
    let pid = id.simple().to_string();
    let error = FieldErr::new(
        format!("r-{pid}"),
        [
            (Field::Secret, format!("r-{pid}")),
            (Field::Expires, format!("rx-{pid}")),
        ],
    );
    let step = RwSignal::new(RotateStep::Ready);
    // As in the Add form: a key for another provider, quotes, a cut-off paste.
    let provider = entry.with_untracked(|e| e.as_ref().map(|e| e.provider));
    let warnings = crate::components::key_form::live_warnings(secret, move || provider, error);
    let mismatch_asked = RwSignal::new(false);
    // A refusal by the provider, kept so that "Save anyway" records it: the key then
    // shows its failed test instead of "never tested".
    let refusal = StoredValue::new(None::<TestResult>);
    // The test's request ends with the panel (Cancel, Escape), not at its time-out.
    let stop_test = StoredValue::new(None::<futures::future::AbortHandle>);
    on_cleanup(move || {
        if let Some(Some(h)) = stop_test.try_update_value(Option::take) {
            h.abort();
        }
    });
    let replace = move |tested: Option<TestResult>| {
        // Read now, not when Save was pressed: the date may have changed during the test.
        let expires_at = match expires.with_untracked(|x| parse_date(x)) {
            Ok(d) => d,
            Err(m) => {
                step.set(RotateStep::Ready);
                return error.show(Field::Expires, m);
            }
        };
        let s = Secret::new(secret.get_untracked());
        let works = tested
            .as_ref()
            .is_some_and(|t| t.outcome == TestOutcome::Ok);
        let refused = tested.is_some() && !works;
        let now = crate::now();
        let saved = session.mutate(|v| {
            v.rotate(id, s, expires_at, now)?;
            match tested {
                Some(t) => v.record_test(id, t, now),
                None => Ok(()),
            }
        });
        match saved {
            Ok(()) => {
                secret.set(String::new());
                close_panel(id, panel);
                toasts.info(if works {
                    "Key rotated: the new secret works, and replaces the old one."
                } else if refused {
                    "Key rotated, though its provider refused the new secret: the key shows its failed test until one passes."
                } else {
                    "Key rotated without a test: the new secret replaces the old one."
                });
            }
            Err(e) => {
                step.set(RotateStep::Ready);
                error.show_error(&e);
            }
        }
    };
    let attempt = move || {
        if step.get_untracked() == RotateStep::Testing {
            return;
        }
        if !mismatch_asked.get_untracked()
            && let Some(q) = provider.and_then(|p| {
                secret.with_untracked(|s| crate::components::key_form::mismatch_question(s, p))
            })
        {
            mismatch_asked.set(true);
            return error.show(Field::Form, q);
        }
        if let Err(m) = expires.with_untracked(|x| parse_date(x)) {
            return error.show(Field::Expires, m);
        }
        let typed = secret.get_untracked();
        let checked = session.vault.with_untracked(|v| {
            v.as_ref()
                .map(|v| v.check_rotation(id, &typed))
                .unwrap_or(Err(ModelError::NotFound))
        });
        if let Err(e) = checked {
            return error.show_error(&AppError::from(e));
        }
        let Some(mut candidate) = entry.get_untracked() else {
            return;
        };
        candidate.secret = Secret::new(typed.trim());
        step.set(RotateStep::Testing);
        error.clear();
        refusal.set_value(None);
        let (handle, registration) = futures::future::AbortHandle::new_pair();
        stop_test.set_value(Some(handle));
        leptos::task::spawn_local(async move {
            let test = crate::keytest::test_key(&candidate);
            let Ok(result) = futures::future::Abortable::new(test, registration).await else {
                return;
            };
            // Closed, or the secret changed, while the test ran: its answer is moot.
            if step.try_get_untracked() != Some(RotateStep::Testing)
                || secret.try_with_untracked(|s| s.trim() == candidate.secret.expose())
                    != Some(true)
            {
                return;
            }
            if result.outcome == TestOutcome::Ok {
                return replace(Some(result));
            }
            step.set(RotateStep::Failed);
            // The provider answered, and said no to this secret (a network, policy or
            // address failure says nothing about the secret).
            let refused = matches!(
                result.outcome,
                TestOutcome::InvalidKey | TestOutcome::MissingPermission | TestOutcome::NoCredit
            );
            if refused {
                refusal.set_value(Some(result.clone()));
            }
            let name = candidate.provider.display_name();
            let text = if !refused {
                format!(
                    "The new secret could not be tested: {} The old secret is kept. Choose \u{201c}Test again\u{201d}, or \u{201c}Save anyway\u{201d} to replace it without a test.",
                    result.message
                )
            } else {
                format!(
                    "{name} did not accept the new secret: {} The old secret is kept. Check the paste, or choose \u{201c}Save anyway\u{201d} to replace it all the same (the old secret cannot be brought back afterwards).",
                    result.message
                )
            };
            error.show(Field::Secret, text);
        });
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if step.get_untracked() == RotateStep::Failed {
            step.set(RotateStep::Ready);
        }
        attempt();
    };
    // Untested, or with the refusal on record (`replace` reads the date as it saves).
    let save_anyway = move |_| replace(refusal.get_value());
    let reset = move || {
        error.clear();
        mismatch_asked.set(false);
        if step.get_untracked() != RotateStep::Ready {
            step.set(RotateStep::Ready);
        }
    };
    view! {
        <form class="panel stack" novalidate on:submit=save aria-label="Rotate key" aria-busy=move || (step.get() == RotateStep::Testing).to_string() on:keydown=move |ev| close_on_escape(&ev, id, panel)>
            <p>"Paste the new secret from your provider. It is tested with the provider before it replaces the old one. The label and settings stay; the old secret and its expiry are discarded."</p>
            <label for=format!("r-{pid}")>"New secret"</label>
            <input id=format!("r-{pid}") type="password" autocomplete="off" node_ref=crate::focus::focus_on_show() aria-invalid=error.invalid(Field::Secret) aria-describedby=format!("{} r-{pid}-hints", error.id(Field::Secret)) prop:value=move || secret.get() on:input=move |ev| { secret.set(event_target_value(&ev)); reset(); }/>
            {error.view(Field::Secret)}
            <ul class="warnings" id=format!("r-{pid}-hints") role="status">
                {move || warnings.get().into_iter().map(|w| view! { <li>{w}</li> }).collect_view()}
            </ul>
            <label for=format!("rx-{pid}")>"Expires on (optional)"</label>
            <input id=format!("rx-{pid}") type="date" aria-invalid=error.invalid(Field::Expires) aria-describedby=format!("{} rx-{pid}-hint rx-{pid}-hints", error.id(Field::Expires)) prop:value=move || expires.get() on:input=move |ev| { expires.set(event_target_value(&ev)); if error.is_on(Field::Expires) { error.clear(); } }/>
            {error.view(Field::Expires)}
            <p class="hint" id=format!("rx-{pid}-hint")>"The new secret's expiry, if it has one. Leave it empty if the new secret does not expire."</p>
            <ul class="warnings" id=format!("rx-{pid}-hints") role="status">
                {move || expires.with(|x| expiry_warning(x)).map(|w| view! { <li>{w}</li> })}
            </ul>
            {error.view(Field::Form)}
            <div class="row">
                <button type="submit" disabled=move || step.get() == RotateStep::Testing>
                    {move || match step.get() {
                        RotateStep::Ready => "Save new secret",
                        RotateStep::Testing => "Testing the new secret…",
                        RotateStep::Failed => "Test again",
                    }}
                </button>
                <Show when=move || step.get() == RotateStep::Failed>
                    <button type="button" class="danger" on:click=save_anyway>"Save anyway"</button>
                </Show>
                <button type="button" class="secondary" on:click=move |_| { step.set(RotateStep::Ready); close_panel(id, panel); }>"Cancel"</button>
            </div>
            <Show when=move || step.get() == RotateStep::Testing>
                <p class="progress" role="status"><span class="spinner" aria-hidden="true"></span>"Testing the new secret with the provider…"</p>
            </Show>
        </form>
    }
}
