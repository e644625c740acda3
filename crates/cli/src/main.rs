//! `byok`: byok's encrypted key bundles in the terminal, where people put API keys into
//! environment variables today.
//!
//! Exit codes: 0 ok, 1 wrong passphrase or changed file, 2 usage, 3 a file refused by a
//! format rule, 4 I/O; `byok run` ends with the command's own status.

mod envvars;
mod error;
mod input;

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use byok_core::bundle::{self, BundlePayload, ParsedBundle};
use byok_core::crypto::{DEFAULT_ITERATIONS, IV_LEN, MAX_ITERATIONS, MIN_ITERATIONS};
use byok_core::model::Provider;
use clap::{Args, Parser, Subcommand};
use zeroize::Zeroizing;

use crate::envvars::Format;
use crate::error::{CliError, EXIT_CANNOT_EXECUTE, EXIT_NOT_FOUND, EXIT_USAGE, io_words};
use crate::input::{Ask, PASSPHRASE_ENV};

// A macro, not a const: `concat!` only takes literals.
macro_rules! passphrase_note {
    () => {
        "Passphrase: from the BYOK_PASSPHRASE environment variable if set, else the first line
of --passphrase-file, else asked on the terminal without echo. Never an argument: other
users can see arguments in `ps`, and shells keep them in history."
    };
}

#[derive(Parser)]
#[command(
    name = "byok",
    version,
    about = "Use byok's encrypted key bundles (NAME.byok.json) in the terminal",
    after_help = "\
Examples:
  byok bundle inspect keys.byok.json
  eval \"$(byok env keys.byok.json)\"
  byok run keys.byok.json -- python agent.py

Exit codes: 0 ok, 1 wrong passphrase or changed file, 2 usage, 3 file refused by a
format rule, 4 I/O error; `byok run` exits with the command's status.",
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Inspect, decrypt or create bundle files
    #[command(subcommand)]
    Bundle(BundleCommand),

    /// Print the resolved keys as environment variable assignments
    #[command(
        long_about = "Print the resolved keys as environment variable assignments.\n\n\
For Anthropic, OpenAI and Gemini the key used is the provider's active default, else its \
only active key (the web app's rule, with expiry dates counted in the local time zone): ANTHROPIC_API_KEY, OPENAI_API_KEY, GEMINI_API_KEY. \
A provider without a key is left out; one whose key cannot be chosen (several active, \
none default; expired) is left out with a note on stderr. --name picks one key by its \
label instead; an OpenAI-compatible key sets OPENAI_API_KEY, OPENAI_BASE_URL and its older \
name OPENAI_API_BASE. A key without a base URL gets `unset OPENAI_BASE_URL` and \
`unset OPENAI_API_BASE` (or ANTHROPIC_BASE_URL, GOOGLE_GEMINI_BASE_URL), so one left \
from another key does not send it elsewhere; .env and JSON output cannot unset, and a \
note says so when such a variable is set.",
        after_help = concat!("Examples:
  eval \"$(byok env keys.byok.json)\"
  byok env keys.byok.json --format dotenv > .env
  byok env keys.byok.json --name OpenRouter --format json

", passphrase_note!())
    )]
    Env {
        #[command(flatten)]
        select: Select,
        #[arg(long, value_enum, default_value_t = Format::Shell)]
        format: Format,
    },

    /// Run a command with the resolved keys in its environment
    #[command(
        long_about = "Run a command with the resolved keys in its environment (the same \
variables as `byok env`; a base-URL variable the chosen key does not use is removed). \
Nothing is printed; byok replaces itself with the command, so \
its exit status, signals and terminal are the command's own.",
        after_help = concat!("Examples:
  byok run keys.byok.json -- python agent.py --verbose
  byok run keys.byok.json --name OpenRouter --passphrase-file ~/.byok-pass -- aider

", passphrase_note!())
    )]
    Run {
        #[command(flatten)]
        select: Select,
        /// The command and its arguments, after `--`
        #[arg(last = true, required = true, value_name = "CMD")]
        command: Vec<OsString>,
    },
}

#[derive(Args)]
struct Select {
    /// The bundle file (`-` reads stdin)
    file: PathBuf,
    /// Use only the key with this label (any provider)
    #[arg(long, value_name = "LABEL")]
    name: Option<String>,
    /// With --name: look only at this provider's keys, for a label two providers share
    /// (anthropic, openai, gemini, openai-compatible)
    #[arg(long, value_name = "PROVIDER", requires = "name", value_parser = parse_provider)]
    provider: Option<Provider>,
    #[command(flatten)]
    pass: PassArgs,
}

#[derive(Args)]
struct PassArgs {
    /// Read the passphrase from the first line of this file
    #[arg(long, value_name = "PATH")]
    passphrase_file: Option<PathBuf>,
    /// Refused: see the passphrase note below
    #[arg(long, hide = true, value_name = "PASSPHRASE")]
    passphrase: Option<OsString>,
}

#[derive(Subcommand)]
enum BundleCommand {
    /// Show a bundle's header: format, key derivation, sizes. No passphrase needed.
    #[command(after_help = "Example:\n  byok bundle inspect keys.byok.json")]
    Inspect {
        /// The bundle file (`-` reads stdin)
        file: PathBuf,
    },

    /// Print the key list inside a bundle (schema-1 JSON) to stdout
    #[command(after_help = concat!("Examples:
  byok bundle decrypt keys.byok.json
  BYOK_PASSPHRASE=... byok bundle decrypt keys.byok.json > keys.json   (plaintext!)

", passphrase_note!()))]
    Decrypt {
        /// The bundle file (`-` reads stdin)
        file: PathBuf,
        #[command(flatten)]
        pass: PassArgs,
    },

    /// Encrypt a schema-1 key list (JSON) into a bundle
    #[command(after_help = concat!("Examples:
  byok bundle encrypt keys.json -o keys.byok.json
  some-tool --export | byok bundle encrypt - --passphrase-file ~/.byok-pass > keys.byok.json

", passphrase_note!(), "\nA new bundle's passphrase is asked twice."))]
    Encrypt {
        /// The plaintext key list (`-` reads stdin)
        file: PathBuf,
        /// Write the bundle here instead of stdout
        #[arg(short, long, value_name = "OUT")]
        output: Option<PathBuf>,
        /// PBKDF2 iterations (600000 to 10000000)
        #[arg(
            long,
            value_name = "N",
            default_value_t = DEFAULT_ITERATIONS,
            value_parser = clap::value_parser!(u32).range(i64::from(MIN_ITERATIONS)..=i64::from(MAX_ITERATIONS))
        )]
        iterations: u32,
        #[command(flatten)]
        pass: PassArgs,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_failure(&e),
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("byok: {e}");
            ExitCode::from(e.code())
        }
    }
}

/// clap's own errors run over several lines and quote the offending argument, which may
/// be a passphrase typed in the wrong place: shorten to one line and quote only options.
fn clap_failure(e: &clap::Error) -> ExitCode {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            return ExitCode::from(EXIT_USAGE);
        }
        _ => {}
    }
    let invalid = match e.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        _ => None,
    };
    let msg = match e.kind() {
        ErrorKind::UnknownArgument => match invalid {
            Some(a) if a.starts_with('-') => {
                format!("unknown option '{}'", a.split('=').next().unwrap_or(&a))
            }
            _ => "unexpected extra argument (not shown, in case it is a secret)".to_owned(),
        },
        ErrorKind::MissingRequiredArgument => match e.get(ContextKind::InvalidArg) {
            Some(ContextValue::Strings(args)) => format!("missing {}", args.join(", ")),
            _ => "a required argument is missing".to_owned(),
        },
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            let mut m = match invalid {
                Some(a) => format!("invalid value for {a}"),
                None => "invalid value".to_owned(),
            };
            if let Some(ContextValue::Strings(valid)) = e.get(ContextKind::ValidValue) {
                m.push_str(&format!(" (one of: {})", valid.join(", ")));
            } else if e.kind() == ErrorKind::ValueValidation
                && let Some(why) = std::error::Error::source(e)
            {
                // Only --iterations validates values; its reason names the range.
                m.push_str(&format!(": {why}"));
            }
            m
        }
        _ => e
            .render()
            .to_string()
            .lines()
            .next()
            .unwrap_or("invalid command line")
            .trim_start_matches("error: ")
            .to_owned(),
    };
    eprintln!("byok: {msg}; see 'byok --help'");
    ExitCode::from(EXIT_USAGE)
}

fn run(cli: Cli) -> Result<(), CliError> {
    // Refused before anything else happens, so the mistake is reported as such.
    let pass = match &cli.command {
        Command::Bundle(BundleCommand::Inspect { .. }) => None,
        Command::Bundle(BundleCommand::Decrypt { pass, .. })
        | Command::Bundle(BundleCommand::Encrypt { pass, .. }) => Some(pass),
        Command::Env { select, .. } | Command::Run { select, .. } => Some(&select.pass),
    };
    if pass.is_some_and(|p| p.passphrase.is_some()) {
        return Err(CliError::Usage(format!(
            "byok never takes the passphrase as an argument (other users can see it in `ps`); set {PASSPHRASE_ENV} or use --passphrase-file PATH"
        )));
    }
    match cli.command {
        Command::Bundle(BundleCommand::Inspect { file }) => inspect(&file),
        Command::Bundle(BundleCommand::Decrypt { file, pass }) => decrypt(&file, &pass),
        Command::Bundle(BundleCommand::Encrypt {
            file,
            output,
            iterations,
            pass,
        }) => encrypt(&file, output.as_deref(), iterations, &pass),
        Command::Env { select, format } => {
            let resolved = resolve(&select)?;
            // Rendered before any note: a refused output is one line of error, alone.
            let text = envvars::render(&resolved, format)?;
            print_notes(&resolved);
            if format != Format::Shell {
                for c in &resolved.cleared {
                    if std::env::var_os(c.name).is_some() {
                        eprintln!(
                            "byok: note: {name} is set here and {format} output cannot unset it; {key} has no base URL, so unset {name} wherever these variables are used, or the key may be sent to that other host",
                            name = c.name,
                            key = c.key,
                            format = if format == Format::Json {
                                "JSON"
                            } else {
                                ".env"
                            },
                        );
                    }
                }
            }
            write_stdout(text.as_bytes())
        }
        Command::Run { select, command } => {
            let resolved = resolve(&select)?;
            print_notes(&resolved);
            exec(&command, &resolved)
        }
    }
}

fn shown(path: &Path) -> String {
    path.display().to_string()
}

fn parse_file(path: &Path) -> Result<ParsedBundle, CliError> {
    let bytes = input::read_file(path)?;
    bundle::parse(&bytes).map_err(|e| CliError::bundle(&shown(path), e))
}

fn passphrase(pass: &PassArgs, ask: Ask, subject: &str) -> Result<Zeroizing<String>, CliError> {
    input::passphrase(pass.passphrase_file.as_deref(), ask, subject)
}

/// What a prompt names, so that someone asked for a passphrase knows which file it
/// opens: the file name (the full path adds nothing one just typed), or stdin.
fn bundle_subject(path: &Path) -> String {
    if path.as_os_str() == "-" {
        return "the bundle on standard input".into();
    }
    match path.file_name() {
        Some(name) => name.to_string_lossy().into_owned(),
        None => shown(path),
    }
}

fn open(path: &Path, pass: &PassArgs) -> Result<BundlePayload, CliError> {
    // Parse first: a file refused by a format rule never costs a prompt or a derivation.
    let parsed = parse_file(path)?;
    let passphrase = passphrase(pass, Ask::Once, &bundle_subject(path))?;
    parsed
        .open(&passphrase)
        .map_err(|e| CliError::bundle(&shown(path), e))
}

fn inspect(path: &Path) -> Result<(), CliError> {
    let bytes = input::read_file(path)?;
    let parsed = bundle::parse(&bytes).map_err(|e| CliError::bundle(&shown(path), e))?;
    let h = &parsed.header;
    let ct = parsed.ciphertext_len();
    let text = format!(
        "file:         {}\n\
         format:       {} version {}\n\
         kdf:          PBKDF2-HMAC-SHA256, {} iterations, {}-byte salt\n\
         cipher:       AES-256-GCM, {}-byte IV, 128-bit tag, header bound as AAD\n\
         content type: {}\n\
         size:         {} bytes; ciphertext {} bytes ({} bytes of key list + 16-byte tag)\n",
        shown(path),
        bundle::FORMAT,
        bundle::VERSION,
        h.iterations,
        h.salt.len(),
        IV_LEN,
        h.content_type,
        bytes.len(),
        ct,
        ct.saturating_sub(16),
    );
    write_stdout(text.as_bytes())
}

fn decrypt(path: &Path, pass: &PassArgs) -> Result<(), CliError> {
    let payload = open(path, pass)?;
    let mut json = payload
        .to_json_pretty()
        .map_err(|e| CliError::bundle(&shown(path), e))?;
    json.push(b'\n');
    write_stdout(&json)
}

fn encrypt(
    path: &Path,
    output: Option<&Path>,
    iterations: u32,
    pass: &PassArgs,
) -> Result<(), CliError> {
    let bytes = input::read_file(path)?;
    let payload =
        BundlePayload::from_json(&bytes).map_err(|e| CliError::bundle(&shown(path), e))?;
    drop(bytes);
    let subject = match output {
        Some(out) => bundle_subject(out),
        None => "the new bundle".into(),
    };
    let passphrase = passphrase(pass, Ask::Twice, &subject)?;
    if passphrase.is_empty() {
        return Err(CliError::Usage("the passphrase is empty".into()));
    }
    let strength = byok_core::passphrase::assess(&passphrase);
    if let Some(why) = strength.refusal {
        // The web app refuses these; here the person may have their own reasons (a
        // test fixture), so warn and go on.
        eprintln!("byok: warning: weak passphrase: {why}");
    }
    let text = bundle::seal(&payload, &passphrase, iterations)
        .map_err(|e| CliError::bundle(&shown(path), e))?;
    match output {
        None => write_stdout(text.as_bytes()),
        Some(out) => write_atomically(out, text.as_bytes()),
    }
}

/// Write to a temporary file beside `out`, then rename: an interrupted write never
/// leaves a half bundle where a good one was.
fn write_atomically(out: &Path, data: &[u8]) -> Result<(), CliError> {
    let io_err =
        |e: std::io::Error| CliError::Io(format!("cannot write {}: {}", shown(out), io_words(&e)));
    let dir = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = out
        .file_name()
        .ok_or_else(|| CliError::Usage(format!("{} is not a file name", shown(out))))?;
    let suffix: [u8; 6] = byok_core::crypto::random_array()
        .map_err(|_| CliError::Io("the system's random number generator failed".into()))?;
    let mut tmp_name = OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(
        ".{}.tmp",
        suffix
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    ));
    let tmp = dir.join(tmp_name);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    // The rename gives the bundle the temporary file's mode: created at the default
    // (0666 less umask, usually world-readable) it would replace a 0600 bundle with one
    // every local user can copy and attack offline.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let result = options
        .open(&tmp)
        .and_then(|mut f| {
            f.write_all(data)?;
            f.sync_all()
        })
        .and_then(|()| std::fs::rename(&tmp, out));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(io_err(e));
    }
    Ok(())
}

/// Now, in the local time zone: a key's expiry date is a calendar day where the person
/// is, as in the web app. `time` refuses the local offset when it cannot read it safely
/// (another thread running); then UTC, the rule earlier versions used.
fn now_here() -> time::OffsetDateTime {
    time::OffsetDateTime::now_local().unwrap_or_else(|_| time::OffsetDateTime::now_utc())
}

fn parse_provider(s: &str) -> Result<Provider, String> {
    Provider::from_id(&s.trim().to_ascii_lowercase()).ok_or_else(|| {
        let ids: Vec<&str> = Provider::ALL.iter().map(|p| p.id()).collect();
        format!("not a provider; use one of {}", ids.join(", "))
    })
}

fn resolve(select: &Select) -> Result<envvars::Resolved, CliError> {
    let payload = open(&select.file, &select.pass)?;
    let pick = select.name.as_deref().map(|l| (l, select.provider));
    let resolved = envvars::resolve(&payload, pick, now_here()).map_err(|e| match e {
        CliError::BadKey(m) => CliError::BadKey(format!("{}: {m}", shown(&select.file))),
        e => e,
    })?;
    Ok(resolved)
}

fn print_notes(resolved: &envvars::Resolved) {
    for note in &resolved.notes {
        eprintln!("byok: note: {note}");
    }
}

fn write_stdout(data: &[u8]) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    out.write_all(data)
        .and_then(|()| out.flush())
        .map_err(|e| CliError::Io(format!("cannot write the output: {}", io_words(&e))))
}

/// Replace this process with the command. Its exit status, signals (Ctrl-C reaches it
/// directly, not a parent that would die first) and terminal are then its own, and no
/// byok process lingers holding the decrypted bundle.
#[cfg(unix)]
fn exec(command: &[OsString], resolved: &envvars::Resolved) -> Result<(), CliError> {
    use std::os::unix::process::CommandExt;
    let mut cmd = child(command, resolved)?;
    let e = cmd.exec();
    Err(exec_error(command, &e))
}

/// Without `exec`, wait and pass the status on.
#[cfg(not(unix))]
fn exec(command: &[OsString], resolved: &envvars::Resolved) -> Result<(), CliError> {
    let status = child(command, resolved)?
        .status()
        .map_err(|e| exec_error(command, &e))?;
    std::process::exit(status.code().unwrap_or(1));
}

fn child(
    command: &[OsString],
    resolved: &envvars::Resolved,
) -> Result<std::process::Command, CliError> {
    let (program, args) = command
        .split_first()
        .ok_or_else(|| CliError::Usage("no command given after --".into()))?;
    let mut cmd = std::process::Command::new(program);
    cmd.args(args);
    // The child has no use for the passphrase, and it would leak to its children.
    cmd.env_remove(PASSPHRASE_ENV);
    for v in &resolved.vars {
        cmd.env(v.name, v.value.as_str());
    }
    for c in &resolved.cleared {
        cmd.env_remove(c.name);
    }
    Ok(cmd)
}

fn exec_error(command: &[OsString], e: &std::io::Error) -> CliError {
    let name = command
        .first()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    let code = if e.kind() == std::io::ErrorKind::NotFound {
        EXIT_NOT_FOUND
    } else {
        EXIT_CANNOT_EXECUTE
    };
    CliError::Exec {
        code,
        msg: format!("cannot run {name}: {}", io_words(e)),
    }
}
