//! What a pasted key looks like: which provider it probably belongs to, what seems wrong
//! with it, and how to show it without showing it. A guess is only a guess: an unknown
//! prefix is never refused, because providers add new key formats without notice.

use crate::model::Provider;

/// Known prefixes, longest first so `sk-ant-` wins over `sk-`.
const PREFIXES: &[(&str, Option<Provider>, &str)] = &[
    (
        "sk-ant-admin01-",
        Some(Provider::Anthropic),
        "Anthropic admin key",
    ),
    (
        "sk-ant-api03-",
        Some(Provider::Anthropic),
        "Anthropic API key",
    ),
    ("sk-ant-", Some(Provider::Anthropic), "Anthropic key"),
    ("sk-proj-", Some(Provider::Openai), "OpenAI project key"),
    (
        "sk-svcacct-",
        Some(Provider::Openai),
        "OpenAI service-account key",
    ),
    ("sk-admin-", Some(Provider::Openai), "OpenAI admin key"),
    (
        "sk-or-v1-",
        Some(Provider::OpenaiCompatible),
        "OpenRouter key",
    ),
    ("gsk_", Some(Provider::OpenaiCompatible), "Groq key"),
    ("AIza", Some(Provider::Gemini), "Google API key"),
    ("AQ.", Some(Provider::Gemini), "Google API key"),
    ("sk-", Some(Provider::Openai), "OpenAI key"),
];

/// Shortest length of a real key of each known kind we have seen; shorter means the paste
/// was probably cut off.
fn min_plausible_len(prefix: &str) -> usize {
    match prefix {
        "AIza" => 39,
        "AQ." => 30,
        "gsk_" => 40,
        _ => 40,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyGuess {
    pub provider: Option<Provider>,
    /// A human name for the kind of key ("OpenRouter key"), if the prefix is known.
    pub kind: Option<&'static str>,
    /// The matched prefix, shown in masks.
    pub prefix: Option<&'static str>,
    /// For OpenAI-compatible services recognised by prefix, their usual base URL.
    pub suggested_base_url: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyWarning {
    Empty,
    /// Spaces, tabs or newlines at the ends or inside.
    Whitespace,
    /// Wrapped in quotes, as copied out of a `.env` file or JSON.
    Quotes,
    /// Shorter than keys of its kind: probably cut off when copied.
    LooksTruncated,
    /// An Anthropic admin key manages the organisation; it cannot send messages.
    AdminKeyCannotChat,
    /// The key's prefix belongs to another provider than the one chosen.
    ProviderMismatch {
        guessed: Provider,
    },
    /// Characters that never appear in API keys (non-ASCII, control characters).
    OddCharacters,
}

impl KeyWarning {
    pub fn message(&self) -> String {
        match self {
            KeyWarning::Empty => "The key is empty.".into(),
            KeyWarning::Whitespace => {
                "The secret has spaces or line breaks inside it; API keys never do. Check the paste."
                    .into()
            }
            KeyWarning::Quotes => "The key is wrapped in quotes; remove them.".into(),
            KeyWarning::LooksTruncated => {
                "The key looks shorter than usual for its kind: it may have been cut off when copied."
                    .into()
            }
            KeyWarning::AdminKeyCannotChat => {
                "This is an Anthropic admin key: it manages your organisation but cannot be used for chat."
                    .into()
            }
            KeyWarning::ProviderMismatch { guessed } => format!(
                "This key looks like {} key, not one for the provider you chose.",
                guessed.with_article()
            ),
            KeyWarning::OddCharacters => {
                "The key contains characters that API keys never use; check the paste.".into()
            }
        }
    }
}

pub fn guess(secret: &str) -> KeyGuess {
    let s = secret.trim().trim_matches(|c| c == '"' || c == '\'');
    for (prefix, provider, kind) in PREFIXES {
        if s.starts_with(prefix) {
            let suggested_base_url = match *prefix {
                "sk-or-v1-" => Some("https://openrouter.ai/api/v1"),
                "gsk_" => Some("https://api.groq.com/openai/v1"),
                _ => None,
            };
            return KeyGuess {
                provider: *provider,
                kind: Some(kind),
                prefix: Some(prefix),
                suggested_base_url,
            };
        }
    }
    KeyGuess {
        provider: None,
        kind: None,
        prefix: None,
        suggested_base_url: None,
    }
}

/// Everything that looks wrong with `secret` for `chosen` (the provider the user picked,
/// if any). Advice: the user may know better. Only whitespace inside a key can never
/// work, and the vault refuses that itself (`Vault::add`, `Vault::rotate`).
pub fn check(secret: &str, chosen: Option<Provider>) -> Vec<KeyWarning> {
    let mut out = Vec::new();
    if secret.trim().is_empty() {
        out.push(KeyWarning::Empty);
        return out;
    }
    let t = secret.trim();
    // At the ends it is a paste's stray space or line break, and trimmed on saving.
    if t.chars().any(char::is_whitespace) {
        out.push(KeyWarning::Whitespace);
    }
    if t.len() >= 2
        && ((t.starts_with('"') && t.ends_with('"')) || (t.starts_with('\'') && t.ends_with('\'')))
    {
        out.push(KeyWarning::Quotes);
    }
    if t.chars()
        .any(|c| !c.is_ascii() || (c.is_control() && !c.is_whitespace()))
    {
        out.push(KeyWarning::OddCharacters);
    }
    let g = guess(secret);
    if let Some(prefix) = g.prefix {
        let core = t.trim_matches(|c| c == '"' || c == '\'');
        if core.len() < min_plausible_len(prefix) {
            out.push(KeyWarning::LooksTruncated);
        }
        if prefix == "sk-ant-admin01-" {
            out.push(KeyWarning::AdminKeyCannotChat);
        }
    }
    if let (Some(guessed), Some(chosen)) = (g.provider, chosen) {
        // An OpenAI-style `sk-` key is often valid for OpenAI-compatible services too.
        let compatible = chosen == Provider::OpenaiCompatible
            && matches!(guessed, Provider::Openai | Provider::OpenaiCompatible);
        if guessed != chosen && !compatible {
            out.push(KeyWarning::ProviderMismatch { guessed });
        }
    }
    out
}

/// `sk-ant-…9xAA`: the provider prefix (so people can tell keys apart) and the last four
/// characters (so they can match it against the provider's console), nothing between.
pub fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    let shown_prefix = match guess(secret).prefix {
        // Mask the family (`sk-ant-`), not the version, which says nothing to people.
        Some(p) if p.starts_with("sk-ant-") => "sk-ant-",
        Some(p) => p,
        None => "",
    };
    // Short keys would be almost fully revealed by prefix + 4: show less.
    if chars.len() < 12 {
        return "…".to_string();
    }
    let tail: String = chars[chars.len() - 4..].iter().collect();
    let prefix_chars = shown_prefix.chars().count();
    if prefix_chars + 4 + 8 > chars.len() {
        return format!("…{tail}");
    }
    format!("{shown_prefix}…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANT: &str = "sk-ant-api03-FAKEnotArealKEYforTESTSabc0123456789ABCDEFGH-9xAA";

    #[test]
    fn guesses_each_documented_prefix() {
        let cases = [
            (ANT, Some(Provider::Anthropic)),
            (
                "sk-ant-admin01-FAKEnotArealKEYforTESTSabc0123456789",
                Some(Provider::Anthropic),
            ),
            (
                "sk-proj-FAKEnotArealKEYforTESTSabc0123456789",
                Some(Provider::Openai),
            ),
            (
                "sk-svcacct-FAKEnotArealKEYforTESTSabc012345678",
                Some(Provider::Openai),
            ),
            (
                "sk-FAKEnotArealKEYforTESTSabc0123456789abcd",
                Some(Provider::Openai),
            ),
            (
                "AIzaSyA-FAKEnotArealKEYforTESTSabc0123",
                Some(Provider::Gemini),
            ),
            (
                "AQ.FAKE00FAKEnotArealKEYforTESTSabc",
                Some(Provider::Gemini),
            ),
            (
                "sk-or-v1-FAKE0123456789abcdef0123456789ab",
                Some(Provider::OpenaiCompatible),
            ),
            (
                "gsk_FAKE0123456789abcdef0123456789abcdef",
                Some(Provider::OpenaiCompatible),
            ),
            ("xyz-unknown-format-0123456789", None),
        ];
        for (k, p) in cases {
            assert_eq!(guess(k).provider, p, "{k}");
        }
        assert_eq!(
            guess("sk-or-v1-FAKE0123456789abcdef0123456789ab").suggested_base_url,
            Some("https://openrouter.ai/api/v1")
        );
    }

    #[test]
    fn unknown_prefix_gets_no_warning() {
        assert!(check("mistral-0123456789abcdef0123456789abcdef", None).is_empty());
        assert!(check(ANT, Some(Provider::Anthropic)).is_empty());
    }

    #[test]
    fn warns_on_paste_accidents() {
        assert!(check(&format!("{ANT} {ANT}"), None).contains(&KeyWarning::Whitespace));
        // A stray space or line break at an end is trimmed on saving: nothing to say.
        assert!(check(&format!(" {ANT}\n"), None).is_empty());
        assert!(check(&format!("\"{ANT}\""), None).contains(&KeyWarning::Quotes));
        assert!(check("sk-ant-api03-FAKE", None).contains(&KeyWarning::LooksTruncated));
        assert!(check("", None).contains(&KeyWarning::Empty));
        assert!(
            check("sk-ant-admin01-FAKEnotArealKEYforTESTSabc0123456789", None)
                .contains(&KeyWarning::AdminKeyCannotChat)
        );
        assert!(
            check(ANT, Some(Provider::Gemini)).contains(&KeyWarning::ProviderMismatch {
                guessed: Provider::Anthropic
            })
        );
        assert!(
            check(
                "sk-FAKEnotArealKEYforTESTSabc0123456789abcd",
                Some(Provider::OpenaiCompatible)
            )
            .is_empty()
        );
        assert!(
            check("sk-proj-ключ0123456789FAKEnotArealKEYforTESTSabc", None)
                .contains(&KeyWarning::OddCharacters)
        );
    }

    #[test]
    fn mask_is_prefix_and_last_four() {
        assert_eq!(mask(ANT), "sk-ant-…9xAA");
        assert_eq!(
            mask("sk-proj-FAKEnotArealKEYforTESTSabc0123456789"),
            "sk-proj-…6789"
        );
        assert_eq!(mask("AIzaSyA-FAKEnotArealKEYforTESTSabc0123"), "AIza…0123");
        assert_eq!(mask("custom-token-0123456789"), "…6789");
        assert_eq!(mask("short"), "…");
        assert_eq!(mask("sk-ant-FAKE5678"), "…5678");
    }

    #[test]
    fn mask_never_shows_the_middle() {
        let m = mask(ANT);
        assert!(!m.contains("notAreal"));
        assert!(m.chars().count() < 14);
    }
}
