//! Where the tool's inputs come from: files (size-capped before reading) and the
//! passphrase (environment, file, or the terminal; never the command line, where it
//! would be visible to every user through `ps` and kept in shell history).

use std::ffi::OsStr;
use std::io::{self, IsTerminal, Read};
use std::path::Path;

use byok_core::bundle::{BundleError, MAX_FILE_BYTES};
use zeroize::Zeroizing;

use crate::error::{CliError, io_words};

pub const PASSPHRASE_ENV: &str = "BYOK_PASSPHRASE";

/// Read a whole file (or stdin for `-`), refusing anything over the bundle size limit
/// without reading past it. The buffer is wiped on drop: it may be a plaintext key list.
pub fn read_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, CliError> {
    let shown = path.display().to_string();
    let io_err = |e: io::Error| CliError::Io(format!("cannot read {shown}: {}", io_words(&e)));
    let mut buf = Zeroizing::new(Vec::new());
    let limit = MAX_FILE_BYTES as u64 + 1;
    if path.as_os_str() == OsStr::new("-") {
        io::stdin()
            .lock()
            .take(limit)
            .read_to_end(&mut buf)
            .map_err(io_err)?;
    } else {
        let file = std::fs::File::open(path).map_err(io_err)?;
        let meta = file.metadata().map_err(io_err)?;
        if meta.is_dir() {
            return Err(CliError::Io(format!(
                "cannot read {shown}: it is a directory"
            )));
        }
        if meta.len() > MAX_FILE_BYTES as u64 {
            return Err(CliError::bundle(
                &shown,
                BundleError::TooLarge {
                    size: usize::try_from(meta.len()).unwrap_or(usize::MAX),
                },
            ));
        }
        // Sized up front: growing the Vec would leave unwiped copies behind.
        buf.reserve_exact(usize::try_from(meta.len()).unwrap_or(0));
        file.take(limit).read_to_end(&mut buf).map_err(io_err)?;
    }
    if buf.len() > MAX_FILE_BYTES {
        return Err(CliError::bundle(
            &shown,
            BundleError::TooLarge { size: buf.len() },
        ));
    }
    Ok(buf)
}

pub enum Ask {
    /// Opening a bundle: one prompt.
    Once,
    /// Making a bundle: a typo would lock the keys away for good, so ask twice.
    Twice,
}

/// The passphrase, from `BYOK_PASSPHRASE`, else the first line of `--passphrase-file`,
/// else a no-echo prompt on the terminal naming `subject` (the bundle it opens or makes).
pub fn passphrase(
    file: Option<&Path>,
    ask: Ask,
    subject: &str,
) -> Result<Zeroizing<String>, CliError> {
    if let Some(v) = std::env::var_os(PASSPHRASE_ENV) {
        return v
            .into_string()
            .map(Zeroizing::new)
            .map_err(|_| CliError::Usage(format!("{PASSPHRASE_ENV} is not valid UTF-8")));
    }
    if let Some(path) = file {
        return from_file(path);
    }
    // Without a terminal there is nobody to type; hanging on /dev/tty would be worse
    // than saying how to pass the passphrase.
    if !io::stdin().is_terminal() && !io::stderr().is_terminal() {
        return Err(no_passphrase("there is no terminal to ask on"));
    }
    let first = prompt(&prompt_text(subject))?;
    if let Ask::Twice = ask {
        let again = prompt("Same passphrase again: ")?;
        if *first != *again {
            return Err(CliError::Usage(
                "the two passphrases differ; nothing was written".into(),
            ));
        }
    }
    Ok(first)
}

fn prompt_text(subject: &str) -> String {
    format!("Passphrase for {subject}: ")
}

fn no_passphrase(why: &str) -> CliError {
    CliError::Usage(format!(
        "no passphrase: {why}; set {PASSPHRASE_ENV}, or pass --passphrase-file PATH"
    ))
}

fn prompt(text: &str) -> Result<Zeroizing<String>, CliError> {
    rpassword::prompt_password(text)
        .map(Zeroizing::new)
        .map_err(|e| no_passphrase(&format!("cannot use the terminal ({})", io_words(&e))))
}

fn from_file(path: &Path) -> Result<Zeroizing<String>, CliError> {
    let shown = path.display();
    let mut buf = Zeroizing::new(Vec::new());
    std::fs::File::open(path)
        .and_then(|f| f.take(64 * 1024).read_to_end(&mut buf))
        .map_err(|e| {
            CliError::Io(format!(
                "cannot read passphrase file {shown}: {}",
                io_words(&e)
            ))
        })?;
    let line = buf.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let text = std::str::from_utf8(line)
        .map_err(|_| CliError::Usage(format!("the passphrase file {shown} is not valid UTF-8")))?;
    Ok(Zeroizing::new(text.to_owned()))
}
