//! The vault model: key entries and the rules about them. Every rule is enforced by a
//! method here (at most one default per provider, no duplicate secrets, base URL for
//! OpenAI-compatible keys), so the web app and the CLI cannot disagree.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::secret::Secret;

/// How a list of keys is ordered (within each provider).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyOrder {
    /// As they were added (or imported).
    #[default]
    Added,
    /// By label, A to Z, ignoring case.
    Name,
    /// Most recently used first.
    LastUsed,
    /// The soonest expiry first.
    Expiry,
}

/// An order this version does not know reads as the default, so that settings saved
/// by a newer byok stay readable.
impl<'de> Deserialize<'de> for KeyOrder {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let id = std::borrow::Cow::<str>::deserialize(d)?;
        Ok(KeyOrder::from_id(&id).unwrap_or_default())
    }
}

impl KeyOrder {
    pub const ALL: [KeyOrder; 4] = [
        KeyOrder::Added,
        KeyOrder::Name,
        KeyOrder::LastUsed,
        KeyOrder::Expiry,
    ];

    pub fn id(self) -> &'static str {
        match self {
            KeyOrder::Added => "added",
            KeyOrder::Name => "name",
            KeyOrder::LastUsed => "last-used",
            KeyOrder::Expiry => "expiry",
        }
    }

    pub fn from_id(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.id() == s)
    }

    pub fn display_name(self) -> &'static str {
        match self {
            KeyOrder::Added => "Date added",
            KeyOrder::Name => "Label, A to Z",
            KeyOrder::LastUsed => "Last used",
            KeyOrder::Expiry => "Expiry date",
        }
    }
}

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

    /// The name after its article, for sentences: "an OpenAI key", "a Gemini key".
    pub fn with_article(self) -> &'static str {
        match self {
            Provider::Anthropic => "an Anthropic",
            Provider::Openai => "an OpenAI",
            Provider::Gemini => "a Gemini",
            Provider::OpenaiCompatible => "an OpenAI-compatible",
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

impl TestOutcome {
    /// A failure of the moment (a rate limit, the provider down, the network): the key
    /// itself may be fine, and there is nothing to fix but to try again later.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            TestOutcome::RateLimited | TestOutcome::ProviderDown | TestOutcome::Network
        )
    }
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    pub is_default: bool,
    pub is_active: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub rotated_at: Option<OffsetDateTime>,
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_used_at: Option<OffsetDateTime>,
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_test_at: Option<OffsetDateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_test: Option<TestResult>,
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
    /// What this key has been used for, summed over every answer.
    #[serde(default, skip_serializing_if = "UsageTotals::is_zero")]
    pub usage: UsageTotals,
    /// Fields from a newer byok (via a bundle), kept so they survive a round trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl KeyEntry {
    /// A test's result and when it was made (also for keys outside a vault: a direct
    /// session's check).
    pub fn record_test(&mut self, result: TestResult, now: OffsetDateTime) {
        self.last_test_at = Some(now);
        self.last_test = Some(result);
    }

    /// An expiry is a calendar date ("expires on 2026-12-01"), stored as midnight UTC of
    /// that date: the key is expired from the start of that date where the person is,
    /// that is in the offset `now` comes in (the app passes the browser's own, the CLI
    /// UTC). Compared as instants, a key dated 1 December was already expired on the
    /// afternoon of 30 November in California, and still usable on the morning of
    /// 1 December in Tokyo. A bundle's expiry with a time of day counts by its date.
    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        self.expires_at.is_some_and(|e| e.date() <= now.date())
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

/// Requests and tokens a key has spent, as the providers reported them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageTotals {
    pub requests: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cached_tokens: u64,
}

impl UsageTotals {
    pub fn add(&mut self, o: &UsageTotals) {
        // Saturating: the counts come from providers, and one that reports nonsense
        // must not wrap the totals (and with them the budget checks) to near zero.
        self.requests = self.requests.saturating_add(o.requests);
        self.input_tokens = self.input_tokens.saturating_add(o.input_tokens);
        self.output_tokens = self.output_tokens.saturating_add(o.output_tokens);
        self.cached_tokens = self.cached_tokens.saturating_add(o.cached_tokens);
    }

    /// Fields at their defaults are left out of the vault JSON: localStorage is small
    /// and a 10,000-key vault must still fit with its previous copy.
    pub fn is_zero(&self) -> bool {
        *self == UsageTotals::default()
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
    #[error("The secret has spaces or line breaks inside it; API keys never do. Check the paste.")]
    SecretHasSpaces,
    #[error("This key is already saved as \"{label}\".")]
    DuplicateSecret { label: String },
    /// Two keys of one provider under one label cannot be told apart in the chat's key
    /// menu (which lists one provider's keys).
    #[error(
        "Another {provider} key is already labelled \"{label}\". Give this one a label of its own, so the two can be told apart."
    )]
    DuplicateLabel { provider: Provider, label: String },
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
    #[error("The chosen key is not {} key.", provider.with_article())]
    WrongProvider { provider: Provider },
    #[error(
        "The chosen key \"{label}\" is switched off: activate it under Keys, or choose another."
    )]
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
        .ok_or(ModelError::BadBaseUrl(
            "must start with https:// (or http:// for a server on this computer or your local network).",
        ))?;
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ModelError::BadBaseUrl("must not contain spaces."));
    }
    if s.contains(['?', '#']) {
        return Err(ModelError::BadBaseUrl(
            "must not have a query (?) or fragment (#).",
        ));
    }
    let host = rest.split('/').next().unwrap_or("");
    if s.starts_with("http://") && !is_local_host(host) {
        return Err(ModelError::BadBaseUrl(
            "must start with https://: http:// would send the key unencrypted, so it is only for a server on this computer or your local network.",
        ));
    }
    if host.contains('@') {
        return Err(ModelError::BadBaseUrl(
            "must not carry a user name or password; the key is sent in a header instead.",
        ));
    }
    if host.is_empty() || host.starts_with(':') {
        return Err(ModelError::BadBaseUrl(
            "needs a host name, like api.example.com.",
        ));
    }
    if s.contains(['"', '\'', '<', '>', '\\', '`']) {
        return Err(ModelError::BadBaseUrl(
            "contains characters a URL cannot have.",
        ));
    }
    Ok(s.trim_end_matches('/').to_string())
}

/// A host on this computer or the local network (`host[:port]` as in a URL), where
/// plain http keeps the key off the internet: loopback, private and link-local
/// addresses, and names no public DNS gives out (`ollama`, `box.local`, `nas.lan`).
fn is_local_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        // [::1]:11434 and other IPv6 literals.
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    }
    .to_ascii_lowercase();
    if let Ok(ip) = name.parse::<std::net::IpAddr>() {
        return match ip {
            std::net::IpAddr::V4(v4) => v4.is_loopback() || v4.is_private() || v4.is_link_local(),
            std::net::IpAddr::V6(v6) => {
                v6.is_loopback()
                    || (v6.segments()[0] & 0xfe00) == 0xfc00
                    || (v6.segments()[0] & 0xffc0) == 0xfe80
            }
        };
    }
    let name = name.trim_end_matches('.');
    // Browsers read "134744072", "0x08080808" or "8.8.2056" as IPv4 addresses (the URL
    // standard's number forms), which the parse above does not: never local here.
    let last = name.rsplit('.').next().unwrap_or("");
    if last.starts_with(|c: char| c.is_ascii_digit())
        && last
            .strip_prefix("0x")
            .unwrap_or(last)
            .chars()
            .all(|c| c.is_ascii_hexdigit())
    {
        return false;
    }
    !name.contains('.')
        || [".localhost", ".local", ".lan", ".home.arpa", ".internal"]
            .iter()
            .any(|suffix| name.ends_with(suffix))
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
    /// Requests and tokens per day, key and model (see `usage.rs`): kept inside the
    /// encrypted record because what someone spends, and when, is their business.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub usage: Vec<crate::usage::DayUsage>,
    /// Optional monthly budget per key, in US dollars.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub budgets: std::collections::BTreeMap<Uuid, f64>,
    /// The person's own prices; they win over the shipped price list.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prices: Vec<crate::usage::PriceRule>,
    /// Deleted keys that have usage rows: their name, so the history still says whose
    /// spending it was.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deleted_keys: Vec<crate::usage::DeletedKey>,
    /// Providers whose rate-limited answers are resent with the next key without
    /// asking. Encrypted, not a plain setting: the list names the services someone has
    /// keys with. Kept by name (`Provider::id`), so a provider a later version adds
    /// neither makes the vault unreadable here nor is dropped by this version's saves.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub auto_failover: Vec<String>,
    /// Sections added by later versions survive an older tab's save.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Default for Vault {
    fn default() -> Self {
        Self {
            schema: 1,
            keys: Vec::new(),
            usage: Vec::new(),
            budgets: Default::default(),
            prices: Vec::new(),
            deleted_keys: Vec::new(),
            auto_failover: Vec::new(),
            extra: serde_json::Map::new(),
        }
    }
}

/// The secret as stored: without the spaces a paste adds at its ends. One with
/// whitespace inside is refused: no provider issues such keys, a header cannot carry a
/// line break, and it is almost always two pastes or a copied sentence.
fn clean_secret(s: &str) -> Result<&str, ModelError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(ModelError::EmptySecret);
    }
    if s.chars().any(char::is_whitespace) {
        return Err(ModelError::SecretHasSpaces);
    }
    Ok(s)
}

fn clean_label(label: &str) -> Result<String, ModelError> {
    let l = label.trim();
    if l.is_empty() {
        return Err(ModelError::EmptyLabel);
    }
    Ok(l.to_string())
}

fn clean_base_url(
    provider: Provider,
    base_url: Option<&str>,
) -> Result<Option<String>, ModelError> {
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

    pub(crate) fn get_mut(&mut self, id: Uuid) -> Result<&mut KeyEntry, ModelError> {
        self.keys
            .iter_mut()
            .find(|k| k.id == id)
            .ok_or(ModelError::NotFound)
    }

    pub fn keys_for(&self, provider: Provider) -> impl Iterator<Item = &KeyEntry> {
        self.keys.iter().filter(move |k| k.provider == provider)
    }

    /// A provider's keys in `order`; keys that tie stay in the order they were added.
    /// Labels compare ignoring case.
    pub fn keys_in_order(&self, provider: Provider, order: KeyOrder) -> Vec<&KeyEntry> {
        self.keys_in_order_by(provider, order, |a, b| {
            a.to_lowercase().cmp(&b.to_lowercase())
        })
    }

    /// [`Vault::keys_in_order`] with labels compared by `label_cmp`: a browser passes
    /// its own collation, which knows the person's language ("Émile" by "Emma") and
    /// numbers ("Key 2" before "Key 10").
    pub fn keys_in_order_by(
        &self,
        provider: Provider,
        order: KeyOrder,
        label_cmp: impl Fn(&str, &str) -> std::cmp::Ordering,
    ) -> Vec<&KeyEntry> {
        let mut ks: Vec<&KeyEntry> = self.keys_for(provider).collect();
        match order {
            KeyOrder::Added => {}
            KeyOrder::Name => ks.sort_by(|a, b| label_cmp(&a.label, &b.label)),
            // Never used, or no expiry date: at the end, not first.
            KeyOrder::LastUsed => ks.sort_by_key(|k| std::cmp::Reverse(k.last_used_at)),
            KeyOrder::Expiry => ks.sort_by_key(|k| (k.expires_at.is_none(), k.expires_at)),
        }
        ks
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
        // In the order of the form's fields, so the first thing to mend is named first.
        let secret = clean_secret(new.secret.expose())?;
        let label = clean_label(&new.label)?;
        if let Some(existing) = self.find_by_secret(secret) {
            return Err(ModelError::DuplicateSecret {
                label: existing.label.clone(),
            });
        }
        self.check_label_free(new.provider, &label, None)?;
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
            usage: UsageTotals::default(),
            extra: serde_json::Map::new(),
        });
        if first || new.make_default {
            self.set_default(id)?;
        }
        Ok(id)
    }

    pub fn edit(&mut self, id: Uuid, edit: KeyEdit) -> Result<(), ModelError> {
        let label = clean_label(&edit.label)?;
        let k = self.get(id).ok_or(ModelError::NotFound)?;
        let provider = k.provider;
        // A label kept as it was stays allowed: vaults from before this rule, and
        // imports, may hold two keys under one label.
        if k.label.trim() != label {
            self.check_label_free(provider, &label, Some(id))?;
        }
        let base_url = clean_base_url(provider, edit.base_url.as_deref())?;
        let k = self.get_mut(id)?;
        // A test of the old address says nothing of the new one (a failure there was
        // often what the edit mends): the key is untested again, as after a rotation.
        if k.base_url != base_url {
            k.last_test = None;
            k.last_test_at = None;
        }
        k.label = label;
        k.base_url = base_url;
        k.expires_at = edit.expires_at;
        k.notes = edit.notes.trim().to_string();
        Ok(())
    }

    /// Refuses `label` if another key of `provider` has it (ignoring case: "Work" and
    /// "work" read the same in a menu).
    fn check_label_free(
        &self,
        provider: Provider,
        label: &str,
        except: Option<Uuid>,
    ) -> Result<(), ModelError> {
        let wanted = label.to_lowercase();
        match self
            .keys_for(provider)
            .find(|k| Some(k.id) != except && k.label.trim().to_lowercase() == wanted)
        {
            Some(k) => Err(ModelError::DuplicateLabel {
                provider,
                label: k.label.clone(),
            }),
            None => Ok(()),
        }
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

    /// Whether `rotate` would take this secret for key `id`, changing nothing: so the
    /// new secret can be tested with its provider before it replaces the old one.
    pub fn check_rotation(&self, id: Uuid, secret: &str) -> Result<(), ModelError> {
        let s = clean_secret(secret)?;
        if let Some(other) = self.find_by_secret(s).filter(|k| k.id != id) {
            return Err(ModelError::DuplicateSecret {
                label: other.label.clone(),
            });
        }
        self.get(id).map(|_| ()).ok_or(ModelError::NotFound)
    }

    /// Replace the secret and its expiry, keep everything else, and note when. The old
    /// secret's expiry and test result said nothing about the new secret, so they go:
    /// a key rotated because it expired would otherwise stay expired, never chosen.
    pub fn rotate(
        &mut self,
        id: Uuid,
        secret: Secret,
        expires_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Result<(), ModelError> {
        self.check_rotation(id, secret.expose())?;
        let s = Secret::new(secret.expose().trim());
        let k = self.get_mut(id)?;
        k.secret = s;
        k.expires_at = expires_at;
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
        // The key's usage stays (it was spent); its budget means nothing without it.
        self.budgets.remove(&id);
        let k = self.keys.remove(i);
        // Only a key with history needs its name kept; the rest would only grow the record.
        if self.usage.iter().any(|r| r.key == id) {
            self.deleted_keys.retain(|d| d.id != id);
            self.deleted_keys.push(crate::usage::DeletedKey {
                id,
                label: k.label.clone(),
                provider: k.provider,
            });
        }
        Ok(k)
    }

    pub fn record_test(
        &mut self,
        id: Uuid,
        result: TestResult,
        now: OffsetDateTime,
    ) -> Result<(), ModelError> {
        self.get_mut(id)?.record_test(result, now);
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
        if let Some(d) = self
            .keys_for(provider)
            .find(|k| k.is_default && k.is_usable(now))
        {
            return Ok(d);
        }
        let usable: Vec<&KeyEntry> = self
            .keys_for(provider)
            .filter(|k| k.is_usable(now))
            .collect();
        match usable.as_slice() {
            [only] => Ok(only),
            [] => {
                // Say why, when the reason is expiry: "no key" would send people looking
                // for a key they can see on the Keys page.
                let expired_default = self
                    .keys_for(provider)
                    .find(|k| k.is_active && k.is_expired(now) && k.is_default)
                    .or_else(|| {
                        self.keys_for(provider)
                            .find(|k| k.is_active && k.is_expired(now))
                    });
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

    /// The key resolution passed over because it expired, when that changed the outcome:
    /// the person expects their default (or the key they always used) and must be told
    /// why another one answers, or why none can.
    pub fn skipped_expired(&self, provider: Provider, now: OffsetDateTime) -> Option<&KeyEntry> {
        if self
            .keys_for(provider)
            .any(|k| k.is_default && k.is_usable(now))
        {
            return None;
        }
        self.keys_for(provider)
            .filter(|k| k.is_active && k.is_expired(now))
            .min_by_key(|k| !k.is_default)
    }

    pub fn auto_failover(&self, provider: Provider) -> bool {
        self.auto_failover.iter().any(|p| p == provider.id())
    }

    /// Turn automatic failover on or off for `provider`. Returns whether anything changed.
    pub fn set_auto_failover(&mut self, provider: Provider, on: bool) -> bool {
        if self.auto_failover(provider) == on {
            return false;
        }
        if on {
            self.auto_failover.push(provider.id().to_string());
            self.auto_failover.sort();
        } else {
            self.auto_failover.retain(|p| p != provider.id());
        }
        true
    }

    /// Keys to try after `failed` when it hit a rate limit: the other usable ones of the
    /// same service (provider and address: two OpenAI-compatible keys may be two
    /// companies, and a conversation must not move to another one unasked), default
    /// first, then in the order they were added.
    pub fn failover_candidates(&self, failed: Uuid, now: OffsetDateTime) -> Vec<&KeyEntry> {
        let Some(f) = self.get(failed) else {
            return Vec::new();
        };
        let service = f.effective_base_url().map(origin_of);
        let mut v: Vec<&KeyEntry> = self
            .keys_for(f.provider)
            .filter(|k| k.id != failed && k.is_usable(now))
            .filter(|k| k.effective_base_url().map(origin_of) == service)
            .collect();
        v.sort_by_key(|k| !k.is_default);
        v
    }
}

fn expired(k: &KeyEntry) -> ResolveError {
    let date = k
        .expires_at
        .map(|d| crate::usage::day_string(d.date()))
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-26 12:00 UTC);

    fn id(n: u8) -> Uuid {
        Uuid::from_bytes([n; 16])
    }

    pub(crate) fn new(provider: Provider, label: &str, secret: &str) -> NewKey {
        NewKey {
            provider,
            label: label.into(),
            secret: Secret::new(secret),
            base_url: None,
            expires_at: None,
            notes: String::new(),
            make_default: false,
        }
    }

    #[test]
    fn auto_failover_is_kept_in_the_vault_with_providers_of_later_versions() {
        let mut v = Vault::default();
        assert!(v.set_auto_failover(Provider::Gemini, true));
        assert!(!v.set_auto_failover(Provider::Gemini, true));
        assert!(v.set_auto_failover(Provider::Anthropic, true));
        assert!(v.auto_failover(Provider::Gemini) && !v.auto_failover(Provider::Openai));
        let json = serde_json::to_string(&v).expect("json");
        assert!(
            json.contains(r#""auto_failover":["anthropic","gemini"]"#),
            "{json}"
        );
        let back: Vault = serde_json::from_str(&json).expect("parse");
        assert_eq!(back, v);
        assert!(v.set_auto_failover(Provider::Gemini, false));
        assert_eq!(v.auto_failover, ["anthropic"]);
        // A provider from a later version neither makes the vault unreadable nor goes
        // with this version's changes.
        let mut later: Vault =
            serde_json::from_str(r#"{"schema":1,"keys":[],"auto_failover":["mistral","openai"]}"#)
                .expect("parse");
        assert!(later.auto_failover(Provider::Openai));
        later.set_auto_failover(Provider::Gemini, true);
        later.set_auto_failover(Provider::Openai, false);
        assert_eq!(later.auto_failover, ["gemini", "mistral"]);
        // An empty list is not written at all.
        assert!(
            !serde_json::to_string(&Vault::default())
                .expect("json")
                .contains("failover")
        );
    }

    #[test]
    fn one_label_per_provider_whatever_its_case() {
        let mut v = Vault::default();
        v.add(new(Provider::Gemini, "Gemini main", "AIza-1"), id(1), NOW)
            .expect("add");
        let taken = v.add(new(Provider::Gemini, " gemini MAIN ", "AIza-2"), id(2), NOW);
        assert_eq!(
            taken,
            Err(ModelError::DuplicateLabel {
                provider: Provider::Gemini,
                label: "Gemini main".into()
            })
        );
        assert_eq!(v.keys.len(), 1);
        // Another provider's key may share it; a second Gemini key needs its own.
        v.add(new(Provider::Openai, "Gemini main", "sk-3"), id(3), NOW)
            .expect("other provider");
        v.add(new(Provider::Gemini, "Gemini spare", "AIza-4"), id(4), NOW)
            .expect("add");
        let edit = |label: &str| KeyEdit {
            label: label.into(),
            base_url: None,
            expires_at: None,
            notes: "changed".into(),
        };
        assert!(matches!(
            v.edit(id(4), edit("GEMINI MAIN")),
            Err(ModelError::DuplicateLabel { .. })
        ));
        // Its own label, in another case, is no clash.
        v.edit(id(4), edit("gemini SPARE")).expect("own label");
        // Two keys under one label from before the rule (or an import) can still be
        // edited while the label stays.
        v.keys[2].label = "Gemini main".into();
        v.edit(id(4), edit("Gemini main")).expect("label unchanged");
    }

    #[test]
    fn a_new_base_url_drops_the_test_of_the_old_one() {
        let mut v = Vault::default();
        v.add(new(Provider::Openai, "Proxy", "sk-1"), id(1), NOW)
            .expect("add");
        let failed = TestResult {
            outcome: TestOutcome::Blocked,
            message: "Not allowed by this page's connect policy.".into(),
            models: vec![],
        };
        let edit = |label: &str, base_url: Option<&str>| KeyEdit {
            label: label.into(),
            base_url: base_url.map(str::to_string),
            expires_at: None,
            notes: String::new(),
        };
        v.record_test(id(1), failed, NOW).expect("test");
        // Another label or note: the test still stands.
        v.edit(id(1), edit("Proxy 2", None)).expect("edit");
        assert!(v.get(id(1)).expect("k").last_test.is_some());
        v.edit(id(1), edit("Proxy 2", Some("https://proxy.example/v1")))
            .expect("edit");
        let k = v.get(id(1)).expect("k");
        assert!(k.last_test.is_none() && k.last_test_at.is_none());
    }

    #[test]
    fn keys_in_each_order_ties_kept_as_added() {
        let mut v = Vault::default();
        for (n, label) in [(1, "beta"), (2, "Alpha"), (3, "gamma"), (4, "Delta")] {
            v.add(new(Provider::Openai, label, &format!("sk-{n}")), id(n), NOW)
                .expect("add");
        }
        v.add(new(Provider::Anthropic, "aaa", "sk-ant-x"), id(9), NOW)
            .expect("add");
        let day = |d: u8| NOW.replace_day(d).expect("day");
        v.get_mut(id(1)).expect("1").last_used_at = Some(day(20));
        v.get_mut(id(3)).expect("3").last_used_at = Some(day(25));
        v.get_mut(id(4)).expect("4").last_used_at = Some(day(1));
        v.get_mut(id(2)).expect("2").expires_at = Some(day(28));
        v.get_mut(id(4)).expect("4").expires_at = Some(day(27));
        let labels = |o| {
            v.keys_in_order(Provider::Openai, o)
                .iter()
                .map(|k| k.label.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(labels(KeyOrder::Added), ["beta", "Alpha", "gamma", "Delta"]);
        assert_eq!(labels(KeyOrder::Name), ["Alpha", "beta", "Delta", "gamma"]);
        assert_eq!(
            labels(KeyOrder::LastUsed),
            ["gamma", "beta", "Delta", "Alpha"]
        );
        assert_eq!(
            labels(KeyOrder::Expiry),
            ["Delta", "Alpha", "beta", "gamma"]
        );
        for o in KeyOrder::ALL {
            assert_eq!(KeyOrder::from_id(o.id()), Some(o));
        }
        assert_eq!(KeyOrder::from_id("sideways"), None);
        let read = |j: &str| serde_json::from_str::<KeyOrder>(j).ok();
        assert_eq!(read("\"last-used\""), Some(KeyOrder::LastUsed));
        assert_eq!(read("\"by-colour\""), Some(KeyOrder::Added));
    }

    fn defaults(v: &Vault, p: Provider) -> usize {
        v.keys_for(p).filter(|k| k.is_default).count()
    }

    #[test]
    fn first_key_of_a_provider_becomes_its_default() {
        let mut v = Vault::default();
        v.add(new(Provider::Openai, "A", "sk-a"), id(1), NOW)
            .expect("add");
        v.add(new(Provider::Openai, "B", "sk-b"), id(2), NOW)
            .expect("add");
        v.add(new(Provider::Anthropic, "C", "sk-ant-c"), id(3), NOW)
            .expect("add");
        assert!(v.get(id(1)).expect("a").is_default);
        assert!(!v.get(id(2)).expect("b").is_default);
        assert!(v.get(id(3)).expect("c").is_default);
    }

    #[test]
    fn at_most_one_default_per_provider() {
        let mut v = Vault::default();
        v.add(new(Provider::Openai, "A", "sk-a"), id(1), NOW)
            .expect("add");
        let mut b = new(Provider::Openai, "B", "sk-b");
        b.make_default = true;
        v.add(b, id(2), NOW).expect("add");
        assert_eq!(defaults(&v, Provider::Openai), 1);
        assert!(v.get(id(2)).expect("b").is_default);
        v.set_default(id(1)).expect("default");
        assert_eq!(defaults(&v, Provider::Openai), 1);
        assert!(v.get(id(1)).expect("a").is_default);
    }

    #[test]
    fn duplicate_secret_is_refused_with_the_existing_label() {
        let mut v = Vault::default();
        v.add(new(Provider::Openai, "Work", "sk-same"), id(1), NOW)
            .expect("add");
        let err = v
            .add(new(Provider::Openai, "Copy", " sk-same\n"), id(2), NOW)
            .expect_err("dup");
        assert_eq!(
            err,
            ModelError::DuplicateSecret {
                label: "Work".into()
            }
        );
        assert_eq!(err.to_string(), "This key is already saved as \"Work\".");
        assert_eq!(v.keys.len(), 1);
    }

    #[test]
    fn a_secret_with_whitespace_inside_is_refused_and_nothing_changes() {
        let mut v = Vault::default();
        for bad in ["hello world", "sk-a\nsk-b", "sk-proj-FAKE\tTEST"] {
            assert_eq!(
                v.add(new(Provider::Openai, "A", bad), id(1), NOW),
                Err(ModelError::SecretHasSpaces)
            );
        }
        assert!(v.keys.is_empty());
        v.add(new(Provider::Openai, "A", "  sk-a\n"), id(1), NOW)
            .expect("ends trimmed");
        assert_eq!(
            v.rotate(id(1), Secret::new("sk-new sk-new"), None, NOW),
            Err(ModelError::SecretHasSpaces)
        );
        assert_eq!(v.get(id(1)).expect("k").secret.expose(), "sk-a");
    }

    #[test]
    fn openai_compatible_needs_a_valid_base_url() {
        let mut v = Vault::default();
        let k = new(Provider::OpenaiCompatible, "Router", "sk-or-v1-x");
        assert_eq!(
            v.add(k.clone(), id(1), NOW),
            Err(ModelError::MissingBaseUrl)
        );
        let mut bad = k.clone();
        bad.base_url = Some("javascript:alert(1)".into());
        assert!(matches!(
            v.add(bad, id(1), NOW),
            Err(ModelError::BadBaseUrl(_))
        ));
        let mut creds = k.clone();
        creds.base_url = Some("https://user:pw@example.com/v1".into());
        assert!(matches!(
            v.add(creds, id(1), NOW),
            Err(ModelError::BadBaseUrl(_))
        ));
        let mut good = k;
        good.base_url = Some(" https://openrouter.ai/api/v1/ ".into());
        v.add(good, id(1), NOW).expect("add");
        assert_eq!(
            v.get(id(1)).expect("k").base_url.as_deref(),
            Some("https://openrouter.ai/api/v1")
        );
        assert_eq!(
            origin_of("https://openrouter.ai/api/v1"),
            "https://openrouter.ai"
        );
        assert_eq!(origin_of("http://127.0.0.1:9000"), "http://127.0.0.1:9000");
    }

    #[test]
    fn plain_http_only_for_this_computer_or_the_local_network() {
        for local in [
            "http://localhost:11434/v1",
            "http://127.0.0.1:8080",
            "http://[::1]:11434",
            "http://192.168.1.20:11434/v1",
            "http://10.0.0.5",
            "http://172.20.0.2:8000",
            "http://169.254.3.4",
            "http://[fd12::1]:80",
            "http://ollama:11434",
            "http://nas.local:8080/v1",
            "http://box.lan",
            "http://gpu.home.arpa/v1",
            "http://llm.internal",
            "https://api.example.com/v1",
        ] {
            assert!(normalize_base_url(local).is_ok(), "{local}");
        }
        for public in [
            "http://api.openai.com/v1",
            "http://example.com",
            "http://8.8.8.8/v1",
            "http://172.32.0.1",
            "http://[2001:db8::1]:80",
            "http://localhost.evil.com",
            "http://134744072/v1",
            "http://0x08080808",
            "http://8.8.2056",
            "http://0x8.0x8.0x8.0x8",
        ] {
            assert!(
                matches!(normalize_base_url(public), Err(ModelError::BadBaseUrl(m)) if m.contains("unencrypted")),
                "{public}"
            );
        }
    }

    #[test]
    fn empty_label_or_secret_is_refused() {
        let mut v = Vault::default();
        assert_eq!(
            v.add(new(Provider::Openai, "  ", "sk-a"), id(1), NOW),
            Err(ModelError::EmptyLabel)
        );
        assert_eq!(
            v.add(new(Provider::Openai, "A", "  "), id(1), NOW),
            Err(ModelError::EmptySecret)
        );
    }

    #[test]
    fn resolution_order() {
        let mut v = Vault::default();
        let p = Provider::Anthropic;
        assert_eq!(
            v.resolve(p, None, NOW).err(),
            Some(ResolveError::NoActiveKey { provider: p })
        );
        assert_eq!(
            ResolveError::NoActiveKey { provider: p }.to_string(),
            "No active Anthropic key: add one under Keys, or paste one for this session."
        );
        v.add(new(p, "A", "sk-ant-a"), id(1), NOW).expect("add");
        v.add(new(p, "B", "sk-ant-b"), id(2), NOW).expect("add");
        // Default wins.
        assert_eq!(v.resolve(p, None, NOW).expect("k").id, id(1));
        // Explicit choice wins over the default.
        assert_eq!(v.resolve(p, Some(id(2)), NOW).expect("k").id, id(2));
        // An inactive default falls through to the only other active key.
        v.set_active(id(1), false).expect("off");
        assert_eq!(v.resolve(p, None, NOW).expect("k").id, id(2));
        // Several active, none default: ambiguous, with a way out.
        v.set_active(id(1), true).expect("on");
        v.keys[0].is_default = false;
        assert_eq!(
            v.resolve(p, None, NOW).err(),
            Some(ResolveError::Ambiguous {
                provider: p,
                count: 2
            })
        );
        // Explicitly chosen but inactive, or of another provider.
        v.set_active(id(2), false).expect("off");
        assert!(matches!(
            v.resolve(p, Some(id(2)), NOW),
            Err(ResolveError::Inactive { .. })
        ));
        assert!(matches!(
            v.resolve(Provider::Openai, Some(id(1)), NOW),
            Err(ResolveError::WrongProvider { .. })
        ));
        assert_eq!(
            v.resolve(p, Some(id(9)), NOW).err(),
            Some(ResolveError::Missing)
        );
    }

    #[test]
    fn expired_keys_are_never_chosen_and_the_error_says_why() {
        let mut v = Vault::default();
        let p = Provider::Gemini;
        let mut k = new(p, "Old", "AIza-old");
        k.expires_at = Some(datetime!(2026-11-01 0:00 UTC));
        v.add(k, id(1), NOW).expect("add");
        let err = v.resolve(p, None, NOW).expect_err("expired");
        assert_eq!(
            err.to_string(),
            "Your Gemini key \"Old\" expired on 2026-11-01: rotate it or set a new expiry under Keys."
        );
        assert!(matches!(
            v.resolve(p, Some(id(1)), NOW),
            Err(ResolveError::Expired { .. })
        ));
        v.add(new(p, "Fresh", "AIza-fresh"), id(2), NOW)
            .expect("add");
        // The expired default is skipped for the only usable key.
        assert_eq!(v.resolve(p, None, NOW).expect("k").id, id(2));
        // Still valid before its expiry.
        assert_eq!(
            v.resolve(p, Some(id(1)), datetime!(2026-10-31 23:59 UTC))
                .expect("k")
                .id,
            id(1)
        );
    }

    #[test]
    fn an_expiry_date_starts_at_midnight_where_the_person_is() {
        use time::macros::offset;
        let mut v = Vault::default();
        let mut n = new(Provider::Openai, "Dated", "sk-proj-FAKE-dated-TEST");
        n.expires_at = Some(datetime!(2026-12-01 0:00 UTC));
        v.add(n, id(1), NOW).expect("add");
        let k = v.get(id(1)).expect("k");
        // 20:00 on 30 November in UTC-12 is already 1 December in UTC: not expired yet.
        let evening_before = datetime!(2026-11-30 20:00 -12:00);
        assert!(!k.is_expired(evening_before));
        // 08:00 on 1 December in UTC+14 is still 30 November in UTC: expired.
        let morning_of = datetime!(2026-12-01 08:00 +14:00);
        assert!(k.is_expired(morning_of));
        assert!(!k.is_expired(morning_of.to_offset(offset!(UTC))));
        assert!(k.is_expired(datetime!(2026-12-01 0:00 UTC)));
        assert!(!k.is_expired(datetime!(2026-11-30 23:59 UTC)));
    }

    #[test]
    fn rotating_an_expired_key_gives_it_the_new_secrets_expiry() {
        let mut v = Vault::default();
        let mut k = new(Provider::Openai, "Old", "sk-proj-FAKE-old-TEST");
        k.expires_at = Some(datetime!(2026-11-20 0:00 UTC));
        v.add(k, id(1), NOW).expect("add");
        assert!(!v.get(id(1)).expect("k").is_usable(NOW));
        // No date given: the new secret does not expire, and the key is chosen again.
        v.rotate(id(1), Secret::new("sk-proj-FAKE-new-TEST"), None, NOW)
            .expect("rotate");
        let k = v.get(id(1)).expect("k");
        assert_eq!(k.expires_at, None);
        assert!(k.is_usable(NOW));
        let later = datetime!(2027-05-01 0:00 UTC);
        v.rotate(
            id(1),
            Secret::new("sk-proj-FAKE-newer-TEST"),
            Some(later),
            NOW,
        )
        .expect("rotate");
        assert_eq!(v.get(id(1)).expect("k").expires_at, Some(later));
    }

    #[test]
    fn rotation_keeps_settings_and_records_the_date() {
        let mut v = Vault::default();
        let mut k = new(Provider::Openai, "Work", "sk-old");
        k.notes = "team".into();
        v.add(k, id(1), NOW).expect("add");
        v.add(new(Provider::Openai, "Other", "sk-other"), id(2), NOW)
            .expect("add");
        v.record_test(
            id(1),
            TestResult {
                outcome: TestOutcome::Ok,
                message: "ok".into(),
                models: vec![],
            },
            NOW,
        )
        .expect("test");
        assert_eq!(
            v.rotate(id(1), Secret::new("sk-other"), None, NOW),
            Err(ModelError::DuplicateSecret {
                label: "Other".into()
            })
        );
        v.rotate(id(1), Secret::new("sk-new"), None, NOW)
            .expect("rotate");
        let k = v.get(id(1)).expect("k");
        assert_eq!(k.secret.expose(), "sk-new");
        assert_eq!(
            (k.label.as_str(), k.notes.as_str(), k.is_default),
            ("Work", "team", true)
        );
        assert_eq!(k.rotated_at, Some(NOW));
        assert!(
            k.last_test.is_none(),
            "the old test said nothing about the new secret"
        );
    }

    #[test]
    fn failover_prefers_the_default_then_insertion_order() {
        let mut v = Vault::default();
        let p = Provider::Openai;
        for (n, s) in [(1, "sk-1"), (2, "sk-2"), (3, "sk-3")] {
            v.add(new(p, &format!("K{n}"), s), id(n), NOW).expect("add");
        }
        v.set_default(id(3)).expect("default");
        let order: Vec<Uuid> = v
            .failover_candidates(id(1), NOW)
            .iter()
            .map(|k| k.id)
            .collect();
        assert_eq!(order, vec![id(3), id(2)]);
        v.set_active(id(2), false).expect("off");
        assert_eq!(
            v.failover_candidates(id(3), NOW)
                .iter()
                .map(|k| k.id)
                .collect::<Vec<_>>(),
            vec![id(1)]
        );
    }

    #[test]
    fn failover_stays_with_the_same_service() {
        let mut v = Vault::default();
        let p = Provider::OpenaiCompatible;
        for (n, s, url) in [
            (1, "sk-or-1", "https://openrouter.ai/api/v1"),
            (2, "gsk_2", "https://api.groq.com/openai/v1"),
            (3, "sk-or-3", "https://openrouter.ai/api/v1/"),
        ] {
            let mut k = new(p, &format!("K{n}"), s);
            k.base_url = Some(url.into());
            v.add(k, id(n), NOW).expect("add");
        }
        let ids = |failed| {
            v.failover_candidates(id(failed), NOW)
                .iter()
                .map(|k| k.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(1), vec![id(3)]);
        assert_eq!(ids(2), Vec::<Uuid>::new());
    }

    #[test]
    fn unknown_fields_survive_a_round_trip() {
        let json = r#"{"schema":1,"keys":[{"id":"7f1c0c1e-8a4e-4b7e-9a51-2f0a8f3b9c11","provider":"openai","label":"A","secret":"sk-a","is_default":true,"is_active":true,"created_at":"2026-11-01T09:30:00Z","future_field":{"x":1}}],"conversations_index":[1,2]}"#;
        let v: Vault = serde_json::from_str(json).expect("parse");
        let back = serde_json::to_value(&v).expect("json");
        assert_eq!(back["keys"][0]["future_field"]["x"], 1);
        assert_eq!(back["conversations_index"][1], 2);
    }

    #[test]
    fn debug_of_an_entry_never_shows_the_secret() {
        let mut v = Vault::default();
        v.add(
            new(
                Provider::Openai,
                "A",
                "sk-proj-FAKE-supersecretvalue-TEST-abcd",
            ),
            id(1),
            NOW,
        )
        .expect("add");
        let shown = format!("{:?}", v);
        assert!(!shown.contains("supersecretvalue"), "{shown}");
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        #[derive(Debug, Clone)]
        enum Op {
            Add(u8, u8, bool),
            SetDefault(u8),
            SetActive(u8, bool),
            Remove(u8),
        }

        fn op() -> impl Strategy<Value = Op> {
            prop_oneof![
                (0u8..4, 0u8..12, any::<bool>()).prop_map(|(p, n, d)| Op::Add(p, n, d)),
                (0u8..12).prop_map(Op::SetDefault),
                (0u8..12, any::<bool>()).prop_map(|(n, a)| Op::SetActive(n, a)),
                (0u8..12).prop_map(Op::Remove),
            ]
        }

        proptest! {
            #[test]
            fn any_sequence_keeps_one_default_at_most_and_resolution_total(ops in proptest::collection::vec(op(), 0..40)) {
                let mut v = Vault::default();
                for o in ops {
                    let _ = match o {
                        Op::Add(p, n, d) => {
                            let provider = Provider::ALL[p as usize];
                            // Labels of their own: one provider's keys may not share one.
                            let mut k = new(provider, &format!("k{n}"), &format!("secret-{n}"));
                            k.make_default = d;
                            k.base_url = Some("https://example.com/v1".into());
                            v.add(k, id(n), NOW).map(|_| ())
                        }
                        Op::SetDefault(n) => v.set_default(id(n)),
                        Op::SetActive(n, a) => v.set_active(id(n), a),
                        Op::Remove(n) => v.remove(id(n)).map(|_| ()),
                    };
                    for p in Provider::ALL {
                        prop_assert!(defaults(&v, p) <= 1);
                        if let Ok(k) = v.resolve(p, None, NOW) {
                            prop_assert!(k.provider == p && k.is_usable(NOW));
                        }
                    }
                }
            }
        }
    }
}
