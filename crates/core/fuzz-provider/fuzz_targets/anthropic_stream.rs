//! The Anthropic stream parser on arbitrary bytes (first byte steers the chunking).
#![no_main]

mod common;

use byok_core::model::Provider;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| common::check(Provider::Anthropic, data));
