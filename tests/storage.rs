//! The storage module's error paths, in real Chromium localStorage.
#![cfg(target_arch = "wasm32")]

use byok_app::storage::{self, StorageError};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn ls() -> web_sys::Storage {
    web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .expect("localStorage in the test page")
}

fn reset() {
    ls().clear().expect("clear");
}

/// Fill the origin's quota with filler until nothing more fits.
fn fill_quota() {
    let s = ls();
    let mut chunk = "x".repeat(512 * 1024);
    let mut i = 0;
    while chunk.len() >= 16 {
        if s.set_item(&format!("filler.{i}"), &chunk).is_err() {
            chunk.truncate(chunk.len() / 2);
        }
        i += 1;
    }
}

#[wasm_bindgen_test]
fn a_save_keeps_the_replaced_record_as_previous_copy() {
    reset();
    storage::write_vault("first", None).expect("first save");
    storage::write_vault("second", Some("first")).expect("second save");
    assert_eq!(
        storage::read_vault().expect("read").as_deref(),
        Some("second")
    );
    assert_eq!(
        storage::read_prev().expect("read").as_deref(),
        Some("first")
    );
}

#[wasm_bindgen_test]
fn a_full_quota_is_reported_and_the_current_record_survives() {
    reset();
    storage::write_vault("good record", None).expect("save");
    fill_quota();
    let big = "y".repeat(256 * 1024);
    let err = storage::write_vault(&big, Some("good record")).expect_err("no room");
    assert_eq!(err, StorageError::QuotaExceeded);
    assert!(err.to_string().contains("full"));
    assert_eq!(
        storage::read_vault().expect("read").as_deref(),
        Some("good record")
    );
    reset();
}

#[wasm_bindgen_test]
fn restoring_the_previous_copy_sets_the_damaged_one_aside() {
    reset();
    storage::write_vault("older", None).expect("save");
    storage::write_vault("damaged", Some("older")).expect("save");
    storage::restore_previous("damaged", "older").expect("restore");
    assert_eq!(
        storage::read_vault().expect("read").as_deref(),
        Some("older")
    );
    assert_eq!(
        storage::get(storage::DAMAGED_KEY).expect("read").as_deref(),
        Some("damaged")
    );
}

#[wasm_bindgen_test]
fn wipe_removes_only_byok_entries() {
    reset();
    storage::write_vault("v", None).expect("save");
    storage::set(storage::SETTINGS_KEY, "{}").expect("save");
    ls().set_item("other.app", "keep me").expect("set");
    storage::wipe().expect("wipe");
    assert_eq!(storage::read_vault().expect("read"), None);
    assert_eq!(storage::get(storage::SETTINGS_KEY).expect("read"), None);
    assert_eq!(
        ls().get_item("other.app").expect("get").as_deref(),
        Some("keep me")
    );
}

#[wasm_bindgen_test]
fn unreadable_settings_fall_back_to_safe_defaults() {
    reset();
    storage::set(storage::SETTINGS_KEY, "{not json").expect("set");
    let s = storage::read_settings();
    assert_eq!(s, storage::Settings::default());
    assert_eq!(s.auto_lock_minutes, 15.0);
}

#[wasm_bindgen_test]
fn a_failed_settings_write_is_an_error_not_silence() {
    reset();
    fill_quota();
    let s = storage::Settings {
        auto_lock_minutes: 5.0,
        lock_when_hidden: true,
        ..Default::default()
    };
    // Settings are tiny; make sure even they cannot fit.
    let mut err = None;
    for i in 0..64 {
        let _ = ls().set_item(&format!("tiny.{i}"), "z");
        if let Err(e) = storage::write_settings(&s) {
            err = Some(e);
            break;
        }
        ls().remove_item(storage::SETTINGS_KEY).expect("remove");
    }
    reset();
    assert_eq!(err, Some(StorageError::QuotaExceeded));
}
