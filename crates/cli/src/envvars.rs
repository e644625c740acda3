//! Which keys become which environment variables, and how they are printed.
//!
//! Resolution goes through `model::Vault::resolve`, the same rule the web app uses, so a
//! bundle gives the same key in the browser and in the terminal.

use byok_core::bundle::{BundleKey, BundlePayload};
use byok_core::model::{self, KeyEntry, ModelError, Provider, ResolveError, Vault};
use byok_core::usage::day_string;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::error::CliError;

pub struct EnvVar {
    pub name: &'static str,
    pub value: Zeroizing<String>,
}

/// A base-URL variable that must not survive next to a key exported without one: left
/// over from another key (an earlier `byok env --name OpenRouter`, say), it would send
/// this key to that other host.
pub struct Cleared {
    pub name: &'static str,
    /// Which key it is cleared for, as `the OpenAI key "Work"`, for notes.
    pub key: String,
}

/// The providers whose SDKs read a well-known variable; an OpenAI-compatible key has no
/// variable of its own and is only exported when chosen by label.
const BY_DEFAULT: [Provider; 3] = [Provider::Anthropic, Provider::Openai, Provider::Gemini];

pub struct Resolved {
    pub vars: Vec<EnvVar>,
    pub cleared: Vec<Cleared>,
    /// One line each, for stderr: a provider that has keys but none could be chosen, or
    /// whose default was passed over.
    pub notes: Vec<String>,
}

pub fn resolve(
    payload: &BundlePayload,
    label: Option<(&str, Option<Provider>)>,
    now: OffsetDateTime,
) -> Result<Resolved, CliError> {
    let (vault, refused) = to_vault(payload)?;
    let mut out = Resolved {
        vars: Vec::new(),
        cleared: Vec::new(),
        notes: Vec::new(),
    };
    let mut chosen = Vec::new();
    match label {
        Some((label, provider)) => {
            let key = by_label(&vault, label, provider)?;
            let key = vault
                .resolve(key.provider, Some(key.id), now)
                .map_err(|e| CliError::Usage(resolve_words(&e)))?;
            chosen.push(key);
        }
        None => {
            for p in BY_DEFAULT {
                let var = p.env_var().unwrap_or_default();
                let passed_over = passed_over_default(&vault, p, now);
                match vault.resolve(p, None, now) {
                    Ok(key) => {
                        // The web app's rule falls back to the only other active key;
                        // someone who set a default expects that one, so say so.
                        if let Some(d) = passed_over.filter(|d| d.is_expired(now)) {
                            out.notes.push(format!(
                                "{var} is the {p} key \"{}\": the default, \"{}\", expired on {}",
                                key.label,
                                d.label,
                                expiry(d)
                            ));
                        }
                        chosen.push(key);
                    }
                    // No key for a provider is the normal case, not worth a line.
                    Err(ResolveError::NoActiveKey { .. }) => {}
                    Err(ResolveError::Ambiguous { count, .. }) if passed_over.is_some() => {
                        let why = passed_over.map(|d| default_unusable(d, now));
                        out.notes.push(format!(
                            "{var} not set: {}; {count} other {p} keys are active, choose one with --name LABEL",
                            why.unwrap_or_default()
                        ));
                    }
                    Err(ResolveError::Expired { .. })
                        if passed_over.is_some_and(|d| d.is_expired(now)) =>
                    {
                        let why = passed_over.map(|d| default_unusable(d, now));
                        out.notes
                            .push(format!("{var} not set: {}", why.unwrap_or_default()));
                    }
                    Err(e) => out
                        .notes
                        .push(format!("{var} not set: {}", resolve_words(&e))),
                }
            }
        }
    }
    for key in chosen {
        let rule = vault
            .keys
            .iter()
            .position(|k| k.id == key.id)
            .and_then(|i| refused.get(i).cloned().flatten());
        if let Some(rule) = rule {
            return Err(CliError::BadKey(format!(
                "the {} key \"{}\" cannot be used: {rule}",
                key.provider, key.label
            )));
        }
        push_vars(&mut out, key);
    }
    Ok(out)
}

/// The provider's default when resolution could not use it: what a person who set a
/// default expects, and must be told about when another key (or none) answers instead.
fn passed_over_default(vault: &Vault, p: Provider, now: OffsetDateTime) -> Option<&KeyEntry> {
    if vault.keys_for(p).any(|k| k.is_default && k.is_usable(now)) {
        return None;
    }
    vault
        .skipped_expired(p, now)
        .filter(|k| k.is_default)
        .or_else(|| vault.keys_for(p).find(|k| k.is_default))
}

fn default_unusable(d: &KeyEntry, now: OffsetDateTime) -> String {
    if d.is_expired(now) {
        format!(
            "the default {} key \"{}\" expired on {}",
            d.provider,
            d.label,
            expiry(d)
        )
    } else {
        format!(
            "the default {} key \"{}\" is switched off",
            d.provider, d.label
        )
    }
}

fn expiry(k: &KeyEntry) -> String {
    k.expires_at
        .map(|d| day_string(d.date()))
        .unwrap_or_default()
}

/// The bundle's keys as a vault, ids kept. An id that is not a UUID (another writer) or
/// repeats an earlier one gets a random UUID: ids only need to tell keys apart here.
/// Keys the web app's import would refuse are kept, with the rule they break (at the
/// same index), so that choosing one is an error rather than a silent switch to some
/// other key.
fn to_vault(payload: &BundlePayload) -> Result<(Vault, Vec<Option<String>>), CliError> {
    let mut vault = Vault::default();
    let mut refused = Vec::with_capacity(payload.keys.len());
    for k in &payload.keys {
        let id = match k.uuid() {
            Some(id) if vault.get(id).is_none() => id,
            _ => model::new_id()
                .map_err(|_| CliError::Io("the system's random number generator failed".into()))?,
        };
        let mut entry = k.to_key_entry(id);
        match check_entry(k) {
            Ok(base_url) => {
                entry.base_url = base_url;
                refused.push(None);
            }
            Err(rule) => refused.push(Some(rule)),
        }
        vault.keys.push(entry);
    }
    Ok((vault, refused))
}

/// The checks an import runs on a key (`byok_core::transfer::check_entry`), worded for
/// this tool. `Ok` carries the tidied base URL: a blank one is none, a trailing `/` goes.
fn check_entry(key: &BundleKey) -> Result<Option<String>, String> {
    byok_core::transfer::check_entry(key).map_err(|e| match e {
        ModelError::BadBaseUrl(rule) => format!("its base URL {}", rule.trim_end_matches('.')),
        ModelError::EmptyLabel => "it has no label".into(),
        ModelError::EmptySecret => "its secret is empty".into(),
        ModelError::MissingBaseUrl => "an OpenAI-compatible key needs a base URL".into(),
        other => other.to_string(),
    })
}

/// `provider`: only that provider's keys, for a label two providers share (byok lets
/// each provider's keys have labels of their own, so one label can name several keys).
fn by_label<'a>(
    vault: &'a Vault,
    label: &str,
    provider: Option<Provider>,
) -> Result<&'a KeyEntry, CliError> {
    let looked_at = |k: &&KeyEntry| provider.is_none_or(|p| k.provider == p);
    let found: Vec<&KeyEntry> = vault
        .keys
        .iter()
        .filter(looked_at)
        .filter(|k| k.label == label)
        .collect();
    match found.as_slice() {
        [one] => Ok(one),
        [] => {
            let mut labels: Vec<String> = vault
                .keys
                .iter()
                .filter(looked_at)
                .map(|k| format!("\"{}\"", k.label))
                .collect();
            labels.dedup();
            let whose = provider.map_or_else(String::new, |p| format!("{p} "));
            Err(CliError::Usage(if labels.is_empty() {
                format!("the bundle holds no {whose}keys")
            } else {
                format!(
                    "no {whose}key is labelled \"{label}\"; the labels are {}",
                    labels.join(", ")
                )
            }))
        }
        many => {
            let mut providers: Vec<&str> = many.iter().map(|k| k.provider.id()).collect();
            providers.sort_unstable();
            providers.dedup();
            Err(CliError::Usage(if providers.len() > 1 {
                format!(
                    "{} keys are labelled \"{label}\"; add --provider ({}) to choose one",
                    many.len(),
                    providers.join(" or ")
                )
            } else {
                format!(
                    "{} keys are labelled \"{label}\"; rename one in byok to choose it by label",
                    many.len()
                )
            }))
        }
    }
}

/// `ResolveError` speaks of the web app's Keys page; say it in terms of this tool.
fn resolve_words(e: &ResolveError) -> String {
    match e {
        ResolveError::Ambiguous { provider, count } => format!(
            "{count} active {provider} keys and none is the default; choose one with --name LABEL"
        ),
        ResolveError::Expired {
            provider,
            label,
            date,
        } => format!("the {provider} key \"{label}\" expired on {date}"),
        ResolveError::Inactive { label } => format!("the key \"{label}\" is switched off"),
        other => other.to_string(),
    }
}

fn push_vars(out: &mut Resolved, key: &KeyEntry) {
    // OPENAI_API_BASE is the older name, still read by LangChain, LiteLLM and openai-python
    // before 1.0: set with the other, or cleared with it, so that none of them sends the
    // key to a base URL another key left behind. GOOGLE_GEMINI_BASE_URL is what Google's
    // genai SDKs and the Gemini CLI read (a root like byok's, they add `/v1beta`).
    let (key_var, url_vars): (&'static str, &[&'static str]) = match key.provider {
        Provider::Anthropic => ("ANTHROPIC_API_KEY", &["ANTHROPIC_BASE_URL"]),
        Provider::Openai | Provider::OpenaiCompatible => {
            ("OPENAI_API_KEY", &["OPENAI_BASE_URL", "OPENAI_API_BASE"])
        }
        Provider::Gemini => ("GEMINI_API_KEY", &["GOOGLE_GEMINI_BASE_URL"]),
    };
    out.vars.push(EnvVar {
        name: key_var,
        value: Zeroizing::new(key.secret.expose().to_owned()),
    });
    for &name in url_vars {
        match &key.base_url {
            Some(url) => out.vars.push(EnvVar {
                name,
                value: Zeroizing::new(url.clone()),
            }),
            None => out.cleared.push(Cleared {
                name,
                key: format!("the {} key \"{}\"", key.provider, key.label),
            }),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `export NAME='value'` lines for sh, bash, zsh (`eval "$(byok env FILE)"`).
    Shell,
    /// `NAME='value'` lines for .env files (`NAME="value"`, escaped, when the value holds `'`, `\` or a line break).
    Dotenv,
    /// One JSON object.
    Json,
}

pub fn render(resolved: &Resolved, format: Format) -> Result<Zeroizing<String>, CliError> {
    let vars = &resolved.vars;
    let mut out = Zeroizing::new(String::new());
    match format {
        Format::Shell => {
            for v in vars {
                out.push_str("export ");
                out.push_str(v.name);
                out.push('=');
                shell_quote(&mut out, &v.value);
                out.push('\n');
            }
            for c in &resolved.cleared {
                out.push_str("unset ");
                out.push_str(c.name);
                out.push('\n');
            }
        }
        Format::Dotenv => {
            for v in vars {
                out.push_str(v.name);
                out.push('=');
                dotenv_quote(&mut out, v.name, &v.value)?;
                out.push('\n');
            }
        }
        Format::Json => {
            out.push('{');
            for (i, v) in vars.iter().enumerate() {
                out.push_str(if i == 0 { "\n  " } else { ",\n  " });
                json_string(&mut out, v.name);
                out.push_str(": ");
                json_string(&mut out, &v.value);
            }
            out.push_str(if vars.is_empty() { "}\n" } else { "\n}\n" });
        }
    }
    Ok(out)
}

/// Single quotes make everything literal in POSIX shells; a quote itself is closed,
/// escaped, and reopened.
fn shell_quote(out: &mut String, s: &str) {
    out.push('\'');
    for c in s.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
}

/// No quoting stops every .env reader from expanding `$`: python-dotenv expands
/// `${NAME}` even inside single quotes and has no escape for it, Docker Compose and
/// dotenv-expand expand `$NAME` too. A value with `$` is refused rather than written to
/// be read as something else (a base URL that pulls another secret into the request).
/// Otherwise single quotes, which all of them (and `sh`) read literally, unless the
/// value has a quote, a backslash or a line break; then double quotes with the escapes
/// they agree on.
fn dotenv_quote(out: &mut String, name: &str, s: &str) -> Result<(), CliError> {
    if s.contains('$') {
        return Err(CliError::Usage(format!(
            "{name} contains \"$\", which .env readers such as python-dotenv would expand whatever the quoting; use --format shell or json, or byok run"
        )));
    }
    if !s.contains(['\'', '\\', '\n', '\r']) {
        out.push('\'');
        out.push_str(s);
        out.push('\'');
        return Ok(());
    }
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    Ok(())
}

/// Written by hand rather than through serde_json so the text goes straight into the
/// wiped buffer.
fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn var(name: &'static str, v: &str) -> EnvVar {
        EnvVar {
            name,
            value: Zeroizing::new(v.to_owned()),
        }
    }

    fn render_vars(vars: Vec<EnvVar>, format: Format) -> Result<String, String> {
        let resolved = Resolved {
            vars,
            cleared: Vec::new(),
            notes: Vec::new(),
        };
        render(&resolved, format)
            .map(|s| s.to_string())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn shell_quoting_survives_hostile_values() {
        let out = render_vars(
            vec![var("A", "it's $(rm -rf ~) `x` \"q\" \\ \n end")],
            Format::Shell,
        );
        assert_eq!(
            out.as_deref(),
            Ok("export A='it'\\''s $(rm -rf ~) `x` \"q\" \\ \n end'\n")
        );
    }

    #[test]
    fn shell_output_unsets_a_base_url_the_key_does_not_have() {
        let resolved = Resolved {
            vars: vec![var("OPENAI_API_KEY", "sk-proj-FAKE-TEST")],
            cleared: vec![Cleared {
                name: "OPENAI_BASE_URL",
                key: "the OpenAI key \"Work\"".into(),
            }],
            notes: Vec::new(),
        };
        let out = render(&resolved, Format::Shell).map(|s| s.to_string());
        assert_eq!(
            out.ok().as_deref(),
            Some("export OPENAI_API_KEY='sk-proj-FAKE-TEST'\nunset OPENAI_BASE_URL\n")
        );
    }

    #[test]
    fn dotenv_refuses_a_dollar_that_a_reader_would_expand() {
        for hostile in [
            "https://evil.example/${AWS_SECRET_ACCESS_KEY}",
            "https://evil.example/$HOME",
            "it's ${X}",
        ] {
            let out = render_vars(vec![var("OPENAI_BASE_URL", hostile)], Format::Dotenv);
            let err = out.err().unwrap_or_default();
            assert!(
                err.contains("OPENAI_BASE_URL") && err.contains("--format shell"),
                "{err:?}"
            );
            assert!(!err.contains("evil"), "the value is not shown: {err}");
        }
    }

    #[test]
    fn dotenv_quotes_literally_or_escapes() {
        let v = vec![
            var("A", "sk-proj-FAKE-TEST \"x\" `y` #z"),
            var("B", "a'b\\c\nd\re\"f"),
            var("C", "\u{1}é"),
        ];
        assert_eq!(
            render_vars(v, Format::Dotenv).as_deref(),
            Ok("A='sk-proj-FAKE-TEST \"x\" `y` #z'\nB=\"a'b\\\\c\\nd\\re\\\"f\"\nC='\u{1}é'\n")
        );
    }

    #[test]
    fn json_escapes() {
        let v = vec![var("A", "a\"b\\c\nd$"), var("B", "\u{1}é")];
        let json = render_vars(v, Format::Json).unwrap_or_default();
        let parsed: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
        assert_eq!(parsed["A"], "a\"b\\c\nd$");
        assert_eq!(parsed["B"], "\u{1}é");
        assert_eq!(render_vars(Vec::new(), Format::Json).as_deref(), Ok("{}\n"));
    }
}
