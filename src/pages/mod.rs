//! One module a route.

pub mod chat;
pub mod direct;
pub mod keys;
pub mod not_found;
pub mod settings;
pub mod transfer;
pub mod usage;
