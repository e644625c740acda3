//! The vault model: key entries and the rules about them. Every rule is enforced by a
//! method here (at most one default per provider, no duplicate secrets, base URL for
//! OpenAI-compatible keys), so the web app and the CLI cannot disagree.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::secret::Secret;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Provider {
    Anthropic,
    Openai,
    Gemini,
    OpenaiCompatible,
}

impl Provider {
    pub const ALL: [Provider; 4] = [
        Provider::Anthropic,
        Provider::Openai,
        Provider::Gemini,
        Provider::OpenaiCompatible,
    ];

    /// The wire name used in files (`openai-compatible`).
    pub fn id(self) -> &'static str {
        match self {
            Provider::Anthropic => "anthropic",
            Provider::Openai => "openai",
            Provider::Gemini => "gemini",
            Provider::OpenaiCompatible => "openai-compatible",
        }
    }

    pub fn from_id(s: &str) -> Option<Provider> {
        Provider::ALL.into_iter().find(|p| p.id() == s)
    }

    /// The name people know it by.
    pub fn display_name(self) -> &'static str {
        match self {
            Provider::Anthropic => "Anthropic",
            Provider::Openai => "OpenAI",
            Provider::Gemini => "Gemini",
            Provider::OpenaiCompatible => "OpenAI-compatible",
        }
    }

    /// The provider's own API origin; `None` for OpenAI-compatible, whose base URL is
    /// always given by the user.
    pub fn default_base_url(self) -> Option<&'static str> {
        match self {
            Provider::Anthropic => Some("https://api.anthropic.com"),
            Provider::Openai => Some("https://api.openai.com"),
            Provider::Gemini => Some("https://generativelanguage.googleapis.com"),
            Provider::OpenaiCompatible => None,
        }
    }

    /// The environment variable the provider's own SDKs read.
    pub fn env_var(self) -> Option<&'static str> {
        match self {
            Provider::Anthropic => Some("ANTHROPIC_API_KEY"),
            Provider::Openai => Some("OPENAI_API_KEY"),
            Provider::Gemini => Some("GEMINI_API_KEY"),
            Provider::OpenaiCompatible => None,
        }
    }
}

impl std::fmt::Display for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.display_name())
    }
}

/// How the last key test ended, by the class of failure a person can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TestOutcome {
    Ok,
    InvalidKey,
    MissingPermission,
    RateLimited,
    NoCredit,
    ProviderDown,
    Blocked,
    Network,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestResult {
    pub outcome: TestOutcome,
    /// What the person reads, already free of any secret.
    pub message: String,
    /// Model ids the provider listed, when the test succeeded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub models: Vec<String>,
}

/// One stored key. `Debug` is safe: the secret prints as its mask.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyEntry {
    pub id: Uuid,
    pub provider: Provider,
    pub label: String,
    pub secret: Secret,
    #[serde(default)]
    pub base_url: Option<String>,
    pub is_default: bool,
    pub is_active: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub rotated_at: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_test_at: Option<OffsetDateTime>,
    #[serde(default)]
    pub last_test: Option<TestResult>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(default)]
    pub notes: String,
    /// Fields from a newer byok (via a bundle), kept so they survive a round trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl KeyEntry {
    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        self.expires_at.is_some_and(|e| e <= now)
    }

    /// Usable for a request now: active and not expired.
    pub fn is_usable(&self, now: OffsetDateTime) -> bool {
        self.is_active && !self.is_expired(now)
    }

    /// The base URL requests go to: the key's own, else the provider's.
    pub fn effective_base_url(&self) -> Option<&str> {
        self.base_url
            .as_deref()
            .or(self.provider.default_base_url())
    }

    pub fn masked(&self) -> String {
        self.secret.masked()
    }
}

/// What a person fills in to add a key.
#[derive(Debug, Clone)]
pub struct NewKey {
    pub provider: Provider,
    pub label: String,
    pub secret: Secret,
    pub base_url: Option<String>,
    pub expires_at: Option<OffsetDateTime>,
    pub notes: String,
    /// Make it the provider's default even if another key is.
    pub make_default: bool,
}

/// The editable settings of a key (not its secret: that is [`Vault::rotate`]).
#[derive(Debug, Clone, Default)]
pub struct KeyEdit {
    pub label: String,
    pub base_url: Option<String>,
    pub expires_at: Option<OffsetDateTime>,
    pub notes: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    #[error("Give the key a label, for example \"Personal\" or \"Work\".")]
    EmptyLabel,
    #[error("The secret is empty: paste the API key.")]
    EmptySecret,
    #[error("This key is already saved as \"{label}\".")]
    DuplicateSecret { label: String },
    #[error("An OpenAI-compatible key needs a base URL, for example https://openrouter.ai/api/v1.")]
    MissingBaseUrl,
    #[error("The base URL {0}")]
    BadBaseUrl(&'static str),
    #[error("That key no longer exists; it may have been deleted in another tab.")]
    NotFound,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error("No active {provider} key: add one under Keys, or paste one for this session.")]
    NoActiveKey { provider: Provider },
    #[error(
        "Your {provider} key \"{label}\" expired on {date}: rotate it or set a new expiry under Keys."
    )]
    Expired {
        provider: Provider,
        label: String,
        date: String,
    },
    #[error(
        "You have {count} active {provider} keys and none is the default: choose one, or set a default under Keys."
    )]
    Ambiguous { provider: Provider, count: usize },
    #[error("The chosen key is not a {provider} key.")]
    WrongProvider { provider: Provider },
    #[error("The chosen key \"{label}\" is switched off: activate it under Keys, or choose another.")]
    Inactive { label: String },
    #[error("The chosen key no longer exists; choose another.")]
    Missing,
}

/// Check and tidy a user-given base URL: http(s) only, a host, no credentials, query or
/// fragment (they would end up in every request and in error messages). Trailing `/` is
/// dropped so paths join cleanly.
pub fn normalize_base_url(raw: &str) -> Result<String, ModelError> {
    let s = raw.trim();
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .ok_or(ModelError::BadBaseUrl("must start with https:// (or http:// for a local server)."))?;
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ModelError::BadBaseUrl("must not contain spaces."));
    }
    if s.contains(['?', '#']) {
        return Err(ModelError::BadBaseUrl("must not have a query (?) or fragment (#)."));
    }
    let host = rest.split('/').next().unwrap_or("");
    if host.contains('@') {
        return Err(ModelError::BadBaseUrl(
            "must not carry a user name or password; the key is sent in a header instead.",
        ));
    }
    if host.is_empty() || host.starts_with(':') {
        return Err(ModelError::BadBaseUrl("needs a host name, like api.example.com."));
    }
    if s.contains(['"', '\'', '<', '>', '\\', '`']) {
        return Err(ModelError::BadBaseUrl("contains characters a URL cannot have."));
    }
    Ok(s.trim_end_matches('/').to_string())
}

/// The origin (`scheme://host[:port]`) of a normalised base URL: what the page's
/// connect policy must allow.
pub fn origin_of(base_url: &str) -> &str {
    let after_scheme = base_url.find("://").map(|i| i + 3).unwrap_or(0);
    match base_url[after_scheme..].find('/') {
        Some(i) => &base_url[..after_scheme + i],
        None => base_url,
    }
}

/// The plaintext inside the vault record: everything secret or identifying.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vault {
    pub schema: u32,
    pub keys: Vec<KeyEntry>,
    /// Sections added by later versions survive an older tab's save.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Default for Vault {
    fn default() -> Self {
        Self {
            schema: 1,
            keys: Vec::new(),
            extra: serde_json::Map::new(),
        }
    }
}

fn clean_label(label: &str) -> Result<String, ModelError> {
    let l = label.trim();
    if l.is_empty() {
        return Err(ModelError::EmptyLabel);
    }
    Ok(l.to_string())
}

fn clean_base_url(provider: Provider, base_url: Option<&str>) -> Result<Option<String>, ModelError> {
    match base_url.map(str::trim).filter(|s| !s.is_empty()) {
        Some(u) => normalize_base_url(u).map(Some),
        None if provider == Provider::OpenaiCompatible => Err(ModelError::MissingBaseUrl),
        None => Ok(None),
    }
}

impl Vault {
    pub fn get(&self, id: Uuid) -> Option<&KeyEntry> {
        self.keys.iter().find(|k| k.id == id)
    }

    fn get_mut(&mut self, id: Uuid) -> Result<&mut KeyEntry, ModelError> {
        self.keys
            .iter_mut()
            .find(|k| k.id == id)
            .ok_or(ModelError::NotFound)
    }

    pub fn keys_for(&self, provider: Provider) -> impl Iterator<Item = &KeyEntry> {
        self.keys.iter().filter(move |k| k.provider == provider)
    }

    /// The entry holding exactly this secret, if any (compared after trimming, since a
    /// stray newline does not make a different key).
    pub fn find_by_secret(&self, secret: &str) -> Option<&KeyEntry> {
        let s = secret.trim();
        self.keys.iter().find(|k| k.secret.expose().trim() == s)
    }

    /// Add a key; the first key of a provider becomes its default. `id` comes from the
    /// caller's random source so this stays deterministic under test.
    pub fn add(&mut self, new: NewKey, id: Uuid, now: OffsetDateTime) -> Result<Uuid, ModelError> {
        let label = clean_label(&new.label)?;
        let secret = new.secret.expose().trim();
        if secret.is_empty() {
            return Err(ModelError::EmptySecret);
        }
        if let Some(existing) = self.find_by_secret(secret) {
            return Err(ModelError::DuplicateSecret {
                label: existing.label.clone(),
            });
        }
        let base_url = clean_base_url(new.provider, new.base_url.as_deref())?;
        let first = self.keys_for(new.provider).next().is_none();
        self.keys.push(KeyEntry {
            id,
            provider: new.provider,
            label,
            secret: Secret::new(secret),
            base_url,
            is_default: false,
            is_active: true,
            created_at: now,
            rotated_at: None,
            last_used_at: None,
            last_test_at: None,
            last_test: None,
            expires_at: new.expires_at,
            notes: new.notes.trim().to_string(),
            extra: serde_json::Map::new(),
        });
        if first || new.make_default {
            self.set_default(id)?;
        }
        Ok(id)
    }

    pub fn edit(&mut self, id: Uuid, edit: KeyEdit) -> Result<(), ModelError> {
        let label = clean_label(&edit.label)?;
        let provider = self.get(id).ok_or(ModelError::NotFound)?.provider;
        let base_url = clean_base_url(provider, edit.base_url.as_deref())?;
        let k = self.get_mut(id)?;
        k.label = label;
        k.base_url = base_url;
        k.expires_at = edit.expires_at;
        k.notes = edit.notes.trim().to_string();
        Ok(())
    }

    /// Make `id` its provider's only default. A default is meant to be used, so it is
    /// switched on as well.
    pub fn set_default(&mut self, id: Uuid) -> Result<(), ModelError> {
        let provider = self.get(id).ok_or(ModelError::NotFound)?.provider;
        for k in self.keys.iter_mut().filter(|k| k.provider == provider) {
            k.is_default = k.id == id;
            if k.id == id {
                k.is_active = true;
            }
        }
        Ok(())
    }

    pub fn set_active(&mut self, id: Uuid, active: bool) -> Result<(), ModelError> {
        self.get_mut(id)?.is_active = active;
        Ok(())
    }

    /// Replace the secret, keep everything else, and note when. The old test result
    /// said nothing about the new secret, so it goes.
    pub fn rotate(&mut self, id: Uuid, secret: Secret, now: OffsetDateTime) -> Result<(), ModelError> {
        let s = secret.expose().trim();
        if s.is_empty() {
            return Err(ModelError::EmptySecret);
        }
        if let Some(other) = self.find_by_secret(s).filter(|k| k.id != id) {
            return Err(ModelError::DuplicateSecret {
                label: other.label.clone(),
            });
        }
        let s = Secret::new(s);
        let k = self.get_mut(id)?;
        k.secret = s;
        k.rotated_at = Some(now);
        k.last_test = None;
        k.last_test_at = None;
        Ok(())
    }

    pub fn remove(&mut self, id: Uuid) -> Result<KeyEntry, ModelError> {
        let i = self
            .keys
            .iter()
            .position(|k| k.id == id)
            .ok_or(ModelError::NotFound)?;
        Ok(self.keys.remove(i))
    }

    pub fn record_test(&mut self, id: Uuid, result: TestResult, now: OffsetDateTime) -> Result<(), ModelError> {
        let k = self.get_mut(id)?;
        k.last_test_at = Some(now);
        k.last_test = Some(result);
        Ok(())
    }

    pub fn record_use(&mut self, id: Uuid, now: OffsetDateTime) -> Result<(), ModelError> {
        self.get_mut(id)?.last_used_at = Some(now);
        Ok(())
    }

    /// The one rule for which key a request uses: the explicitly chosen key, else the
    /// provider's active default, else its only active key, else an error that says what
    /// to do. Expired keys are never chosen.
    pub fn resolve(
        &self,
        provider: Provider,
        explicit: Option<Uuid>,
        now: OffsetDateTime,
    ) -> Result<&KeyEntry, ResolveError> {
        if let Some(id) = explicit {
            let k = self.get(id).ok_or(ResolveError::Missing)?;
            if k.provider != provider {
                return Err(ResolveError::WrongProvider { provider });
            }
            if k.is_expired(now) {
                return Err(expired(k));
            }
            if !k.is_active {
                return Err(ResolveError::Inactive {
                    label: k.label.clone(),
                });
            }
            return Ok(k);
        }
        if let Some(d) = self.keys_for(provider).find(|k| k.is_default && k.is_usable(now)) {
            return Ok(d);
        }
        let usable: Vec<&KeyEntry> = self.keys_for(provider).filter(|k| k.is_usable(now)).collect();
        match usable.as_slice() {
            [only] => Ok(only),
            [] => {
                // Say why, when the reason is expiry: "no key" would send people looking
                // for a key they can see on the Keys page.
                let expired_default = self
                    .keys_for(provider)
                    .find(|k| k.is_active && k.is_expired(now) && k.is_default)
                    .or_else(|| self.keys_for(provider).find(|k| k.is_active && k.is_expired(now)));
                match expired_default {
                    Some(k) => Err(expired(k)),
                    None => Err(ResolveError::NoActiveKey { provider }),
                }
            }
            many => Err(ResolveError::Ambiguous {
                provider,
                count: many.len(),
            }),
        }
    }

    /// Keys of the same provider to try after `failed` when it hit a rate limit: the
    /// other usable ones, default first, then in the order they were added.
    pub fn failover_candidates(&self, failed: Uuid, now: OffsetDateTime) -> Vec<&KeyEntry> {
        let Some(p) = self.get(failed).map(|k| k.provider) else {
            return Vec::new();
        };
        let mut v: Vec<&KeyEntry> = self
            .keys_for(p)
            .filter(|k| k.id != failed && k.is_usable(now))
            .collect();
        v.sort_by_key(|k| !k.is_default);
        v
    }
}

fn expired(k: &KeyEntry) -> ResolveError {
    let date = k
        .expires_at
        .map(|d| format!("{}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()))
        .unwrap_or_default();
    ResolveError::Expired {
        provider: k.provider,
        label: k.label.clone(),
        date,
    }
}

/// A fresh random (version 4) id for a key entry.
pub fn new_id() -> Result<Uuid, crate::crypto::CryptoError> {
    Ok(uuid::Builder::from_random_bytes(crate::crypto::random_array()?).into_uuid())
}

/// `time` cannot read the clock in the browser; callers pass milliseconds since the epoch
/// (`Date.now()`), tests pass fixed values.
pub fn time_from_millis(ms: f64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos((ms as i128) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}
