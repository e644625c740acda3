//! The IndexedDB wrapper against real Chromium IndexedDB.
#![cfg(target_arch = "wasm32")]

use byok_app::idb::{self, CONVERSATIONS, USAGE};
use byok_app::storage::StorageError;
use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Tests run one at a time in one page and share the database: each starts empty.
async fn fresh() -> idb::Db {
    let db = idb::open().await.expect("open");
    db.clear(CONVERSATIONS).await.expect("clear conversations");
    db.clear(USAGE).await.expect("clear usage");
    db
}

/// Every record of `store`, in one page.
async fn all(db: &idb::Db, store: &str) -> Result<Vec<(String, String)>, StorageError> {
    db.get_page(store, None, u32::MAX).await
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[wasm_bindgen_test]
async fn pages_cover_every_record_once_in_order() {
    let db = fresh().await;
    assert_eq!(db.get_page(CONVERSATIONS, None, 2).await, Ok(vec![]));
    for id in ["d", "a", "c", "b", "e"] {
        db.put(CONVERSATIONS, id, &format!("value {id}"))
            .await
            .expect("put");
    }
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = db
            .get_page(CONVERSATIONS, after.as_deref(), 2)
            .await
            .expect("page");
        assert!(page.len() <= 2);
        let Some((last, _)) = page.last() else { break };
        after = Some(last.clone());
        seen.extend(page);
    }
    assert_eq!(seen, all(&db, CONVERSATIONS).await.expect("all"));
    assert_eq!(seen.len(), 5);
    // After an id that is not stored, the page starts at the next one.
    assert_eq!(
        db.get_page(CONVERSATIONS, Some("bb"), 10).await,
        Ok(pairs(&[
            ("c", "value c"),
            ("d", "value d"),
            ("e", "value e")
        ]))
    );
}

#[wasm_bindgen_test]
async fn put_get_overwrite_delete_list_all() {
    let db = fresh().await;
    assert_eq!(db.get(CONVERSATIONS, "missing").await, Ok(None));
    assert_eq!(all(&db, CONVERSATIONS).await, Ok(vec![]));

    db.put(CONVERSATIONS, "b", "second").await.expect("put b");
    db.put(CONVERSATIONS, "a", "first").await.expect("put a");
    assert_eq!(db.get(CONVERSATIONS, "a").await, Ok(Some("first".into())));

    db.put(CONVERSATIONS, "a", "first, edited")
        .await
        .expect("overwrite a");
    assert_eq!(
        db.get(CONVERSATIONS, "a").await,
        Ok(Some("first, edited".into()))
    );
    // In id order, whatever the order of writes.
    assert_eq!(
        all(&db, CONVERSATIONS).await,
        Ok(pairs(&[("a", "first, edited"), ("b", "second")]))
    );

    db.delete(CONVERSATIONS, "a").await.expect("delete a");
    assert_eq!(db.get(CONVERSATIONS, "a").await, Ok(None));
    db.delete(CONVERSATIONS, "a")
        .await
        .expect("deleting a missing id is fine");
    assert_eq!(all(&db, CONVERSATIONS).await, Ok(pairs(&[("b", "second")])));

    // Empty strings and non-ASCII survive as they are.
    db.put(CONVERSATIONS, "", "").await.expect("put empty");
    db.put(CONVERSATIONS, "é✓", "ünï😀").await.expect("put utf");
    assert_eq!(db.get(CONVERSATIONS, "").await, Ok(Some(String::new())));
    assert_eq!(db.get(CONVERSATIONS, "é✓").await, Ok(Some("ünï😀".into())));
}

#[wasm_bindgen_test]
async fn updates_read_and_write_in_one_step() {
    let db = fresh().await;
    let append = |tag: &'static str| {
        move |stored: Option<String>| Some(format!("{}{tag}", stored.unwrap_or_default()))
    };
    // Started together: each reads what the one before wrote, so none is lost (a get
    // and a put of their own would both read the empty record).
    let (a, b, c) = futures::join!(
        db.update(CONVERSATIONS, "log", append("a")),
        db.update(CONVERSATIONS, "log", append("b")),
        db.update(CONVERSATIONS, "log", append("c")),
    );
    assert_eq!((a, b, c), (Ok(()), Ok(()), Ok(())));
    assert_eq!(db.get(CONVERSATIONS, "log").await, Ok(Some("abc".into())));
    // Deciding to write nothing leaves the record as it is.
    assert_eq!(db.update(CONVERSATIONS, "log", |_| None).await, Ok(()));
    assert_eq!(db.get(CONVERSATIONS, "log").await, Ok(Some("abc".into())));
}

#[wasm_bindgen_test]
async fn stores_are_separate_and_clear_empties_one() {
    let db = fresh().await;
    db.put(CONVERSATIONS, "x", "conversation")
        .await
        .expect("put");
    db.put(USAGE, "x", "usage").await.expect("put");
    db.put(CONVERSATIONS, "y", "conversation 2")
        .await
        .expect("put");
    assert_eq!(
        db.get(USAGE, "x").await,
        Ok(Some("usage".into())),
        "same id in another store is another record"
    );

    db.clear(CONVERSATIONS).await.expect("clear");
    assert_eq!(all(&db, CONVERSATIONS).await, Ok(vec![]));
    assert_eq!(all(&db, USAGE).await, Ok(pairs(&[("x", "usage")])));
}

#[wasm_bindgen_test]
async fn records_larger_than_local_storage_quota() {
    let db = fresh().await;
    // localStorage holds ~5 MB of UTF-16 in Chromium; this alone would not fit.
    let big = "z".repeat(6 * 1024 * 1024);
    db.put(CONVERSATIONS, "big", &big).await.expect("put big");
    assert_eq!(db.get(CONVERSATIONS, "big").await, Ok(Some(big)));
    db.clear(CONVERSATIONS).await.expect("clear");
}

#[wasm_bindgen_test]
async fn unknown_store_is_an_error_not_a_panic() {
    let db = fresh().await;
    let not_found = Err(StorageError::Failed("NotFoundError".into()));
    assert_eq!(db.put("nope", "a", "b").await, not_found);
    assert_eq!(
        db.get("nope", "a").await,
        Err(StorageError::Failed("NotFoundError".into()))
    );
    assert_eq!(
        all(&db, "nope").await,
        Err(StorageError::Failed("NotFoundError".into()))
    );
}

#[wasm_bindgen_test]
async fn two_handles_see_each_others_writes() {
    let one = fresh().await;
    let two = idb::open().await.expect("second open");
    one.put(CONVERSATIONS, "shared", "from one")
        .await
        .expect("put");
    assert_eq!(
        two.get(CONVERSATIONS, "shared").await,
        Ok(Some("from one".into()))
    );
    two.put(CONVERSATIONS, "shared", "from two")
        .await
        .expect("put");
    assert_eq!(
        one.get(CONVERSATIONS, "shared").await,
        Ok(Some("from two".into()))
    );
    two.delete(CONVERSATIONS, "shared").await.expect("delete");
    assert_eq!(one.get(CONVERSATIONS, "shared").await, Ok(None));
    drop(two);
    // Closing one handle leaves the other working.
    one.put(CONVERSATIONS, "after", "drop")
        .await
        .expect("put after drop");
}

#[wasm_bindgen_test]
async fn delete_database_then_open_is_empty() {
    let held = fresh().await;
    held.put(CONVERSATIONS, "c1", "secret").await.expect("put");
    held.put(USAGE, "2025-01", "usage").await.expect("put");

    // `held` is still open: it must close itself instead of blocking the deletion.
    assert_eq!(idb::delete_database().await, Ok(()));
    assert_eq!(
        held.get(CONVERSATIONS, "c1").await,
        Err(StorageError::Failed("InvalidStateError".into())),
        "a handle closed by the deletion reports an error"
    );
    assert_eq!(
        held.put(CONVERSATIONS, "c1", "again").await,
        Err(StorageError::Failed("InvalidStateError".into()))
    );

    let db = idb::open().await.expect("reopen");
    assert_eq!(all(&db, CONVERSATIONS).await, Ok(vec![]));
    assert_eq!(all(&db, USAGE).await, Ok(vec![]));
    db.put(CONVERSATIONS, "c2", "new")
        .await
        .expect("usable again");
    assert_eq!(db.get(CONVERSATIONS, "c2").await, Ok(Some("new".into())));
}

/// A storage bucket with a tiny quota (Storage Buckets API, Chromium 122+): a real
/// QuotaExceededError from IndexedDB without filling the disk.
async fn bucket_with_quota(name: &str, quota_bytes: f64) -> web_sys::IdbFactory {
    let navigator = web_sys::window().expect("window").navigator();
    let buckets = Reflect::get(&navigator, &"storageBuckets".into()).expect("get");
    assert!(
        !buckets.is_undefined(),
        "this browser has no navigator.storageBuckets"
    );
    let call = |method: &str, args: &[JsValue]| -> JsFuture {
        let f: Function = Reflect::get(&buckets, &method.into())
            .expect("get")
            .dyn_into()
            .expect("function");
        let p = f.apply(&buckets, &args.iter().collect()).expect("call");
        JsFuture::from(p.dyn_into::<Promise>().expect("promise"))
    };
    call("delete", &[name.into()]).await.expect("delete bucket");
    let options = Object::new();
    Reflect::set(&options, &"quota".into(), &quota_bytes.into()).expect("set");
    let bucket = call("open", &[name.into(), options.into()])
        .await
        .expect("open bucket");
    Reflect::get(&bucket, &"indexedDB".into())
        .expect("get")
        .dyn_into()
        .expect("IDBFactory")
}

/// Pseudo-random printable text (xorshift), `len` bytes.
fn noise(len: usize) -> String {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'!' + (x % 94) as u8)
        })
        .collect()
}

#[wasm_bindgen_test]
async fn failed_write_keeps_the_previous_record() {
    let factory = bucket_with_quota("byok-idb-quota-test", 256.0 * 1024.0).await;
    let db = idb::open_in(&factory).await.expect("open in bucket");
    db.put(CONVERSATIONS, "c", "old")
        .await
        .expect("small put fits");

    // Incompressible, since Chromium compresses large IndexedDB values.
    let too_big = noise(2 * 1024 * 1024);
    assert_eq!(
        db.put(CONVERSATIONS, "c", &too_big).await,
        Err(StorageError::QuotaExceeded)
    );
    assert_eq!(db.get(CONVERSATIONS, "c").await, Ok(Some("old".into())));
    assert_eq!(all(&db, CONVERSATIONS).await, Ok(pairs(&[("c", "old")])));

    // A failed write does not poison the connection.
    db.put(CONVERSATIONS, "c", "new")
        .await
        .expect("small put after failure");
    assert_eq!(db.get(CONVERSATIONS, "c").await, Ok(Some("new".into())));
}

/// A connection that, like a tab running some other code, ignores `versionchange`.
async fn stubborn_connection() -> web_sys::IdbDatabase {
    let factory = web_sys::window()
        .expect("window")
        .indexed_db()
        .expect("indexedDB")
        .expect("indexedDB");
    let req = factory.open(idb::DB_NAME).expect("open");
    JsFuture::from(Promise::new(&mut |resolve, reject| {
        req.set_onsuccess(Some(&resolve));
        req.set_onerror(Some(&reject));
    }))
    .await
    .expect("raw open");
    req.result()
        .expect("result")
        .dyn_into()
        .expect("IDBDatabase")
}

#[wasm_bindgen_test]
async fn delete_database_blocked_by_another_connection() {
    let db = fresh().await;
    db.put(CONVERSATIONS, "c", "secret").await.expect("put");
    drop(db);
    let stubborn = stubborn_connection().await;

    assert_eq!(
        idb::delete_database().await,
        Err(StorageError::Failed(idb::BLOCKED.into()))
    );
    // The deletion stays queued and happens once the other connection lets go; an
    // open meanwhile waits for it rather than seeing the old data.
    stubborn.close();
    let db = idb::open().await.expect("open after the blocker closed");
    assert_eq!(all(&db, CONVERSATIONS).await, Ok(vec![]));
}
