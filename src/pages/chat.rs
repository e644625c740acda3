//! `/chat`: chat with the vault's keys, with saved conversations (one encrypted
//! IndexedDB record each).

use std::collections::{HashMap, HashSet};

use byok_core::conversation::{Conversation, Summary, reconcile};
use byok_core::vault::VaultError;
use futures::channel::oneshot;
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

use crate::components::chat::{Chat, ChatPageLink, Kept, moved_to};
use crate::components::vault_gate::VaultGate;
use crate::error::AppError;
use crate::idb;
use crate::state::session::{KeyHold, Records, Session, use_session};
use crate::state::toasts::{Toasts, use_toasts};

/// How long typing in the conversation search must pause before the saved messages
/// are read for it (every record is decrypted once per search).
const SEARCH_PAUSE_MS: u32 = 250;

/// A finished message search's outcome, if it was for the search `q`.
type SearchOutcome = Result<HashSet<Uuid>, ()>;
fn outcome_for<'a>(
    hits: &'a Option<(String, SearchOutcome)>,
    q: &str,
) -> Option<&'a SearchOutcome> {
    hits.as_ref()
        .filter(|(for_q, _)| for_q == q)
        .map(|(_, r)| r)
}

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
    // Once per change of the vault: the chat reads the keys many times (providers, the
    // key picker, resolution, notices), and a derived signal would copy all of them,
    // secrets included, at every read.
    let keys = Memo::new(move |_| {
        session
            .vault
            .with(|v| v.as_ref().map(|v| v.keys.clone()).unwrap_or_default())
    });
    // What each chat left unsent (see `Kept`).
    let kept = StoredValue::new(Kept::default());
    let saved = Saved {
        session,
        toasts,
        kept,
        cache: StoredValue::new(HashMap::new()),
        summaries: StoredValue::new(HashMap::new()),
        list: RwSignal::new(Vec::new()),
        current: RwSignal::new(None),
        seen: StoredValue::new(HashMap::new()),
        moved: StoredValue::new(HashMap::new()),
        writing: StoredValue::new(HashMap::new()),
        landed: StoredValue::new(HashMap::new()),
        gone: StoredValue::new(HashSet::new()),
        others: StoredValue::new_local(None),
    };
    saved.follow_other_tabs();
    let Saved {
        cache,
        summaries,
        list,
        current,
        moved,
        gone,
        writing,
        seen,
        ..
    } = saved;
    let loaded = RwSignal::new(false);
    let query = RwSignal::new(String::new());
    // (generation, conversation shown): a new generation remounts the chat.
    let mounted = RwSignal::new((0u32, None::<Uuid>));
    let refresh_list = move || saved.refresh_list();
    let whole = move |id: Uuid| saved.whole(id);
    let save_record = move |c: Conversation| saved.save_record(c);
    let renaming = RwSignal::new(None::<Uuid>);
    let rename_text = RwSignal::new(String::new());
    let rename_error = RwSignal::new(None::<&'static str>);
    let deleting = RwSignal::new(None::<Uuid>);

    spawn_local(async move {
        let result = async {
            let db = idb::open().await?;
            let mut damaged = 0;
            for summary in session.conversation_summaries(Records::Saved(&db)).await? {
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

    let on_save = Callback::new(move |mut c: Conversation| {
        c.id = moved_to(moved, c.id);
        if gone.try_with_value(|g| g.contains(&c.id)) != Some(false) {
            return;
        }
        // A chat started here saves for the first time: it is the conversation shown, so
        // the list marks it and deleting it clears the chat. Only the mounted chat saves
        // (an unmounted one has nothing left to save from).
        if current.get_untracked().is_none() {
            current.set(Some(c.id));
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
                show(Some(id));
                // Opened afresh: the chat is based on the record as saved now. Once the
                // chat left has been put away: it may be saving to the copy still, and
                // keeps its unsent message under the copy.
                set_timeout(
                    move || {
                        moved.try_update_value(|m| {
                            m.remove(&id);
                        });
                    },
                    std::time::Duration::ZERO,
                );
            }
        }),
    };

    // Back from a lock or another page: the conversation that was shown, and what each
    // chat left unsent.
    provide_context(ChatPageLink { kept, moved, gone });
    if let Some(k) = session
        .take_resume()
        .and_then(|pt| serde_json::from_slice::<Kept>(&pt).ok())
    {
        match k.shown {
            // Given to the page after the read: the blank chat shown meanwhile must not
            // take the new chat's unsent message with it.
            Some(id) => spawn_local(async move {
                let found = whole(id).await.is_some();
                let mut k = k;
                if found {
                    moved.try_update_value(|m| {
                        m.remove(&id);
                    });
                } else {
                    k.shown_gone();
                }
                kept.try_set_value(k);
                show(found.then_some(id));
            }),
            None => kept.set_value(k),
        }
    }

    let rename = move |id: Uuid| {
        let title = rename_text.get_untracked().trim().to_string();
        if title.is_empty() {
            // Said under the field, where the focus already is (Enter or Save title).
            return rename_error.set(Some("Give the conversation a title."));
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
            // The field goes with the form: the focus goes back to where renaming began.
            crate::focus::focus_when_drawn(format!("#ren-{id}"));
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
            saved.saves_landed(id).await;
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
                    kept.try_update_value(|k| k.forget(id));
                    // A chat moved off this conversation goes on saving to its copy.
                    moved.try_update_value(|m| m.retain(|_, to| *to != id));
                    saved.tell_other_tabs(id);
                    deleting.try_set(None);
                    if current.try_get_untracked() == Some(Some(id)) {
                        open(None);
                    }
                    refresh_list();
                    toasts.info("Conversation deleted.");
                }
                Err(e) => {
                    // Not deleted: its chat goes on saving.
                    gone.try_update_value(|g| {
                        g.remove(&id);
                    });
                    toasts.error(e.to_string());
                }
            }
        });
    };

    // As a Markdown file, read whole from storage (the list holds only titles).
    let download = move |id: Uuid| {
        spawn_local(async move {
            let saved_file = async {
                let (_, c) = saved.read_record(id).await?;
                let name = c.markdown_file_name();
                crate::download::save_file(&c.to_markdown(), &name, "text/markdown;charset=utf-8")?;
                Ok::<_, AppError>((c.title, name))
            };
            match saved_file.await {
                Ok((title, name)) => toasts.info(format!(
                    "\u{201c}{title}\u{201d} saved to your downloads as {name}. That file is not encrypted: anyone who opens it can read the conversation."
                )),
                Err(e) => toasts.error(format!(
                    "The conversation could not be downloaded: {}. It was left as it is.",
                    record_problem(e)
                )),
            }
        });
    };

    // Back to Rename, once its row is shown again.
    let cancel_rename = move |id: Uuid| {
        renaming.set(None);
        rename_error.set(None);
        crate::focus::focus_when_drawn(format!("#ren-{id}"));
    };
    // Back to the Delete button that asked, first, so that focus is not removed with the
    // question.
    let close_delete = move |id: Uuid| {
        crate::focus::focus_selector(&format!("#del-{id}"));
        deleting.set(None);
    };

    // The list keeps only titles: a search of at least two characters also reads every
    // saved conversation for it, once typing pauses. The last finished one: (the search,
    // the ids that have it, or Err when the records could not be read).
    let text_hits = RwSignal::new(None::<(String, SearchOutcome)>);
    let search_run = StoredValue::new(0u32);
    // Counted as the search is: lowercased first ("İ" becomes two characters).
    let search_text = move || query.with(|q| q.trim().to_lowercase());
    let searches_messages = |q: &str| q.chars().count() >= 2;
    Effect::new(move |_| {
        let q = search_text();
        // Again when the list changes (a message saved here, a change from another tab),
        // so the hits never go stale while the search stays.
        list.track();
        let run = search_run.get_value().wrapping_add(1);
        search_run.set_value(run);
        // An older search stops at its next page as soon as a newer one starts.
        let current_run = move || search_run.try_get_value() == Some(run);
        if !searches_messages(&q) {
            return;
        }
        spawn_local(async move {
            gloo_timers::future::TimeoutFuture::new(SEARCH_PAUSE_MS).await;
            if !current_run() {
                return;
            }
            let found = async {
                let db = idb::open().await?;
                session
                    .conversations_mentioning(&db, &q, &current_run)
                    .await
            }
            .await;
            if !current_run() {
                return;
            }
            let found = found.map_err(|_| ()).map(|ids| {
                let mut ids: HashSet<Uuid> = ids.into_iter().collect();
                // What this tab saved last, which its record may not hold yet.
                cache.with_value(|m| {
                    for (id, c) in m {
                        if c.mentions(&q) {
                            ids.insert(*id);
                        } else {
                            ids.remove(id);
                        }
                    }
                });
                ids
            });
            text_hits.try_set(Some((q, found)));
        });
    });
    let shown = Memo::new(move |_| {
        let q = search_text();
        text_hits.with(|h| {
            let hits = outcome_for(h, &q).and_then(|r| r.as_ref().ok());
            list.get()
                .into_iter()
                .filter(|s| {
                    q.is_empty()
                        || s.title.to_lowercase().contains(&q)
                        || hits.is_some_and(|h| h.contains(&s.id))
                })
                .collect::<Vec<_>>()
        })
    });
    // Whether the message search for the search as it is now has finished: None while
    // it runs, Some(false) when the records could not be read.
    let search_done = move || {
        let q = search_text();
        text_hits.with(|h| outcome_for(h, &q).map(Result::is_ok))
    };
    let search_status = move || {
        let q = search_text();
        let n = shown.with(Vec::len);
        let titles = move || {
            if n == 1 {
                "1 title matches".to_string()
            } else {
                format!("{n} titles match")
            }
        };
        if q.is_empty() {
            String::new()
        } else if !searches_messages(&q) {
            format!("{}. Type more to search the messages too.", titles())
        } else {
            match search_done() {
                None => "Searching titles and messages\u{2026}".to_string(),
                Some(false) => format!(
                    "The saved messages could not be read, so only titles were searched: {}.",
                    titles()
                ),
                Some(true) if n == 0 => {
                    "No conversation has that in its title or messages.".to_string()
                }
                Some(true) if n == 1 => "1 conversation has it.".to_string(),
                Some(true) => format!("{n} conversations have it."),
            }
        }
    };

    view! {
        <div class="chat-layout">
            <aside class="conversations card" id="conversations" tabindex="-1" aria-label="Conversations">
                <button type="button" on:click=move |_| {
                    open(None);
                    // Once the fresh chat is drawn: its message box is where one starts.
                    crate::focus::focus_when_drawn("#chat-input");
                }>"New conversation"</button>
                <input type="search" aria-label="Search conversations" placeholder="Search" prop:value=move || query.get() on:input=move |ev| query.set(event_target_value(&ev))/>
                // There from the start, so that screen readers announce each change of it.
                <p class="hint search-status" role="status" aria-live="polite">{move || if loaded.get() { search_status() } else { String::new() }}</p>
                <Show when=move || loaded.get() fallback=|| view! { <p class="hint" role="status">"Opening conversations…"</p> }>
                    <ul class="conv-list">
                        <For each=move || shown.get() key=|s| (s.id, s.title.clone()) children=move |s| {
                            let id = s.id;
                            let title = s.title.clone();
                            let title2 = s.title.clone();
                            let title3 = s.title.clone();
                            let aria = s.title.clone();
                            view! {
                                <li class="conv" class:current=move || current.get() == Some(id) aria-current=move || (current.get() == Some(id)).then_some("true") aria-label=aria>
                                    <Show when=move || renaming.get() == Some(id) fallback={
                                        let title = title2.clone();
                                        move || view! { <button type="button" class="link" on:click=move |_| open(Some(id))>{title.clone()}</button> }
                                    }>
                                        <form class="rename" novalidate on:submit=move |ev| { ev.prevent_default(); rename(id); } aria-label="Rename conversation" on:keydown=move |ev| if ev.key() == "Escape" { ev.prevent_default(); cancel_rename(id); }>
                                            <label class="sr-only" for=format!("rn-{id}")>"New title"</label>
                                            <input id=format!("rn-{id}") node_ref=crate::focus::focus_on_show()
                                                aria-invalid=move || rename_error.get().map(|_| "true") aria-describedby=format!("rn-{id}-error")
                                                prop:value=move || rename_text.get() on:input=move |ev| { rename_text.set(event_target_value(&ev)); rename_error.set(None); }/>
                                            <Show when=move || rename_error.get().is_some()>
                                                <p class="error" id=format!("rn-{id}-error") role="alert">{move || rename_error.get()}</p>
                                            </Show>
                                            <div class="row small">
                                                <button type="submit" class="secondary">"Save title"</button>
                                                <button type="button" class="secondary" on:click=move |_| cancel_rename(id)>"Cancel"</button>
                                            </div>
                                        </form>
                                    </Show>
                                    // Renaming is its own step: its Save and Cancel stand alone.
                                    <div class="row small" hidden=move || renaming.get() == Some(id)>
                                        <button type="button" class="secondary" id=format!("ren-{id}") on:click={
                                            let t = title.clone();
                                            move |_| { rename_text.set(t.clone()); rename_error.set(None); deleting.set(None); renaming.set(Some(id)); }
                                        }>"Rename"</button>
                                        <button type="button" class="secondary" on:click=move |_| download(id)>"Download"</button>
                                        <button type="button" class="danger" id=format!("del-{id}") on:click=move |_| { renaming.set(None); deleting.set(Some(id)); }>"Delete"</button>
                                    </div>
                                    <Show when=move || deleting.get() == Some(id)>
                                        <div class="confirm" role="alertdialog" aria-label="Confirm delete" on:keydown=move |ev| if ev.key() == "Escape" { ev.prevent_default(); close_delete(id); }>
                                            <p>{format!("Delete \u{201c}{title3}\u{201d}?")}</p>
                                            <button type="button" class="danger" on:click=move |_| delete(id)>"Yes, delete"</button>
                                            <button type="button" class="secondary" node_ref=crate::focus::focus_on_show() on:click=move |_| close_delete(id)>"Cancel"</button>
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
                <div class="chat-head">
                    <h1>"Chat"</h1>
                    // On a phone the list is below the chat: one press away from its top.
                    <button type="button" class="secondary to-conversations" on:click=move |_| {
                        if let Some(el) = document().get_element_by_id("conversations") {
                            el.scroll_into_view();
                            crate::focus::focus_selector("#conversations");
                        }
                    }>{move || format!("Saved conversations ({})", list.with(Vec::len))}</button>
                </div>
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

/// This page's copy of the saved conversations, and the way this tab's saves reach
/// IndexedDB.
#[derive(Clone, Copy)]
struct Saved {
    session: Session,
    toasts: Toasts,
    /// Conversations opened on this page, whole, as last read or saved here. The others
    /// stay in IndexedDB until opened: the list needs only their summaries.
    cache: StoredValue<HashMap<Uuid, Conversation>>,
    summaries: StoredValue<HashMap<Uuid, Summary>>,
    list: RwSignal<Vec<Summary>>,
    /// The conversation the chat shown saves to: the one mounted, or its copy (`moved`).
    current: RwSignal<Option<Uuid>>,
    /// What each chat left unsent: a conversation another tab deleted takes its own along.
    kept: StoredValue<Kept>,
    /// For each conversation this tab's chat is based on: its record (as a hash) and
    /// title when read or last saved here. A stored record that differs was saved by
    /// another tab meanwhile.
    seen: StoredValue<HashMap<Uuid, (u64, String)>>,
    /// A conversation whose record another tab took on differently: this tab's chat goes
    /// on in a copy, until the conversation is opened afresh.
    moved: StoredValue<HashMap<Uuid, Uuid>>,
    /// Conversations being saved, each with the newest version waiting its turn: one
    /// conversation's saves go one at a time, each checked against the record before it.
    writing: StoredValue<HashMap<Uuid, Option<Conversation>>>,
    /// Tasks waiting for a conversation's saves here to land, woken when its queue in
    /// `writing` empties.
    landed: StoredValue<HashMap<Uuid, Vec<oneshot::Sender<()>>>>,
    /// Deleted here: a save still on its way must not bring them back.
    gone: StoredValue<HashSet<Uuid>>,
    /// The channel on which the tabs of this origin name each conversation they saved
    /// or deleted, and its listener.
    others: StoredValue<Option<Listening>, LocalStorage>,
}

impl Saved {
    /// Keeps the list in step with the other tabs: each names on a channel the
    /// conversations it saved or deleted (by id only: the channel reaches nothing but
    /// this origin's pages, and the record stays encrypted in IndexedDB), and this tab
    /// reads their entry afresh. Without it a conversation started in another tab only
    /// appeared here after a reload, and one deleted there stayed listed.
    fn follow_other_tabs(self) {
        // No BroadcastChannel (very old browser): the list follows on reload, as before.
        let Ok(channel) = web_sys::BroadcastChannel::new(CHANNEL) else {
            return;
        };
        let on_message =
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                if let Some(id) = e.data().as_string().and_then(|s| Uuid::parse_str(&s).ok()) {
                    spawn_local(self.follow(id));
                }
            });
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        self.others.set_value(Some((channel, on_message)));
        on_cleanup(move || {
            self.others.try_update_value(|o| {
                if let Some((channel, _)) = o.take() {
                    channel.set_onmessage(None);
                    channel.close();
                }
            });
        });
    }

    fn tell_other_tabs(self, id: Uuid) {
        self.others.try_with_value(|o| {
            if let Some((channel, _)) = o {
                // Best effort: the other tabs' lists then follow on their next reload.
                let _ = channel.post_message(&id.to_string().into());
            }
        });
    }

    /// Another tab saved or deleted conversation `id`: its list entry as stored now.
    async fn follow(self, id: Uuid) {
        // This tab's own save or delete of it decides its entry when it lands.
        let ours = move || {
            self.gone.try_with_value(|g| g.contains(&id)) != Some(false)
                || self.writing.try_with_value(|w| w.contains_key(&id)) != Some(false)
        };
        let entry = move || {
            self.summaries
                .try_with_value(|m| m.get(&id).map(|s| (s.title.clone(), s.updated_at)))
        };
        if ours() {
            return;
        }
        let before = entry();
        let now = match stored(id).await {
            Ok(None) => None,
            Ok(Some(text)) => {
                match self
                    .session
                    .conversation_summaries(Records::These(vec![(id.to_string(), text)]))
                    .await
                    .map(|mut v| v.pop().flatten())
                {
                    Ok(Some(s)) => Some(s),
                    // Damaged, or locked meanwhile: the entry stays as it was; opening
                    // the conversation says what is wrong with it.
                    Ok(None) | Err(_) => return,
                }
            }
            Err(_) => return,
        };
        // Changed here meanwhile (or a later message already read it): that is newer.
        if ours() || entry() != before {
            return;
        }
        let removed = now.is_none();
        self.summaries.try_update_value(|m| match now {
            Some(s) => {
                m.insert(id, s);
            }
            None => {
                m.remove(&id);
            }
        });
        if removed {
            self.kept.try_update_value(|k| k.forget(id));
        }
        self.refresh_list();
    }

    fn refresh_list(self) {
        let Some(mut v) = self
            .summaries
            .try_with_value(|m| m.values().cloned().collect::<Vec<_>>())
        else {
            return;
        };
        v.sort_by_key(|s| std::cmp::Reverse(s.updated_at));
        self.list.try_set(v);
    }

    /// The record as saved now (another tab may have added to it) and the conversation
    /// in it, once this tab's saves of it have landed. Read only: the chat showing it
    /// keeps the version it is based on until the caller takes this one on (`whole`),
    /// so its next save is still checked against what another tab saved meanwhile.
    async fn read_record(self, id: Uuid) -> Result<(String, Conversation), AppError> {
        self.saves_landed(id).await;
        let text = stored(id)
            .await?
            .ok_or_else(|| AppError::Invalid("It is no longer saved in this browser.".into()))?;
        let c = self.session.open_conversation(&text, id)?;
        Ok((text, c))
    }

    /// The whole conversation as saved now, taken on by this tab.
    async fn whole(self, id: Uuid) -> Option<Conversation> {
        let read = self.read_record(id).await;
        // A save that began during the read holds a newer version than the one read.
        if self.writing.try_with_value(|w| w.contains_key(&id)) == Some(true)
            && let Some(Some(c)) = self.cache.try_with_value(|m| m.get(&id).cloned())
        {
            return Some(c);
        }
        match read {
            Ok((text, c)) => {
                self.cache.try_update_value(|m| {
                    m.insert(id, c.clone());
                });
                self.seen.try_update_value(|m| {
                    m.insert(id, (revision(&text), c.title.clone()));
                });
                self.summaries.try_update_value(|m| {
                    m.insert(id, Summary::from(&c));
                });
                self.refresh_list();
                Some(c)
            }
            Err(e) => {
                self.toasts.error(format!(
                        "This conversation could not be opened: {}. It was left as it is; your other conversations and keys are not affected.",
                        record_problem(e)
                    ));
                None
            }
        }
    }

    /// Save over the stored record. If another tab saved it after this tab read it, the
    /// two merge when one holds all the other's messages (`reconcile`); when both added
    /// different ones (or the record no longer opens here), this tab's version is saved
    /// as a copy, where its chat goes on, and the other tab's stays as it is. Reading,
    /// comparing and writing are one IndexedDB transaction, so no other tab can save
    /// in between.
    ///
    /// `known` is what this tab knew of the record when the save was asked for: the page
    /// may be gone by the time the save runs (a save made as the vault locks), and with
    /// it `seen`. Returns what is known after the save, for the next one.
    async fn save_one(
        self,
        ours: Conversation,
        key: &KeyHold,
        known: Option<(u64, String)>,
    ) -> Result<Option<(u64, String)>, AppError> {
        let id = ours.id;
        let db = idb::open().await?;
        let base = self
            .seen
            .try_with_value(|m| m.get(&id).cloned())
            .unwrap_or(known.clone());
        let mut after = known;
        let mut outcome = None;
        db.update(idb::CONVERSATIONS, &id.to_string(), |stored| {
            // Saved before, and gone now: another tab deleted it while this one went on.
            let revived = stored.is_none() && base.is_some();
            let elsewhere = match (stored, base) {
                (Some(t), Some((b, _))) if revision(&t) == b => None,
                (Some(t), base) => Some((t, base.map(|(_, title)| title))),
                (None, _) => None,
            };
            let (c, chat_based) = match elsewhere {
                None => (ours.clone(), true),
                Some((text, base_title)) => {
                    // Never read here (the page is going away): any title the chat has
                    // is its own.
                    let base_title = base_title.unwrap_or_default();
                    let theirs = key.open_conversation(&text, id).ok();
                    let merged = theirs
                        .clone()
                        .and_then(|theirs| reconcile(&base_title, ours.clone(), theirs));
                    let Some(c) = merged else {
                        outcome = Some(Saving::Diverged(theirs));
                        return None;
                    };
                    // The chat's next save takes its title from here: keep the merged
                    // one (only the title: the chat may have saved a newer version
                    // meanwhile).
                    self.cache.try_update_value(|m| {
                        if let Some(mine) = m.get_mut(&id) {
                            mine.title = c.title.clone();
                        }
                    });
                    // Saved with messages the chat does not show, the chat's base stays
                    // as it was: its next save is checked against this record again.
                    let chat_based = c.messages == ours.messages;
                    (c, chat_based)
                }
            };
            match key.seal_conversation(&c) {
                Ok(text) => {
                    outcome = Some(Saving::Written {
                        text: text.clone(),
                        c,
                        chat_based,
                        revived,
                    });
                    Some(text)
                }
                Err(e) => {
                    outcome = Some(Saving::Failed(e));
                    None
                }
            }
        })
        .await?;
        match outcome {
            None => {}
            Some(Saving::Failed(e)) => return Err(e),
            Some(Saving::Written {
                text,
                c,
                chat_based,
                revived,
            }) => {
                self.tell_other_tabs(id);
                if revived {
                    self.toasts.info(format!(
                        "\u{201c}{}\u{201d} was deleted in another tab while you went on here, so this tab saved it again with your messages. Delete it here too if you no longer need it.",
                        c.title
                    ));
                }
                self.summaries.try_update_value(|m| {
                    m.insert(id, Summary::from(&c));
                });
                if chat_based {
                    let now = (revision(&text), c.title);
                    self.seen.try_update_value(|m| {
                        m.insert(id, now.clone());
                    });
                    after = Some(now);
                }
            }
            Some(Saving::Diverged(theirs)) => {
                let copy = Conversation {
                    id: byok_core::model::new_id()?,
                    title: format!("{} (copy)", ours.title),
                    ..ours
                };
                let (copy_id, title) = (copy.id, copy.title.clone());
                // A newer version of the chat already waiting here goes to the copy too.
                let waiting = self
                    .writing
                    .try_update_value(|w| w.get_mut(&id).and_then(Option::take))
                    .flatten()
                    .map(|next| Conversation {
                        id: copy_id,
                        title: title.clone(),
                        ..next
                    });
                // All before the copy is written, so whatever runs meanwhile (another
                // answer, an open, a rename) already sees the move.
                self.cache.try_update_value(|m| {
                    m.remove(&id);
                    m.insert(copy_id, waiting.clone().unwrap_or_else(|| copy.clone()));
                });
                self.seen.try_update_value(|m| {
                    m.remove(&id);
                });
                self.moved.try_update_value(|m| {
                    m.insert(id, copy_id);
                });
                if self.current.try_get_untracked() == Some(Some(id)) {
                    self.current.try_set(Some(copy_id));
                }
                // The original entry in the list is the other tab's version now.
                if let Some(theirs) = &theirs {
                    self.summaries.try_update_value(|m| {
                        m.insert(id, Summary::from(theirs));
                    });
                }
                self.summaries.try_update_value(|m| {
                    m.insert(copy_id, Summary::from(&copy));
                });
                if self.gone.try_with_value(|_| ()).is_some() {
                    // Through the copy's own queue, in order with the chat's next saves.
                    self.save_record(copy);
                    if let Some(next) = waiting {
                        self.save_record(next);
                    }
                } else {
                    // The page is gone (a save made as the vault locked): nothing else
                    // will save to the copy, and its queue went with the page.
                    Box::pin(self.save_one(waiting.unwrap_or(copy), key, None)).await?;
                }
                self.toasts.info(if theirs.is_some() {
                        format!(
                            "This conversation was changed in another tab meanwhile, so nothing is lost: this tab's messages are saved as \u{201c}{title}\u{201d}, and your next messages here go there too. The other tab's version keeps the original."
                        )
                    } else {
                        format!(
                            "The saved version of this conversation no longer opens here (another tab or a newer byok changed it), so it was left as it is. This tab's messages are saved as \u{201c}{title}\u{201d}, and your next messages here go there too."
                        )
                    });
            }
        }
        self.refresh_list();
        Ok(after)
    }

    /// Once this tab's saves of `id` have landed: at once when none is on its way.
    async fn saves_landed(self, id: Uuid) {
        if self.writing.try_with_value(|w| w.contains_key(&id)) != Some(true) {
            return;
        }
        let (tx, rx) = oneshot::channel();
        self.landed
            .try_update_value(|m| m.entry(id).or_default().push(tx));
        // Cancelled when the page is taken down, with the queue: nothing to wait for then.
        let _ = rx.await;
    }

    fn save_record(self, c: Conversation) {
        let id = c.id;
        if self.gone.try_with_value(|g| g.contains(&id)) != Some(false) {
            return;
        }
        // Taken now: a save started as the vault locks (the chat saving an answer the
        // lock cut short) still has the key when it runs. Once locked, nothing saves.
        let Some(key) = self.session.hold_key() else {
            return;
        };
        let queued = self.writing.try_update_value(|w| match w.get_mut(&id) {
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
        let mut known = self.seen.try_with_value(|m| m.get(&id).cloned()).flatten();
        spawn_local(async move {
            let mut next = Some(c);
            while let Some(c) = next {
                let saved = self.save_one(c, &key, known.clone()).await;
                if let Ok(k) = &saved {
                    known = k.clone();
                }
                if let Err(e) = saved {
                    self.toasts.error(format!(
                        "The conversation could not be saved: {} It stays on screen; keep this tab open, and it is saved again with your next message.",
                        e.message()
                    ));
                }
                next = self
                    .writing
                    .try_update_value(|w| {
                        let n = w.get_mut(&id).and_then(Option::take);
                        if n.is_none() {
                            w.remove(&id);
                        }
                        n
                    })
                    .flatten();
            }
            for tx in self
                .landed
                .try_update_value(|m| m.remove(&id))
                .flatten()
                .unwrap_or_default()
            {
                let _ = tx.send(());
            }
        });
    }
}

/// What one save of a conversation did, told from inside its transaction.
enum Saving {
    /// This version (or a merge with the stored one) was written.
    Written {
        text: String,
        c: Conversation,
        chat_based: bool,
        /// Another tab had deleted it: saved again, so nothing of this tab's is lost.
        revived: bool,
    },
    /// Another tab's version went on differently (or does not open here): nothing was
    /// written, and this tab's goes to a copy.
    Diverged(Option<Conversation>),
    Failed(AppError),
}

/// The channel to the other tabs, and the listener it calls.
type Listening = (
    web_sys::BroadcastChannel,
    Closure<dyn FnMut(web_sys::MessageEvent)>,
);

/// Why a conversation record could not be read, in words about that record: the
/// vault's own wording ("the saved vault is damaged") would alarm about the wrong thing.
fn record_problem(e: AppError) -> String {
    let why = match e {
        AppError::Vault(VaultError::Corrupt(_)) => "its saved record is damaged".to_string(),
        AppError::Vault(VaultError::NewerVersion) => {
            "it was saved by a newer version of byok; update to open it".to_string()
        }
        other => other.message(),
    };
    why.trim_end_matches('.').to_string()
}

/// Conversation `id`'s record as stored now, if it is.
async fn stored(id: Uuid) -> Result<Option<String>, crate::storage::StorageError> {
    idb::open()
        .await?
        .get(idb::CONVERSATIONS, &id.to_string())
        .await
}

/// The BroadcastChannel on which tabs name the conversations they saved or deleted.
const CHANNEL: &str = "byok-conversations";

/// Tells one saved record from another: every save seals with a fresh IV, so two saves
/// never give the same text. A hash instead of the text keeps memory to a number per
/// conversation.
fn revision(record: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    record.hash(&mut h);
    h.finish()
}
