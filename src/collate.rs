//! Labels in the order the person's language puts them, by the browser's
//! `Intl.Collator`: accents beside their letter ("Émile" by "Emma"), case ignored, and
//! numbers by value ("Key 2" before "Key 10").

use std::cmp::Ordering;
use std::collections::HashMap;

use byok_core::model::{KeyEntry, KeyOrder, Provider, Vault};
use wasm_bindgen::{JsCast, JsValue};

/// A provider's keys in `order`, as the Keys page and the chat's key picker list them:
/// labels in the order of the person's language.
pub fn keys_in_order(v: &Vault, provider: Provider, order: KeyOrder) -> Vec<&KeyEntry> {
    match order {
        KeyOrder::Name => {
            let cmp = label_order(v.keys_for(provider).map(|k| k.label.as_str()));
            v.keys_in_order_by(provider, order, cmp)
        }
        _ => v.keys_in_order(provider, order),
    }
}

/// A comparison of the given labels: they are sorted once, by the browser in one call,
/// and compared by their place. A label not among them sorts last; should the browser
/// refuse, labels compare ignoring case.
fn label_order<'a>(labels: impl Iterator<Item = &'a str>) -> impl Fn(&str, &str) -> Ordering {
    let mut unique: Vec<&str> = labels.collect();
    unique.sort_unstable();
    unique.dedup();
    let rank: Option<HashMap<String, usize>> =
        sorted(&unique).map(|order| order.into_iter().enumerate().map(|(i, l)| (l, i)).collect());
    move |a: &str, b: &str| match &rank {
        Some(r) => {
            let at = |l: &str| r.get(l).copied().unwrap_or(usize::MAX);
            at(a).cmp(&at(b))
        }
        None => a.to_lowercase().cmp(&b.to_lowercase()),
    }
}

fn sorted(labels: &[&str]) -> Option<Vec<String>> {
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"numeric".into(), &JsValue::TRUE).ok()?;
    js_sys::Reflect::set(&options, &"sensitivity".into(), &"base".into()).ok()?;
    let collator = js_sys::Intl::Collator::new(&js_sys::Array::new(), &options);
    let array: js_sys::Array = labels.iter().map(|l| JsValue::from_str(l)).collect();
    let sort: js_sys::Function = js_sys::Reflect::get(&array, &"sort".into())
        .ok()?
        .dyn_into()
        .ok()?;
    sort.call1(&array, &collator.compare()).ok()?;
    array.iter().map(|v| v.as_string()).collect()
}
