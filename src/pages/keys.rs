//! `/`: the key list, grouped by provider, with search and the add form.

use std::collections::{HashMap, HashSet};

use byok_core::model::{KeyOrder, Provider, TestOutcome};
use byok_core::usage::{BudgetLevel, reminders};
use leptos::prelude::*;
use uuid::Uuid;
use wasm_bindgen::JsCast;

use crate::components::key_form::AddKeyForm;
use crate::components::key_item::{KeyItem, KeyRows};
use crate::components::vault_gate::VaultGate;
use crate::state::session::use_session;

#[component]
pub fn KeysPage() -> impl IntoView {
    view! {
        <VaultGate>
            <KeyList/>
        </VaultGate>
    }
}

/// Rows built with the page; further rows are built only as the reader scrolls near them,
/// so a vault of a thousand keys shows as fast as one of forty and keeps a small page.
const FIRST_ROWS: usize = 40;
const MORE_ROWS: usize = 120;
/// Room held for each row not built yet (a collapsed row and its gap, as in the CSS), so
/// the scroll bar and the End key cover the whole list from the start.
const ROW_ESTIMATE_PX: usize = 175;
/// How close (in px) the end of the built rows may come into view before more are built.
const BUILD_AHEAD: &str = "1500px 0px";

#[component]
fn KeyList() -> impl IntoView {
    let session = use_session();
    let toasts = crate::state::toasts::use_toasts();
    let adding = RwSignal::new(false);
    let query = RwSignal::new(String::new());

    let total = Memo::new(move |_| {
        session
            .vault
            .with(|v| v.as_ref().map_or(0, |v| v.keys.len()))
    });
    // What the search looks in, lowercased once per change of the vault instead of on
    // every keystroke: the label, the notes, and the secret only as the row shows it
    // (masked): matching any more of it would let the search probe the secret.
    let haystacks = Memo::new(move |_| {
        session.vault.with(|v| {
            v.as_ref().map_or_else(HashMap::new, |v| {
                v.keys
                    .iter()
                    .map(|k| {
                        let text = format!("{}\u{1}{}\u{1}{}", k.label, k.notes, k.masked());
                        (k.id, text.to_lowercase())
                    })
                    .collect::<HashMap<Uuid, String>>()
            })
        })
    });
    let order = Memo::new(move |_| session.settings.with(|s| s.key_order));
    // Each provider's ids in the chosen order.
    let ordered = Memo::new(move |_| {
        let o = order.get();
        session.vault.with(|v| {
            v.as_ref().map_or_else(Vec::new, |v| {
                Provider::ALL
                    .into_iter()
                    .map(|p| {
                        let ks = crate::collate::keys_in_order(v, p, o);
                        (p, ks.iter().map(|k| k.id).collect())
                    })
                    .collect::<Vec<(Provider, Vec<Uuid>)>>()
            })
        })
    });
    // Ids per provider that match the search, in the chosen order.
    let groups = Memo::new(move |_| {
        let q = query.get().trim().to_lowercase();
        ordered.with(|all| {
            haystacks.with(|hay| {
                all.iter()
                    .filter_map(|(p, ids)| {
                        // "anthropic" finds every Anthropic key, whatever its label.
                        let whole_group = p.display_name().to_lowercase().contains(&q);
                        let ids: Vec<Uuid> = ids
                            .iter()
                            .filter(|id| whole_group || hay.get(id).is_some_and(|h| h.contains(&q)))
                            .copied()
                            .collect();
                        (!ids.is_empty()).then_some((*p, ids))
                    })
                    .collect::<Vec<_>>()
            })
        })
    });
    let matching =
        Memo::new(move |_| groups.with(|g| g.iter().map(|(_, ids)| ids.len()).sum::<usize>()));
    // The ids the search leaves, or None without a search (every key matches).
    let matching_ids = Memo::new(move |_| {
        if query.with(|q| q.trim().is_empty()) {
            return None;
        }
        Some(groups.with(|g| {
            g.iter()
                .flat_map(|(_, ids)| ids.iter().copied())
                .collect::<HashSet<Uuid>>()
        }))
    });
    let limit = RwSignal::new(FIRST_ROWS);
    // Keys added while the list is open (here or in another tab) are always built, so
    // a key just saved shows even when it sorts below the rows built so far.
    let known: StoredValue<HashSet<Uuid>> = StoredValue::new(session.vault.with_untracked(|v| {
        v.as_ref()
            .map(|v| v.keys.iter().map(|k| k.id).collect())
            .unwrap_or_default()
    }));
    // The rows on view: the first `limit` that match, in the chosen order, and keys
    // added since the list opened. Rows built before and not among them (left out by a
    // search, or further down after a change of order) stay in the page, hidden, instead
    // of showing out of sequence with gaps between them: unmounting or rebuilding a
    // thousand rows is one 50-150 ms task, and an edit open in a hidden row is kept.
    let visible = Memo::new(move |_| {
        let mut left = limit.get();
        matching_ids.with(|matching| {
            ordered.with(|all| {
                known.with_value(|known| {
                    all.iter()
                        .flat_map(|(_, ids)| ids.iter().copied())
                        .filter(|id| kept(matching, id))
                        .filter(|id| {
                            if left > 0 {
                                left -= 1;
                                true
                            } else {
                                !known.contains(id)
                            }
                        })
                        .collect::<HashSet<Uuid>>()
                })
            })
        })
    });
    // The rows in the page: those on view, and every row built before.
    let shown = Memo::new(move |prev: Option<&Vec<(Provider, Vec<Uuid>)>>| {
        let before: HashSet<Uuid> = prev
            .map(|g| g.iter().flat_map(|(_, ids)| ids.iter().copied()).collect())
            .unwrap_or_default();
        visible.with(|visible| {
            ordered.with(|all| {
                known.with_value(|known| {
                    all.iter()
                        .filter_map(|(p, ids)| {
                            let built: Vec<Uuid> = ids
                                .iter()
                                .copied()
                                .filter(|id| {
                                    visible.contains(id)
                                        || before.contains(id)
                                        || !known.contains(id)
                                })
                                .collect();
                            (!built.is_empty()).then_some((*p, built))
                        })
                        .collect::<Vec<_>>()
                })
            })
        })
    });
    let unbuilt = Memo::new(move |_| matching.get().saturating_sub(visible.with(HashSet::len)));
    let filtered = move |id: Uuid| Signal::derive(move || visible.with(|v| !v.contains(&id)));
    let rows = KeyRows::new();
    // The first run only subscribes: each row was filled from this vault when built.
    Effect::new(move |prev: Option<()>| {
        session.vault.with(|v| {
            if let (Some(v), Some(())) = (v, prev) {
                rows.refresh(v);
            }
        })
    });
    let rest = NodeRef::<leptos::html::Div>::new();
    let near_end = watch_near(rest);
    // Whoever went to the very bottom (End, or the scroll bar dragged down) is kept there
    // while the rows above are built: the room held for them is only an estimate, and
    // the browser's smooth End scroll aims at the bottom as it was when it started.
    let stick = StoredValue::new(false);
    let on_key = window_event_listener(leptos::ev::keydown, move |ev| {
        let editing = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|e| {
                e.closest("input, textarea, select")
                    .ok()
                    .flatten()
                    .is_some()
            });
        if !editing {
            stick.try_set_value(ev.key() == "End");
        }
    });
    let on_scroll = window_event_listener(leptos::ev::scroll, move |_| {
        // Reading the page height can force a layout: only while rows are still to come.
        if unbuilt.try_get_untracked().unwrap_or(0) > 0 && at_page_bottom() {
            stick.try_set_value(true);
        }
    });
    let on_wheel = window_event_listener(leptos::ev::wheel, move |ev| {
        if ev.delta_y() < 0.0 {
            stick.try_set_value(false);
        }
    });
    on_cleanup(move || {
        on_key.remove();
        on_scroll.remove();
        on_wheel.remove();
    });
    // One chunk per task while the end of the built rows is near the screen; the
    // observer reports the new position after the next layout and stops the run.
    Effect::new(move |_| {
        if near_end.get() && unbuilt.get() > 0 {
            set_timeout(
                move || {
                    if near_end.try_get_untracked() == Some(true) {
                        let at_bottom = stick.try_get_value() == Some(true) || at_page_bottom();
                        limit.try_update(|n| *n += MORE_ROWS);
                        if at_bottom {
                            request_animation_frame(|| {
                                let h = document()
                                    .document_element()
                                    .map_or(0, |e| e.scroll_height());
                                window().scroll_to_with_x_and_y(0.0, f64::from(h));
                            });
                        }
                    }
                },
                std::time::Duration::ZERO,
            );
        }
    });
    let count = move || {
        let all = total.get();
        let found = matching.get();
        let keys = |n: usize| {
            let s = group_thousands_usize(n);
            if n == 1 {
                format!("{s} key")
            } else {
                format!("{s} keys")
            }
        };
        if query.with(|q| q.trim().is_empty()) {
            keys(all)
        } else {
            format!("{} of {} match", group_thousands_usize(found), keys(all))
        }
    };
    let ids_of = move |p: Provider| {
        shown.with(|g| {
            g.iter()
                .find(|(q, _)| *q == p)
                .map(|(_, ids)| ids.clone())
                .unwrap_or_default()
        })
    };

    view! {
        <section class="keys" aria-labelledby="keys-title">
            <div class="toolbar">
                <h1 id="keys-title">"Keys"</h1>
                <Show when=move || total.get() != 0>
                    <span class="key-count" role="status">{count}</span>
                </Show>
                <input
                    type="search"
                    class="search"
                    aria-label="Search keys by label or provider, notes, or the shown key ending"
                    placeholder="Label, provider, notes or key ending"
                    // Nothing to search yet.
                    hidden=move || total.get() == 0 && query.with(String::is_empty)
                    prop:value=move || query.get()
                    on:input=move |ev| query.set(event_target_value(&ev))
                />
                <Show when=move || { total.get() > 1 }>
                    <label class="key-order">
                        "Order "
                        // `selected` places the first choice; the property follows a
                        // change made in another tab, or one that could not be saved.
                        <select prop:value=move || order.get().id() on:change=move |ev| {
                            let Some(o) = KeyOrder::from_id(&event_target_value(&ev)) else { return };
                            let mut s = session.settings.get_untracked();
                            s.key_order = o;
                            if let Err(e) = session.save_settings(s) {
                                toasts.error(e.message());
                            }
                        }>
                            {KeyOrder::ALL.into_iter().map(|o| view! {
                                <option value=o.id() selected=move || order.get() == o>{o.display_name()}</option>
                            }).collect_view()}
                        </select>
                    </label>
                </Show>
                <button type="button" id="open-add-key" on:click=move |_| adding.set(true) disabled=move || adding.get()>
                    "Add key"
                </button>
            </div>
            <PendingSaveNotice/>
            <TestAll rows/>
            <Reminders matching_ids/>
            <Show when=move || adding.get()>
                <AddKeyForm on_done=Callback::new(move |_| {
                    adding.set(false);
                    // Back to the button that opened the form, once it is enabled again.
                    crate::focus::focus_when_drawn("#open-add-key");
                })/>
            </Show>
            <Show when=move || total.get() == 0 && !adding.get()>
                <div class="empty card">
                    <p>"No keys yet. Add your Anthropic, OpenAI, Gemini or OpenAI-compatible API keys: they are encrypted before they are stored."</p>
                </div>
            </Show>
            <Show when=move || total.get() != 0 && groups.with(Vec::is_empty)>
                <p class="empty">"No key matches your search."</p>
            </Show>
            // Keyed by provider, then by key: a change adds or removes rows instead of
            // rebuilding a whole group.
            <For
                each=move || shown.with(|g| g.iter().map(|(p, _)| *p).collect::<Vec<_>>())
                key=|p| *p
                children=move |p| {
                    let heading = format!("h-{}", p.id());
                    let labelled_by = heading.clone();
                    // No row of it on view (a search leaves none, or only rows further
                    // down are built): the heading waits with them.
                    let empty = move || {
                        visible.with(|v| {
                            shown.with(|g| {
                                !g.iter()
                                    .filter(|(q, _)| *q == p)
                                    .any(|(_, ids)| ids.iter().any(|id| v.contains(id)))
                            })
                        })
                    };
                    view! {
                        <section class="provider" class:filtered=empty aria-labelledby=labelled_by>
                            <h2 id=heading>{p.display_name()}</h2>
                            <ul class="key-list" on:click=move |ev| rows.on_click(&ev)>
                                <For each=move || ids_of(p) key=|id| *id children=move |id| view! { <KeyItem id rows filtered=filtered(id)/> }/>
                            </ul>
                        </section>
                    }
                }
            />
            <div
                class="key-list-rest"
                aria-hidden="true"
                node_ref=rest
                style:height=move || format!("{}px", unbuilt.get() * ROW_ESTIMATE_PX)
            ></div>
        </section>
    }
}

/// Offers to save the key used in a direct session, through the normal encrypted path.
#[component]
fn PendingSaveNotice() -> impl IntoView {
    let session = use_session();
    let toasts = crate::state::toasts::use_toasts();
    let Some(pending) = use_context::<crate::pages::direct::PendingSave>() else {
        return ().into_any();
    };
    let label = RwSignal::new("From a direct session".to_string());
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(k) = pending.0.get_untracked() else {
            return;
        };
        let new = byok_core::model::NewKey {
            provider: k.provider,
            label: label.get_untracked(),
            secret: k.secret.clone(),
            base_url: k.base_url.clone(),
            expires_at: None,
            notes: String::new(),
            make_default: false,
        };
        let id = match byok_core::model::new_id() {
            Ok(id) => id,
            Err(e) => return toasts.error(crate::error::AppError::from(e).message()),
        };
        // The session's check of the key goes along: it is as fresh as a test here.
        let tested = k.last_test_at.zip(k.last_test.clone());
        match session.mutate(|v| {
            v.add(new, id, crate::now())?;
            match tested {
                Some((at, t)) => v.record_test(id, t, at),
                None => Ok(()),
            }
        }) {
            Ok(_) => {
                pending.0.set(None);
                toasts.info("The key is saved in your vault, encrypted.");
            }
            Err(e) => toasts.error(e.message()),
        }
    };
    view! {
        <Show when=move || pending.0.with(Option::is_some)>
            <form class="card stack" on:submit=save aria-label="Save the key from the direct session">
                <p>{move || format!("Save the key you used without a vault ({})?", pending.0.with(|k| k.as_ref().map(|k| k.masked()).unwrap_or_default()))}</p>
                <label for="pending-label">"Label"</label>
                <input id="pending-label" type="text" node_ref=crate::focus::focus_on_show() prop:value=move || label.get() on:input=move |ev| label.set(event_target_value(&ev))/>
                <div class="row">
                    <button type="submit">"Save"</button>
                    <button type="button" class="secondary" on:click=move |_| pending.0.set(None)>"Don't save"</button>
                </div>
            </form>
        </Show>
    }
    .into_any()
}

/// Lifecycle reminders, one line per key, most urgent first: expired, failed test,
/// expiring, due for rotation, never tested. Each line opens to the full advice. With a
/// search, only the keys the search leaves.
#[component]
fn Reminders(matching_ids: Memo<Option<HashSet<Uuid>>>) -> impl IntoView {
    const SHOWN: usize = 10;
    let session = use_session();
    let show_all = RwSignal::new(false);
    // Per key: (urgency, id, name, [(few words, full advice)]). Worked out when the vault
    // or the settings change, not on each keystroke in the search box.
    let items = Memo::new(move |_| {
        let rotation = session.settings.with(|s| s.rotation_days);
        session.today.track();
        let now = crate::now_here();
        session.vault.with(|v| {
            let Some(v) = v else { return Vec::new() };
            let today = now.date();
            let mut out: Vec<ReminderLine> = v
                .keys
                .iter()
                .filter_map(|k| {
                    let mut lines: Vec<(u8, String, String)> = reminders(k, now, rotation)
                        .iter()
                        .map(|r| (r.urgency(), r.short(), r.message()))
                        .collect();
                    // A budget reached, as its badge says: next to a failed test, since
                    // the key goes on spending until someone acts.
                    let budget = crate::components::key_item::budget_of(v, k.id, today);
                    if let Some((b, warning)) =
                        budget.and_then(|b| b.warning(&k.label).map(|w| (b, w)))
                    {
                        let (rank, short) = match b.level {
                            BudgetLevel::Over => (1, "Over its monthly budget"),
                            _ => (3, "Near its monthly budget"),
                        };
                        lines.push((rank, short.to_string(), warning));
                    }
                    // Most urgent first (stable: ties keep the core's order).
                    lines.sort_by_key(|(rank, _, _)| *rank);
                    let first = lines.first()?.0;
                    Some((
                        first,
                        k.id,
                        format!("{} \u{201c}{}\u{201d}", k.provider.display_name(), k.label),
                        lines
                            .into_iter()
                            .map(|(_, short, long)| (short, long))
                            .collect(),
                    ))
                })
                .collect();
            out.sort_by_key(|(rank, _, _, _)| *rank);
            out
        })
    });
    // Positions in `items` the search leaves.
    let visible = Memo::new(move |_| {
        matching_ids.with(|m| {
            items.with(|i| {
                i.iter()
                    .enumerate()
                    .filter(|(_, (_, id, _, _))| kept(m, id))
                    .map(|(n, _)| n)
                    .collect::<Vec<usize>>()
            })
        })
    });
    let count = move || {
        let n = visible.with(Vec::len);
        if n == 1 {
            "(1 key)".to_string()
        } else {
            format!("({} keys)", group_thousands_usize(n))
        }
    };
    view! {
        <Show when=move || visible.with(|v| !v.is_empty())>
            <section class="reminders" aria-labelledby="reminders-title">
                <details class="card" open>
                    <summary><h2 id="reminders-title">"Needs attention"</h2>" "<span class="hint">{count}</span></summary>
                    <ul>
                        {move || {
                            let limit = if show_all.get() { usize::MAX } else { SHOWN };
                            items.with(|i| visible.with(|v| {
                                v.iter().take(limit).filter_map(|n| i.get(*n)).map(|(_, _, who, what)| {
                                    let line = what.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>().join(" \u{b7} ");
                                    let advice = what.iter().map(|(_, m)| view! { <li>{m.clone()}</li> }).collect_view();
                                    view! {
                                        <li>
                                            <details>
                                                <summary><strong>{who.clone()}</strong>": "{line}</summary>
                                                <ul>{advice}</ul>
                                            </details>
                                        </li>
                                    }
                                }).collect_view()
                            }))
                        }}
                    </ul>
                    {move || {
                        let more = visible.with(Vec::len).saturating_sub(SHOWN);
                        (more > 0 && !show_all.get()).then(|| view! {
                            <button type="button" class="secondary" on:click=move |_| show_all.set(true)>{format!("Show {more} more")}</button>
                        })
                    }}
                </details>
            </section>
        </Show>
    }
}

/// A key that needs care: urgency, id, name, and per reminder its few words and advice.
type ReminderLine = (u8, Uuid, String, Vec<(String, String)>);

/// "Test all": tests every switched-on key, one after another (all at once would hit the
/// providers' rate limits), and records each result as the key's own Test button does.
#[component]
fn TestAll(rows: KeyRows) -> impl IntoView {
    let session = use_session();
    let total = Memo::new(move |_| {
        session.vault.with(|v| {
            v.as_ref()
                .map_or(0, |v| v.keys.iter().filter(|k| k.is_active).count())
        })
    });
    // (which, of how many, the key's name) while a run goes on.
    let progress = RwSignal::new(None::<(usize, usize, String)>);
    let outcome = RwSignal::new(None::<String>);
    // A run's summary speaks of the keys as they were: once one is added, deleted,
    // switched off or on, tested again or rotated, its figures no longer match the rows
    // below, so it goes. `seen` holds the keys' state when the summary was written.
    let results = Memo::new(move |_| {
        session.vault.with(|v| {
            v.as_ref().map_or_else(Vec::new, |v| {
                v.keys
                    .iter()
                    .filter(|k| k.is_active)
                    .map(|k| (k.id, k.last_test_at, k.rotated_at))
                    .collect::<Vec<_>>()
            })
        })
    });
    let seen = StoredValue::new(Vec::new());
    Effect::new(move |_| {
        let now = results.get();
        if outcome.with_untracked(Option::is_some) && seen.with_value(|s| *s != now) {
            outcome.set(None);
        }
    });
    let finish = move |text: String| {
        seen.try_set_value(results.try_get_untracked().unwrap_or_default());
        outcome.try_set(Some(text));
    };
    // Dropping the sender (Stop, or leaving the page) ends the run at once; the key
    // being tested then keeps its previous result.
    let stopper = StoredValue::new_local(None::<futures::channel::oneshot::Sender<()>>);
    let stop = move |_| {
        stopper.update_value(|s| {
            s.take();
        });
    };
    let start = move |_| {
        let ids: Vec<Uuid> = session.vault.with_untracked(|v| {
            v.as_ref().map_or_else(Vec::new, |v| {
                Provider::ALL
                    .into_iter()
                    .flat_map(|p| v.keys_for(p))
                    .filter(|k| k.is_active)
                    .map(|k| k.id)
                    .collect()
            })
        });
        let (tx, mut rx) = futures::channel::oneshot::channel::<()>();
        stopper.set_value(Some(tx));
        outcome.set(None);
        leptos::task::spawn_local(async move {
            use futures::future::{Either, select};
            let of = ids.len();
            // A rate limit or an outage is not the key's fault: counted apart, as the
            // row says "try again later" for it.
            let (mut passed, mut failed, mut later, mut done) = (0usize, 0usize, 0usize, 0usize);
            let mut stopped = false;
            for (i, id) in ids.into_iter().enumerate() {
                // Read now: a key deleted or switched off since the start is left out.
                // Locked (or the page gone): nothing more to test with.
                let Some(Some(found)) = session.vault.try_with_untracked(|v| {
                    v.as_ref()
                        .map(|v| v.get(id).filter(|k| k.is_active).cloned())
                }) else {
                    stopped = true;
                    break;
                };
                let Some(k) = found else { continue };
                progress.try_set(Some((i + 1, of, k.label.clone())));
                rows.set_testing(id, true);
                let test = std::pin::pin!(crate::keytest::test_key(&k));
                let result = select(test, &mut rx).await;
                rows.set_testing(id, false);
                let result = match result {
                    Either::Left((r, _)) => r,
                    Either::Right(_) => {
                        stopped = true;
                        break;
                    }
                };
                let ok = result.outcome == TestOutcome::Ok;
                let transient = result.outcome.is_transient();
                // A key rotated while the test ran gets no result from its old secret.
                let same_secret = k.secret.clone();
                let saved = session.mutate(|v| {
                    if v.get(id).is_some_and(|now| now.secret == same_secret) {
                        v.record_test(id, result, crate::now())
                    } else {
                        Ok(())
                    }
                });
                if let Err(e) = saved {
                    finish(e.message());
                    progress.try_set(None);
                    stopper.try_update_value(|s| s.take());
                    return;
                }
                done += 1;
                if ok {
                    passed += 1;
                } else if transient {
                    later += 1;
                } else {
                    failed += 1;
                }
            }
            stopper.try_update_value(|s| s.take());
            progress.try_set(None);
            let tested = if done == 1 {
                "1 key".to_string()
            } else {
                format!("{done} keys")
            };
            let later = if later > 0 {
                format!(", {later} to try again later")
            } else {
                String::new()
            };
            let text = if stopped {
                format!(
                    "Stopped after testing {tested} of {of}: {passed} passed, {failed} failed{later}."
                )
            } else {
                format!(
                    "Tested {tested}: {passed} passed, {failed} failed{later}. Each key shows its result below."
                )
            };
            finish(text);
        });
    };
    let running = move || progress.with(Option::is_some);
    view! {
        <Show when=move || { total.get() > 1 || running() || outcome.with(Option::is_some) }>
            <div class="test-all row">
                // One button that changes, so the focus stays on it as a run starts and ends.
                <button type="button" class="secondary" disabled=move || !running() && total.get() == 0 on:click=move |ev| if running() { stop(ev) } else { start(ev) }>
                    {move || if running() { "Stop testing" } else { "Test all keys" }}
                </button>
                <p class="hint" role="status">
                    {move || match progress.get() {
                        Some((i, of, name)) => format!("Testing {i} of {of}: \u{201c}{name}\u{201d}\u{2026}"),
                        None => outcome.get().unwrap_or_default(),
                    }}
                </p>
            </div>
        </Show>
    }
}

/// Whether the search keeps `id`, given the ids it leaves (`matching_ids`: None without
/// a search).
fn kept(matching: &Option<HashSet<Uuid>>, id: &Uuid) -> bool {
    matching.as_ref().is_none_or(|m| m.contains(id))
}

fn at_page_bottom() -> bool {
    let w = window();
    let (Some(y), Some(h), Some(el)) = (
        w.scroll_y().ok(),
        w.inner_height().ok().and_then(|v| v.as_f64()),
        document().document_element(),
    ) else {
        return false;
    };
    y + h >= f64::from(el.scroll_height()) - 2.0
}

fn group_thousands_usize(n: usize) -> String {
    byok_core::usage::group_thousands(&n.to_string())
}

/// Whether `el` is within [`BUILD_AHEAD`] of the screen, kept up to date by an
/// IntersectionObserver that is disconnected with the list.
fn watch_near(el: NodeRef<leptos::html::Div>) -> ReadSignal<bool> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;

    let (near, set_near) = signal(false);
    let observer = StoredValue::new_local(
        None::<(
            web_sys::IntersectionObserver,
            Closure<dyn FnMut(js_sys::Array)>,
        )>,
    );
    Effect::new(move |_| {
        let Some(target) = el.get() else { return };
        let callback = Closure::<dyn FnMut(js_sys::Array)>::new(move |entries: js_sys::Array| {
            // The newest entry is the current state.
            if let Some(e) = entries.iter().last()
                && let Ok(e) = e.dyn_into::<web_sys::IntersectionObserverEntry>()
            {
                set_near.try_set(e.is_intersecting());
            }
        });
        let init = web_sys::IntersectionObserverInit::new();
        init.set_root_margin(BUILD_AHEAD);
        // No IntersectionObserver (very old browser): build every row, as before.
        let Ok(io) = web_sys::IntersectionObserver::new_with_options(
            callback.as_ref().unchecked_ref(),
            &init,
        ) else {
            set_near.set(true);
            return;
        };
        io.observe(&target);
        observer.update_value(|o| {
            if let Some((old, _)) = o.replace((io, callback)) {
                old.disconnect();
            }
        });
    });
    on_cleanup(move || {
        observer.try_update_value(|o| {
            if let Some((io, _)) = o.take() {
                io.disconnect();
            }
        });
    });
    near
}
