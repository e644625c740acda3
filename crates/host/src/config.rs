//! Command-line flags and the validated configuration they turn into.

use std::fmt;
use std::path::PathBuf;

use clap::Parser;

/// Provider APIs the app talks to out of the box; always in `connect-src`.
pub const DEFAULT_CONNECT_SRC: [&str; 3] = [
    "https://api.anthropic.com",
    "https://api.openai.com",
    "https://generativelanguage.googleapis.com",
];

/// The environment variable whose space-separated origins are added to `--connect-src`.
pub const CONNECT_SRC_ENV: &str = "BYOK_CONNECT_SRC";

/// Serve the built byok web app (Trunk's `dist/`) with a strict Content-Security-Policy.
#[derive(Debug, Clone, Parser)]
#[command(name = "byok-host", version)]
pub struct Args {
    /// Address to listen on (host:port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: String,

    /// Directory holding the built app; must contain index.html.
    #[arg(long, default_value = "dist")]
    pub dir: PathBuf,

    /// Extra origin the app may connect to (e.g. https://openrouter.ai or
    /// http://localhost:11434); repeatable. BYOK_CONNECT_SRC (space-separated) adds more.
    #[arg(long = "connect-src", value_name = "ORIGIN")]
    pub connect_src: Vec<String>,

    /// Add `require-trusted-types-for 'script'; trusted-types 'none'` to the CSP.
    #[arg(long)]
    pub trusted_types: bool,
}

impl Args {
    /// Validates the origins from the flags and from the value of [`CONNECT_SRC_ENV`].
    pub fn config(&self, env_connect_src: Option<&str>) -> Result<Config, OriginError> {
        let from_env = env_connect_src.into_iter().flat_map(str::split_whitespace);
        let connect_src = self
            .connect_src
            .iter()
            .map(String::as_str)
            .chain(from_env)
            .map(Origin::parse)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Config {
            dir: self.dir.clone(),
            connect_src,
            trusted_types: self.trusted_types,
        })
    }
}

/// What [`crate::Site::load`] needs.
#[derive(Debug, Clone)]
pub struct Config {
    pub dir: PathBuf,
    /// Origins added to `connect-src` after `'self'` and [`DEFAULT_CONNECT_SRC`].
    pub connect_src: Vec<Origin>,
    pub trusted_types: bool,
}

/// A `scheme://host[:port]` origin that is safe to paste into a CSP header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin(String);

impl Origin {
    /// Accepts `http` or `https`, a DNS name (optionally starting with the CSP wildcard
    /// `*.`), an IPv4 address or a bracketed IPv6 address, and an optional port. A single
    /// trailing `/` is dropped; any other path, a query, credentials, whitespace, `;`, `,`
    /// or quotes are refused, because they would change the meaning of the policy.
    pub fn parse(input: &str) -> Result<Origin, OriginError> {
        let err = |reason: &'static str| OriginError {
            input: input.to_owned(),
            reason,
        };
        if input.is_empty() {
            return Err(err("empty"));
        }
        if input
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, ';' | ',' | '\'' | '"'))
        {
            return Err(err(
                "must not contain whitespace, control characters, ';', ',' or quotes",
            ));
        }
        let lower = input.to_ascii_lowercase();
        let (scheme, rest) = if let Some(rest) = lower.strip_prefix("https://") {
            ("https", rest)
        } else if let Some(rest) = lower.strip_prefix("http://") {
            ("http", rest)
        } else {
            return Err(err("must start with http:// or https://"));
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains(['/', '?', '#']) {
            return Err(err("must not have a path, query or fragment"));
        }
        if rest.contains('@') {
            return Err(err("must not contain credentials"));
        }
        let (host, port) = split_host_port(rest).ok_or_else(|| err("malformed host or port"))?;
        if !valid_host(host) {
            return Err(err("malformed host"));
        }
        if let Some(port) = port {
            let ok = !port.is_empty()
                && port.len() <= 5
                && port.bytes().all(|b| b.is_ascii_digit())
                && port.parse::<u32>().is_ok_and(|p| (1..=65535).contains(&p));
            if !ok {
                return Err(err("port must be a number from 1 to 65535"));
            }
        }
        Ok(Origin(format!("{scheme}://{rest}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn split_host_port(rest: &str) -> Option<(&str, Option<&str>)> {
    if rest.starts_with('[') {
        let close = rest.find(']')?;
        let (host, after) = rest.split_at(close + 1);
        match after {
            "" => Some((host, None)),
            _ => Some((host, Some(after.strip_prefix(':')?))),
        }
    } else {
        match rest.split_once(':') {
            Some((host, port)) => Some((host, Some(port))),
            None => Some((rest, None)),
        }
    }
}

fn valid_host(host: &str) -> bool {
    if let Some(inner) = host.strip_prefix('[') {
        let Some(inner) = inner.strip_suffix(']') else {
            return false;
        };
        return inner.contains(':') && inner.parse::<std::net::Ipv6Addr>().is_ok();
    }
    let name = host.strip_prefix("*.").unwrap_or(host);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

/// A `--connect-src` or `BYOK_CONNECT_SRC` value that is not a plain origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginError {
    pub input: String,
    pub reason: &'static str,
}

impl fmt::Display for OriginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // {:?} keeps control characters in a bad value from breaking the one-line message.
        write!(
            f,
            "invalid connect-src origin {:?}: {} (expected scheme://host[:port], e.g. https://openrouter.ai)",
            self.input, self.reason
        )
    }
}

impl std::error::Error for OriginError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> String {
        match Origin::parse(s) {
            Ok(o) => o.to_string(),
            Err(e) => panic!("{s:?} refused: {e}"),
        }
    }

    #[test]
    fn accepts_plain_origins() {
        assert_eq!(ok("https://openrouter.ai"), "https://openrouter.ai");
        assert_eq!(ok("http://localhost:11434"), "http://localhost:11434");
        assert_eq!(ok("http://127.0.0.1:8000"), "http://127.0.0.1:8000");
        assert_eq!(ok("http://[::1]:11434"), "http://[::1]:11434");
        assert_eq!(ok("https://[2001:db8::1]"), "https://[2001:db8::1]");
        assert_eq!(
            ok("https://*.openai.azure.com"),
            "https://*.openai.azure.com"
        );
    }

    #[test]
    fn normalizes_case_and_one_trailing_slash() {
        assert_eq!(ok("HTTPS://OpenRouter.AI/"), "https://openrouter.ai");
    }

    #[test]
    fn refuses_bad_origins() {
        for bad in [
            "",
            "openrouter.ai",
            "ftp://example.com",
            "javascript:alert(1)",
            "https://",
            "https://example.com/v1",
            "https://example.com//",
            "https://example.com?x=1",
            "https://example.com#x",
            "https://user:pw@example.com",
            "https://exa mple.com",
            "https://example.com;script-src *",
            "https://example.com'",
            "https://example.com\"",
            "https://example.com,https://b.com",
            "https://example.com:0",
            "https://example.com:65536",
            "https://example.com:",
            "https://example.com:8a",
            "https://-bad.com",
            "https://a..b",
            "https://*",
            "https://a.*.com",
            "https://[::1",
            "https://[nothex]",
            "https://[::1]x",
            "https://ex_ample.com",
            "'self'",
            "*",
            "https://example.com\n",
        ] {
            assert!(Origin::parse(bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn error_is_one_line_and_names_the_input() {
        let Err(e) = Origin::parse("https://x.com/\nevil") else {
            panic!("accepted");
        };
        let msg = e.to_string();
        assert!(!msg.contains('\n'));
        assert!(msg.contains("https://x.com/\\nevil"));
    }

    #[test]
    fn flags_and_env_are_merged_in_order() {
        let args = Args::parse_from([
            "byok-host",
            "--connect-src",
            "https://openrouter.ai",
            "--connect-src=http://localhost:11434",
        ]);
        let Ok(config) = args.config(Some("  https://a.example  https://b.example:8443 ")) else {
            panic!("refused");
        };
        let got: Vec<_> = config.connect_src.iter().map(Origin::as_str).collect();
        assert_eq!(
            got,
            [
                "https://openrouter.ai",
                "http://localhost:11434",
                "https://a.example",
                "https://b.example:8443"
            ]
        );
        assert_eq!(config.dir, PathBuf::from("dist"));
        assert_eq!(args.addr, "127.0.0.1:8080");
        assert!(!config.trusted_types);
    }

    #[test]
    fn a_bad_env_origin_is_refused() {
        let args = Args::parse_from(["byok-host"]);
        assert!(args.config(Some("https://ok.example bad")).is_err());
        assert!(args.config(Some("")).is_ok());
    }
}
