// byok-core as the app uses it (vault, bundle, conversations, provider requests,
// streams and errors, usage, key formats), reachable from JS with no UI: the floor under
// any front end that keeps this core in wasm.
use byok_core::crypto::AeadKey;
use byok_core::model::Provider;
use byok_core::provider::StreamParser;
use byok_core::provider::{ChatMessage, ChatParams, chat_request};
use byok_core::{Secret, bundle, conversation, keyfmt, passphrase, usage, vault};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
pub fn vault_open(text: &str, key: &[u8]) -> String {
    let Ok(k) = <[u8; 32]>::try_from(key) else {
        return String::new();
    };
    let k = AeadKey::from_bytes(k);
    match vault::parse(text).and_then(|r| {
        let dk = r.unwrap_key(&k)?;
        let v = r.decrypt(&dk)?;
        Ok(r.with_contents(&dk, &v).map(|x| x.to_json()))
    }) {
        Ok(Ok(t)) => t,
        Ok(Err(e)) => e.to_string(),
        Err(e) => e.to_string(),
    }
}

#[wasm_bindgen]
pub fn bundle_roundtrip(bytes: &[u8], pass: &str) -> String {
    match bundle::parse(bytes)
        .and_then(|b| b.open(pass))
        .and_then(|p| bundle::seal(&p, pass, 600_000))
    {
        Ok(t) => t,
        Err(e) => e.user_message(),
    }
}

#[wasm_bindgen]
pub fn stream(provider: u8, bytes: &[u8]) -> usize {
    let p = Provider::ALL[provider as usize % 4];
    let mut s = StreamParser::new(p);
    s.push(bytes).len() + s.finish().len()
}

#[wasm_bindgen]
pub fn request(provider: u8, secret: &str, text: &str) -> String {
    let p = Provider::ALL[provider as usize % 4];
    let params = ChatParams {
        model: "m".into(),
        messages: vec![ChatMessage {
            role: byok_core::provider::Role::User,
            content: text.into(),
        }],
        ..Default::default()
    };
    let r = chat_request(p, "https://x", &Secret::new(secret.to_string()), &params);
    format!("{} {:?}", r.url, r.body)
}

#[wasm_bindgen]
pub fn classify(provider: u8, status: u16, body: &str) -> String {
    byok_core::provider::classify(Provider::ALL[provider as usize % 4], status, body, None).message
}

#[wasm_bindgen]
pub fn misc(secret: &str) -> String {
    let g = keyfmt::guess(secret);
    let w = keyfmt::check(secret, None);
    format!(
        "{} {} {} {}",
        keyfmt::mask(secret),
        w.len(),
        passphrase::assess(secret).label(),
        conversation::title_from(secret)
    ) + &format!("{:?}", g.provider.is_some())
}

#[wasm_bindgen]
pub fn conv(text: &str, key: &[u8]) -> String {
    let Ok(k) = <[u8; 32]>::try_from(key) else {
        return String::new();
    };
    let k = AeadKey::from_bytes(k);
    match conversation::open(text, uuid::Uuid::nil(), &k).and_then(|c| conversation::seal(&c, &k)) {
        Ok(t) => t,
        Err(e) => e.to_string(),
    }
}

#[wasm_bindgen]
pub fn report(text: &str, key: &[u8], y: i32) -> String {
    let Ok(k) = <[u8; 32]>::try_from(key) else {
        return String::new();
    };
    let k = AeadKey::from_bytes(k);
    let Ok(v) = vault::parse(text).and_then(|r| {
        let dk = r.unwrap_key(&k)?;
        r.decrypt(&dk)
    }) else {
        return String::new();
    };
    let shipped = usage::shipped_prices();
    let prices = usage::Prices {
        custom: &v.prices,
        shipped: &shipped,
    };
    let today = time::Date::from_calendar_date(y, time::Month::May, 1).unwrap_or(time::Date::MIN);
    let r = usage::report(&v, &prices, today, usage::Range::Days(30));
    usage::csv(&v, &r)
}
