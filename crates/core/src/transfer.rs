//! Moving keys in and out of a vault through bundles: choosing what to export, and
//! planning an import so the person sees exactly what would change before anything is
//! written (new keys, keys already present, label clashes, default conflicts).

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use time::OffsetDateTime;
use uuid::Uuid;

use crate::bundle::{BundleKey, BundlePayload, SCHEMA};
use crate::model::{KeyEntry, ModelError, Provider, Vault, new_id, normalize_base_url};

/// Which keys go into an export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    All,
    Provider(Provider),
    Keys(Vec<Uuid>),
}

pub fn export_payload(vault: &Vault, selection: &Selection, now: OffsetDateTime) -> BundlePayload {
    let keys = vault
        .keys
        .iter()
        .filter(|k| match selection {
            Selection::All => true,
            Selection::Provider(p) => k.provider == *p,
            Selection::Keys(ids) => ids.contains(&k.id),
        })
        .map(BundleKey::from_key_entry)
        .collect();
    BundlePayload {
        schema: SCHEMA,
        exported_at: now,
        keys,
    }
}

/// What importing one bundle key would do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemStatus {
    /// Not in the vault: will be added.
    New,
    /// The same secret is already saved (under `existing_label`): skipped.
    AlreadyPresent { existing_label: String },
    /// The same secret is already saved, and the bundle says something else about it
    /// (edited on another device, say). Kept as it is unless the person chooses to take
    /// the bundle's `changes`.
    Changed {
        existing_id: Uuid,
        existing_label: String,
        changes: Vec<KeyChange>,
    },
    /// Another key of the same provider already has this label. The person chooses:
    /// import under `suggested_label`, or replace the existing key's secret and settings.
    LabelClash {
        existing_id: Uuid,
        suggested_label: String,
    },
    /// Breaks a rule a key added by hand must follow (empty label, a base URL with
    /// credentials or a query, none for an OpenAI-compatible key): not imported.
    Refused { reason: String },
}

/// A field of a key that an import can update, for a key the vault already holds.
/// The provider is not one: a key is never sent to another service by an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyChange {
    Label,
    BaseUrl,
    Expiry,
    Active,
    Notes,
}

impl KeyChange {
    /// As in "the bundle has a different label, expiry date and notes".
    pub fn describe(self) -> &'static str {
        match self {
            KeyChange::Label => "label",
            KeyChange::BaseUrl => "base URL",
            KeyChange::Expiry => "expiry date",
            KeyChange::Active => "active or inactive setting",
            KeyChange::Notes => "notes",
        }
    }

    /// "label, expiry date and notes".
    pub fn list(changes: &[KeyChange]) -> String {
        let names: Vec<&str> = changes.iter().map(|c| c.describe()).collect();
        match names.split_last() {
            None => String::new(),
            Some((last, [])) => (*last).to_owned(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        }
    }
}

/// The notes a bundle key carries, if it carries any: a bundle without them (from the
/// CLI, or a key with none) says nothing about the notes, so it never clears them.
fn bundle_notes(key: &BundleKey) -> Option<&str> {
    key.extra
        .get("notes")
        .and_then(serde_json::Value::as_str)
        .map(str::trim)
        .filter(|n| !n.is_empty())
}

/// What the (tidied) bundle key says differently about a key the vault holds.
/// - A new label counts only when no other key of the key's provider has it
///   (`label_free`).
/// - A bundle that files the secret under another provider is not believed about the
///   label or the base URL, which belong to the provider: an update could otherwise
///   leave an OpenAI-compatible key without one, or point a key at another host.
/// - What a bundle leaves out (no expiry, no base URL, no notes: a bundle written from
///   a .env file, say) says nothing, so an update never clears them.
fn key_changes(
    existing: &KeyEntry,
    key: &BundleKey,
    label_free: impl FnOnce() -> bool,
) -> Vec<KeyChange> {
    let same_provider = existing.provider == key.provider;
    let mut changes = Vec::new();
    if same_provider && existing.label != key.label && label_free() {
        changes.push(KeyChange::Label);
    }
    if same_provider && key.base_url.is_some() && existing.base_url != key.base_url {
        changes.push(KeyChange::BaseUrl);
    }
    if key.expires_at.is_some() && existing.expires_at != key.expires_at {
        changes.push(KeyChange::Expiry);
    }
    if existing.is_active != key.is_active {
        changes.push(KeyChange::Active);
    }
    if bundle_notes(key).is_some_and(|n| n != existing.notes) {
        changes.push(KeyChange::Notes);
    }
    changes
}

#[derive(Debug, Clone)]
pub struct PlanItem {
    pub key: BundleKey,
    pub status: ItemStatus,
    /// The imported key is a default while the vault already has another default for
    /// its provider (labelled so). Never replaced silently.
    pub default_conflict: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ImportPlan {
    pub items: Vec<PlanItem>,
}

impl ImportPlan {
    pub fn new_count(&self) -> usize {
        self.items
            .iter()
            .filter(|i| {
                !matches!(
                    i.status,
                    ItemStatus::AlreadyPresent { .. }
                        | ItemStatus::Changed { .. }
                        | ItemStatus::Refused { .. }
                )
            })
            .count()
    }
}

/// Per-item decisions for clashes and default conflicts; anything not mentioned takes
/// the safe choice (import under the new label; keep the current default).
#[derive(Debug, Clone, Default)]
pub struct Choices {
    /// Indexes (into `plan.items`) of label clashes to resolve by replacing the existing key.
    pub replace: HashSet<usize>,
    /// Indexes of default conflicts where the imported key becomes the default.
    pub take_default: HashSet<usize>,
    /// Indexes of changed keys to update with what the bundle says.
    pub update: HashSet<usize>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub added: usize,
    pub replaced: usize,
    pub updated: usize,
    /// Already here (kept as it is), now or by the time of the import.
    pub skipped: usize,
    /// Refused by the checks for a key added by hand.
    pub refused: usize,
    /// Chosen for an update, but rotated or deleted in another tab before the import.
    pub stale: usize,
}

fn label_key(p: Provider, label: &str) -> (Provider, String) {
    (p, label.trim().to_lowercase())
}

/// The same checks as adding a key by hand, for a key from a bundle (the import, and
/// the CLI before it hands a key to a program); `Ok` carries the tidied base URL.
pub fn check_entry(key: &BundleKey) -> Result<Option<String>, ModelError> {
    if key.label.trim().is_empty() {
        return Err(ModelError::EmptyLabel);
    }
    if key.secret.expose().trim().is_empty() {
        return Err(ModelError::EmptySecret);
    }
    match key
        .base_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        Some(u) => normalize_base_url(u).map(Some),
        None if key.provider == Provider::OpenaiCompatible => Err(ModelError::MissingBaseUrl),
        None => Ok(None),
    }
}

/// Work out what importing `keys` into `vault` would do. Linear in the number of keys,
/// so a 10,000-key bundle plans in milliseconds.
pub fn plan_import(vault: &Vault, mut keys: Vec<BundleKey>) -> ImportPlan {
    // Tidy every key first, so that the maps below can borrow secrets and labels from
    // `keys` and the vault: copying them cost most of the time on 10,000 keys, and left
    // unwiped copies of every secret behind.
    let checked: Vec<Result<(), String>> = keys
        .iter_mut()
        .map(|key| {
            let base_url = check_entry(key).map_err(|e| e.to_string())?;
            key.base_url = base_url;
            if key.label.trim().len() != key.label.len() {
                key.label = key.label.trim().to_string();
            }
            Ok(())
        })
        .collect();
    let room = vault.keys.len() + keys.len();
    // Who holds each secret: a vault key (which the bundle may say something new
    // about) or an earlier key of the same bundle.
    enum Holder<'a> {
        Vault(&'a KeyEntry),
        Bundle(&'a str),
    }
    let mut secrets: HashMap<&str, Holder> = HashMap::with_capacity(room);
    secrets.extend(
        vault
            .keys
            .iter()
            .map(|k| (k.secret.expose().trim(), Holder::Vault(k))),
    );
    let mut labels: HashMap<(Provider, String), Uuid> = HashMap::with_capacity(room);
    labels.extend(
        vault
            .keys
            .iter()
            .map(|k| (label_key(k.provider, &k.label), k.id)),
    );
    let defaults: HashMap<Provider, &str> = vault
        .keys
        .iter()
        .filter(|k| k.is_default)
        .map(|k| (k.provider, k.label.as_str()))
        .collect();
    let mut outcomes = Vec::with_capacity(keys.len());
    for (key, checked) in keys.iter().zip(checked) {
        let secret = match checked {
            Err(reason) => {
                outcomes.push((ItemStatus::Refused { reason }, None));
                continue;
            }
            Ok(()) => key.secret.expose().trim(),
        };
        let status = match secrets.entry(secret) {
            Entry::Occupied(mut e) => match *e.get() {
                Holder::Bundle(label) => ItemStatus::AlreadyPresent {
                    existing_label: label.to_owned(),
                },
                Holder::Vault(existing) => {
                    // The same secret again later in the bundle: already dealt with.
                    e.insert(Holder::Bundle(&existing.label));
                    let changes = key_changes(existing, key, || {
                        match labels.entry(label_key(existing.provider, &key.label)) {
                            Entry::Occupied(taken) => *taken.get() == existing.id,
                            // Held, not owned: a new key of the bundle with this label
                            // is then imported under another label, and never offered
                            // "replace" of a key that does not have it.
                            Entry::Vacant(free) => {
                                free.insert(Uuid::nil());
                                true
                            }
                        }
                    });
                    if changes.is_empty() {
                        ItemStatus::AlreadyPresent {
                            existing_label: existing.label.clone(),
                        }
                    } else {
                        ItemStatus::Changed {
                            existing_id: existing.id,
                            existing_label: existing.label.clone(),
                            changes,
                        }
                    }
                }
            },
            Entry::Vacant(e) => {
                e.insert(Holder::Bundle(&key.label));
                let clash = match labels.entry(label_key(key.provider, &key.label)) {
                    Entry::Occupied(e) => Some(*e.get()),
                    Entry::Vacant(e) => {
                        e.insert(Uuid::nil());
                        None
                    }
                };
                match clash {
                    None => ItemStatus::New,
                    Some(existing_id) => {
                        let mut n = 2;
                        let suggested_label = loop {
                            let candidate = format!("{} ({n})", key.label.trim());
                            if !labels.contains_key(&label_key(key.provider, &candidate)) {
                                break candidate;
                            }
                            n += 1;
                        };
                        labels.insert(label_key(key.provider, &suggested_label), existing_id);
                        ItemStatus::LabelClash {
                            existing_id,
                            suggested_label,
                        }
                    }
                }
            }
        };
        let skipped = matches!(
            status,
            ItemStatus::AlreadyPresent { .. } | ItemStatus::Changed { .. }
        );
        let default_conflict = (key.is_default && !skipped)
            .then(|| defaults.get(&key.provider).map(|l| (*l).to_owned()))
            .flatten();
        outcomes.push((status, default_conflict));
    }
    let items = keys
        .into_iter()
        .zip(outcomes)
        .map(|(key, (status, default_conflict))| PlanItem {
            key,
            status,
            default_conflict,
        })
        .collect();
    ImportPlan { items }
}

/// Carry out a plan on `vault`. Keys keep their bundle id unless it is not a UUID or is
/// already used. The vault's rule of one default per provider holds afterwards.
pub fn apply_import(
    vault: &mut Vault,
    plan: &ImportPlan,
    choices: &Choices,
) -> Result<ImportSummary, crate::crypto::CryptoError> {
    let mut summary = ImportSummary::default();
    let mut used_ids: HashSet<Uuid> = vault.keys.iter().map(|k| k.id).collect();
    let mut new_defaults: Vec<Uuid> = Vec::new();
    let had_default: HashSet<Provider> = vault
        .keys
        .iter()
        .filter(|k| k.is_default)
        .map(|k| k.provider)
        .collect();
    let mut present: HashSet<String> = vault
        .keys
        .iter()
        .map(|k| k.secret.expose().trim().to_string())
        .collect();
    for (i, item) in plan.items.iter().enumerate() {
        let secret = item.key.secret.expose().trim().to_string();
        if let ItemStatus::Changed {
            existing_id,
            changes,
            ..
        } = &item.status
        {
            let chosen = choices.update.contains(&i);
            if !chosen {
                summary.skipped += 1;
            } else if update_key(vault, *existing_id, &item.key, changes) {
                summary.updated += 1;
            } else {
                summary.stale += 1;
            }
            continue;
        }
        // Only a key that still has the label the clash is about is replaced. One renamed
        // or deleted in another tab since the plan, or a label only this bundle holds
        // (`Uuid::nil()`), and the key is imported under its new label instead.
        let replace_target = match &item.status {
            ItemStatus::LabelClash { existing_id, .. } if choices.replace.contains(&i) => vault
                .get(*existing_id)
                .filter(|k| {
                    label_key(k.provider, &k.label) == label_key(item.key.provider, &item.key.label)
                })
                .map(|k| k.id),
            _ => None,
        };
        let replacing = replace_target.is_some();
        // The plan may be older than the vault (another tab saved meanwhile): the rule of
        // one entry per secret is checked again here.
        if !replacing && present.contains(&secret) {
            summary.skipped += 1;
            continue;
        }
        let wants_default = item.key.is_default
            && (item.default_conflict.is_none() || choices.take_default.contains(&i));
        match &item.status {
            ItemStatus::Refused { .. } => {
                summary.refused += 1;
                continue;
            }
            ItemStatus::AlreadyPresent { .. } | ItemStatus::Changed { .. } => {
                summary.skipped += 1;
                continue;
            }
            ItemStatus::LabelClash { .. } if replacing => {
                let Some(existing) = replace_target
                    .and_then(|target| vault.keys.iter_mut().find(|k| k.id == target))
                else {
                    summary.skipped += 1;
                    continue;
                };
                present.remove(existing.secret.expose().trim());
                let mut e = item.key.to_key_entry(existing.id);
                // Replacing keeps the existing default status unless told otherwise.
                e.is_default = existing.is_default || wants_default;
                *existing = e;
                present.insert(secret);
                if wants_default {
                    new_defaults.push(existing.id);
                }
                summary.replaced += 1;
            }
            status => {
                let id = match item.key.uuid().filter(|u| !used_ids.contains(u)) {
                    Some(u) => u,
                    None => new_id()?,
                };
                used_ids.insert(id);
                let mut e: KeyEntry = item.key.to_key_entry(id);
                if let ItemStatus::LabelClash {
                    suggested_label, ..
                } = status
                {
                    e.label = suggested_label.clone();
                }
                e.is_default = false;
                if wants_default {
                    new_defaults.push(id);
                }
                vault.keys.push(e);
                present.insert(secret);
                summary.added += 1;
            }
        }
    }
    for id in new_defaults {
        let _ = vault.set_default(id);
    }
    // A provider that had no default before gets one if it now has keys, as adding by
    // hand would do.
    for p in Provider::ALL {
        let needs_default = !had_default.contains(&p)
            && !vault.keys.iter().any(|k| k.provider == p && k.is_default);
        if let Some(id) = vault
            .keys
            .iter()
            .find(|k| needs_default && k.provider == p)
            .map(|k| k.id)
        {
            let _ = vault.set_default(id);
        }
    }
    Ok(summary)
}

/// Take the bundle's `changes` into the vault key `id`; false when there is nothing
/// left to update (the key was deleted, or its secret changed, in another tab since the
/// plan). A label another key of the provider took meanwhile is not taken.
fn update_key(vault: &mut Vault, id: Uuid, key: &BundleKey, changes: &[KeyChange]) -> bool {
    let Some(provider) = vault.get(id).map(|k| k.provider) else {
        return false;
    };
    let label_taken = vault
        .keys
        .iter()
        .any(|k| k.id != id && label_key(k.provider, &k.label) == label_key(provider, &key.label));
    let Some(existing) = vault.keys.iter_mut().find(|k| k.id == id) else {
        return false;
    };
    if existing.secret.expose().trim() != key.secret.expose().trim() {
        return false;
    }
    for change in changes {
        match change {
            KeyChange::Label if !label_taken => existing.label = key.label.clone(),
            KeyChange::Label => {}
            KeyChange::BaseUrl => {
                if key.base_url.is_some() {
                    existing.base_url = key.base_url.clone();
                }
            }
            KeyChange::Expiry => {
                if key.expires_at.is_some() {
                    existing.expires_at = key.expires_at;
                }
            }
            KeyChange::Active => existing.is_active = key.is_active,
            KeyChange::Notes => {
                if let Some(n) = bundle_notes(key) {
                    existing.notes = n.to_owned();
                }
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::NewKey;
    use crate::secret::Secret;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-26 12:00 UTC);

    fn vault_with(keys: &[(Provider, &str, &str)]) -> Vault {
        let mut v = Vault::default();
        for (i, (p, label, secret)) in keys.iter().enumerate() {
            v.add(
                NewKey {
                    provider: *p,
                    label: label.to_string(),
                    secret: Secret::new(*secret),
                    base_url: Some("https://example.com/v1".into()),
                    expires_at: None,
                    notes: String::new(),
                    make_default: false,
                },
                Uuid::from_bytes([i as u8 + 1; 16]),
                NOW,
            )
            .expect("add");
        }
        v
    }

    fn keys_of(v: &Vault) -> Vec<BundleKey> {
        export_payload(v, &Selection::All, NOW).keys
    }

    #[test]
    fn export_selects_all_one_provider_or_picked_keys() {
        let v = vault_with(&[
            (Provider::Openai, "A", "sk-a"),
            (Provider::Anthropic, "B", "sk-ant-b"),
            (Provider::Openai, "C", "sk-c"),
        ]);
        assert_eq!(export_payload(&v, &Selection::All, NOW).keys.len(), 3);
        let only = export_payload(&v, &Selection::Provider(Provider::Openai), NOW);
        assert_eq!(
            only.keys
                .iter()
                .map(|k| k.label.as_str())
                .collect::<Vec<_>>(),
            ["A", "C"]
        );
        let picked = export_payload(&v, &Selection::Keys(vec![v.keys[1].id]), NOW);
        assert_eq!(picked.keys.len(), 1);
        assert_eq!(picked.keys[0].label, "B");
    }

    #[test]
    fn into_an_empty_vault_everything_is_new_and_defaults_are_kept() {
        let src = vault_with(&[
            (Provider::Openai, "A", "sk-a"),
            (Provider::Openai, "B", "sk-b"),
        ]);
        let mut dst = Vault::default();
        let plan = plan_import(&dst, keys_of(&src));
        assert!(
            plan.items
                .iter()
                .all(|i| i.status == ItemStatus::New && i.default_conflict.is_none())
        );
        let s = apply_import(&mut dst, &plan, &Choices::default()).expect("apply");
        assert_eq!(
            s,
            ImportSummary {
                added: 2,
                replaced: 0,
                updated: 0,
                skipped: 0,
                refused: 0,
                stale: 0
            }
        );
        assert_eq!(
            dst.keys
                .iter()
                .filter(|k| k.is_default)
                .map(|k| k.label.as_str())
                .collect::<Vec<_>>(),
            ["A"]
        );
        assert_eq!(dst.keys[0].id, src.keys[0].id, "ids survive the trip");
    }

    #[test]
    fn same_secret_is_skipped_label_clash_gets_a_choice() {
        let dst0 = vault_with(&[
            (Provider::Openai, "Work", "sk-work"),
            (Provider::Openai, "Home", "sk-home"),
        ]);
        let src = vault_with(&[
            (Provider::Openai, "Work", "sk-work"),
            (Provider::Openai, "Home", "sk-other-home"),
        ]);
        let plan = plan_import(&dst0, keys_of(&src));
        assert_eq!(
            plan.items[0].status,
            ItemStatus::AlreadyPresent {
                existing_label: "Work".into()
            }
        );
        assert!(
            matches!(&plan.items[1].status, ItemStatus::LabelClash { suggested_label, .. } if suggested_label == "Home (2)")
        );
        // Default choice: import under the new label.
        let mut a = dst0.clone();
        let s = apply_import(&mut a, &plan, &Choices::default()).expect("apply");
        assert_eq!(
            s,
            ImportSummary {
                added: 1,
                replaced: 0,
                updated: 0,
                skipped: 1,
                refused: 0,
                stale: 0
            }
        );
        assert!(
            a.keys
                .iter()
                .any(|k| k.label == "Home (2)" && k.secret.expose() == "sk-other-home")
        );
        // Or replace the existing one, keeping its id.
        let mut b = dst0.clone();
        let choices = Choices {
            replace: [1].into(),
            ..Default::default()
        };
        let s = apply_import(&mut b, &plan, &choices).expect("apply");
        assert_eq!(
            s,
            ImportSummary {
                added: 0,
                replaced: 1,
                updated: 0,
                skipped: 1,
                refused: 0,
                stale: 0
            }
        );
        let home = b.keys.iter().find(|k| k.label == "Home").expect("home");
        assert_eq!(home.secret.expose(), "sk-other-home");
        assert_eq!(home.id, dst0.keys[1].id);
        assert_eq!(b.keys.len(), 2);
    }

    #[test]
    fn an_imported_default_never_silently_replaces_the_existing_one() {
        let dst0 = vault_with(&[(Provider::Anthropic, "Mine", "sk-ant-mine")]);
        let src = vault_with(&[(Provider::Anthropic, "Theirs", "sk-ant-theirs")]);
        let plan = plan_import(&dst0, keys_of(&src));
        assert_eq!(plan.items[0].default_conflict.as_deref(), Some("Mine"));
        let mut keep = dst0.clone();
        apply_import(&mut keep, &plan, &Choices::default()).expect("apply");
        assert!(
            keep.keys
                .iter()
                .find(|k| k.label == "Mine")
                .expect("mine")
                .is_default
        );
        assert!(
            !keep
                .keys
                .iter()
                .find(|k| k.label == "Theirs")
                .expect("theirs")
                .is_default
        );
        let mut take = dst0.clone();
        apply_import(
            &mut take,
            &plan,
            &Choices {
                take_default: [0].into(),
                ..Default::default()
            },
        )
        .expect("apply");
        assert!(
            !take
                .keys
                .iter()
                .find(|k| k.label == "Mine")
                .expect("mine")
                .is_default
        );
        assert!(
            take.keys
                .iter()
                .find(|k| k.label == "Theirs")
                .expect("theirs")
                .is_default
        );
    }

    #[test]
    fn duplicates_inside_one_bundle_are_caught_too() {
        let src = vault_with(&[(Provider::Openai, "A", "sk-a")]);
        let mut keys = keys_of(&src);
        keys.push(keys[0].clone());
        let plan = plan_import(&Vault::default(), keys);
        assert!(matches!(
            plan.items[1].status,
            ItemStatus::AlreadyPresent { .. }
        ));
    }

    #[test]
    fn entries_breaking_the_add_rules_are_refused_not_imported() {
        let src = vault_with(&[
            (Provider::Openai, "A", "sk-a"),
            (Provider::Openai, "B", "sk-b"),
        ]);
        let mut keys = keys_of(&src);
        keys[0].base_url = Some("https://user:pw@evil.example/v1".into());
        keys[1].label = "  ".into();
        let plan = plan_import(&Vault::default(), keys);
        assert!(
            plan.items
                .iter()
                .all(|i| matches!(i.status, ItemStatus::Refused { .. }))
        );
        let mut v = Vault::default();
        let s = apply_import(&mut v, &plan, &Choices::default()).expect("apply");
        assert_eq!((s.added, s.skipped, s.refused), (0, 0, 2));
        assert!(v.keys.is_empty());
    }

    #[test]
    fn a_stale_plan_never_adds_a_secret_twice() {
        let src = vault_with(&[(Provider::Openai, "A", "sk-a")]);
        let mut v = Vault::default();
        let plan = plan_import(&v, keys_of(&src));
        // Another tab adds the same secret before this one confirms.
        v.keys = src.keys.clone();
        let s = apply_import(&mut v, &plan, &Choices::default()).expect("apply");
        assert_eq!((s.added, s.skipped), (0, 1));
        assert_eq!(v.keys.len(), 1);
    }

    #[test]
    fn a_key_edited_elsewhere_is_updated_only_when_chosen() {
        let here = vault_with(&[
            (Provider::Openai, "Work", "sk-work"),
            (Provider::Openai, "Home", "sk-home"),
            (Provider::Openai, "Spare", "sk-spare"),
        ]);
        let mut keys = keys_of(&here);
        // Edited on another device: a new label, expiry, notes and set inactive.
        keys[0].label = "Work (team)".into();
        keys[0].expires_at = Some(datetime!(2027-03-01 0:00 UTC));
        keys[0].is_active = false;
        keys[0]
            .extra
            .insert("notes".into(), serde_json::Value::from("billing: team"));
        // Renamed to a label another key has here: the label cannot be taken.
        keys[1].label = "spare".into();
        keys[1].base_url = Some("https://proxy.example.com/v1".into());
        // A bundle without notes says nothing about them: not a change.
        let mut here_noted = here.clone();
        here_noted.keys[2].notes = "keep me".into();
        let plan = plan_import(&here_noted, keys);
        assert_eq!(
            plan.items[0].status,
            ItemStatus::Changed {
                existing_id: here.keys[0].id,
                existing_label: "Work".into(),
                changes: vec![
                    KeyChange::Label,
                    KeyChange::Expiry,
                    KeyChange::Active,
                    KeyChange::Notes
                ],
            }
        );
        assert!(
            matches!(&plan.items[1].status, ItemStatus::Changed { changes, .. } if changes == &[KeyChange::BaseUrl])
        );
        assert_eq!(
            plan.items[2].status,
            ItemStatus::AlreadyPresent {
                existing_label: "Spare".into()
            }
        );
        assert_eq!(plan.new_count(), 0);
        assert_eq!(
            KeyChange::list(&[KeyChange::Label, KeyChange::Expiry, KeyChange::Notes]),
            "label, expiry date and notes"
        );

        // By default nothing here changes.
        let mut kept = here_noted.clone();
        let s = apply_import(&mut kept, &plan, &Choices::default()).expect("apply");
        assert_eq!((s.updated, s.skipped), (0, 3));
        assert_eq!(kept, here_noted);

        // Chosen: the bundle's fields are taken, the id, secret, usage and default stay.
        let mut updated = here_noted.clone();
        let choices = Choices {
            update: [0, 1].into(),
            ..Default::default()
        };
        let s = apply_import(&mut updated, &plan, &choices).expect("apply");
        assert_eq!((s.added, s.updated, s.skipped), (0, 2, 1));
        let work = &updated.keys[0];
        assert_eq!(work.id, here.keys[0].id);
        assert_eq!(work.label, "Work (team)");
        assert_eq!(work.expires_at, Some(datetime!(2027-03-01 0:00 UTC)));
        assert!(!work.is_active);
        assert_eq!(work.notes, "billing: team");
        assert!(work.is_default, "still the default");
        let home = &updated.keys[1];
        assert_eq!(home.label, "Home");
        assert_eq!(
            home.base_url.as_deref(),
            Some("https://proxy.example.com/v1")
        );
        assert_eq!(updated.keys[2].notes, "keep me");
        assert_eq!(updated.keys.len(), 3);

        // Rotated in another tab before confirming: nothing to update.
        let mut rotated = here_noted.clone();
        rotated.keys[0].secret = Secret::new("sk-work-new");
        let s = apply_import(&mut rotated, &plan, &choices).expect("apply");
        assert_eq!((s.updated, s.skipped, s.stale), (1, 1, 1));
        assert_eq!(rotated.keys[0].label, "Work");
    }

    #[test]
    fn an_update_never_breaks_the_vault_rules_or_another_key() {
        let here = vault_with(&[
            (Provider::Openai, "Work", "sk-work"),
            (Provider::Openai, "Home", "sk-home"),
        ]);
        let mut keys = keys_of(&here);
        // The same secret filed under another provider, relabelled to a label the
        // vault's provider has, with no base URL: neither label nor base URL is taken.
        keys[0].provider = Provider::OpenaiCompatible;
        keys[0].label = "Home".into();
        keys[0].is_active = false;
        // Relabelled to "Team"; a new key of the same bundle is called "Team" too.
        keys[1].label = "Team".into();
        let mut team = keys[1].clone();
        team.secret = Secret::new("sk-team");
        team.id = "new-team".into();
        keys.push(team);
        // The same secret twice in one bundle is one row to decide on.
        let mut twice = keys[1].clone();
        twice.id = "twice".into();
        keys.push(twice);
        // No expiry and no base URL in a bundle clear nothing.
        keys[1].expires_at = None;
        keys[1].base_url = None;
        let mut expiring = here.clone();
        expiring.keys[1].expires_at = Some(datetime!(2027-01-01 0:00 UTC));

        let plan = plan_import(&expiring, keys);
        assert!(
            matches!(&plan.items[0].status, ItemStatus::Changed { changes, .. } if changes == &[KeyChange::Active])
        );
        assert!(
            matches!(&plan.items[1].status, ItemStatus::Changed { changes, .. } if changes == &[KeyChange::Label])
        );
        let ItemStatus::LabelClash {
            existing_id,
            suggested_label,
        } = &plan.items[2].status
        else {
            panic!("{:?}", plan.items[2].status);
        };
        assert!(existing_id.is_nil(), "no key here is called Team yet");
        assert_eq!(suggested_label, "Team (2)");
        assert!(matches!(
            plan.items[3].status,
            ItemStatus::AlreadyPresent { .. }
        ));

        // Even asked to "replace" the held label, no key here is overwritten.
        let mut v = expiring.clone();
        let choices = Choices {
            replace: [2].into(),
            update: [0, 1].into(),
            ..Default::default()
        };
        let s = apply_import(&mut v, &plan, &choices).expect("apply");
        assert_eq!((s.added, s.updated, s.replaced, s.skipped), (1, 2, 0, 1));
        let by_label = |l: &str| v.keys.iter().find(|k| k.label == l).expect(l);
        assert_eq!(by_label("Work").provider, Provider::Openai);
        assert_eq!(
            by_label("Work").base_url.as_deref(),
            Some("https://example.com/v1")
        );
        assert!(!by_label("Work").is_active);
        assert_eq!(by_label("Team").secret.expose(), "sk-home");
        assert_eq!(
            by_label("Team").expires_at,
            Some(datetime!(2027-01-01 0:00 UTC))
        );
        assert_eq!(by_label("Team (2)").secret.expose(), "sk-team");
        assert_eq!(v.keys.len(), 3);
    }

    #[test]
    fn ten_thousand_keys_plan_and_apply() {
        let keys: Vec<BundleKey> = (0..10_000)
            .map(|i| {
                let mut k = keys_of(&vault_with(&[(Provider::Openai, "x", "sk-x")])).remove(0);
                k.id = format!("not-a-uuid-{i}");
                k.label = format!("Key {i}");
                k.secret = Secret::new(format!("sk-proj-{i:08}"));
                k
            })
            .collect();
        let mut v = Vault::default();
        let plan = plan_import(&v, keys);
        let s = apply_import(&mut v, &plan, &Choices::default()).expect("apply");
        assert_eq!(s.added, 10_000);
        assert_eq!(v.keys.iter().filter(|k| k.is_default).count(), 1);
        let ids: HashSet<Uuid> = v.keys.iter().map(|k| k.id).collect();
        assert_eq!(ids.len(), 10_000);
    }
}
