//! The chat: pick provider, key and model, stream answers as they arrive. Used by the
//! vault's chat page and by the anonymous direct-key session; `direct` says which
//! (no vault writes in direct mode).

use std::time::Duration;

use byok_core::conversation::{
    Conversation, MessageStatus, MessageUsage, StoredMessage, title_from,
};
use byok_core::model::{KeyEntry, Provider, TestOutcome};
use byok_core::provider::{
    ChatMessage, ChatParams, Role, StreamEvent, StreamParser, chat_request, classify,
    default_model, fallback_models, hide_secret,
};
use leptos::ev::KeyboardEvent;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

/// What a chat had on screen when it was left, brought back when its conversation is
/// shown again (in [`Kept`]; sealed while the page is away or the vault locked:
/// [`crate::state::session::Session::set_resume`]).
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Resume {
    /// The conversation shown, if it was saved.
    pub conversation: Option<Uuid>,
    /// The message being written, not sent.
    pub draft: String,
    pub system: String,
    /// A sent message being edited: its place in the conversation, and the new text.
    /// (With its text as sent, to find it again: another tab may have changed the
    /// conversation meanwhile.)
    #[serde(default)]
    pub edit: Option<(usize, String, String)>,
}

/// What the Chat page's chats had unsent when they were left, each under its
/// conversation (`None` for a new one), and the conversation shown last: a switch to
/// another conversation, another page or a lock costs no message being written.
#[derive(Default, serde::Serialize, serde::Deserialize)]
pub struct Kept {
    pub shown: Option<Uuid>,
    pub chats: Vec<Resume>,
}

impl Kept {
    /// The unsent part of this conversation's chat, taken out: it is its chat's again.
    fn take(&mut self, conversation: Option<Uuid>) -> Option<Resume> {
        let at = self
            .chats
            .iter()
            .position(|c| c.conversation == conversation)?;
        Some(self.chats.swap_remove(at))
    }

    /// A chat being left. With nothing unsent it keeps nothing, and leaves alone what
    /// another chat of the same conversation kept (a blank chat shown while the last one
    /// is being opened).
    fn keep(&mut self, r: Resume) {
        self.shown = r.conversation;
        if !r.draft.trim().is_empty() || !r.system.trim().is_empty() || r.edit.is_some() {
            self.chats.retain(|c| c.conversation != r.conversation);
            self.chats.push(r);
        }
    }

    /// A conversation deleted: nothing of it comes back.
    pub fn forget(&mut self, conversation: Uuid) {
        self.chats.retain(|c| c.conversation != Some(conversation));
        if self.shown == Some(conversation) {
            self.shown = None;
        }
    }

    /// The conversation shown last is gone (deleted in another tab): what it had unsent
    /// comes back on a new chat instead, after what a new chat had unsent already.
    pub fn shown_gone(&mut self) {
        if let Some(id) = self.shown.take()
            && let Some(mut r) = self.take(Some(id))
        {
            r.conversation = None;
            // Its place in the conversation means nothing on a new chat.
            if let Some((_, _, text)) = r.edit.take()
                && !text.trim().is_empty()
            {
                r.draft = join_unsent(&text, &r.draft);
            }
            if let Some(older) = self.take(None) {
                r.draft = join_unsent(&older.draft, &r.draft);
                if r.system.trim().is_empty() {
                    r.system = older.system;
                }
            }
            self.chats.push(r);
        }
    }
}

/// Two unsent messages in one message box, neither lost.
fn join_unsent(first: &str, second: &str) -> String {
    match (first.trim().is_empty(), second.trim().is_empty()) {
        (true, _) => second.to_string(),
        (_, true) => first.to_string(),
        _ => format!("{first}\n\n{second}"),
    }
}

/// Where a chat of conversation `id` saves now: to the end of its moves to copies (a copy
/// can itself be taken on by another tab).
pub fn moved_to(moved: StoredValue<std::collections::HashMap<Uuid, Uuid>>, mut id: Uuid) -> Uuid {
    // Bounded: a copy is always new, but a loop here would hang the page.
    for _ in 0..64 {
        match moved.try_with_value(|m| m.get(&id).copied()).flatten() {
            Some(to) => id = to,
            None => break,
        }
    }
    id
}

/// From the Chat page: what its chats left unsent, and what a chat needs to know to
/// keep its own under the right conversation.
#[derive(Clone, Copy)]
pub struct ChatPageLink {
    pub kept: StoredValue<Kept>,
    /// Conversations whose chats save to a copy now (another tab took the original on):
    /// the copy is the one to reopen.
    pub moved: StoredValue<std::collections::HashMap<Uuid, Uuid>>,
    /// Conversations deleted here: nothing of theirs is kept.
    pub gone: StoredValue<std::collections::HashSet<Uuid>>,
}

use crate::components::markdown;
use crate::net::{self, NetError};
use crate::pages::direct::{DirectDraft, DirectMemory};
use crate::state::session::{Phase, use_session};

#[derive(Clone, PartialEq)]
enum Status {
    Streaming,
    Done,
    Stopped,
    /// The answer failed; `partial` says whether some text arrived before.
    Failed {
        message: String,
        failover: bool,
    },
}

#[derive(Clone)]
struct Msg {
    id: u32,
    role: Role,
    text: RwSignal<String>,
    status: RwSignal<Status>,
    /// Which key answered, and the usage it reported.
    footer: RwSignal<String>,
    /// For the saved conversation: key, model and usage of an answer.
    meta: RwSignal<Option<AnswerMeta>>,
    /// Keys already tried for this answer, so automatic failover never loops.
    tried: RwSignal<Vec<Uuid>>,
    /// A render of this answer is already scheduled: text that streams in meanwhile is
    /// appended without waking the render effect for every delta (it reads the text
    /// when it runs).
    render_due: StoredValue<bool>,
    /// When it was written: kept as saved, so saving again changes nothing in it (which
    /// is how a conversation saved by two tabs is recognised as one going on).
    at: time::OffsetDateTime,
}

#[derive(Clone, PartialEq)]
struct AnswerMeta {
    key_id: Uuid,
    key_label: String,
    model: String,
    usage: Option<MessageUsage>,
}

/// The message as saved. `try_`: it is also read while the chat is being taken down
/// (an answer cut short by leaving), when some of its signals may be gone already.
fn to_stored(m: &Msg) -> StoredMessage {
    let (status, error) = match m.status.try_get_untracked().unwrap_or(Status::Stopped) {
        Status::Done => (MessageStatus::Done, None),
        // Still arriving when saved: only the chat going away saves then.
        Status::Stopped | Status::Streaming => (MessageStatus::Stopped, None),
        Status::Failed { message, .. } => (MessageStatus::Failed, Some(message)),
    };
    let meta = m.meta.try_get_untracked().flatten();
    StoredMessage {
        role: m.role,
        content: m.text.try_get_untracked().unwrap_or_default(),
        status,
        error,
        key_id: meta.as_ref().map(|x| x.key_id),
        key_label: meta.as_ref().map(|x| x.key_label.clone()),
        model: meta.as_ref().map(|x| x.model.clone()),
        usage: meta.and_then(|x| x.usage),
        at: m.at,
    }
}

fn fmt_usage(label: &str, model: &str, input: u64, output: u64, cached: Option<u64>) -> String {
    let cached = cached
        .filter(|c| *c > 0)
        .map(|c| format!(", {c} cached"))
        .unwrap_or_default();
    format!("{label} · {model} · {input} in / {output} out tokens{cached}")
}

/// After a message is sent: its question, the answer's start and Stop in sight, however
/// long the conversation above. The page does not follow the answer as it grows: the
/// person reads it from its start, and keeping the growing end in view cost the paced
/// stream about 1.5% more main-thread time (the new text painted in view at each
/// render), past the 10% goal (docs/benchmark.md).
fn to_page_end() {
    let total = document()
        .document_element()
        .map_or(0.0, |e| f64::from(e.scroll_height()));
    window().scroll_to_with_x_and_y(0.0, total);
}

/// How often a streaming answer is rendered again (see the render effect).
const RENDER_EVERY: Duration = Duration::from_millis(100);

#[component]
pub fn Chat(
    #[prop(into)] keys: Signal<Vec<KeyEntry>>,
    direct: bool,
    /// A saved conversation to continue.
    #[prop(optional)]
    conversation: Option<Conversation>,
    /// Called with the whole conversation after every finished answer.
    #[prop(optional)]
    on_save: Option<Callback<Conversation>>,
) -> impl IntoView {
    let session = use_session();
    let toasts = crate::state::toasts::use_toasts();
    crate::state::rehearsal::schedule_answer();
    // The keys as a vault, for the core's resolution (once per change of the keys).
    let key_vault = Memo::new(move |_| byok_core::model::Vault {
        keys: keys.get(),
        ..Default::default()
    });
    let provider = RwSignal::new(
        conversation
            .as_ref()
            .map_or(Provider::Anthropic, |c| c.provider),
    );
    let chosen_key = RwSignal::new(conversation.as_ref().and_then(|c| c.key_id));
    let model = RwSignal::new(
        conversation
            .as_ref()
            .map(|c| c.model.clone())
            .unwrap_or_default(),
    );
    let system = RwSignal::new(
        conversation
            .as_ref()
            .and_then(|c| c.system.clone())
            .unwrap_or_default(),
    );
    let temperature = RwSignal::new(String::new());
    let max_tokens = RwSignal::new(String::new());
    let draft = RwSignal::new(String::new());
    // Back to this conversation (from another one, another page or a lock): the message
    // that was being written, and the system prompt.
    let page = use_context::<ChatPageLink>();
    let resumed_edit = match page.and_then(|ChatPageLink { kept, .. }| {
        let shown = conversation.as_ref().map(|c| c.id);
        kept.try_update_value(|k| k.take(shown)).flatten()
    }) {
        Some(r) => {
            draft.set(r.draft);
            system.set(r.system);
            r.edit
        }
        _ => None,
    };
    // A direct session keeps the message being written while its page is left.
    let direct_memory = direct.then(use_context::<DirectMemory>).flatten();
    if let Some(m) = direct_memory {
        // Newer than the conversation's: it is what the page showed when it was left.
        let d = m.draft.get_value();
        draft.set(d.message);
        system.set(d.system);
        temperature.set(d.temperature);
        max_tokens.set(d.max_tokens);
    }
    let next_id = StoredValue::new(1u32);
    let restored: Vec<Msg> = conversation
        .as_ref()
        .map(|c| {
            c.messages
                .iter()
                .map(|m| {
                    let id = next_id.get_value();
                    next_id.set_value(id + 1);
                    let status = match m.status {
                        MessageStatus::Done => Status::Done,
                        MessageStatus::Stopped => Status::Stopped,
                        MessageStatus::Failed => Status::Failed {
                            message: m.error.clone().unwrap_or_default(),
                            failover: false,
                        },
                    };
                    let footer = match (&m.key_label, &m.model, m.usage) {
                        (Some(l), Some(md), Some(u)) => fmt_usage(
                            l,
                            md,
                            u.input_tokens,
                            u.output_tokens,
                            Some(u.cached_tokens),
                        ),
                        (Some(l), Some(md), None) => format!("{l} · {md}"),
                        _ => String::new(),
                    };
                    Msg {
                        id,
                        role: m.role,
                        text: RwSignal::new(m.content.clone()),
                        status: RwSignal::new(status),
                        footer: RwSignal::new(footer),
                        meta: RwSignal::new(m.key_id.map(|key_id| AnswerMeta {
                            key_id,
                            key_label: m.key_label.clone().unwrap_or_default(),
                            model: m.model.clone().unwrap_or_default(),
                            usage: m.usage,
                        })),
                        tried: RwSignal::new(Vec::new()),
                        render_due: StoredValue::new(false),
                        at: m.at,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let messages = RwSignal::new(restored);
    // A conversation opens at its latest question, not at its first message far above
    // (a long one is tens of screens).
    if messages.with_untracked(|m| m.len() > 2) {
        set_timeout(
            || {
                if let Ok(qs) = document().query_selector_all(".messages > li.user")
                    && let Some(last) = qs.item(qs.length().saturating_sub(1))
                    && let Ok(el) = wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(last)
                {
                    el.scroll_into_view();
                }
            },
            Duration::ZERO,
        );
    }
    // Identity of this conversation: kept from the saved one, or new.
    let conv_meta = StoredValue::new(
        conversation
            .as_ref()
            .map(|c| (c.id, c.created_at, Some(c.title.clone())))
            .or_else(|| {
                byok_core::model::new_id()
                    .ok()
                    .map(|id| (id, crate::now(), None))
            }),
    );
    let persist = move || {
        // The chat may have been unmounted while the answer streamed: then there is
        // nothing left to save from (try_ accessors return None instead of panicking).
        let (Some(cb), Some(Some((id, created_at, title)))) = (on_save, conv_meta.try_get_value())
        else {
            return;
        };
        let Some(stored) = messages
            .try_with_untracked(|ms| ms.iter().map(to_stored).collect::<Vec<StoredMessage>>())
        else {
            return;
        };
        let Some(first) = stored.iter().find(|m| m.role == Role::User) else {
            return;
        };
        let title = title.unwrap_or_else(|| title_from(&first.content));
        cb.run(Conversation {
            id,
            title,
            provider: provider.get_untracked(),
            key_id: chosen_key
                .get_untracked()
                .or(resolved_id_untracked(key_vault, provider.get_untracked())),
            model: model.get_untracked(),
            system: Some(system.get_untracked()).filter(|s| !s.trim().is_empty()),
            messages: stored,
            created_at,
            updated_at: crate::now(),
        });
    };
    let controller = StoredValue::new_local(None::<web_sys::AbortController>);
    let busy = RwSignal::new(false);
    // While an answer streams: its key, model and the usage reported so far, for a lock
    // that cuts it off (the answer's own task finds the vault locked by then).
    let cut_usage = StoredValue::new(None::<(Uuid, String, Option<Tokens>)>);
    let error = RwSignal::new(None::<String>);
    let auto_next = RwSignal::new(None::<(Msg, Uuid)>);
    let composer = NodeRef::<html::Textarea>::new();
    // Whether the message editor was opened with Up from the message box (Escape then
    // goes back there) rather than with an Edit button (Escape goes back to it).
    let edit_from_composer = StoredValue::new(false);
    // Editing a message already sent: one at a time, asked again from there on.
    let editing = RwSignal::new(None::<u32>);
    let edit_text = RwSignal::new(String::new());
    let edit_error = RwSignal::new(None::<String>);
    // Back from a lock in the middle of an edit: the editor opens again on that message
    // (where it was, or else wherever it is now). When it is gone (the conversation was
    // deleted or changed in another tab meanwhile), the new text waits in the message box.
    if let Some((at, was, text)) = resumed_edit {
        let found = messages.with_untracked(|ms| {
            let is_it = |m: &&Msg| m.role == Role::User && m.text.with_untracked(|t| *t == was);
            ms.get(at)
                .filter(is_it)
                .or_else(|| ms.iter().find(is_it))
                .map(|m| m.id)
        });
        match found {
            Some(id) => {
                edit_text.set(text);
                editing.set(Some(id));
            }
            None => draft.update(|d| {
                if d.trim().is_empty() {
                    *d = text;
                } else {
                    d.push_str("\n\n");
                    d.push_str(&text);
                }
            }),
        }
    }

    // Providers that have keys, in the usual order; the first one is preselected.
    let providers = Memo::new(move |_| {
        keys.with(|ks| {
            Provider::ALL
                .into_iter()
                .filter(|p| ks.iter().any(|k| k.provider == *p))
                .collect::<Vec<_>>()
        })
    });
    Effect::new(move |_| {
        let ps = providers.get();
        if let Some(p) = ps
            .first()
            .filter(|_| !ps.contains(&provider.get_untracked()))
        {
            provider.set(*p);
        }
    });
    // In the order the Keys page shows them.
    let provider_keys = Memo::new(move |_| {
        let p = provider.get();
        let order = session.settings.with(|s| s.key_order);
        key_vault.with(|v| {
            crate::collate::keys_in_order(v, p, order)
                .into_iter()
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    // The key the core's resolution picks, unless the person chose one.
    let resolved = Memo::new(move |_| {
        let p = provider.get();
        let explicit = chosen_key
            .get()
            .filter(|id| provider_keys.with(|ks| ks.iter().any(|k| k.id == *id)));
        session.today.track();
        let now = crate::now_here();
        key_vault.with(|v| {
            v.resolve(p, explicit, now)
                .map(|k| k.id)
                .map_err(|e| e.to_string())
        })
    });
    // Why the usual key is not the one answering, and budget warnings for the one that is.
    let notices = Memo::new(move |_| {
        let p = provider.get();
        session.today.track();
        let now = crate::now_here();
        let mut out = Vec::new();
        // A conversation goes on with the key it used; when that key was deleted since,
        // another answers, maybe on another account: said, not done silently.
        if let Some(gone) = chosen_key.get()
            && !provider_keys.with(|ks| ks.iter().any(|k| k.id == gone))
        {
            let instead = resolved
                .get()
                .ok()
                .and_then(|id| key_vault.with(|v| v.get(id).map(|k| k.label.clone())));
            out.push(match instead {
                Some(l) => format!(
                    "The key this conversation used is no longer in your vault, so \u{201c}{l}\u{201d} answers now. Choose another under Key if that is not the account you want."
                ),
                None => "The key this conversation used is no longer in your vault. Choose another under Key.".into(),
            });
        }
        if chosen_key.get().is_none() {
            key_vault.with(|v| {
                if let Some(k) = v.skipped_expired(p, now) {
                    let date = k.expires_at.map(|d| byok_core::usage::day_string(d.date()));
                    let then = match resolved.get() {
                        Ok(id) => v
                            .get(id)
                            .map(|u| format!(", so \u{201c}{}\u{201d} is used instead", u.label))
                            .unwrap_or_default(),
                        Err(_) => String::new(),
                    };
                    out.push(format!(
                        "Your key \u{201c}{}\u{201d} expired on {} and is skipped{then}.",
                        k.label,
                        date.unwrap_or_default()
                    ));
                }
            });
        }
        // A direct key's check (below, or the form's) did not pass: said before a
        // message is written for nothing, and why the model is the built-in one. A vault
        // key's failed test is on its row and in the picker.
        if direct && let Ok(id) = resolved.get() {
            key_vault.with(|v| {
                if let Some(t) = v.get(id).and_then(|k| k.last_test.as_ref())
                    && t.outcome != TestOutcome::Ok
                {
                    out.push(if t.outcome.is_transient() {
                        format!(
                            "The key could not be checked, so the model is byok's usual one, not one the key is known to have. {}",
                            t.message
                        )
                    } else {
                        t.message.clone()
                    });
                }
            });
        }
        if !direct && let Ok(id) = resolved.get() {
            session.vault.with(|v| {
                let Some(v) = v else { return };
                let prices = byok_core::usage::Prices {
                    custom: &v.prices,
                    shipped: crate::shipped_prices(),
                };
                if let (Some(s), Some(k)) =
                    (v.budget_status(&prices, id, crate::today()), v.get(id))
                    && let Some(w) = s.warning(&k.label)
                {
                    out.push(w);
                }
            });
        }
        out
    });
    let models = Memo::new(move |_| {
        let p = provider.get();
        let tested = resolved.get().ok().and_then(|id| {
            provider_keys.with(|ks| {
                ks.iter()
                    .find(|k| k.id == id)
                    .and_then(|k| k.last_test.as_ref().map(|t| t.models.clone()))
                    .filter(|m| !m.is_empty())
            })
        });
        tested.unwrap_or_else(|| fallback_models(p).iter().map(|s| s.to_string()).collect())
    });
    // A restored or typed model is kept while the provider stays: another key of it
    // brings another list (its last test's, or the built-in one) but takes the same
    // names. A change of provider resets a name the new list does not have.
    // A name byok chose (not typed, not restored) also gives way to the key's own list
    // when that arrives before the first message: a direct key's test, below.
    let auto_model = StoredValue::new(None::<String>);
    Effect::new(move |prev: Option<Provider>| {
        let ms = models.get();
        let p = provider.get();
        let provider_changed = prev.is_some_and(|q| q != p);
        let unsent = messages.with_untracked(Vec::is_empty);
        let replace = model.with_untracked(|m| {
            m.is_empty()
                || (!ms.contains(m)
                    && (provider_changed
                        || (unsent && auto_model.with_value(|a| a.as_ref() == Some(m)))))
        });
        if replace {
            let m = default_model(p, &ms).unwrap_or_default();
            auto_model.set_value(Some(m.clone()));
            model.set(m);
        }
        p
    });
    // A direct key was never tested: its provider is asked which models it offers (no
    // tokens spent), so the chat starts with one the key has and a refused key is said
    // before a message is written. The result stays with the key in this tab's memory,
    // and goes into the vault with it if the key is saved.
    let checking = RwSignal::new(None::<Uuid>);
    if let Some(m) = direct_memory {
        Effect::new(move |_| {
            let Ok(id) = resolved.get() else { return };
            let Some(k) =
                key_vault.with(|v| v.get(id).filter(|k| k.last_test_at.is_none()).cloned())
            else {
                return;
            };
            // One at a time: the next starts when this one's result changes the keys.
            if checking.get_untracked().is_some() {
                return;
            }
            checking.set(Some(id));
            spawn_local(async move {
                let result = crate::keytest::test_key(&k).await;
                checking.try_set(None);
                m.keys.try_update(|ks| {
                    if let Some(k) = ks.iter_mut().find(|k| k.id == id) {
                        k.record_test(result, crate::now());
                    }
                });
            });
        });
    }

    let stop = move || {
        controller.try_with_value(|c| {
            if let Some(c) = c {
                c.abort();
            }
        });
    };
    // The conversation shown and what was being written, for the chat's next showing:
    // after another conversation, and (kept sealed in the session with the other chats'
    // unsent parts) after an unlock or a look at another page (a key tested mid-chat must
    // not cost the message). The chat left last is the one that comes back.
    let keep_for_return = move || {
        let Some(ChatPageLink { kept, moved, gone }) = page else {
            return;
        };
        let saved = messages.try_with_untracked(|m| !m.is_empty()) == Some(true);
        // Its own conversation (the page shows another one already when the chat is left
        // for it), or the copy it saves to now.
        let mine = conv_meta
            .try_get_value()
            .flatten()
            .map(|m| moved_to(moved, m.0));
        let r = Resume {
            conversation: mine.filter(|_| saved),
            draft: draft.try_get_untracked().unwrap_or_default(),
            system: system.try_get_untracked().unwrap_or_default(),
            // Where it is in the conversation: the messages get new ids when it opens.
            edit: editing.try_get_untracked().flatten().and_then(|id| {
                let (at, was) = messages.try_with_untracked(|ms| {
                    ms.iter()
                        .position(|m| m.id == id)
                        .map(|i| (i, ms[i].text.get_untracked()))
                })??;
                Some((at, was, edit_text.try_get_untracked()?))
            }),
        };
        let deleted =
            mine.is_some_and(|id| gone.try_with_value(|g| g.contains(&id)) != Some(false));
        let json = kept
            .try_update_value(|k| {
                if deleted {
                    k.shown = None;
                } else {
                    k.keep(r);
                }
                (k.shown.is_some() || !k.chats.is_empty())
                    .then(|| serde_json::to_vec(k).ok().map(zeroize::Zeroizing::new))
                    .flatten()
            })
            .flatten();
        match json {
            Some(json) => session.set_resume(&json),
            None => session.clear_resume(),
        }
    };
    // Locking mid-answer keeps the question and what came of the answer, as Stop does:
    // saved while the key is still there (the save holds it until it is written).
    let lock_hook = (!direct).then(|| {
        session.on_lock(move || {
            if busy.try_get_untracked() == Some(true) {
                // The provider bills what it generated before the cut: counted while the
                // vault can still be written. A failure here has nobody to tell (the
                // lock screen is next), as for the answer's own count.
                if let Some(Some((key_id, model, tokens))) =
                    cut_usage.try_update_value(Option::take)
                {
                    let _ = session.mutate(|v| count_usage(v, key_id, &model, tokens));
                }
                stop();
                persist();
            }
            // The chat as it stands comes back after the unlock (a lunch break must not
            // cost the message being written).
            keep_for_return();
        })
    });
    // Leaving the chat (another conversation, another page, lock) ends its request:
    // nothing keeps streaming with the key in flight. An answer cut short that way is
    // saved with its question, as Stop would, instead of lost with the chat.
    on_cleanup(move || {
        if let Some(id) = lock_hook {
            session.remove_lock_hook(id);
        }
        let was_answering = busy.try_get_untracked() == Some(true);
        stop();
        // A lock saved it already (above), and a locked vault saves nothing more. A
        // direct session's memory has no lock.
        let unlocked = session.phase.get_untracked() == Phase::Unlocked;
        if was_answering && (direct || unlocked) {
            persist();
            // Not silently: the answer would have run on. ("End and forget" keeps nothing.)
            if direct_memory.is_none_or(|m| m.is_open()) {
                toasts.info(
                    "The answer was stopped as you left it; what had come is kept, with Retry.",
                );
            }
        }
        // Left while unlocked: another page or conversation (a lock kept it above).
        if !direct && unlocked {
            keep_for_return();
        }
        if let Some(m) = direct_memory.filter(DirectMemory::is_open) {
            m.draft.try_set_value(DirectDraft {
                message: draft.try_get_untracked().unwrap_or_default(),
                system: system.try_get_untracked().unwrap_or_default(),
                temperature: temperature.try_get_untracked().unwrap_or_default(),
                max_tokens: max_tokens.try_get_untracked().unwrap_or_default(),
            });
        }
    });

    // Stream one answer into `reply` with key `key_id`.
    let run = move |reply: Msg, key_id: Uuid| {
        let Some(key) = keys.with_untracked(|ks| ks.iter().find(|k| k.id == key_id).cloned())
        else {
            return;
        };
        let Some(base) = key.effective_base_url().map(str::to_string) else {
            reply.status.set(Status::Failed {
                message: "This key has no base URL; add one under Keys.".into(),
                failover: false,
            });
            return;
        };
        let history: Vec<ChatMessage> = messages.with_untracked(|ms| {
            ms.iter()
                .filter(|m| m.id != reply.id)
                .filter(|m| m.role == Role::User || m.status.get_untracked() == Status::Done)
                .map(|m| ChatMessage {
                    role: m.role,
                    content: m.text.get_untracked(),
                })
                .collect()
        });
        let params = ChatParams {
            model: model.get_untracked(),
            system: Some(system.get_untracked()).filter(|s| !s.trim().is_empty()),
            messages: history,
            temperature: temperature.get_untracked().trim().parse().ok(),
            max_tokens: max_tokens.get_untracked().trim().parse().ok(),
        };
        let req = chat_request(key.provider, &base, &key.secret, &params);
        let Ok(ctrl) = web_sys::AbortController::new() else {
            return;
        };
        let signal = ctrl.signal();
        controller.set_value(Some(ctrl));
        busy.set(true);
        reply.text.set(String::new());
        reply.status.set(Status::Streaming);
        let earlier: Vec<String> = reply.tried.with_untracked(|t| {
            t.iter()
                .filter_map(|id| {
                    keys.with_untracked(|ks| {
                        ks.iter().find(|k| k.id == *id).map(|k| k.label.clone())
                    })
                })
                .collect()
        });
        reply.tried.update(|t| t.push(key_id));
        // Say which key answered when it is not the one first tried.
        let note = if earlier.is_empty() {
            String::new()
        } else {
            format!(
                " (after {} hit a rate limit)",
                earlier
                    .iter()
                    .map(|l| format!("\u{201c}{l}\u{201d}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        reply
            .footer
            .set(format!("{} · {}{note}", key.label, params.model));
        let label = key.label.clone();
        let model_name = params.model.clone();
        let provider = key.provider;
        // To mask it in what the provider says back (a server may echo the key).
        let secret = key.secret.clone();
        spawn_local(async move {
            let mut usage = None;
            let mut final_status = Status::Done;
            // The provider took the request and began an answer: the key was used, with
            // or without a token count (a stopped OpenAI answer has none).
            let mut answered = false;
            match net::send(&req, Some(&signal)).await {
                Ok(f) if (200..300).contains(&f.status) => {
                    answered = true;
                    // A lock from here on still counts the key as used (see the hook).
                    cut_usage.try_set_value(Some((key_id, model_name.clone(), None)));
                    let mut parser = StreamParser::new(provider);
                    let mut ended = false;
                    let mut handle =
                        |evs: Vec<StreamEvent>, ended: &mut bool, status: &mut Status| {
                            let mut added = String::new();
                            for ev in evs {
                                match ev {
                                    StreamEvent::TextDelta(t) => added.push_str(&t),
                                    StreamEvent::Usage {
                                        input_tokens,
                                        output_tokens,
                                        cached_tokens,
                                    } => usage = Some((input_tokens, output_tokens, cached_tokens)),
                                    StreamEvent::Done { .. } => *ended = true,
                                    StreamEvent::Error(e) => {
                                        let e = e.hiding(secret.expose());
                                        *ended = true;
                                        *status = Status::Failed {
                                            failover: matches!(
                                                e.class,
                                                TestOutcome::RateLimited | TestOutcome::NoCredit
                                            ),
                                            message: e.message,
                                        };
                                    }
                                    StreamEvent::StreamCut => {
                                        *ended = true;
                                        *status = Status::Failed {
                                            message: byok_core::provider::STREAM_CUT_MESSAGE.into(),
                                            failover: false,
                                        };
                                    }
                                }
                            }
                            if !added.is_empty() {
                                if reply.render_due.try_get_value() == Some(true) {
                                    reply.text.try_update_untracked(|t| t.push_str(&added));
                                } else {
                                    reply.text.try_update(|t| t.push_str(&added));
                                }
                            }
                        };
                    let read = f
                        .read(|bytes| {
                            let evs = parser.push(bytes);
                            handle(evs, &mut ended, &mut final_status);
                            cut_usage.try_set_value(Some((
                                key_id,
                                model_name.clone(),
                                parser.usage_so_far(),
                            )));
                        })
                        .await;
                    // From here this task counts the usage itself (unless locked by then).
                    cut_usage.try_set_value(None);
                    match read {
                        Ok(()) => {
                            let evs = parser.finish();
                            handle(evs, &mut ended, &mut final_status);
                        }
                        Err(e) => {
                            // Stopped or broken off: the provider bills what it had
                            // generated, so the usage it reported so far (Anthropic and
                            // Gemini report as they go) is kept for the Usage page.
                            if usage.is_none() {
                                usage = parser.finish().into_iter().find_map(|ev| match ev {
                                    StreamEvent::Usage {
                                        input_tokens,
                                        output_tokens,
                                        cached_tokens,
                                    } => Some((input_tokens, output_tokens, cached_tokens)),
                                    _ => None,
                                });
                            }
                            final_status = match e {
                                NetError::Aborted => Status::Stopped,
                                e => Status::Failed {
                                    message: e.message(),
                                    failover: false,
                                },
                            };
                        }
                    }
                }
                Ok(f) => {
                    let body = f.text().await.unwrap_or_default();
                    let body = hide_secret(&body, secret.expose());
                    let e = classify(provider, f.status, &body, f.retry_after.as_deref());
                    final_status = Status::Failed {
                        failover: matches!(
                            e.class,
                            TestOutcome::RateLimited | TestOutcome::NoCredit
                        ),
                        message: e.message,
                    };
                }
                Err(NetError::Aborted) => final_status = Status::Stopped,
                Err(NetError::Provider(e)) => {
                    final_status = Status::Failed {
                        message: e.message,
                        failover: false,
                    }
                }
            }
            controller.try_set_value(None);
            busy.try_set(false);
            if let Some((i, o, c)) = usage {
                reply
                    .footer
                    .try_set(format!("{}{note}", fmt_usage(&label, &model_name, i, o, c)));
            }
            reply.meta.try_set(Some(AnswerMeta {
                key_id,
                key_label: label.clone(),
                model: model_name.clone(),
                usage: usage.map(|(i, o, c)| MessageUsage {
                    input_tokens: i,
                    output_tokens: o,
                    cached_tokens: c.unwrap_or(0),
                }),
            }));
            // Automatic failover, where the person asked for it for this provider.
            let auto = !direct
                && matches!(final_status, Status::Failed { failover: true, .. })
                && session
                    .vault
                    .with_untracked(|v| v.as_ref().is_some_and(|v| v.auto_failover(provider)));
            let next = auto
                .then(|| {
                    let tried = reply.tried.try_get_untracked().unwrap_or_default();
                    session.vault.with_untracked(|v| {
                        v.as_ref().and_then(|v| {
                            v.failover_candidates(key_id, crate::now_here())
                                .into_iter()
                                .find(|k| !tried.contains(&k.id))
                                .map(|k| k.id)
                        })
                    })
                })
                .flatten();
            // The answer is complete on screen at once (its final render), not after
            // the saves below.
            if next.is_none() {
                reply.status.try_set(final_status);
            }
            // Locked meanwhile (the answer was cut by the lock): the vault cannot be
            // written, and a toast on the lock screen would only puzzle.
            if !direct
                && answered
                && session.phase.get_untracked() == Phase::Unlocked
                && let Err(e) = session
                    .mutate_async(|v| count_usage(v, key_id, &model_name, usage))
                    .await
            {
                toasts.error(format!(
                    "The usage of this answer could not be saved: {}",
                    e.message()
                ));
            }
            match next {
                Some(next_key) => {
                    auto_next.try_set(Some((reply, next_key)));
                }
                None => persist(),
            }
        });
    };
    Effect::new(move |_| {
        if let Some((reply, key)) = auto_next.get() {
            auto_next.set(None);
            run(reply, key);
        }
    });

    // A message's signals belong to the chat, not to whatever row's handler makes it:
    // an edited message's row is taken down with the old message, and would take the
    // new message's signals with it.
    let chat_owner = StoredValue::new_local(Owner::current());
    let new_msg = move |role, t: String| {
        let id = next_id.get_value();
        next_id.set_value(id + 1);
        let make = move || Msg {
            id,
            role,
            text: RwSignal::new(t),
            status: RwSignal::new(Status::Done),
            footer: RwSignal::new(String::new()),
            meta: RwSignal::new(None),
            tried: RwSignal::new(Vec::new()),
            render_due: StoredValue::new(false),
            at: crate::now(),
        };
        match chat_owner.try_get_value().flatten() {
            Some(o) => o.with(make),
            None => make(),
        }
    };
    // The key and model an answer would use now, or why there is none.
    let ready = move || -> Result<Uuid, String> {
        let key_id = resolved.get_untracked()?;
        if model.with_untracked(|m| m.trim().is_empty()) {
            return Err("Choose a model, or type its name.".into());
        }
        Ok(key_id)
    };

    let send = move || {
        let text = draft.get_untracked();
        if text.trim().is_empty() {
            // Send pressed with nothing written: the box to write in takes the focus.
            if let Some(c) = composer.get_untracked() {
                let _ = c.focus();
            }
            return;
        }
        if busy.get_untracked() {
            return;
        }
        let key_id = match ready() {
            Ok(id) => id,
            Err(e) => return error.set(Some(e)),
        };
        error.set(None);
        let user = new_msg(Role::User, text);
        let reply = new_msg(Role::Assistant, String::new());
        messages.update(|ms| {
            ms.push(user);
            ms.push(reply.clone());
        });
        draft.set(String::new());
        set_timeout(to_page_end, Duration::ZERO);
        run(reply, key_id);
    };

    let resend_edited = move |from: u32| {
        if busy.get_untracked() {
            return edit_error.set(Some(
                "An answer is still arriving: wait for it, or stop it, then send this.".into(),
            ));
        }
        let text = edit_text.get_untracked();
        if text.trim().is_empty() {
            return edit_error.set(Some(
                "Write the message, or choose Cancel to keep it as it was.".into(),
            ));
        }
        let key_id = match ready() {
            Ok(id) => id,
            Err(e) => return edit_error.set(Some(e)),
        };
        let Some(at) = messages.with_untracked(|ms| ms.iter().position(|m| m.id == from)) else {
            return editing.set(None);
        };
        let user = new_msg(Role::User, text);
        let reply = new_msg(Role::Assistant, String::new());
        messages.update(|ms| {
            // The answers to the old wording go: the conversation goes on from the new one.
            ms.truncate(at);
            ms.push(user);
            ms.push(reply.clone());
        });
        editing.set(None);
        error.set(None);
        // The editor goes away with the old message: the message box is where the
        // person goes on, as after Retry.
        if let Some(c) = composer.get_untracked() {
            let _ = c.focus();
        }
        set_timeout(to_page_end, Duration::ZERO);
        run(reply, key_id);
    };

    let retry = move |reply: Msg, key: Option<Uuid>| {
        // The Retry button goes away with the answer it retries: the message box is
        // where the person goes on.
        if let Some(c) = composer.get_untracked() {
            let _ = c.focus();
        }
        reply.tried.set(Vec::new());
        let key_id = match key.map(Ok).unwrap_or_else(|| resolved.get_untracked()) {
            Ok(id) => id,
            Err(e) => return error.set(Some(e)),
        };
        run(reply, key_id);
    };

    let on_key = move |ev: KeyboardEvent| {
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            send();
        } else if ev.key() == "Escape" {
            stop();
        } else if ev.key() == "ArrowUp"
            && draft.with_untracked(String::is_empty)
            && editing.get_untracked().is_none()
        {
            // As in most chat apps: Up in an empty message box edits the last question.
            let last = messages.with_untracked(|ms| {
                ms.iter()
                    .rev()
                    .find(|m| m.role == Role::User)
                    .map(|m| (m.id, m.text.get_untracked()))
            });
            if let Some((id, text)) = last {
                ev.prevent_default();
                edit_text.set(text);
                edit_error.set(None);
                edit_from_composer.set_value(true);
                editing.set(Some(id));
            }
        }
    };
    let esc = window_event_listener(leptos::ev::keydown, move |ev| {
        // Escape in the message editor closes the editor, and only that.
        let in_editor = ev
            .target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
            .is_some_and(|e| e.closest(".edit-msg").ok().flatten().is_some());
        if ev.key() == "Escape" && !in_editor && busy.try_get_untracked().unwrap_or(false) {
            stop();
        }
    });
    // Each visit to the Chat page (and the answer rehearsal) mounts a chat: without this
    // every one of them would keep a listener on the window.
    on_cleanup(move || esc.remove());

    // Copy buttons inside rendered answers use one delegated handler.
    let on_answer_click = move |ev: leptos::ev::MouseEvent| {
        if let Some(code) = ev.target().and_then(|t| markdown::code_for_copy_button(&t)) {
            let _ = window().navigator().clipboard().write_text(&code);
        }
    };

    let failover_offer = move |failed_key: Uuid| -> Option<(Uuid, String)> {
        if direct {
            return None;
        }
        session.vault.with_untracked(|v| {
            v.as_ref().and_then(|v| {
                v.failover_candidates(failed_key, crate::now_here())
                    .first()
                    .map(|k| (k.id, k.label.clone()))
            })
        })
    };

    // The message being edited, in place of its text.
    let edit_form = move |id: u32| {
        // Counted afresh as answers arrive: the composer still sends meanwhile.
        let warning = move || {
            let later = messages.with(|ms| {
                ms.iter()
                    .position(|m| m.id == id)
                    .map_or(0, |i| ms.len() - i - 1)
            });
            match later {
                0 => String::new(),
                1 => "Its answer will be replaced by a new one.".to_string(),
                n => format!("The {n} messages below will be removed, and a new answer written."),
            }
        };
        let hint_id = format!("edit-hint-{id}");
        let cancel = move || {
            edit_error.set(None);
            // Opened with Up from the message box: back there, where the person was
            // (focused before the editor goes, so nothing has to rescue the focus).
            if edit_from_composer.get_value()
                && let Some(c) = composer.get_untracked()
            {
                let _ = c.focus();
            }
            editing.set(None);
        };
        let area = NodeRef::<html::Textarea>::new();
        area.on_load(|el: web_sys::HtmlTextAreaElement| {
            let _ = el.focus();
            // At the end of the text, where a change usually goes, and in sight.
            let end = el.text_length();
            let _ = el.set_selection_range(end, end);
            el.set_scroll_top(el.scroll_height());
        });
        // Tall enough for the message as sent, up to a screenful.
        let rows = edit_text
            .with_untracked(|t| t.lines().count() + 1)
            .clamp(3, 16)
            .to_string();
        view! {
            <form class="edit-msg stack" aria-label="Edit message" on:submit=move |ev| { ev.prevent_default(); resend_edited(id); }>
                <textarea
                    node_ref=area
                    rows=rows
                    aria-label="Edited message"
                    aria-describedby=hint_id.clone()
                    prop:value=move || edit_text.get()
                    on:input=move |ev| edit_text.set(event_target_value(&ev))
                    on:keydown=move |ev: KeyboardEvent| {
                        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                            ev.prevent_default();
                            resend_edited(id);
                        } else if ev.key() == "Escape" {
                            ev.prevent_default();
                            cancel();
                        }
                    }
                ></textarea>
                <p class="hint" id=hint_id>{warning}</p>
                <Show when=move || edit_error.with(Option::is_some)>
                    <p class="error" role="alert">{move || edit_error.get().unwrap_or_default()}</p>
                </Show>
                <div class="row">
                    <button type="submit" disabled=move || busy.get()>"Save and send"</button>
                    <button type="button" class="secondary" on:click=move |_| cancel()>"Cancel"</button>
                </div>
            </form>
        }
    };

    view! {
        <section class="chat" aria-label="Chat">
            <div class="chat-controls card">
                <label for="chat-provider">"Provider"</label>
                <select id="chat-provider" on:change=move |ev| if let Some(p) = Provider::from_id(&event_target_value(&ev)) { provider.set(p); chosen_key.set(None); }>
                    {move || providers.get().into_iter().map(|p| view! { <option value=p.id() selected=move || provider.get() == p>{p.display_name()}</option> }).collect_view()}
                </select>
                <label for="chat-key">"Key"</label>
                <select id="chat-key" on:change=move |ev| chosen_key.set(Uuid::parse_str(&event_target_value(&ev)).ok())>
                    {move || {
                        // `resolved` also follows the date, so this runs again at midnight.
                        let sel = resolved.get().ok();
                        let now = crate::now_here();
                        provider_keys.get().into_iter().map(|k| {
                            let id = k.id;
                            let usable = k.is_usable(now);
                            let failed = k.last_test.as_ref().is_some_and(|t| t.outcome != byok_core::model::TestOutcome::Ok && !t.outcome.is_transient());
                            let text = format!("{}{}", k.label, if usable { if failed { " (last test failed)" } else { "" } } else if k.is_expired(now) { " (expired)" } else { " (inactive)" });
                            view! { <option value=id.to_string() selected=sel == Some(id)>{text}</option> }
                        }).collect_view()
                    }}
                </select>
                <label for="chat-model">"Model"</label>
                <input id="chat-model" list="chat-models" prop:value=move || model.get() on:input=move |ev| model.set(event_target_value(&ev))/>
                <datalist id="chat-models">
                    {move || models.get().into_iter().map(|m| view! { <option value=m></option> }).collect_view()}
                </datalist>
                <Show when=move || checking.get().is_some()>
                    <p class="hint chat-checking" role="status">{move || format!("Asking {} which models this key can use\u{2026}", provider.get().display_name())}</p>
                </Show>
                <details class="options">
                    <summary>"Options"</summary>
                    <div class="stack">
                        <label for="chat-system">"System prompt"</label>
                        <textarea id="chat-system" rows="2" prop:value=move || system.get() on:input=move |ev| system.set(event_target_value(&ev))></textarea>
                        <label for="chat-temperature">"Temperature"</label>
                        <input id="chat-temperature" type="number" min="0" max="2" step="0.1" prop:value=move || temperature.get() on:input=move |ev| temperature.set(event_target_value(&ev))/>
                        {(!direct).then(|| view! {
                            <label class="check">
                                <input
                                    type="checkbox"
                                    prop:checked=move || session.vault.with(|v| v.as_ref().is_some_and(|v| v.auto_failover(provider.get())))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        let p = provider.get_untracked();
                                        let saved = session.mutate(|v| {
                                            v.set_auto_failover(p, on);
                                            Ok::<_, crate::error::AppError>(())
                                        });
                                        if let Err(e) = saved {
                                            // The box shows what is saved, not the click.
                                            if let Some(el) = ev.target().and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlInputElement>(t).ok()) {
                                                el.set_checked(!on);
                                            }
                                            toasts.error(e.message());
                                        }
                                    }
                                />
                                {move || format!("When {} key is rate-limited, resend with the next key automatically", provider.get().with_article())}
                            </label>
                        })}
                        <label for="chat-max-tokens">"Max tokens"</label>
                        <input id="chat-max-tokens" type="number" min="1" step="1" prop:value=move || max_tokens.get() on:input=move |ev| max_tokens.set(event_target_value(&ev))/>
                    </div>
                </details>
            </div>
            <Show when=move || notices.with(|n| !n.is_empty())>
                <div class="warning" role="status" aria-label="Key notices">
                    {move || notices.get().into_iter().map(|n| view! { <p>{n}</p> }).collect_view()}
                </div>
            </Show>
            <ol class="messages" aria-label="Messages" on:click=on_answer_click>
                <For each=move || messages.get() key=|m| m.id children=move |m| {
                    let Msg { role, text, status, footer, render_due, .. } = m.clone();
                    let reply = m.clone();
                    let body = NodeRef::<html::Div>::new();
                    if role == Role::Assistant {
                        // The first words show at once; after that at most one render
                        // per `RENDER_EVERY` (100 ms), however fast deltas arrive,
                        // and while streaming only the unfinished end is rebuilt; the
                        // complete answer gets one exact render. Each render costs the
                        // browser a frame (style, layout, paint over the whole answer):
                        // at 200 deltas a second, 20 renders a second kept the main
                        // thread 13-15% busy, 10 a second 9-12% (docs/benchmark.md;
                        // 250 ms for long answers measured no better).
                        // The end of the answer is not kept waiting for the cadence:
                        // once the stream is over, the final render replaces any one
                        // still scheduled (`round` tells the stale timer to do nothing).
                        let shown = StoredValue::new(false);
                        let round = StoredValue::new(0u32);
                        let renderer = StoredValue::new_local(markdown::Incremental::default());
                        Effect::new(move |_| {
                            text.track();
                            let streaming = status.with(|s| *s == Status::Streaming);
                            if render_due.get_value() && streaming {
                                return;
                            }
                            render_due.set_value(true);
                            let wait = if shown.get_value() && streaming { RENDER_EVERY } else { Duration::ZERO };
                            let this = round.get_value().wrapping_add(1);
                            round.set_value(this);
                            // The row may be gone by the time this runs (another
                            // conversation, a retry that rebuilt the list): then do nothing.
                            set_timeout(move || {
                                if round.try_get_value() != Some(this) {
                                    return;
                                }
                                if render_due.try_set_value(false).is_some() {
                                    return;
                                }
                                let Some(Some(el)) = body.try_get_untracked() else { return };
                                let Some(st) = status.try_get_untracked() else { return };
                                let streaming = st == Status::Streaming;
                                text.try_with_untracked(|t| renderer.try_update_value(|r| {
                                    if streaming {
                                        r.update(&el, t);
                                    } else {
                                        r.finish(&el, t);
                                    }
                                    shown.try_set_value(!t.is_empty());
                                }));
                            }, wait);
                        });
                    }
                    view! {
                        <li class="msg" class:user=role == Role::User class:assistant=role == Role::Assistant aria-label=if role == Role::User { "You" } else { "Answer" }>
                            {if role == Role::User {
                                let id = m.id;
                                let is_editing = Memo::new(move |_| editing.get() == Some(id));
                                (move || if is_editing.get() {
                                    edit_form(id).into_any()
                                } else {
                                    view! {
                                        <div class="msg-body user-text">{move || text.get()}</div>
                                        <p class="msg-actions">
                                            // One edit at a time: another one open keeps its text. (While an
                                            // answer streams the editor opens; it sends once that is over.)
                                            // Named by the message's start: a list of "Edit" buttons read out of
                                            // context would all sound alike.
                                            <button type="button" class="secondary" aria-label=move || format!("Edit \u{201c}{}\u{201d}", text.with(|t| title_from(t))) disabled=move || editing.with(Option::is_some) on:click=move |_| {
                                                edit_text.set(text.get_untracked());
                                                edit_error.set(None);
                                                edit_from_composer.set_value(false);
                                                editing.set(Some(id));
                                            }>"Edit"</button>
                                        </p>
                                    }.into_any()
                                }).into_any()
                            } else {
                                view! { <div class="msg-body md" node_ref=body></div> }.into_any()
                            }}
                            <Show when=move || role == Role::Assistant>
                                <p class="msg-footer">{move || footer.get()}</p>
                                {let reply = reply.clone(); move || match status.get() {
                                    Status::Streaming => view! { <p class="progress" role="status"><span class="spinner" aria-hidden="true"></span>"Answering…"</p> }.into_any(),
                                    // As written (markdown), ready to paste; the last answer
                                    // can be asked for again.
                                    Status::Done => {
                                        let r = reply.clone();
                                        let rid = reply.id;
                                        let is_last = move || messages.with(|ms| ms.last().map(|m| m.id) == Some(rid));
                                        view! {
                                        <p class="msg-actions">
                                            <Show when=is_last>
                                                {let r = r.clone(); view! {
                                                    <button type="button" class="secondary" disabled=move || busy.get() on:click=move |_| retry(r.clone(), None)>"Regenerate"</button>
                                                }}
                                            </Show>
                                            <button type="button" class="secondary copy-answer" on:click=move |_| {
                                                let p = window().navigator().clipboard().write_text(&text.get_untracked());
                                                spawn_local(async move {
                                                    match wasm_bindgen_futures::JsFuture::from(p).await {
                                                        Ok(_) => toasts.info("Answer copied."),
                                                        Err(_) => toasts.error("The browser did not allow copying. Select the answer and copy it by hand."),
                                                    }
                                                });
                                            }>"Copy answer"</button>
                                        </p>
                                    }.into_any()
                                    }
                                    Status::Stopped => {
                                        let r = reply.clone();
                                        view! { <p class="cut" role="status">"Stopped. " <button type="button" class="secondary" on:click=move |_| retry(r.clone(), None)>"Retry"</button></p> }.into_any()
                                    }
                                    Status::Failed { message, failover } => {
                                        let r = reply.clone();
                                        let r2 = reply.clone();
                                        let partial = !text.get_untracked().is_empty();
                                        let offer = failover.then(|| resolved.get_untracked().ok().and_then(failover_offer)).flatten();
                                        view! {
                                            <div class="cut" role="alert">
                                                <p>{if partial {
                                                    // Not "Cut off: The answer was cut off: …".
                                                    let why = message.strip_prefix("The answer was cut off: ").unwrap_or(&message);
                                                    format!("Cut off: {why}")
                                                } else { message }}</p>
                                                <div class="row">
                                                    <button type="button" class="secondary" on:click=move |_| retry(r.clone(), None)>"Retry"</button>
                                                    {offer.map(|(id, label)| view! {
                                                        <button type="button" on:click=move |_| retry(r2.clone(), Some(id))>{format!("Resend with \u{201c}{label}\u{201d}")}</button>
                                                    })}
                                                </div>
                                            </div>
                                        }.into_any()
                                    }
                                }}
                            </Show>
                        </li>
                    }
                }/>
            </ol>
            <Show when=move || error.get().is_some()>
                <p class="error" role="alert">{move || error.get().unwrap_or_default()}</p>
            </Show>
            <form class="composer" on:submit=move |ev| { ev.prevent_default(); send(); }>
                <label for="chat-input" class="sr-only">"Message"</label>
                <textarea
                    id="chat-input"
                    node_ref=composer
                    rows="3"
                    placeholder="Write a message. Enter sends, Shift+Enter adds a line, Up edits your last one."
                    prop:value=move || draft.get()
                    on:input=move |ev| draft.set(event_target_value(&ev))
                    on:keydown=on_key
                ></textarea>
                <div class="row">
                    <Show when=move || busy.get() fallback=move || view! { <button type="submit">"Send"</button> }>
                        <button type="button" class="danger stop-float" on:click=move |_| stop()>"Stop"</button>
                    </Show>
                </div>
            </form>
        </section>
    }
}

/// Input, output and cached tokens, as a provider reports them.
type Tokens = (u64, u64, Option<u64>);

/// One answer's use of its key: its usage counted for today where the person is, or,
/// with no count reported (a stopped OpenAI answer), the use alone.
fn count_usage(
    v: &mut byok_core::model::Vault,
    key_id: Uuid,
    model: &str,
    tokens: Option<Tokens>,
) -> Result<(), byok_core::model::ModelError> {
    let Some((input, output, cached)) = tokens else {
        return v.record_use(key_id, crate::now());
    };
    let today = crate::today();
    v.record_usage(
        key_id,
        model,
        today,
        input,
        output,
        cached.unwrap_or(0),
        crate::now(),
    )
}

/// The key resolution would pick now, for remembering it with a conversation.
fn resolved_id_untracked(vault: Memo<byok_core::model::Vault>, p: Provider) -> Option<Uuid> {
    vault.with_untracked(|v| v.resolve(p, None, crate::now_here()).ok().map(|k| k.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn left(conversation: Option<Uuid>, draft: &str) -> Resume {
        Resume {
            conversation,
            draft: draft.into(),
            system: String::new(),
            edit: None,
        }
    }

    #[test]
    fn each_conversation_gets_back_its_own_unsent_message_once() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let mut k = Kept::default();
        k.keep(left(Some(a), "for a"));
        k.keep(left(Some(b), "for b"));
        k.keep(left(None, "for a new chat"));
        assert_eq!(k.shown, None);
        assert_eq!(k.take(Some(a)).map(|r| r.draft).as_deref(), Some("for a"));
        assert!(k.take(Some(a)).is_none(), "taken twice");
        assert_eq!(
            k.take(None).map(|r| r.draft).as_deref(),
            Some("for a new chat")
        );
        // Left again with nothing unsent: b's message stays kept.
        k.keep(left(Some(b), "  "));
        assert_eq!(k.shown, Some(b));
        assert_eq!(k.take(Some(b)).map(|r| r.draft).as_deref(), Some("for b"));
    }

    #[test]
    fn a_deleted_conversation_brings_nothing_back_and_a_vanished_ones_joins_the_new_chats() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let mut k = Kept::default();
        k.keep(left(Some(a), "for a"));
        k.keep(left(Some(b), "for b"));
        k.forget(b);
        assert_eq!(k.shown, None);
        assert!(k.take(Some(b)).is_none());
        k.keep(left(None, "older new-chat message"));
        k.keep(left(Some(a), "for a, again"));
        k.shown_gone();
        assert_eq!(k.shown, None);
        assert!(k.take(Some(a)).is_none());
        // Neither is lost: both come back in the new chat's message box.
        assert_eq!(
            k.take(None).map(|r| r.draft).as_deref(),
            Some("older new-chat message\n\nfor a, again")
        );
        assert!(k.chats.is_empty());
    }
}
