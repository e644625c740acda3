//! Reusable pieces of the views, one component a file.

pub mod chat;
pub mod field_error;
pub mod header;
pub mod key_form;
pub mod key_item;
pub mod markdown;
pub mod passphrase_field;
pub mod toasts;
pub mod vault_gate;
