//! `/chat`: chat with the vault's keys, with saved conversations (one encrypted
//! IndexedDB record each).

use std::collections::{HashMap, HashSet};

use byok_core::conversation::{Conversation, Summary, reconcile};
use byok_core::vault::VaultError;
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use crate::components::chat::Chat;
use crate::components::vault_gate::VaultGate;
use crate::error::AppError;
use crate::idb;
use crate::state::session::use_session;
use crate::state::toasts::use_toasts;

#[component]
pub fn ChatPage() -> impl IntoView {
    view! {
        <VaultGate>
            <Conversations/>
        </VaultGate>
    }
}

#[component]
fn Conversations() -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let keys = Signal::derive(move || {
        session
            .vault
            .with(|v| v.as_ref().map(|v| v.keys.clone()).unwrap_or_default())
    });
    // Conversations opened on this page, whole, as last read or saved here. The others
    // stay in IndexedDB until opened: the list needs only their summaries.
    let cache = StoredValue::new(HashMap::<Uuid, Conversation>::new());
    let summaries = StoredValue::new(HashMap::<Uuid, Summary>::new());
    let list = RwSignal::new(Vec::<Summary>::new());
    let loaded = RwSignal::new(false);
    let query = RwSignal::new(String::new());
    // (generation, conversation shown): a new generation remounts the chat.
    let mounted = RwSignal::new((0u32, None::<Uuid>));
    // The conversation the chat shown saves to: the one mounted, or its copy (`moved`).
    let current = RwSignal::new(None::<Uuid>);
    // For each conversation this tab's chat is based on: the record text and title it
    // was read as or last saved as. A stored record that differs was saved by another
    // tab meanwhile.
    let seen = StoredValue::new(HashMap::<Uuid, (u64, String)>::new());
    // A conversation whose record another tab took on differently: this tab's chat goes
    // on in a copy, until the conversation is opened afresh.
    let moved = StoredValue::new(HashMap::<Uuid, Uuid>::new());
    // Conversations being saved, each with the newest version waiting its turn: one
    // conversation's saves go one at a time, each checked against the record before it.
    let writing = StoredValue::new(HashMap::<Uuid, Option<Conversation>>::new());
    // Deleted here: a save still on its way must not bring them back.
    let gone = StoredValue::new(HashSet::<Uuid>::new());
    let renaming = RwSignal::new(None::<Uuid>);
    let rename_text = RwSignal::new(String::new());
    let deleting = RwSignal::new(None::<Uuid>);

    let refresh_list = move || {
        let Some(mut v) = summaries.try_with_value(|m| m.values().cloned().collect::<Vec<_>>())
        else {
            return;
        };
        v.sort_by_key(|s| std::cmp::Reverse(s.updated_at));
        list.try_set(v);
    };

    spawn_local(async move {
        let result = async {
            let db = idb::open().await?;
            let rows = db.get_all(idb::CONVERSATIONS).await?;
            let mut damaged = 0;
            for summary in session.conversation_summaries(rows).await? {
                match summary {
                    Some(s) => {
                        summaries.try_update_value(|m| {
                            m.insert(s.id, s);
                        });
                    }
                    None => damaged += 1,
                }
            }
            Ok::<usize, crate::error::AppError>(damaged)
        }
        .await;
        match result {
            Ok(0) => {}
            // Kept as they are: a damaged record is reported, never overwritten.
            Ok(n) => toasts.error(format!(
                "{n} saved conversation(s) could not be opened and were left untouched."
            )),
            Err(e) => toasts.error(e.message()),
        }
        // The page may be gone by now (locked, navigated away).
        if summaries.try_with_value(|_| ()).is_some() {
            refresh_list();
            loaded.try_set(true);
        }
    });

    // The whole conversation as saved now (another tab may have added to it), or this
    // tab's own while it is being saved.
    let whole = move |id: Uuid| async move {
        if writing.try_with_value(|w| w.contains_key(&id)) == Some(true)
            && let Some(Some(c)) = cache.try_with_value(|m| m.get(&id).cloned())
        {
            return Some(c);
        }
        let read = async {
            let text = idb::open()
                .await?
                .get(idb::CONVERSATIONS, &id.to_string())
                .await?
                .ok_or_else(|| {
                    crate::error::AppError::Invalid("It is no longer saved in this browser.".into())
                })?;
            let c = session.open_conversation(&text, id)?;
            Ok::<_, AppError>((text, c))
        };
        let read = read.await;
        // A save that began during the read holds a newer version than the one read.
        if writing.try_with_value(|w| w.contains_key(&id)) == Some(true)
            && let Some(Some(c)) = cache.try_with_value(|m| m.get(&id).cloned())
        {
            return Some(c);
        }
        match read {
            Ok((text, c)) => {
                cache.try_update_value(|m| {
                    m.insert(id, c.clone());
                });
                seen.try_update_value(|m| {
                    m.insert(id, (revision(&text), c.title.clone()));
                });
                summaries.try_update_value(|m| {
                    m.insert(id, Summary::from(&c));
                });
                refresh_list();
                Some(c)
            }
            Err(e) => {
                // The vault's own wording ("the saved vault is damaged") would alarm
                // about the wrong thing: only this record is affected.
                let why = match e {
                    AppError::Vault(VaultError::Corrupt(_)) => {
                        "its saved record is damaged".to_string()
                    }
                    AppError::Vault(VaultError::NewerVersion) => {
                        "it was saved by a newer version of byok; update to open it".to_string()
                    }
                    other => other.message(),
                };
                toasts.error(format!(
                    "This conversation could not be opened: {}. It was left as it is; your other conversations and keys are not affected.",
                    why.trim_end_matches('.')
                ));
                None
            }
        }
    };

    // Seal and store one version as this tab's chat's own.
    let put = move |c: Conversation| async move {
        let text = session.seal_conversation(&c)?;
        idb::open()
            .await?
            .put(idb::CONVERSATIONS, &c.id.to_string(), &text)
            .await?;
        summaries.try_update_value(|m| {
            m.insert(c.id, Summary::from(&c));
        });
        Ok::<String, AppError>(text)
    };
    // Save over the stored record. If another tab saved it after this tab read it, the
    // two merge when one holds all the other's messages (`reconcile`); when both added
    // different ones (or the record no longer opens here), this tab's version is saved
    // as a copy, where its chat goes on, and the other tab's stays as it is.
    let save_one = move |ours: Conversation| async move {
        let id = ours.id;
        let stored = idb::open()
            .await?
            .get(idb::CONVERSATIONS, &id.to_string())
            .await?;
        let base = seen.try_with_value(|m| m.get(&id).cloned()).flatten();
        let elsewhere = match (stored, base) {
            (Some(t), Some((b, _))) if revision(&t) == b => None,
            (Some(t), base) => Some((t, base.map(|(_, title)| title))),
            (None, _) => None,
        };
        let Some((text, base_title)) = elsewhere else {
            let title = ours.title.clone();
            let text = put(ours).await?;
            seen.try_update_value(|m| {
                m.insert(id, (revision(&text), title));
            });
            return Ok(());
        };
        let base_title = base_title.unwrap_or_else(|| ours.title.clone());
        let theirs = session.open_conversation(&text, id).ok();
        let merged = theirs
            .clone()
            .and_then(|theirs| reconcile(&base_title, ours.clone(), theirs));
        match merged {
            Some(c) => {
                // Saved with messages the chat does not show, the chat's base stays as it
                // was: its next save is checked against this record again.
                let chat_based = c.messages == ours.messages;
                let title = c.title.clone();
                let text = put(c).await?;
                if chat_based {
                    seen.try_update_value(|m| {
                        m.insert(id, (revision(&text), title));
                    });
                }
            }
            None => {
                let copy = Conversation {
                    id: byok_core::model::new_id()?,
                    title: format!("{} (copy)", ours.title),
                    ..ours
                };
                let (copy_id, title) = (copy.id, copy.title.clone());
                cache.try_update_value(|m| {
                    m.remove(&id);
                    m.insert(copy_id, copy.clone());
                });
                let text = put(copy).await?;
                seen.try_update_value(|m| {
                    m.remove(&id);
                    m.insert(copy_id, (revision(&text), title.clone()));
                });
                moved.try_update_value(|m| {
                    m.insert(id, copy_id);
                });
                if current.try_get_untracked() == Some(Some(id)) {
                    current.try_set(Some(copy_id));
                }
                // The original entry in the list is the other tab's version now.
                if let Some(theirs) = &theirs {
                    summaries.try_update_value(|m| {
                        m.insert(id, Summary::from(theirs));
                    });
                }
                toasts.info(format!(
                    "This conversation was changed in another tab meanwhile. Your messages here are saved as \u{201c}{title}\u{201d}, and it goes on there."
                ));
            }
        }
        refresh_list();
        Ok::<(), AppError>(())
    };
    let save_record = move |c: Conversation| {
        let id = c.id;
        if gone.try_with_value(|g| g.contains(&id)) != Some(false) {
            return;
        }
        let queued = writing.try_update_value(|w| match w.get_mut(&id) {
            Some(next) => {
                *next = Some(c.clone());
                true
            }
            None => {
                w.insert(id, None);
                false
            }
        });
        if queued != Some(false) {
            return;
        }
        spawn_local(async move {
            let mut next = Some(c);
            while let Some(c) = next {
                if let Err(e) = save_one(c).await {
                    toasts.error(format!(
                        "The conversation could not be saved: {}",
                        e.message()
                    ));
                }
                next = writing
                    .try_update_value(|w| {
                        let n = w.get_mut(&id).and_then(Option::take);
                        if n.is_none() {
                            w.remove(&id);
                        }
                        n
                    })
                    .flatten();
            }
        });
    };

    let on_save = Callback::new(move |mut c: Conversation| {
        if let Some(Some(to)) = moved.try_with_value(|m| m.get(&c.id).copied()) {
            c.id = to;
        }
        // A rename made in the list wins over the title the chat remembers.
        if let Some(t) = cache.with_value(|m| m.get(&c.id).map(|x| x.title.clone())) {
            c.title = t;
        }
        cache.update_value(|m| {
            m.insert(c.id, c.clone());
        });
        summaries.update_value(|m| {
            m.insert(c.id, Summary::from(&c));
        });
        refresh_list();
        save_record(c);
    });

    let show = move |id: Option<Uuid>| {
        mounted.try_update(|(g, cur)| {
            *g += 1;
            *cur = id;
        });
        current.try_set(id);
    };
    let open = move |id: Option<Uuid>| match id {
        None => show(None),
        Some(id) => spawn_local(async move {
            if whole(id).await.is_some() {
                // Opened afresh: the chat is based on the record as saved now.
                moved.try_update_value(|m| {
                    m.remove(&id);
                });
                show(Some(id));
            }
        }),
    };

    let rename = move |id: Uuid| {
        let title = rename_text.get_untracked().trim().to_string();
        if title.is_empty() {
            return toasts.error("A conversation needs a title.");
        }
        spawn_local(async move {
            // This tab's own version if it has one (a save of it may be on its way): the
            // save merges the title onto whatever another tab stored meanwhile.
            let mine = cache.try_with_value(|m| m.get(&id).cloned()).flatten();
            let Some(mut c) = (match mine {
                Some(c) => Some(c),
                None => whole(id).await,
            }) else {
                return;
            };
            c.title = title;
            cache.try_update_value(|m| {
                m.insert(id, c.clone());
            });
            summaries.try_update_value(|m| {
                m.insert(id, Summary::from(&c));
            });
            renaming.try_set(None);
            refresh_list();
            save_record(c);
        });
    };

    let delete = move |id: Uuid| {
        gone.try_update_value(|g| {
            g.insert(id);
        });
        spawn_local(async move {
            // After any save of it on its way, so that save cannot bring it back.
            writing.try_update_value(|w| {
                if let Some(next) = w.get_mut(&id) {
                    *next = None;
                }
            });
            while writing.try_with_value(|w| w.contains_key(&id)) == Some(true) {
                gloo_timers::future::TimeoutFuture::new(20).await;
            }
            let r = async {
                idb::open()
                    .await?
                    .delete(idb::CONVERSATIONS, &id.to_string())
                    .await
            }
            .await;
            match r {
                Ok(()) => {
                    // try_: the page may be gone once the record is deleted.
                    cache.try_update_value(|m| {
                        m.remove(&id);
                    });
                    summaries.try_update_value(|m| {
                        m.remove(&id);
                    });
                    seen.try_update_value(|m| {
                        m.remove(&id);
                    });
                    moved.try_update_value(|m| m.retain(|from, to| *from != id && *to != id));
                    deleting.try_set(None);
                    if current.try_get_untracked() == Some(Some(id)) {
                        open(None);
                    }
                    refresh_list();
                    toasts.info("Conversation deleted.");
                }
                Err(e) => toasts.error(e.to_string()),
            }
        });
    };

    let shown = Memo::new(move |_| {
        let q = query.get().trim().to_lowercase();
        list.get()
            .into_iter()
            .filter(|s| q.is_empty() || s.title.to_lowercase().contains(&q))
            .collect::<Vec<_>>()
    });

    view! {
        <div class="chat-layout">
            <aside class="conversations card" aria-label="Conversations">
                <button type="button" on:click=move |_| open(None)>"New conversation"</button>
                <input type="search" aria-label="Search conversations" placeholder="Search by title" prop:value=move || query.get() on:input=move |ev| query.set(event_target_value(&ev))/>
                <Show when=move || loaded.get() fallback=|| view! { <p class="hint" role="status">"Opening conversations…"</p> }>
                    <ul class="conv-list">
                        <For each=move || shown.get() key=|s| (s.id, s.title.clone()) children=move |s| {
                            let id = s.id;
                            let title = s.title.clone();
                            let title2 = s.title.clone();
                            let title3 = s.title.clone();
                            let aria = s.title.clone();
                            view! {
                                <li class="conv" class:current=move || current.get() == Some(id) aria-label=aria>
                                    <Show when=move || renaming.get() == Some(id) fallback={
                                        let title = title2.clone();
                                        move || view! { <button type="button" class="link" on:click=move |_| open(Some(id))>{title.clone()}</button> }
                                    }>
                                        <form on:submit=move |ev| { ev.prevent_default(); rename(id); } aria-label="Rename conversation">
                                            <label class="sr-only" for=format!("rn-{id}")>"New title"</label>
                                            <input id=format!("rn-{id}") autofocus prop:value=move || rename_text.get() on:input=move |ev| rename_text.set(event_target_value(&ev))/>
                                            <button type="submit" class="secondary">"Save title"</button>
                                        </form>
                                    </Show>
                                    <div class="row small">
                                        <button type="button" class="secondary" on:click={
                                            let t = title.clone();
                                            move |_| { rename_text.set(t.clone()); renaming.set(Some(id)); }
                                        }>"Rename"</button>
                                        <button type="button" class="danger" on:click=move |_| deleting.set(Some(id))>"Delete"</button>
                                    </div>
                                    <Show when=move || deleting.get() == Some(id)>
                                        <div class="confirm" role="alertdialog" aria-label="Confirm delete">
                                            <p>{format!("Delete \u{201c}{title3}\u{201d}?")}</p>
                                            <button type="button" class="danger" on:click=move |_| delete(id)>"Yes, delete"</button>
                                            <button type="button" class="secondary" on:click=move |_| deleting.set(None)>"Cancel"</button>
                                        </div>
                                    </Show>
                                </li>
                            }
                        }/>
                    </ul>
                    <Show when=move || list.with(Vec::is_empty)>
                        <p class="hint">"No saved conversations yet."</p>
                    </Show>
                </Show>
            </aside>
            <div class="chat-main">
                <h1>"Chat"</h1>
                <Show
                    when=move || keys.with(|k| !k.is_empty())
                    fallback=|| view! { <p class="empty card">"Add a key under " <a href="/">"Keys"</a> " to start chatting."</p> }
                >
                    {move || {
                        let (_, id) = mounted.get();
                        let conversation = id.and_then(|id| cache.with_value(|m| m.get(&id).cloned()));
                        match conversation {
                            Some(c) => view! { <Chat keys direct=false conversation=c on_save/> }.into_any(),
                            None => view! { <Chat keys direct=false on_save/> }.into_any(),
                        }
                    }}
                </Show>
            </div>
        </div>
    }
}

/// Tells one saved record from another: every save seals with a fresh IV, so two saves
/// never give the same text. A hash instead of the text keeps memory to a number per
/// conversation.
fn revision(record: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    record.hash(&mut h);
    h.finish()
}
