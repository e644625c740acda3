//! Every failure of the tool as one line and one exit code. The exit codes are part of
//! the interface (scripts branch on them), so they live here and nowhere else.

use byok_core::bundle::BundleError;

pub const EXIT_TAMPERED: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_FORMAT: u8 = 3;
pub const EXIT_IO: u8 = 4;
/// What shells and env(1) use when a command cannot be run at all, so `byok run` looks
/// like any other launcher and is not confused with a child's own exit code 4.
pub const EXIT_CANNOT_EXECUTE: u8 = 126;
pub const EXIT_NOT_FOUND: u8 = 127;

#[derive(Debug)]
pub enum CliError {
    /// The command line, or what it asks for, cannot work (no passphrase available, no
    /// key with that label, ...).
    Usage(String),
    /// Reading or writing a file or a stream failed.
    Io(String),
    /// The chosen key breaks a rule the web app's import applies (a base URL that is not
    /// http(s) or carries a password, ...): the same class of refusal as a bad key list.
    BadKey(String),
    /// A bundle or key-list file was refused; `path` is what the user typed.
    Bundle { path: String, err: BundleError },
    /// `byok run` could not start the command.
    Exec { code: u8, msg: String },
}

impl CliError {
    pub fn code(&self) -> u8 {
        match self {
            CliError::Usage(_) => EXIT_USAGE,
            CliError::Io(_) => EXIT_IO,
            CliError::BadKey(_) => EXIT_FORMAT,
            CliError::Bundle { err, .. } => match err.exit_code() {
                1 => EXIT_TAMPERED,
                4 => EXIT_IO,
                _ => EXIT_FORMAT,
            },
            CliError::Exec { code, .. } => *code,
        }
    }

    pub fn bundle(path: &str, err: BundleError) -> Self {
        CliError::Bundle {
            path: path.to_owned(),
            err,
        }
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CliError::Usage(m)
            | CliError::Io(m)
            | CliError::BadKey(m)
            | CliError::Exec { msg: m, .. } => f.write_str(m),
            CliError::Bundle { path, err } => write!(f, "{path}: {}", err.user_message()),
        }
    }
}

/// An I/O error in words, without Rust's "(os error 2)" tail.
pub fn io_words(e: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match e.kind() {
        NotFound => "no such file".into(),
        PermissionDenied => "permission denied".into(),
        IsADirectory => "it is a directory".into(),
        BrokenPipe => "the output was closed".into(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_owned(),
                None => s,
            }
        }
    }
}
