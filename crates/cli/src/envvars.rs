//! Which keys become which environment variables, and how they are printed.
//!
//! Resolution goes through `model::Vault::resolve`, the same rule the web app uses, so a
//! bundle gives the same key in the browser and in the terminal.

use byok_core::bundle::BundlePayload;
use byok_core::model::{self, KeyEntry, Provider, ResolveError, Vault};
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::error::CliError;

pub struct EnvVar {
    pub name: &'static str,
    pub value: Zeroizing<String>,
}

/// The providers whose SDKs read a well-known variable; an OpenAI-compatible key has no
/// variable of its own and is only exported when chosen by label.
const BY_DEFAULT: [Provider; 3] = [Provider::Anthropic, Provider::Openai, Provider::Gemini];

pub struct Resolved {
    pub vars: Vec<EnvVar>,
    /// One line each, for stderr: a provider that has keys but none could be chosen.
    pub notes: Vec<String>,
}

pub fn resolve(
    payload: &BundlePayload,
    label: Option<&str>,
    now: OffsetDateTime,
) -> Result<Resolved, CliError> {
    let vault = to_vault(payload)?;
    let mut vars = Vec::new();
    let mut notes = Vec::new();
    match label {
        Some(label) => {
            let key = by_label(&vault, label)?;
            let key = vault
                .resolve(key.provider, Some(key.id), now)
                .map_err(|e| CliError::Usage(resolve_words(&e)))?;
            push_vars(&mut vars, key);
        }
        None => {
            for p in BY_DEFAULT {
                match vault.resolve(p, None, now) {
                    Ok(key) => push_vars(&mut vars, key),
                    // No key for a provider is the normal case, not worth a line.
                    Err(ResolveError::NoActiveKey { .. }) => {}
                    Err(e) => notes.push(format!(
                        "{} not set: {}",
                        p.env_var().unwrap_or_default(),
                        resolve_words(&e)
                    )),
                }
            }
        }
    }
    Ok(Resolved { vars, notes })
}

/// The bundle's keys as a vault, ids kept. An id that is not a UUID (another writer) or
/// repeats an earlier one gets a random UUID: ids only need to tell keys apart here.
fn to_vault(payload: &BundlePayload) -> Result<Vault, CliError> {
    let mut vault = Vault::default();
    for k in &payload.keys {
        let id = match k.uuid() {
            Some(id) if vault.get(id).is_none() => id,
            _ => model::new_id()
                .map_err(|_| CliError::Io("the system's random number generator failed".into()))?,
        };
        vault.keys.push(k.to_key_entry(id));
    }
    Ok(vault)
}

fn by_label<'a>(vault: &'a Vault, label: &str) -> Result<&'a KeyEntry, CliError> {
    let found: Vec<&KeyEntry> = vault.keys.iter().filter(|k| k.label == label).collect();
    match found.as_slice() {
        [one] => Ok(one),
        [] => {
            let mut labels: Vec<String> = vault
                .keys
                .iter()
                .map(|k| format!("\"{}\"", k.label))
                .collect();
            labels.dedup();
            Err(CliError::Usage(if labels.is_empty() {
                "the bundle holds no keys".into()
            } else {
                format!(
                    "no key is labelled \"{label}\"; the labels are {}",
                    labels.join(", ")
                )
            }))
        }
        many => Err(CliError::Usage(format!(
            "{} keys are labelled \"{label}\"; rename one in byok to choose it by label",
            many.len()
        ))),
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

fn push_vars(vars: &mut Vec<EnvVar>, key: &KeyEntry) {
    let secret = || Zeroizing::new(key.secret.expose().to_owned());
    let base_url = key.base_url.as_ref().map(|u| Zeroizing::new(u.clone()));
    let (key_var, url_var) = match key.provider {
        Provider::Anthropic => ("ANTHROPIC_API_KEY", Some("ANTHROPIC_BASE_URL")),
        Provider::Openai | Provider::OpenaiCompatible => {
            ("OPENAI_API_KEY", Some("OPENAI_BASE_URL"))
        }
        Provider::Gemini => ("GEMINI_API_KEY", None),
    };
    vars.push(EnvVar {
        name: key_var,
        value: secret(),
    });
    if let (Some(name), Some(value)) = (url_var, base_url) {
        vars.push(EnvVar { name, value });
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `export NAME='value'` lines for sh, bash, zsh (`eval "$(byok env FILE)"`).
    Shell,
    /// `NAME="value"` lines, for .env files.
    Dotenv,
    /// One JSON object.
    Json,
}

pub fn render(vars: &[EnvVar], format: Format) -> Zeroizing<String> {
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
        }
        Format::Dotenv => {
            for v in vars {
                out.push_str(v.name);
                out.push('=');
                dotenv_quote(&mut out, &v.value);
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
    out
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

/// The escapes the common dotenv readers (python-dotenv, dotenv for Node, Docker) agree
/// on inside double quotes.
fn dotenv_quote(out: &mut String, s: &str) {
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

    #[test]
    fn shell_quoting_survives_hostile_values() {
        let out = render(
            &[var("A", "it's $(rm -rf ~) `x` \"q\" \\ \n end")],
            Format::Shell,
        );
        assert_eq!(
            out.as_str(),
            "export A='it'\\''s $(rm -rf ~) `x` \"q\" \\ \n end'\n"
        );
    }

    #[test]
    fn dotenv_and_json_escape() {
        let v = [var("A", "a\"b\\c\nd"), var("B", "\u{1}é")];
        assert_eq!(
            render(&v, Format::Dotenv).as_str(),
            "A=\"a\\\"b\\\\c\\nd\"\nB=\"\u{1}é\"\n"
        );
        let json = render(&v, Format::Json);
        let parsed: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
        assert_eq!(parsed["A"], "a\"b\\c\nd");
        assert_eq!(parsed["B"], "\u{1}é");
        assert_eq!(render(&[], Format::Json).as_str(), "{}\n");
    }
}
