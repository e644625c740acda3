//! The vault session's asynchronous save (sealed by WebCrypto), in real Chromium
//! localStorage: a save that lands meanwhile is never lost.
#![cfg(target_arch = "wasm32")]

use byok_app::error::AppError;
use byok_app::state::session::Session;
use byok_app::storage;
use leptos::prelude::WithUntracked;
use uuid::Uuid;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const PASS: &str = "orbit velvet canyon lamp 7";

async fn fresh_session() -> Session {
    web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .expect("localStorage")
        .clear()
        .expect("clear");
    let s = Session::new();
    s.create(PASS).await.expect("create");
    s
}

fn budget(s: &Session, n: u128) -> Option<f64> {
    s.vault.with_untracked(|v| {
        v.as_ref()
            .and_then(|v| v.budgets.get(&Uuid::from_u128(n)).copied())
    })
}

#[wasm_bindgen_test]
async fn an_async_save_is_stored_and_opens_after_a_lock() {
    let s = fresh_session().await;
    let rev_before = storage::read_vault().ok().flatten().expect("stored");
    s.mutate_async(|v| {
        v.budgets.insert(Uuid::from_u128(1), 10.0);
        Ok::<_, AppError>(())
    })
    .await
    .expect("save");
    assert_eq!(budget(&s, 1), Some(10.0));
    let stored = storage::read_vault().ok().flatten().expect("stored");
    assert_ne!(stored, rev_before);
    assert_eq!(storage::read_prev().ok().flatten(), Some(rev_before));
    s.lock();
    s.unlock(PASS).await.expect("unlock");
    assert_eq!(budget(&s, 1), Some(10.0));
}

#[wasm_bindgen_test]
async fn a_save_landing_while_the_browser_seals_is_kept() {
    let s = fresh_session().await;
    let slow = s.mutate_async(|v| {
        v.budgets.insert(Uuid::from_u128(1), 1.0);
        Ok::<_, AppError>(())
    });
    // Polled after `slow` reached its first await (the encryption): this save lands
    // in between, as a click or another tab's save would.
    let meanwhile = async {
        s.mutate(|v| {
            v.budgets.insert(Uuid::from_u128(2), 2.0);
            Ok::<_, AppError>(())
        })
    };
    let (a, b) = futures::join!(slow, meanwhile);
    a.expect("async save");
    b.expect("sync save");
    assert_eq!((budget(&s, 1), budget(&s, 2)), (Some(1.0), Some(2.0)));
    s.lock();
    s.unlock(PASS).await.expect("unlock");
    assert_eq!((budget(&s, 1), budget(&s, 2)), (Some(1.0), Some(2.0)));
}

#[wasm_bindgen_test]
async fn a_refused_change_saves_nothing() {
    let s = fresh_session().await;
    let before = storage::read_vault().ok().flatten();
    let r = s
        .mutate_async(|_| Err::<(), _>(AppError::Invalid("no".into())))
        .await;
    assert!(r.is_err());
    assert_eq!(storage::read_vault().ok().flatten(), before);
}
