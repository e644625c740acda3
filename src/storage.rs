//! The only module that touches browser storage. Every failure comes back as a
//! [`StorageError`] for the caller to show; nothing is swallowed.
//!
//! Layout in localStorage (all under the `byok.` prefix):
//! - `byok.vault`: the current vault record (encrypted; see byok-core `vault`).
//! - `byok.vault.prev`: the record before the last save, kept in case the current one
//!   is damaged.
//! - `byok.vault.damaged`: a record that failed to open and was set aside, never deleted
//!   by the app.
//! - `byok.settings`: non-secret preferences (auto-lock), plaintext.

use serde::{Deserialize, Serialize};
use wasm_bindgen::JsCast;

pub const VAULT_KEY: &str = "byok.vault";
pub const PREV_KEY: &str = "byok.vault.prev";
pub const DAMAGED_KEY: &str = "byok.vault.damaged";
pub const SETTINGS_KEY: &str = "byok.settings";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    #[error(
        "This browser does not let the page use local storage (private mode or a site setting may block it). Your keys cannot be saved here."
    )]
    Unavailable,
    #[error(
        "The browser's storage for this site is full, so nothing was saved; your previous vault is unchanged. Free space by deleting data of this site you no longer need, then try again."
    )]
    QuotaExceeded,
    #[error("The browser refused to save ({0}); your previous vault is unchanged.")]
    Failed(String),
}

fn js_error(e: wasm_bindgen::JsValue) -> StorageError {
    if let Some(d) = e.dyn_ref::<web_sys::DomException>() {
        let name = d.name();
        // Chromium says QuotaExceededError; old Firefox said NS_ERROR_DOM_QUOTA_REACHED.
        if name == "QuotaExceededError" || name.contains("QUOTA") || d.code() == 22 {
            return StorageError::QuotaExceeded;
        }
        return StorageError::Failed(name);
    }
    StorageError::Failed("unknown error".into())
}

fn local() -> Result<web_sys::Storage, StorageError> {
    web_sys::window()
        .ok_or(StorageError::Unavailable)?
        .local_storage()
        .map_err(|_| StorageError::Unavailable)?
        .ok_or(StorageError::Unavailable)
}

pub fn get(key: &str) -> Result<Option<String>, StorageError> {
    local()?.get_item(key).map_err(js_error)
}

pub fn set(key: &str, value: &str) -> Result<(), StorageError> {
    local()?.set_item(key, value).map_err(js_error)
}

pub fn remove(key: &str) -> Result<(), StorageError> {
    local()?.remove_item(key).map_err(js_error)
}

pub fn read_vault() -> Result<Option<String>, StorageError> {
    get(VAULT_KEY)
}

pub fn read_prev() -> Result<Option<String>, StorageError> {
    get(PREV_KEY)
}

/// Save a new vault record. `setItem` either stores the whole value or throws, so the
/// current record is never half-written; the one it replaces is kept as the previous
/// copy first. If there is no room for both, the previous copy is dropped rather than
/// failing the save, and a failure leaves the current record exactly as it was.
pub fn write_vault(new_record: &str, replaced: Option<&str>) -> Result<(), StorageError> {
    let store = local()?;
    if let Some(Err(e)) = replaced.map(|old| store.set_item(PREV_KEY, old).map_err(js_error)) {
        if e != StorageError::QuotaExceeded {
            return Err(e);
        }
        store.remove_item(PREV_KEY).map_err(js_error)?;
    }
    store.set_item(VAULT_KEY, new_record).map_err(js_error)
}

/// Put a record that failed to open aside and promote the previous copy, so saving
/// again never overwrites the only trace of the damaged one.
pub fn restore_previous(damaged: &str, previous: &str) -> Result<(), StorageError> {
    let store = local()?;
    store.set_item(DAMAGED_KEY, damaged).map_err(js_error)?;
    store.set_item(VAULT_KEY, previous).map_err(js_error)
}

/// Remove everything byok stored in this browser.
pub fn wipe() -> Result<(), StorageError> {
    let store = local()?;
    let n = store.length().map_err(js_error)?;
    let mut ours = Vec::new();
    for i in 0..n {
        if let Ok(Some(k)) = store.key(i).map(|k| k.filter(|k| k.starts_with("byok."))) {
            ours.push(k);
        }
    }
    for k in ours {
        store.remove_item(&k).map_err(js_error)?;
    }
    Ok(())
}

/// Non-secret preferences, kept in the clear so the lock screen can honour them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Lock after this many minutes without a key press, click or touch; 0 = never.
    pub auto_lock_minutes: f64,
    pub lock_when_hidden: bool,
    /// Read only: before 2026-11-28 the automatic-failover providers were kept here, in
    /// plaintext. The next unlock moves them into the encrypted vault
    /// (`Vault::auto_failover`) and empties this; until then it is written back as read.
    #[serde(
        default,
        rename = "auto_failover",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub legacy_failover: Vec<byok_core::model::Provider>,
    /// Remind to rotate keys older than this many days; 0 = never.
    pub rotation_days: u32,
    /// How the Keys page orders each provider's keys.
    pub key_order: byok_core::model::KeyOrder,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            auto_lock_minutes: 15.0,
            lock_when_hidden: false,
            legacy_failover: Vec::new(),
            rotation_days: byok_core::usage::DEFAULT_ROTATION_DAYS,
            key_order: byok_core::model::KeyOrder::Added,
        }
    }
}

pub fn read_settings() -> Settings {
    // Unreadable settings fall back to the safe defaults: they hold no data to lose.
    get(SETTINGS_KEY)
        .ok()
        .flatten()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default()
}

pub fn write_settings(s: &Settings) -> Result<(), StorageError> {
    let text = serde_json::to_string(s).map_err(|e| StorageError::Failed(e.to_string()))?;
    set(SETTINGS_KEY, &text)
}

/// Ask the browser not to evict this site's storage. Some browsers grant it silently,
/// some never; either way the exported bundle stays the real backup.
pub fn request_persistence() {
    if let Some(Ok(p)) = web_sys::window().map(|w| w.navigator().storage().persist()) {
        wasm_bindgen_futures::spawn_local(async move {
            let _granted = wasm_bindgen_futures::JsFuture::from(p).await;
        });
    }
}
