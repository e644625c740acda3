//! Conversations and usage history in IndexedDB, one record per conversation (or usage
//! period), so that they are not bound by the ~5 MB localStorage quota and a new message
//! rewrites one record instead of the whole vault. Records are opaque strings: the caller
//! encrypts them before they get here.
//!
//! Written directly on web-sys rather than on the `idb`/`rexie` crates: five operations
//! need no builder, tokio or indexmap, and owning the event wiring is what lets writes
//! wait for the transaction's `complete` (with strict durability) and map every failure
//! to a [`StorageError`].

use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{DomException, Event, IdbDatabase, IdbFactory, IdbObjectStore, IdbOpenDbRequest};
use web_sys::{IdbKeyRange, IdbRequest, IdbTransaction};

pub use crate::storage::StorageError;

pub const DB_NAME: &str = "byok";
pub const CONVERSATIONS: &str = "conversations";
pub const USAGE: &str = "usage";
/// Created together in version 1: adding a store later needs a version upgrade, which
/// every other open tab has to give way to.
const STORES: [&str; 2] = [CONVERSATIONS, USAGE];
const VERSION: u32 = 1;

/// The text inside [`StorageError::Failed`] when another tab holds the database open and
/// does not let go, so callers can tell the user to close other byok tabs.
pub const BLOCKED: &str = "blocked";

/// For callers who think of the handle as "the store".
pub type Store = Db;

#[wasm_bindgen]
extern "C" {
    // web-sys only exposes IDBTransactionOptions behind `web_sys_unstable_apis`; the
    // options are a plain dictionary, and a browser without `durability` ignores it.
    #[wasm_bindgen(js_name = IDBDatabase)]
    type DatabaseWithOptions;

    #[wasm_bindgen(method, catch, js_name = transaction)]
    fn transaction_with_options(
        this: &DatabaseWithOptions,
        store: &str,
        mode: &str,
        options: &Object,
    ) -> Result<IdbTransaction, JsValue>;
}

fn from_dom(d: &DomException) -> StorageError {
    let name = d.name();
    // Code 22 covers browsers that name the quota error differently.
    if name == "QuotaExceededError" || d.code() == 22 {
        return StorageError::QuotaExceeded;
    }
    // Thrown where the origin may not have storage at all (opaque origins, blocked
    // site data), which is the same situation as a missing `indexedDB`.
    if name == "SecurityError" {
        return StorageError::Unavailable;
    }
    StorageError::Failed(name)
}

fn from_js(e: JsValue) -> StorageError {
    if let Some(d) = e.dyn_ref::<DomException>() {
        return from_dom(d);
    }
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        return StorageError::Failed(err.name().into());
    }
    StorageError::Failed("unknown error".into())
}

fn request_error(req: &IdbRequest) -> StorageError {
    match req.error() {
        Ok(Some(d)) => from_dom(&d),
        // A request fails without an error of its own when its transaction was aborted.
        Ok(None) => StorageError::Failed("AbortError".into()),
        Err(e) => from_js(e),
    }
}

fn not_text() -> StorageError {
    StorageError::Failed("record is not text".into())
}

fn is_blocked(outcome: &JsValue) -> bool {
    outcome
        .dyn_ref::<Event>()
        .is_some_and(|e| e.type_() == "blocked")
}

fn factory() -> Result<IdbFactory, StorageError> {
    web_sys::window()
        .ok_or(StorageError::Unavailable)?
        .indexed_db()
        .map_err(|_| StorageError::Unavailable)?
        .ok_or(StorageError::Unavailable)
}

// The handlers are the promise's own resolve/reject, so no Rust closure can be called
// after it was dropped. They must be attached in the same turn that issued the request:
// IndexedDB events are queued as tasks, never fired synchronously.
fn settled(req: &IdbRequest) -> JsFuture {
    JsFuture::from(Promise::new(&mut |resolve, reject| {
        req.set_onsuccess(Some(&resolve));
        req.set_onerror(Some(&reject));
    }))
}

async fn result(req: &IdbRequest, done: JsFuture) -> Result<JsValue, StorageError> {
    match done.await {
        Ok(_) => req.result().map_err(from_js),
        Err(_) => Err(request_error(req)),
    }
}

/// The `(id, value)` pairs of a keys request and a values request over one range.
async fn pairs(
    keys_req: &IdbRequest,
    values_req: &IdbRequest,
) -> Result<Vec<(String, String)>, StorageError> {
    let keys_done = settled(keys_req);
    let values_done = settled(values_req);
    let keys = js_sys::Array::from(&result(keys_req, keys_done).await?);
    let values = js_sys::Array::from(&result(values_req, values_done).await?);
    keys.iter()
        .zip(values.iter())
        .map(|(k, v)| {
            Ok((
                k.as_string().ok_or_else(not_text)?,
                v.as_string().ok_or_else(not_text)?,
            ))
        })
        .collect()
}

/// A `get` request's result: no record, or its text.
fn record(value: JsValue) -> Result<Option<String>, StorageError> {
    if value.is_undefined() {
        return Ok(None);
    }
    value.as_string().map(Some).ok_or_else(not_text)
}

/// Resolves on `complete`, which is when the data is committed; a request's `success`
/// only means it was applied inside a transaction that can still abort.
async fn committed(tx: &IdbTransaction) -> Result<(), StorageError> {
    let done = JsFuture::from(Promise::new(&mut |resolve, reject| {
        tx.set_oncomplete(Some(&resolve));
        // A failed request aborts its transaction (its error event is not cancelled),
        // so `abort` covers request errors, quota at commit time and explicit aborts.
        tx.set_onabort(Some(&reject));
    }));
    match done.await {
        Ok(_) => Ok(()),
        Err(_) => Err(tx.error().map_or_else(
            || StorageError::Failed("AbortError".into()),
            |d| from_dom(&d),
        )),
    }
}

/// Opens (creating on first use) the database in this page's origin.
pub async fn open() -> Result<Db, StorageError> {
    open_in(&factory()?).await
}

/// [`open`] on a given factory, e.g. a storage bucket's `indexedDB`.
pub async fn open_in(factory: &IdbFactory) -> Result<Db, StorageError> {
    let req = factory.open_with_u32(DB_NAME, VERSION).map_err(from_js)?;
    let for_upgrade = req.clone();
    let upgrade = Closure::<dyn FnMut(Event)>::new(move |_: Event| create_stores(&for_upgrade));
    req.set_onupgradeneeded(Some(upgrade.as_ref().unchecked_ref()));
    let outcome = JsFuture::from(Promise::new(&mut |resolve, reject| {
        req.set_onsuccess(Some(&resolve));
        req.set_onerror(Some(&reject));
        req.set_onblocked(Some(&reject));
    }))
    .await;
    req.set_onerror(None);
    req.set_onblocked(None);
    match outcome {
        Ok(_) => {
            req.set_onsuccess(None);
            req.set_onupgradeneeded(None);
            drop(upgrade);
            let db = req
                .result()
                .map_err(from_js)?
                .dyn_into::<IdbDatabase>()
                .map_err(from_js)?;
            Ok(Db::new(db))
        }
        Err(e) if is_blocked(&e) => {
            // The open stays queued until the other tab closes. Let it finish the
            // upgrade properly if it gets that far, then close the connection nobody
            // holds, so it cannot block the next attempt. Both closures live until then.
            upgrade.forget();
            let late = req.clone();
            let close_late = Closure::once_into_js(move |_: Event| {
                let db = late.result().and_then(|r| r.dyn_into::<IdbDatabase>());
                if let Ok(db) = db {
                    db.close();
                }
            });
            req.set_onsuccess(Some(close_late.unchecked_ref()));
            Err(StorageError::Failed(BLOCKED.into()))
        }
        Err(_) => {
            req.set_onsuccess(None);
            req.set_onupgradeneeded(None);
            Err(request_error(&req))
        }
    }
}

fn create_stores(req: &IdbOpenDbRequest) {
    let created = req
        .result()
        .and_then(|r| r.dyn_into::<IdbDatabase>())
        .and_then(|db| {
            let names = db.object_store_names();
            for store in STORES {
                if !names.contains(store) {
                    db.create_object_store(store)?;
                }
            }
            Ok(())
        });
    if created.is_err() {
        // Aborting fails the open with AbortError; committing would leave a version-1
        // database without its stores, which no later open would repair.
        if let Some(tx) = req.transaction() {
            let _ = tx.abort();
        }
    }
}

/// A connection to the database. Dropping it closes the connection.
///
/// When another tab (or [`delete_database`]) needs a new version or the deletion, this
/// connection closes itself so that it does not block them; later calls on it then fail
/// with `Failed("InvalidStateError")`, and the caller should [`open`] again.
pub struct Db {
    db: IdbDatabase,
    _on_versionchange: Closure<dyn FnMut(Event)>,
}

impl Db {
    fn new(db: IdbDatabase) -> Self {
        let handle = db.clone();
        let on_versionchange = Closure::<dyn FnMut(Event)>::new(move |_: Event| handle.close());
        db.set_onversionchange(Some(on_versionchange.as_ref().unchecked_ref()));
        Db {
            db,
            _on_versionchange: on_versionchange,
        }
    }

    fn read(&self, store: &str) -> Result<IdbObjectStore, StorageError> {
        self.db
            .transaction_with_str(store)
            .and_then(|tx| tx.object_store(store))
            .map_err(from_js)
    }

    fn readwrite(&self, store: &str) -> Result<IdbTransaction, StorageError> {
        let options = Object::new();
        // "strict" asks the browser to flush to disk before `complete`, so a resolved
        // write survives a crash; some browsers default to "relaxed".
        Reflect::set(&options, &"durability".into(), &"strict".into()).map_err(from_js)?;
        self.db
            .unchecked_ref::<DatabaseWithOptions>()
            .transaction_with_options(store, "readwrite", &options)
            .map_err(from_js)
    }

    async fn write(
        &self,
        store: &str,
        op: impl FnOnce(&IdbObjectStore) -> Result<IdbRequest, JsValue>,
    ) -> Result<(), StorageError> {
        let tx = self.readwrite(store)?;
        let issued = tx.object_store(store).and_then(|os| op(&os));
        if let Err(e) = issued {
            // A transaction with no request would commit as if the write had succeeded.
            let _ = tx.abort();
            return Err(from_js(e));
        }
        committed(&tx).await
    }

    /// Stores `value` under `id`, replacing any previous record. When this returns
    /// `Ok` the record is committed; on `Err` the previous record is unchanged.
    pub async fn put(&self, store: &str, id: &str, value: &str) -> Result<(), StorageError> {
        self.write(store, |os| {
            os.put_with_key(&JsValue::from_str(value), &JsValue::from_str(id))
        })
        .await
    }

    /// Reads the record under `id` and stores what `decide` makes of it (nothing when it
    /// gives `None`), in one transaction: no other tab or connection writes the record
    /// in between. `decide` runs synchronously, while the transaction is still open.
    /// When this returns `Ok` the write is committed; on `Err` nothing was written.
    pub async fn update(
        &self,
        store: &str,
        id: &str,
        decide: impl FnOnce(Option<String>) -> Option<String>,
    ) -> Result<(), StorageError> {
        let tx = self.readwrite(store)?;
        let os = tx.object_store(store).map_err(from_js)?;
        let key = JsValue::from_str(id);
        let req = os.get(&key).map_err(from_js)?;
        // Resumed from the request's success event (promise jobs run before the event's
        // dispatch ends), so the transaction is still active for the put.
        let stored = record(result(&req, settled(&req)).await?)?;
        if let Some(text) = decide(stored)
            && let Err(e) = os.put_with_key(&JsValue::from_str(&text), &key)
        {
            let _ = tx.abort();
            return Err(from_js(e));
        }
        committed(&tx).await
    }

    pub async fn get(&self, store: &str, id: &str) -> Result<Option<String>, StorageError> {
        let req = self
            .read(store)?
            .get(&JsValue::from_str(id))
            .map_err(from_js)?;
        record(result(&req, settled(&req)).await?)
    }

    /// Deleting a missing id is not an error.
    pub async fn delete(&self, store: &str, id: &str) -> Result<(), StorageError> {
        self.write(store, |os| os.delete(&JsValue::from_str(id)))
            .await
    }

    /// Up to `count` records after the id `after` (from the first when `None`), as
    /// `(id, value)` in IndexedDB key order (UTF-16 code units). Keys and values come
    /// from one transaction, so they line up even if another tab writes meanwhile; each
    /// page is its own snapshot. A large store read a page at a time never holds the
    /// main thread for long: one `getAll` of 500 long conversations (about 20 MB) took
    /// 80 to 120 ms to deliver and convert.
    pub async fn get_page(
        &self,
        store: &str,
        after: Option<&str>,
        count: u32,
    ) -> Result<Vec<(String, String)>, StorageError> {
        let os = self.read(store)?;
        let range: JsValue = match after {
            Some(id) => IdbKeyRange::lower_bound_with_open(&JsValue::from_str(id), true)
                .map_err(from_js)?
                .into(),
            None => JsValue::UNDEFINED,
        };
        let keys_req = os
            .get_all_keys_with_key_and_limit(&range, count)
            .map_err(from_js)?;
        let values_req = os
            .get_all_with_key_and_limit(&range, count)
            .map_err(from_js)?;
        pairs(&keys_req, &values_req).await
    }

    pub async fn clear(&self, store: &str) -> Result<(), StorageError> {
        self.write(store, IdbObjectStore::clear).await
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        // Unset first: the browser must not call the closure after it is freed.
        self.db.set_onversionchange(None);
        self.db.close();
    }
}

/// Deletes the whole database ("forget this browser's vault"). Open [`Db`] handles in
/// this and other tabs close themselves; if a tab still holds on (an old build, a frozen
/// page), this returns `Failed(BLOCKED)` and the browser deletes the database as soon
/// as that tab lets go.
pub async fn delete_database() -> Result<(), StorageError> {
    let req = factory()?.delete_database(DB_NAME).map_err(from_js)?;
    let outcome = JsFuture::from(Promise::new(&mut |resolve, reject| {
        req.set_onsuccess(Some(&resolve));
        req.set_onerror(Some(&reject));
        req.set_onblocked(Some(&reject));
    }))
    .await;
    match outcome {
        Ok(_) => Ok(()),
        Err(e) if is_blocked(&e) => Err(StorageError::Failed(BLOCKED.into())),
        Err(_) => Err(request_error(&req)),
    }
}
