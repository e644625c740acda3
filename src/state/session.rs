//! The vault session: locked or unlocked, and every change to the vault. All writes go
//! through [`Session::mutate`], which first adopts whatever another tab saved, then
//! applies the change, then saves, so two tabs never overwrite each other's edits.

use std::rc::Rc;
use std::sync::Arc;

use byok_core::conversation::{self, Conversation};
use byok_core::crypto::{self, AeadKey, DEFAULT_ITERATIONS, SALT_LEN};
use byok_core::model::Vault;
use byok_core::vault::{self, VaultError, VaultRecord};
use leptos::prelude::*;

use crate::error::AppError;
use crate::idb;
use crate::storage::{self, Settings};
use crate::webcrypto;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// No vault in this browser yet.
    NoVault,
    Locked,
    Unlocked,
    /// localStorage cannot be used at all.
    StorageUnavailable,
}

/// What an unlocked session holds besides the plaintext vault: the data key and the
/// record it was read from. Dropped (and the key wiped) on lock; the key itself when the
/// last save that holds it (a [`KeyHold`]) is done too.
struct Open {
    data_key: Arc<AeadKey>,
    record: VaultRecord,
    record_text: String,
}

/// The data key, held by a conversation save that must finish after a lock began (the
/// chat saves an answer cut short by the lock). Wiped when the last holder is dropped.
#[derive(Clone)]
pub struct KeyHold(Arc<AeadKey>);

impl KeyHold {
    pub fn seal_conversation(&self, c: &Conversation) -> Result<String, AppError> {
        conversation::seal(c, &self.0).map_err(Into::into)
    }

    pub fn open_conversation(&self, text: &str, id: uuid::Uuid) -> Result<Conversation, AppError> {
        conversation::open(text, id, &self.0).map_err(Into::into)
    }
}

/// Run by [`Session::lock`] while the data key is still there, in the order added.
type LockHooks = Vec<(u64, Rc<dyn Fn()>)>;

#[derive(Clone, Copy)]
pub struct Session {
    pub phase: RwSignal<Phase>,
    /// The decrypted vault while unlocked; `None` when locked.
    pub vault: RwSignal<Option<Vault>>,
    pub settings: RwSignal<Settings>,
    /// Bumped whenever another tab's save was adopted, so views can say so.
    pub external_updates: RwSignal<u32>,
    /// Why the vault locked by itself, for the unlock screen; cleared on unlock.
    pub locked_why: RwSignal<Option<String>>,
    /// The date where the person is, moved on by [`crate::state::autolock::install`]: what
    /// depends on it (a key's expiry, its reminders) tracks it, so a tab left open past
    /// midnight stops choosing a key that expired at midnight.
    pub today: RwSignal<time::Date>,
    open: StoredValue<Option<Open>>,
    lock_hooks: StoredValue<LockHooks, LocalStorage>,
    /// What the Chat page had on screen when it was left or the vault locked (its
    /// conversation, and each chat's unsent message and system prompt), sealed under the
    /// data key: the chat comes back as it was, and nothing of it is readable while locked.
    resume: StoredValue<Option<([u8; crypto::IV_LEN], Vec<u8>)>>,
}

/// Conversation records to read: every one saved in IndexedDB (a page at a time), or
/// these `(id, record)` pairs.
pub enum Records<'a> {
    Saved(&'a idb::Db),
    These(Vec<(String, String)>),
}

const RESUME_AAD: &[u8] = b"byok chat on screen at lock";
/// How long reading decrypted conversation records may hold the main thread before the
/// page gets a turn (the long-task limit is 50 ms).
const READ_SLICE_MS: f64 = 30.0;

impl Default for Session {
    fn default() -> Self {
        Self::new()
    }
}

fn phase_from_storage() -> Phase {
    match storage::read_vault() {
        Ok(Some(_)) => Phase::Locked,
        Ok(None) => Phase::NoVault,
        Err(_) => Phase::StorageUnavailable,
    }
}

impl Session {
    pub fn new() -> Self {
        Self {
            phase: RwSignal::new(phase_from_storage()),
            vault: RwSignal::new(None),
            settings: RwSignal::new(storage::read_settings()),
            external_updates: RwSignal::new(0),
            locked_why: RwSignal::new(None),
            today: RwSignal::new(crate::today()),
            open: StoredValue::new(None),
            lock_hooks: StoredValue::new_local(Vec::new()),
            resume: StoredValue::new(None),
        }
    }

    /// An unlocked session over made-up data that reads and writes no storage: for
    /// [`crate::state::rehearsal`] only (it never calls `mutate`).
    pub fn rehearsal(v: Vault) -> Self {
        Self {
            phase: RwSignal::new(Phase::Unlocked),
            vault: RwSignal::new(Some(v)),
            settings: RwSignal::new(Settings::default()),
            external_updates: RwSignal::new(0),
            locked_why: RwSignal::new(None),
            today: RwSignal::new(crate::today()),
            open: StoredValue::new(None),
            lock_hooks: StoredValue::new_local(Vec::new()),
            resume: StoredValue::new(None),
        }
    }

    pub fn is_unlocked(&self) -> bool {
        self.phase.get() == Phase::Unlocked
    }

    pub async fn create(&self, passphrase: &str) -> Result<(), AppError> {
        if storage::read_vault()?.is_some() {
            // Another tab created one while this form was open: never overwrite it.
            self.phase.set(Phase::Locked);
            return Err(AppError::Invalid(
                "A vault was created in another tab meanwhile. Unlock it with its passphrase."
                    .into(),
            ));
        }
        let salt: [u8; SALT_LEN] =
            crypto::random_array().map_err(|e| AppError::Crypto(e.to_string()))?;
        let kek = webcrypto::derive_key(passphrase, &salt, DEFAULT_ITERATIONS).await?;
        let (record, data_key) = vault::create(&Vault::default(), &kek, &salt, DEFAULT_ITERATIONS)?;
        // Checked again: another tab may have created one while the key derived.
        if storage::read_vault()?.is_some() {
            self.phase.set(Phase::Locked);
            return Err(AppError::Invalid(
                "A vault was created in another tab meanwhile. Unlock it with its passphrase."
                    .into(),
            ));
        }
        let text = record.to_json();
        storage::write_vault(&text, None)?;
        storage::request_persistence();
        self.enter(data_key, record, text, Vault::default());
        Ok(())
    }

    fn enter(&self, data_key: AeadKey, record: VaultRecord, record_text: String, v: Vault) {
        self.open.set_value(Some(Open {
            data_key: Arc::new(data_key),
            record,
            record_text,
        }));
        self.vault.set(Some(v));
        self.locked_why.set(None);
        self.phase.set(Phase::Unlocked);
    }

    /// Unlock the stored vault. A wrong passphrase changes nothing.
    pub async fn unlock(&self, passphrase: &str) -> Result<(), AppError> {
        let text = storage::read_vault()?.ok_or_else(|| {
            self.phase.set(Phase::NoVault);
            AppError::Invalid("There is no vault in this browser any more.".into())
        })?;
        let (record, dk, v) = open_text(&text, passphrase).await?;
        storage::request_persistence();
        self.enter(dk, record, text, v);
        self.move_legacy_failover();
        Ok(())
    }

    /// Settings written before the automatic-failover list moved into the vault still
    /// name those providers in plaintext: move them in, then drop them from the settings.
    /// A failed save leaves both as they were; the next unlock tries again.
    fn move_legacy_failover(&self) {
        // Read from storage, not the page's copy: another tab of an earlier version may
        // have written them since this page loaded.
        let mut stored = storage::read_settings();
        let legacy = std::mem::take(&mut stored.legacy_failover);
        if legacy.is_empty() {
            return;
        }
        let moved = self.mutate(|v| {
            for p in &legacy {
                v.set_auto_failover(*p, true);
            }
            Ok::<_, AppError>(())
        });
        if moved.is_ok() {
            // Left in place on failure: the vault already has the list, so the next
            // unlock only clears it.
            let _ = self.save_settings(stored);
        }
    }

    /// Whether a previous copy exists that could be offered when the current record is
    /// damaged.
    pub fn has_previous(&self) -> bool {
        matches!(storage::read_prev(), Ok(Some(_)))
    }

    /// Open the previous copy, set the damaged record aside, and make the previous copy
    /// current.
    pub async fn unlock_previous(&self, passphrase: &str) -> Result<(), AppError> {
        let prev = storage::read_prev()?
            .ok_or_else(|| AppError::Invalid("There is no previous copy to open.".into()))?;
        let (record, dk, v) = open_text(&prev, passphrase).await?;
        let damaged = storage::read_vault()?.unwrap_or_default();
        storage::restore_previous(&damaged, &prev)?;
        self.enter(dk, record, prev, v);
        self.move_legacy_failover();
        Ok(())
    }

    pub fn lock(&self) {
        if self.phase.get_untracked() == Phase::Unlocked {
            // Each hook may start a save, which takes a hold on the key before it goes.
            // Called outside the store's borrow: a hook may add or remove hooks.
            let hooks: Vec<Rc<dyn Fn()>> = self
                .lock_hooks
                .try_with_value(|h| h.iter().map(|(_, f)| f.clone()).collect())
                .unwrap_or_default();
            for f in hooks {
                f();
            }
        }
        self.close();
    }

    /// Lock without the hooks: for a vault forgotten or replaced (here or in another
    /// tab), where nothing is to be saved under the old key.
    fn close(&self) {
        // Dropping `Open` wipes the data key (once no save holds it); dropping the vault
        // wipes the secrets.
        self.open.set_value(None);
        self.vault.set(None);
        if self.phase.get_untracked() == Phase::Unlocked {
            self.phase.set(Phase::Locked);
        }
    }

    /// Adopt what another tab saved, if anything. Errors lock the session when the
    /// stored vault is no longer ours (forgotten or re-created elsewhere).
    pub fn sync_from_storage(&self) -> Result<bool, AppError> {
        let stored = storage::read_vault()?;
        let Some(text) = stored else {
            self.close();
            self.phase.set(Phase::NoVault);
            return Err(AppError::ForgottenElsewhere);
        };
        let same = self
            .open
            .with_value(|o| o.as_ref().map(|o| o.record_text == text))
            .ok_or(AppError::Locked)?;
        if same {
            return Ok(false);
        }
        let record = vault::parse(&text)?;
        let decrypted = self
            .open
            .with_value(|o| o.as_ref().map(|o| record.decrypt(&o.data_key)))
            .ok_or(AppError::Locked)?;
        match decrypted {
            Ok(v) => {
                self.open.update_value(|o| {
                    if let Some(o) = o {
                        o.record = record;
                        o.record_text = text;
                    }
                });
                self.vault.set(Some(v));
                self.external_updates.update(|n| *n += 1);
                Ok(true)
            }
            Err(_) => {
                // Different data key: the vault was re-created in another tab.
                self.close();
                Err(AppError::ReplacedElsewhere)
            }
        }
    }

    /// Apply a change to the vault and save it. On any error nothing is saved and the
    /// vault in memory stays as stored.
    pub fn mutate<T, E: Into<AppError>>(
        &self,
        f: impl FnOnce(&mut Vault) -> Result<T, E>,
    ) -> Result<T, AppError> {
        self.sync_from_storage()?;
        let mut next = self.vault.get_untracked().ok_or(AppError::Locked)?;
        let out = f(&mut next).map_err(Into::into)?;
        let (new_record, old_text) = self
            .open
            .with_value(|o| {
                o.as_ref().map(|o| {
                    (
                        o.record.with_contents(&o.data_key, &next),
                        o.record_text.clone(),
                    )
                })
            })
            .ok_or(AppError::Locked)?;
        self.store(new_record?, &old_text, next)?;
        Ok(out)
    }

    /// Write a new revision over `old_text` (kept as the previous copy) and make it, and
    /// the vault it holds, the session's own.
    fn store(&self, record: VaultRecord, old_text: &str, next: Vault) -> Result<(), AppError> {
        let text = record.to_json();
        storage::write_vault(&text, Some(old_text))?;
        self.open.update_value(|o| {
            if let Some(o) = o {
                o.record = record;
                o.record_text = text;
            }
        });
        self.vault.set(Some(next));
        Ok(())
    }

    /// [`Session::mutate`] for changes that make or touch a large vault (an import, the
    /// usage record of every answer): a large vault is sealed by the browser's AES-GCM,
    /// asynchronously and natively, where wasm would hold the main thread for tens of
    /// milliseconds per megabyte, and the rest of the save runs as a task of its own.
    /// The change shows once it is saved. If anything was saved meanwhile (by this tab
    /// or another), `f` is applied again on top of that, so no save is lost; errors
    /// leave the vault as stored.
    pub async fn mutate_async<T, E: Into<AppError>>(
        &self,
        f: impl Fn(&mut Vault) -> Result<T, E>,
    ) -> Result<T, AppError> {
        for _ in 0..3 {
            crate::perf_mark("save-start");
            self.sync_from_storage()?;
            let mut next = self.vault.get_untracked().ok_or(AppError::Locked)?;
            let out = f(&mut next).map_err(Into::into)?;
            let (job, old_text, key) = self
                .open
                .with_value(|o| {
                    o.as_ref().map(|o| {
                        o.record.prepare_contents(&next).map(|job| {
                            // A wiped-on-drop copy that outlives the borrow across the await.
                            let key = AeadKey::from_bytes(*o.data_key.expose());
                            (job, o.record_text.clone(), key)
                        })
                    })
                })
                .ok_or(AppError::Locked)??;
            crate::perf_mark("save-prepared");
            let ct = webcrypto::seal(&key, &job.iv, &job.aad, &job.plaintext).await?;
            // Chromium may resolve the encryption within the task that asked for it; a
            // timer makes the rest a task of its own, so the page can paint between.
            gloo_timers::future::TimeoutFuture::new(0).await;
            crate::perf_mark("save-sealed");
            // The revision sealed is built on the record held when it was prepared; it is
            // used only if that record is still the one held here and stored.
            let new_record = self
                .open
                .with_value(|o| {
                    o.as_ref().map(|o| {
                        (o.record_text == old_text).then(|| o.record.with_sealed(&job, &ct))
                    })
                })
                .ok_or(AppError::Locked)?;
            let Some(new_record) = new_record
                .filter(|_| matches!(storage::read_vault(), Ok(Some(t)) if t == old_text))
            else {
                continue;
            };
            self.store(new_record, &old_text, next)?;
            crate::perf_mark("save-done");
            return Ok(out);
        }
        // Saves kept landing meanwhile: apply and seal in one step, which nothing can
        // interleave with.
        self.mutate(f)
    }

    /// Re-wrap the data key under a new passphrase. The old one must be right.
    pub async fn change_passphrase(&self, old: &str, new: &str) -> Result<(), AppError> {
        self.sync_from_storage()?;
        let record = self
            .open
            .with_value(|o| o.as_ref().map(|o| o.record.clone()))
            .ok_or(AppError::Locked)?;
        let old_kek = webcrypto::derive_key(old, &record.salt(), record.iterations()).await?;
        record.unwrap_key(&old_kek).map_err(|e| match e {
            VaultError::WrongPassphrase => AppError::WrongCurrentPassphrase,
            other => other.into(),
        })?;
        let salt: [u8; SALT_LEN] =
            crypto::random_array().map_err(|e| AppError::Crypto(e.to_string()))?;
        let new_kek = webcrypto::derive_key(new, &salt, DEFAULT_ITERATIONS).await?;
        // Another tab may have saved while the keys derived: start from what is stored.
        self.sync_from_storage()?;
        let damaged = storage::get(storage::DAMAGED_KEY)?;
        let (rewrapped, damaged_rewrapped) = self
            .open
            .with_value(|o| {
                o.as_ref().map(|o| {
                    let again = |r: &VaultRecord| {
                        r.rewrap(&o.data_key, &new_kek, &salt, DEFAULT_ITERATIONS)
                    };
                    (
                        again(&o.record),
                        damaged
                            .as_deref()
                            .map(|d| vault::parse(d).ok().and_then(|r| again(&r).ok())),
                    )
                })
            })
            .ok_or(AppError::Locked)?;
        let rewrapped = rewrapped?;
        let text = rewrapped.to_json();
        // The previous copy would still open with the old passphrase, and with the same
        // data key it would unlock every later save: it becomes the new record too.
        storage::write_vault(&text, Some(&text))?;
        // So would a record once set aside as damaged (its contents failed, most likely
        // not its wrap): it is kept, wrapped anew, or removed when it cannot be.
        match damaged_rewrapped {
            Some(Some(r)) => storage::set(storage::DAMAGED_KEY, &r.to_json())?,
            Some(None) => storage::remove(storage::DAMAGED_KEY)?,
            None => {}
        }
        self.open.update_value(|o| {
            if let Some(o) = o {
                o.record = rewrapped;
                o.record_text = text;
            }
        });
        Ok(())
    }

    /// Check a passphrase against the stored vault without changing anything (used
    /// before reusing the vault passphrase for an export).
    pub async fn check_passphrase(&self, passphrase: &str) -> Result<(), AppError> {
        let record = self
            .open
            .with_value(|o| o.as_ref().map(|o| o.record.clone()))
            .ok_or(AppError::Locked)?;
        let kek = webcrypto::derive_key(passphrase, &record.salt(), record.iterations()).await?;
        record.unwrap_key(&kek).map(|_| ()).map_err(|e| match e {
            VaultError::WrongPassphrase => AppError::Invalid(
                "That is not your vault passphrase. Type it again, or choose a separate bundle passphrase."
                    .into(),
            ),
            other => other.into(),
        })
    }

    /// A hold on the data key for a save that must finish even if the vault locks
    /// meanwhile; `None` when locked.
    pub fn hold_key(&self) -> Option<KeyHold> {
        self.open
            .try_with_value(|o| o.as_ref().map(|o| KeyHold(o.data_key.clone())))
            .flatten()
    }

    /// Run `f` when the vault is about to lock, while its key is still there (until
    /// [`Session::remove_lock_hook`] with the id returned).
    pub fn on_lock(&self, f: impl Fn() + 'static) -> u64 {
        let id = self
            .lock_hooks
            .try_with_value(|h| h.iter().map(|(i, _)| *i + 1).max().unwrap_or(0))
            .unwrap_or(0);
        self.lock_hooks
            .try_update_value(|h| h.push((id, Rc::new(f))));
        id
    }

    /// Keep `plaintext` sealed under the data key until it is taken: by the chat page's
    /// next visit, after an unlock or another page (see `resume`).
    pub fn set_resume(&self, plaintext: &[u8]) {
        let Ok(iv) = crypto::random_array::<{ crypto::IV_LEN }>() else {
            return;
        };
        let sealed = self
            .open
            .try_with_value(|o| {
                o.as_ref()
                    .map(|o| crypto::seal(&o.data_key, &iv, RESUME_AAD, plaintext))
            })
            .flatten();
        self.resume.try_set_value(sealed.map(|ct| (iv, ct)));
    }

    pub fn clear_resume(&self) {
        self.resume.try_set_value(None);
    }

    /// What [`Session::set_resume`] kept, once, opened with the key of the vault now
    /// unlocked (another vault's key cannot open it).
    pub fn take_resume(&self) -> Option<zeroize::Zeroizing<Vec<u8>>> {
        let (iv, ct) = self.resume.try_update_value(Option::take).flatten()?;
        self.open
            .try_with_value(|o| {
                o.as_ref()
                    .and_then(|o| crypto::open(&o.data_key, &iv, RESUME_AAD, &ct).ok())
            })
            .flatten()
    }

    pub fn remove_lock_hook(&self, id: u64) {
        self.lock_hooks
            .try_update_value(|h| h.retain(|(i, _)| *i != id));
    }

    /// Encrypt a conversation under the vault's data key, for its IndexedDB record.
    pub fn seal_conversation(&self, c: &Conversation) -> Result<String, AppError> {
        self.open
            .with_value(|o| o.as_ref().map(|o| conversation::seal(c, &o.data_key)))
            .ok_or(AppError::Locked)?
            .map_err(Into::into)
    }

    pub fn open_conversation(&self, text: &str, id: uuid::Uuid) -> Result<Conversation, AppError> {
        self.open
            .with_value(|o| {
                o.as_ref()
                    .map(|o| conversation::open(text, id, &o.data_key))
            })
            .ok_or(AppError::Locked)?
            .map_err(Into::into)
    }

    /// The list entries of conversation `records`, read a page at a time, decrypted by
    /// the browser's AES-GCM and read only as far as the list needs:
    /// hundreds of long conversations list without one long task. Each record gives its
    /// summary, or `None` when it is damaged (it is then left untouched).
    pub async fn conversation_summaries(
        &self,
        records: Records<'_>,
    ) -> Result<Vec<Option<conversation::Summary>>, AppError> {
        self.read_conversations(records, &|| true, |pt, id| {
            conversation::summary_from_plaintext(pt, id).ok()
        })
        .await
    }

    /// The ids of the conversations saved in `db` whose title, system prompt or
    /// messages hold `needle` (lowercase), read as the list reads them. Stops early,
    /// with what it found so far, once `keep_going` says no (a newer search started).
    pub async fn conversations_mentioning(
        &self,
        db: &idb::Db,
        needle: &str,
        keep_going: &dyn Fn() -> bool,
    ) -> Result<Vec<uuid::Uuid>, AppError> {
        let found = self
            .read_conversations(Records::Saved(db), keep_going, |pt, id| {
                conversation::plaintext_mentions(pt, needle)
                    .unwrap_or(false)
                    .then_some(id)
            })
            .await?;
        Ok(found.into_iter().flatten().collect())
    }

    /// Decrypt conversation records a batch at a time and keep what `read` takes from
    /// each plaintext (`None` for a damaged record).
    async fn read_conversations<T>(
        &self,
        mut records: Records<'_>,
        keep_going: &dyn Fn() -> bool,
        read: impl Fn(&[u8], uuid::Uuid) -> Option<T>,
    ) -> Result<Vec<Option<T>>, AppError> {
        // A wiped-on-drop copy of the data key, for as long as the batches run.
        let key = self
            .open
            .with_value(|o| {
                o.as_ref()
                    .map(|o| AeadKey::from_bytes(*o.data_key.expose()))
            })
            .ok_or(AppError::Locked)?;
        // Records read and decrypted at once: enough to keep the browser's crypto busy
        // in parallel, few enough that delivering them is a short task.
        const PAGE: u32 = 24;
        // Imported once for all records; without `crypto.subtle`, wasm decrypts them.
        let browser = webcrypto::BrowserKey::import(&key).await?;
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        let locked = || self.phase.try_get_untracked() != Some(Phase::Unlocked);
        loop {
            if locked() {
                return Err(AppError::Locked);
            }
            if !keep_going() {
                return Ok(out);
            }
            let batch = match &mut records {
                Records::Saved(db) => {
                    db.get_page(idb::CONVERSATIONS, after.as_deref(), PAGE)
                        .await?
                }
                Records::These(rows) => std::mem::take(rows),
            };
            let Some((last, _)) = batch.last() else {
                break;
            };
            after = Some(last.clone());
            let more = batch.len() >= PAGE as usize;
            let plain = futures::future::join_all(batch.iter().map(|(id, text)| {
                let (key, browser) = (&key, &browser);
                async move {
                    let uuid = uuid::Uuid::parse_str(id).ok()?;
                    let parts = conversation::sealed_parts(text, uuid).ok()?;
                    // The browser whatever the size: many small decryptions run in
                    // parallel off the main thread (288 ms for 500 records, 400 ms in wasm).
                    let pt = match browser {
                        Some(b) => b.open(&parts.iv, &parts.aad, &parts.ct).await.ok()?,
                        None => crypto::open(key, &parts.iv, &parts.aad, &parts.ct).ok()?,
                    };
                    Some((uuid, pt))
                }
            }))
            .await;
            // Read one record at a time, the page answering input whenever reading has
            // gone on for a while (a search reads whole records, a few ms each for long
            // ones). The records' text is dropped batch by batch.
            let mut since = crate::now_ms();
            for p in plain {
                out.push(p.and_then(|(id, pt)| read(&pt, id)));
                if crate::now_ms() - since > READ_SLICE_MS {
                    gloo_timers::future::TimeoutFuture::new(0).await;
                    if locked() {
                        return Err(AppError::Locked);
                    }
                    if !keep_going() {
                        return Ok(out);
                    }
                    since = crate::now_ms();
                }
            }
            if !more {
                break;
            }
            // The page paints and answers input between batches.
            gloo_timers::future::TimeoutFuture::new(0).await;
        }
        Ok(out)
    }

    /// Wipe every byok record from this browser.
    pub fn forget(&self) -> Result<(), AppError> {
        storage::wipe()?;
        self.resume.set_value(None);
        self.close();
        self.phase.set(Phase::NoVault);
        Ok(())
    }

    /// Called for `storage` events: another tab saved, created, or forgot the vault.
    pub fn on_external_change(&self) -> Result<(), AppError> {
        match self.phase.get_untracked() {
            Phase::Unlocked => self.sync_from_storage().map(|_| ()),
            _ => {
                self.phase.set(phase_from_storage());
                Ok(())
            }
        }
    }

    pub fn save_settings(&self, s: Settings) -> Result<(), AppError> {
        storage::write_settings(&s)?;
        self.settings.set(s);
        Ok(())
    }
}

async fn open_text(
    text: &str,
    passphrase: &str,
) -> Result<(VaultRecord, AeadKey, Vault), AppError> {
    crate::perf_mark("unlock-start");
    let record = vault::parse(text)?;
    let kek = webcrypto::derive_key(passphrase, &record.salt(), record.iterations()).await?;
    crate::perf_mark("unlock-derived");
    let dk = record.unwrap_key(&kek)?;
    // A large vault is opened by the browser's AES-GCM: it unlocks without wasm
    // decrypting megabytes on the main thread.
    let parts = record.sealed_contents()?;
    let pt = webcrypto::open(&dk, &parts.iv, &parts.aad, &parts.ct)
        .await
        .map_err(|e| match e {
            webcrypto::OpenError::Crypto(c) => AppError::from(VaultError::from(c)),
            webcrypto::OpenError::App(a) => a,
        })?;
    crate::perf_mark("unlock-decrypted");
    let v = vault::contents_from_plaintext(&pt)?;
    crate::perf_mark("unlock-parsed");
    Ok((record, dk, v))
}

pub fn use_session() -> Session {
    use_context::<Session>().unwrap_or_default()
}
