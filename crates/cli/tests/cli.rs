//! The `byok` binary as users run it: real files, real processes, the passphrase through
//! BYOK_PASSPHRASE or a file, stdin closed so nothing can wait on a prompt.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use byok_core::bundle::{self, BundlePayload};
use serde_json::{Value, json};

const BYOK: &str = env!("CARGO_BIN_EXE_byok");
const GOLDEN_PASS: &str = "correct horse battery staple";
const PASS: &str = "pässwörd 密码 🔑 long enough";

/// Every secret any test puts in a bundle contains this, so one search finds a leak.
const MARK: &str = "TESTTEST";

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../core/tests/vectors/bundle")
}

fn golden_file() -> PathBuf {
    golden_dir().join("golden-v1.byok.json")
}

fn golden_plaintext() -> Value {
    serde_json::from_slice(
        &std::fs::read(golden_dir().join("golden-v1.plaintext.json")).expect("read"),
    )
    .expect("JSON")
}

struct Run {
    out: Output,
}

impl Run {
    fn code(&self) -> Option<i32> {
        self.out.status.code()
    }
    fn stdout(&self) -> String {
        String::from_utf8(self.out.stdout.clone()).expect("UTF-8 stdout")
    }
    fn stderr(&self) -> String {
        String::from_utf8(self.out.stderr.clone()).expect("UTF-8 stderr")
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.out.stdout).expect("stdout is JSON")
    }
    /// A failure is exactly one line, and never shows a secret or the passphrase.
    fn assert_clean_failure(&self, code: i32) {
        assert_eq!(self.code(), Some(code), "stderr: {}", self.stderr());
        let err = self.stderr();
        assert_eq!(err.lines().count(), 1, "one line expected: {err:?}");
        assert!(err.starts_with("byok: "), "{err}");
        for s in [MARK, GOLDEN_PASS, PASS, "sekrit"] {
            assert!(!err.contains(s), "stderr shows a secret: {err}");
        }
        assert!(self.out.stdout.is_empty(), "nothing on stdout when failing");
    }
}

fn byok(args: &[&str], pass: Option<&str>) -> Run {
    byok_in(args, pass, None)
}

fn byok_in(args: &[&str], pass: Option<&str>, stdin: Option<&[u8]>) -> Run {
    byok_with(args, pass, stdin, &[])
}

/// The base-URL variables byok sets, which a developer's own shell may hold too.
const BASE_URL_VARS: [&str; 4] = [
    "OPENAI_BASE_URL",
    "OPENAI_API_BASE",
    "ANTHROPIC_BASE_URL",
    "GOOGLE_GEMINI_BASE_URL",
];

fn byok_with(args: &[&str], pass: Option<&str>, stdin: Option<&[u8]>, env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(BYOK);
    cmd.args(args).env_remove("BYOK_PASSPHRASE");
    for name in BASE_URL_VARS {
        cmd.env_remove(name);
    }
    cmd.envs(env.iter().copied());
    if let Some(p) = pass {
        cmd.env("BYOK_PASSPHRASE", p);
    }
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = cmd.spawn().expect("byok starts");
    if let Some(data) = stdin {
        use std::io::Write;
        let mut w = child.stdin.take().expect("stdin");
        w.write_all(data).expect("write stdin");
    }
    Run {
        out: child.wait_with_output().expect("byok finishes"),
    }
}

fn key(provider: &str, label: &str, secret: &str, extra: Value) -> Value {
    let mut k = json!({
        "id": uuid_for(label),
        "provider": provider,
        "label": label,
        "secret": secret,
        "base_url": null,
        "is_default": false,
        "is_active": true,
        "created_at": "2026-11-01T09:30:00Z",
        "expires_at": null,
    });
    if let (Some(k), Some(extra)) = (k.as_object_mut(), extra.as_object()) {
        for (name, v) in extra {
            k.insert(name.clone(), v.clone());
        }
    }
    k
}

fn uuid_for(label: &str) -> String {
    format!(
        "00000000-0000-4000-8000-{:012x}",
        label.bytes().map(u64::from).sum::<u64>()
    )
}

fn key_list(keys: Vec<Value>) -> Value {
    json!({"schema": 1, "exported_at": "2026-11-26T00:00:00Z", "keys": keys})
}

fn write(dir: &Path, name: &str, data: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, data).expect("write test file");
    p
}

/// Sealed in-process (one derivation) rather than through the binary.
fn bundle_file(dir: &Path, name: &str, list: &Value) -> PathBuf {
    let payload = BundlePayload::from_json(list.to_string().as_bytes()).expect("valid list");
    write(
        dir,
        name,
        bundle::seal(&payload, PASS, 600_000).expect("seal"),
    )
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

fn many_keys() -> Value {
    key_list(vec![
        key(
            "anthropic",
            "Personal",
            "sk-ant-api03-TESTTEST-personal",
            json!({"is_default": true}),
        ),
        key(
            "anthropic",
            "Spare",
            "sk-ant-api03-TESTTEST-spare",
            json!({}),
        ),
        key(
            "openai",
            "Work",
            "sk-proj-TESTTEST-'quoted' $HOME \"x\"",
            json!({}),
        ),
        key("gemini", "G1", "AIzaTESTTEST-one", json!({})),
        key("gemini", "G2", "AIzaTESTTEST-two", json!({})),
        key(
            "openai-compatible",
            "OpenRouter",
            "sk-or-v1-TESTTEST",
            json!({"base_url": "https://openrouter.ai/api/v1", "is_default": true}),
        ),
    ])
}

#[test]
fn golden_vector_decrypts_to_its_plaintext() {
    let r = byok(&["bundle", "decrypt", s(&golden_file())], Some(GOLDEN_PASS));
    assert_eq!(r.code(), Some(0), "{}", r.stderr());
    assert_eq!(r.json(), golden_plaintext());
    assert!(r.stderr().is_empty());
}

#[test]
fn encrypt_then_decrypt_gives_back_the_key_list() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut list = many_keys();
    list["keys"][0]["future_field"] = json!({"kept": [1, 2]});
    let plain = write(dir.path(), "keys.json", list.to_string());
    let out = dir.path().join("keys.byok.json");
    let r = byok(
        &[
            "bundle",
            "encrypt",
            s(&plain),
            "-o",
            s(&out),
            "--iterations",
            "600001",
        ],
        Some(PASS),
    );
    assert_eq!(r.code(), Some(0), "{}", r.stderr());
    assert!(r.stdout().is_empty());
    let text = std::fs::read_to_string(&out).expect("bundle written");
    assert!(
        !text.contains(MARK),
        "the bundle must not contain plaintext"
    );
    assert!(
        bundle::parse(text.as_bytes())
            .expect("parses")
            .header
            .iterations
            == 600_001
    );
    let r = byok(&["bundle", "decrypt", s(&out)], Some(PASS));
    assert_eq!(r.code(), Some(0), "{}", r.stderr());
    assert_eq!(r.json(), list);
    // No temporary file left beside the output.
    assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 2);

    // To stdout, from stdin.
    let r = byok_in(
        &["bundle", "encrypt", "-"],
        Some(PASS),
        Some(list.to_string().as_bytes()),
    );
    assert_eq!(r.code(), Some(0), "{}", r.stderr());
    let r2 = byok_in(
        &["bundle", "decrypt", "-"],
        Some(PASS),
        Some(r.stdout().as_bytes()),
    );
    assert_eq!(r2.json(), list);
}

#[test]
fn passphrase_file_first_line_without_line_ending() {
    let dir = tempfile::tempdir().expect("tmp");
    let pf = write(
        dir.path(),
        "pass",
        format!("{GOLDEN_PASS}\r\nsecond line ignored\n"),
    );
    let r = byok(
        &[
            "bundle",
            "decrypt",
            s(&golden_file()),
            "--passphrase-file",
            s(&pf),
        ],
        None,
    );
    assert_eq!(r.code(), Some(0), "{}", r.stderr());
    assert_eq!(r.json(), golden_plaintext());
    // The environment variable wins over the file.
    let r = byok(
        &[
            "bundle",
            "decrypt",
            s(&golden_file()),
            "--passphrase-file",
            s(&pf),
        ],
        Some("not it"),
    );
    r.assert_clean_failure(1);
    let missing = dir.path().join("nope");
    byok(
        &["env", s(&golden_file()), "--passphrase-file", s(&missing)],
        None,
    )
    .assert_clean_failure(4);
}

#[test]
fn inspect_needs_no_passphrase() {
    let r = byok(&["bundle", "inspect", s(&golden_file())], None);
    assert_eq!(r.code(), Some(0), "{}", r.stderr());
    let out = r.stdout();
    for want in [
        "byok-bundle version 1",
        "PBKDF2-HMAC-SHA256, 600000 iterations, 16-byte salt",
        "AES-256-GCM, 12-byte IV, 128-bit tag",
        "application/vnd.byok.keys+json",
        "1217 bytes",
        "ciphertext 587 bytes",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
}

#[test]
fn env_shell_output_evaluates_to_the_exact_values() {
    let dir = tempfile::tempdir().expect("tmp");
    let f = bundle_file(dir.path(), "k.byok.json", &many_keys());
    let r = byok(&["env", s(&f)], Some(PASS));
    assert_eq!(r.code(), Some(0), "{}", r.stderr());
    let script = format!(
        "{}\nprintf '%s|%s|%s' \"$ANTHROPIC_API_KEY\" \"$OPENAI_API_KEY\" \"${{GEMINI_API_KEY-unset}}\"",
        r.stdout()
    );
    let sh = Command::new("sh")
        .args(["-c", &script])
        .output()
        .expect("sh");
    assert_eq!(
        String::from_utf8_lossy(&sh.stdout),
        "sk-ant-api03-TESTTEST-personal|sk-proj-TESTTEST-'quoted' $HOME \"x\"|unset"
    );
    // Two active Gemini keys, neither the default: left out, with a note that names no secret.
    let err = r.stderr();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("GEMINI_API_KEY not set") && err.contains("--name"),
        "{err}"
    );
    assert!(!err.contains(MARK));
    // OpenAI-compatible keys are never exported unless chosen.
    assert!(!r.stdout().contains("sk-or-v1") && !r.stdout().contains("export OPENAI_BASE_URL"));
}

#[test]
fn env_dotenv_and_json() {
    let dir = tempfile::tempdir().expect("tmp");
    let f = bundle_file(dir.path(), "k.byok.json", &many_keys());
    let r = byok(
        &["env", s(&f), "--format", "dotenv", "--name", "Personal"],
        Some(PASS),
    );
    assert_eq!(r.code(), Some(0), "{}", r.stderr());
    assert_eq!(
        r.stdout(),
        "ANTHROPIC_API_KEY='sk-ant-api03-TESTTEST-personal'\n"
    );
    // The OpenAI key holds "$HOME", which .env readers would expand.
    let r = byok(&["env", s(&f), "--format", "dotenv"], Some(PASS));
    r.assert_clean_failure(2);
    assert!(
        r.stderr().contains("OPENAI_API_KEY contains \"$\""),
        "{}",
        r.stderr()
    );
    let r = byok(&["env", s(&f), "--format", "json"], Some(PASS));
    assert_eq!(
        r.json(),
        json!({
            "ANTHROPIC_API_KEY": "sk-ant-api03-TESTTEST-personal",
            "OPENAI_API_KEY": "sk-proj-TESTTEST-'quoted' $HOME \"x\"",
        })
    );
}

#[test]
fn env_by_label() {
    let dir = tempfile::tempdir().expect("tmp");
    let f = bundle_file(dir.path(), "k.byok.json", &many_keys());
    let r = byok(
        &["env", s(&f), "--name", "OpenRouter", "--format", "json"],
        Some(PASS),
    );
    assert_eq!(r.code(), Some(0), "{}", r.stderr());
    assert_eq!(
        r.json(),
        json!({"OPENAI_API_KEY": "sk-or-v1-TESTTEST", "OPENAI_BASE_URL": "https://openrouter.ai/api/v1", "OPENAI_API_BASE": "https://openrouter.ai/api/v1"})
    );
    let r = byok(
        &["env", s(&f), "--name", "G2", "--format", "json"],
        Some(PASS),
    );
    assert_eq!(r.json(), json!({"GEMINI_API_KEY": "AIzaTESTTEST-two"}));
    let r = byok(&["env", s(&f), "--name", "Nope"], Some(PASS));
    r.assert_clean_failure(2);
    assert!(
        r.stderr().contains("\"OpenRouter\""),
        "lists the labels: {}",
        r.stderr()
    );
}

#[test]
fn env_by_label_shared_by_two_providers() {
    let dir = tempfile::tempdir().expect("tmp");
    let list = key_list(vec![
        key("anthropic", "Work", "sk-ant-api03-TESTTEST-work", json!({})),
        key("openai", "Work", "sk-proj-TESTTEST-work", json!({})),
    ]);
    let f = bundle_file(dir.path(), "k.byok.json", &list);
    // Each provider may use the label once: --name alone cannot tell them apart, and
    // says how to.
    let r = byok(&["env", s(&f), "--name", "Work"], Some(PASS));
    r.assert_clean_failure(2);
    assert!(
        r.stderr().contains("add --provider (anthropic or openai)"),
        "{}",
        r.stderr()
    );
    let r = byok(
        &[
            "env",
            s(&f),
            "--name",
            "Work",
            "--provider",
            "openai",
            "--format",
            "json",
        ],
        Some(PASS),
    );
    assert_eq!(r.code(), Some(0), "{}", r.stderr());
    assert_eq!(r.json(), json!({"OPENAI_API_KEY": "sk-proj-TESTTEST-work"}));
    let r = byok(
        &[
            "env",
            s(&f),
            "--name",
            "Work",
            "--provider",
            "Anthropic",
            "--format",
            "json",
        ],
        Some(PASS),
    );
    assert_eq!(
        r.json(),
        json!({"ANTHROPIC_API_KEY": "sk-ant-api03-TESTTEST-work"})
    );
    // A provider without that label lists the labels it has.
    let r = byok(
        &["env", s(&f), "--name", "Work", "--provider", "gemini"],
        Some(PASS),
    );
    r.assert_clean_failure(2);
    assert!(r.stderr().contains("no Gemini keys"), "{}", r.stderr());
    // A misspelt provider, or --provider without --name, is a usage error before the
    // passphrase is asked for.
    let r = byok(
        &["env", s(&f), "--name", "Work", "--provider", "claude"],
        Some(PASS),
    );
    r.assert_clean_failure(2);
    assert!(
        r.stderr()
            .contains("anthropic, openai, gemini, openai-compatible"),
        "{}",
        r.stderr()
    );
    byok(&["env", s(&f), "--provider", "openai"], Some(PASS)).assert_clean_failure(2);
    assert!(!r.stderr().contains(MARK));
}

#[test]
fn env_skips_expired_and_switched_off_keys() {
    let dir = tempfile::tempdir().expect("tmp");
    let list = key_list(vec![
        key(
            "anthropic",
            "Old",
            "sk-ant-TESTTEST-old",
            json!({"is_default": true, "expires_at": "2020-01-01T00:00:00Z"}),
        ),
        key(
            "openai",
            "Off",
            "sk-TESTTEST-off",
            json!({"is_active": false}),
        ),
    ]);
    let f = bundle_file(dir.path(), "k.byok.json", &list);
    let r = byok(&["env", s(&f)], Some(PASS));
    assert_eq!(r.code(), Some(0));
    assert_eq!(r.stdout(), "");
    assert!(
        r.stderr().contains("expired on 2020-01-01"),
        "{}",
        r.stderr()
    );
    assert!(!r.stderr().contains(MARK));
    byok(&["env", s(&f), "--name", "Off"], Some(PASS)).assert_clean_failure(2);
}

#[test]
fn expiry_is_counted_in_the_local_time_zone() {
    // UTC+14 and UTC-12 are 26 hours apart: at any instant their dates differ, so a key
    // expiring on today's date in UTC+14 has expired there and not yet in UTC-12.
    let east = time::UtcOffset::from_hms(14, 0, 0).expect("offset");
    let today_east = time::OffsetDateTime::now_utc().to_offset(east).date();
    let dir = tempfile::tempdir().expect("tmp");
    let list = key_list(vec![key(
        "openai",
        "Ends today",
        "sk-TESTTEST-ends-today",
        json!({"is_default": true, "expires_at": format!("{today_east}T00:00:00Z")}),
    )]);
    let f = bundle_file(dir.path(), "k.byok.json", &list);
    // POSIX TZ strings count hours west of UTC: "EAST-14" is UTC+14.
    let r = byok_with(&["env", s(&f)], Some(PASS), None, &[("TZ", "EAST-14")]);
    assert_eq!(r.code(), Some(0));
    assert_eq!(r.stdout(), "");
    assert!(
        r.stderr().contains(&format!("expired on {today_east}")),
        "{}",
        r.stderr()
    );
    let r = byok_with(&["env", s(&f)], Some(PASS), None, &[("TZ", "WEST+12")]);
    assert_eq!(r.code(), Some(0));
    assert!(
        r.stdout().contains("sk-TESTTEST-ends-today"),
        "{}",
        r.stderr()
    );
}

#[test]
fn run_passes_the_variables_and_the_exit_code() {
    let dir = tempfile::tempdir().expect("tmp");
    let f = bundle_file(dir.path(), "k.byok.json", &many_keys());
    let check = r#"test "$ANTHROPIC_API_KEY" = sk-ant-api03-TESTTEST-personal || exit 90
test -z "${BYOK_PASSPHRASE+set}" || exit 91
test "$1" = "two words" || exit 92
exit 7"#;
    let r = byok(
        &["run", s(&f), "--", "sh", "-c", check, "sh", "two words"],
        Some(PASS),
    );
    assert_eq!(r.code(), Some(7), "{}", r.stderr());
    assert!(r.stdout().is_empty());
    // Only the note about the Gemini keys, which explains a missing variable.
    assert_eq!(r.stderr().lines().count(), 1, "{}", r.stderr());
    assert!(r.stderr().starts_with("byok: note: GEMINI_API_KEY not set"));

    let r = byok(
        &[
            "run",
            s(&f),
            "--name",
            "OpenRouter",
            "--",
            "sh",
            "-c",
            "echo \"$OPENAI_BASE_URL\"",
        ],
        Some(PASS),
    );
    assert_eq!(r.stdout(), "https://openrouter.ai/api/v1\n");
}

#[test]
fn run_reports_a_killed_command_as_128_plus_signal() {
    let dir = tempfile::tempdir().expect("tmp");
    let f = bundle_file(dir.path(), "k.byok.json", &many_keys());
    // byok becomes the command, so the shell sees the signal itself: 128 + 9.
    let script = format!(
        "\"{BYOK}\" run \"{}\" -- sh -c 'kill -9 $$'; echo $?",
        s(&f)
    );
    let out = Command::new("sh")
        .args(["-c", &script])
        .env("BYOK_PASSPHRASE", PASS)
        .output()
        .expect("sh");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "137\n");
}

#[test]
fn run_a_missing_command() {
    let r = byok(
        &["run", s(&golden_file()), "--", "/no/such/command"],
        Some(GOLDEN_PASS),
    );
    r.assert_clean_failure(127);
    byok(&["run", s(&golden_file())], Some(GOLDEN_PASS)).assert_clean_failure(2);
}

#[test]
fn wrong_passphrase_is_exit_1_with_the_one_message() {
    let r = byok(
        &["bundle", "decrypt", s(&golden_file())],
        Some("Correct horse battery staple"),
    );
    r.assert_clean_failure(1);
    assert_eq!(
        r.stderr(),
        format!(
            "byok: {}: wrong passphrase, or the file was changed\n",
            s(&golden_file())
        )
    );
    // A changed file gets the same words.
    let dir = tempfile::tempdir().expect("tmp");
    let text = std::fs::read_to_string(golden_file()).expect("read");
    let changed = text.replacen("dzAO", "dzAP", 1);
    let f = write(dir.path(), "changed.byok.json", changed);
    let r2 = byok(&["env", s(&f)], Some(GOLDEN_PASS));
    r2.assert_clean_failure(1);
    assert!(
        r2.stderr()
            .ends_with(": wrong passphrase, or the file was changed\n")
    );
}

#[test]
fn files_refused_by_a_format_rule_are_exit_3() {
    let dir = tempfile::tempdir().expect("tmp");
    let neg = golden_dir().join("negative");
    for name in [
        "iterations-u32-max",
        "kdf-hash-sha1",
        "duplicate-key-header",
        "base64-protected-unpadded",
        "version-2",
    ] {
        let raw = std::fs::read_to_string(neg.join(format!("{name}.byok.json"))).expect("vector");
        let (_, content) = raw.split_once('\n').expect("expect line");
        let f = write(dir.path(), "v.byok.json", content);
        for args in [
            vec!["bundle", "inspect", s(&f)],
            vec!["bundle", "decrypt", s(&f)],
            vec!["env", s(&f)],
        ] {
            // No passphrase anywhere: refusal must come before any prompt.
            byok(&args, None).assert_clean_failure(3);
        }
    }
    // A plaintext key list where a bundle belongs says what to do.
    let plain = write(dir.path(), "keys.json", many_keys().to_string());
    let r = byok(&["bundle", "decrypt", s(&plain)], Some(PASS));
    r.assert_clean_failure(3);
    assert!(
        r.stderr()
            .contains("unencrypted key list, not a bundle; encrypt it with `byok bundle encrypt`")
    );
    // Encrypting a bundle again, or a broken key list.
    byok(&["bundle", "encrypt", s(&golden_file())], Some(PASS)).assert_clean_failure(3);
    let mut bad = many_keys();
    bad["keys"][5]["base_url"] = json!(null);
    let f = write(dir.path(), "bad.json", bad.to_string());
    let r = byok(&["bundle", "encrypt", s(&f)], Some(PASS));
    r.assert_clean_failure(3);
    assert!(
        r.stderr()
            .contains("key 6 is an openai-compatible key without a base_url")
    );
    let empty = write(dir.path(), "empty.byok.json", "");
    byok(&["bundle", "inspect", s(&empty)], None).assert_clean_failure(3);
}

#[test]
fn usage_errors_are_exit_2() {
    let f = golden_file();
    // No passphrase and no terminal (stdin and stderr are pipes here).
    let r = byok(&["bundle", "decrypt", s(&f)], None);
    r.assert_clean_failure(2);
    assert!(r.stderr().contains("BYOK_PASSPHRASE") && r.stderr().contains("--passphrase-file"));
    byok(
        &["bundle", "decrypt", s(&f), "--passphrase", "sekrit"],
        None,
    )
    .assert_clean_failure(2);
    byok(&["bundle", "decrypt", s(&f), "sekrit"], None).assert_clean_failure(2);
    byok(
        &["bundle", "encrypt", s(&f), "--iterations", "599999"],
        Some(PASS),
    )
    .assert_clean_failure(2);
    byok(&["env", s(&f), "--format", "yaml"], Some(PASS)).assert_clean_failure(2);
    byok(&["frobnicate"], None).assert_clean_failure(2);
    byok(&["bundle", "decrypt"], None).assert_clean_failure(2);
    let r = byok(&[], None);
    assert_eq!(r.code(), Some(2));
}

#[test]
fn io_errors_are_exit_4() {
    let dir = tempfile::tempdir().expect("tmp");
    byok(&["bundle", "inspect", s(&dir.path().join("missing"))], None).assert_clean_failure(4);
    byok(&["bundle", "inspect", s(dir.path())], None).assert_clean_failure(4);
    let plain = write(dir.path(), "keys.json", many_keys().to_string());
    let out = dir.path().join("no-such-dir/out.byok.json");
    byok(&["bundle", "encrypt", s(&plain), "-o", s(&out)], Some(PASS)).assert_clean_failure(4);
}

#[test]
fn oversized_file_is_refused_without_reading_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("big.byok.json");
    let f = std::fs::File::create(&p).expect("create");
    f.set_len(bundle::MAX_FILE_BYTES as u64 + 1)
        .expect("sparse file");
    let r = byok(&["bundle", "inspect", s(&p)], None);
    r.assert_clean_failure(3);
    assert!(r.stderr().contains("16 MiB"));
}

#[test]
fn every_subcommand_has_help_with_an_example() {
    for args in [
        vec!["--help"],
        vec!["bundle", "inspect", "--help"],
        vec!["bundle", "decrypt", "--help"],
        vec!["bundle", "encrypt", "--help"],
        vec!["env", "--help"],
        vec!["run", "--help"],
    ] {
        let r = byok(&args, None);
        assert_eq!(r.code(), Some(0), "{args:?}");
        assert!(r.stdout().contains("Example"), "{args:?} has no example");
        assert!(r.stdout().contains("byok "), "{args:?}");
    }
    let r = byok(&["bundle", "--help"], None);
    assert_eq!(r.code(), Some(0));
}

/// A shell that ran `eval "$(byok env keys.byok.json --name OpenRouter)"` earlier still
/// holds OpenRouter's base URL; a key without a base URL must not be sent there.
#[test]
fn a_base_url_left_in_the_environment_does_not_go_with_another_key() {
    let dir = tempfile::tempdir().expect("tmp");
    let f = bundle_file(dir.path(), "k.byok.json", &many_keys());
    // OPENAI_API_BASE: the older name LangChain and LiteLLM still read.
    let inherited = [
        ("OPENAI_BASE_URL", "https://openrouter.ai/api/v1"),
        ("OPENAI_API_BASE", "https://openrouter.ai/api/v1"),
        ("ANTHROPIC_BASE_URL", "https://proxy.example/anthropic"),
    ];
    let show = "printf '%s|%s|%s|%s' \"${OPENAI_BASE_URL-unset}\" \"${OPENAI_API_BASE-unset}\" \"${ANTHROPIC_BASE_URL-unset}\" \"$OPENAI_API_KEY\"";
    for name in [None, Some("Work")] {
        let mut args = vec!["run", s(&f)];
        if let Some(n) = name {
            args.extend(["--name", n]);
        }
        args.extend(["--", "sh", "-c", show]);
        let r = byok_with(&args, Some(PASS), None, &inherited);
        assert_eq!(r.code(), Some(0), "{}", r.stderr());
        let expect_anthropic = if name.is_some() {
            // Only the chosen key's variables are touched.
            "https://proxy.example/anthropic"
        } else {
            "unset"
        };
        assert_eq!(
            r.stdout(),
            format!("unset|unset|{expect_anthropic}|sk-proj-TESTTEST-'quoted' $HOME \"x\"")
        );
    }
    // A key with a base URL still sets it.
    let r = byok_with(
        &["run", s(&f), "--name", "OpenRouter", "--", "sh", "-c", show],
        Some(PASS),
        None,
        &[("OPENAI_BASE_URL", "https://elsewhere.example/v1")],
    );
    assert!(
        r.stdout().starts_with(
            "https://openrouter.ai/api/v1|https://openrouter.ai/api/v1|unset|sk-or-v1"
        )
    );

    // `env`: the shell format unsets, so eval in such a shell clears it.
    let r = byok(&["env", s(&f), "--name", "Work"], Some(PASS));
    assert!(
        r.stdout()
            .contains("\nunset OPENAI_BASE_URL\nunset OPENAI_API_BASE\n"),
        "{}",
        r.stdout()
    );
    let sh = Command::new("sh")
        .args(["-c", &format!("{}\n{show}", r.stdout())])
        .envs(inherited)
        .output()
        .expect("sh");
    assert!(String::from_utf8_lossy(&sh.stdout).starts_with("unset|unset|"));

    // dotenv and JSON cannot unset: a note says so, only when the variable is set.
    for format in ["json", "dotenv"] {
        let args = ["env", s(&f), "--name", "Personal", "--format", format];
        let r = byok_with(&args, Some(PASS), None, &inherited);
        assert_eq!(r.code(), Some(0), "{}", r.stderr());
        let err = r.stderr();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("byok: note: ANTHROPIC_BASE_URL is set here")
                && err.contains("\"Personal\" has no base URL"),
            "{err}"
        );
        assert!(!r.stdout().contains("BASE_URL"));
        let r = byok(&args, Some(PASS));
        assert_eq!(r.stderr(), "", "no note when nothing is inherited");
    }
}

#[test]
fn a_chosen_key_whose_base_url_breaks_a_rule_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let list = key_list(vec![
        key(
            "openai",
            "Proxy",
            "sk-proj-TESTTEST-proxy",
            json!({"is_default": true, "base_url": "https://me:sekrit@evil.example/v1"}),
        ),
        key(
            "anthropic",
            "Tidy",
            "sk-ant-TESTTEST-tidy",
            json!({"base_url": "  https://gateway.example/anthropic/  "}),
        ),
        key(
            "openai-compatible",
            "Ftp",
            "sk-TESTTEST-ftp",
            json!({"base_url": "ftp://files.example/v1"}),
        ),
        key(
            "gemini",
            "Blank",
            "AIzaTESTTEST-blank",
            json!({"base_url": "   "}),
        ),
    ]);
    let f = bundle_file(dir.path(), "k.byok.json", &list);
    for args in [
        vec!["env", s(&f)],
        vec!["env", s(&f), "--name", "Proxy"],
        vec!["run", s(&f), "--", "true"],
    ] {
        let r = byok(&args, Some(PASS));
        r.assert_clean_failure(3);
        assert_eq!(
            r.stderr(),
            format!(
                "byok: {}: the OpenAI key \"Proxy\" cannot be used: its base URL must not carry a user name or password; the key is sent in a header instead\n",
                s(&f)
            )
        );
    }
    let r = byok(&["env", s(&f), "--name", "Ftp"], Some(PASS));
    r.assert_clean_failure(3);
    assert!(
        r.stderr()
            .contains("\"Ftp\" cannot be used: its base URL must start with https://"),
        "{}",
        r.stderr()
    );
    // A good key is exported with its base URL tidied as the web app's import does.
    let r = byok(
        &["env", s(&f), "--name", "Tidy", "--format", "json"],
        Some(PASS),
    );
    assert_eq!(
        r.json(),
        json!({"ANTHROPIC_API_KEY": "sk-ant-TESTTEST-tidy", "ANTHROPIC_BASE_URL": "https://gateway.example/anthropic"})
    );
    let r = byok(
        &["env", s(&f), "--name", "Blank", "--format", "json"],
        Some(PASS),
    );
    assert_eq!(r.json(), json!({"GEMINI_API_KEY": "AIzaTESTTEST-blank"}));
}

#[test]
fn dotenv_refuses_a_base_url_a_reader_would_expand() {
    let dir = tempfile::tempdir().expect("tmp");
    let hostile = "https://evil.example/${AWS_SECRET_ACCESS_KEY}";
    let list = key_list(vec![key(
        "openai-compatible",
        "Evil",
        "sk-TESTTEST-evil",
        json!({"base_url": hostile}),
    )]);
    let f = bundle_file(dir.path(), "k.byok.json", &list);
    let r = byok(
        &["env", s(&f), "--name", "Evil", "--format", "dotenv"],
        Some(PASS),
    );
    r.assert_clean_failure(2);
    assert!(
        r.stderr().contains("OPENAI_BASE_URL contains \"$\""),
        "{}",
        r.stderr()
    );
    // Formats that keep it literal still work.
    let r = byok(
        &["env", s(&f), "--name", "Evil", "--format", "json"],
        Some(PASS),
    );
    assert_eq!(r.json()["OPENAI_BASE_URL"], hostile);
}

#[cfg(unix)]
#[test]
fn encrypt_writes_a_file_only_its_owner_can_read() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tmp");
    let plain = write(dir.path(), "keys.json", many_keys().to_string());
    let out = write(dir.path(), "keys.byok.json", "old bundle");
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let new = dir.path().join("new.byok.json");
    for target in [&out, &new] {
        // The usual umask, under which a new file is world-readable.
        let status = Command::new("sh")
            .args(["-c", "umask 022 && exec \"$0\" \"$@\"", BYOK])
            .args(["bundle", "encrypt", s(&plain), "-o", s(target)])
            .env("BYOK_PASSPHRASE", PASS)
            .stdin(Stdio::null())
            .status()
            .expect("sh");
        assert!(status.success());
        let mode = std::fs::metadata(target)
            .expect("stat")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{}", s(target));
    }
}

#[test]
fn an_expired_default_is_named_when_another_key_is_used_or_none_can_be() {
    let dir = tempfile::tempdir().expect("tmp");
    let old = key(
        "openai",
        "Old",
        "sk-proj-TESTTEST-old",
        json!({"is_default": true, "expires_at": "2020-01-01T00:00:00Z"}),
    );
    let mut keys = vec![old.clone()];
    for n in 1..=4 {
        let label = format!("Other{n}");
        keys.push(key(
            "openai",
            &label,
            &format!("sk-proj-TESTTEST-{n}"),
            json!({}),
        ));
    }
    let f = bundle_file(dir.path(), "many.byok.json", &key_list(keys));
    let r = byok(&["env", s(&f)], Some(PASS));
    assert_eq!(r.code(), Some(0), "{}", r.stderr());
    assert_eq!(r.stdout(), "");
    assert_eq!(
        r.stderr(),
        "byok: note: OPENAI_API_KEY not set: the default OpenAI key \"Old\" expired on 2020-01-01; 4 other OpenAI keys are active, choose one with --name LABEL\n"
    );

    // One other active key: it is used, and the switch is said.
    let list = key_list(vec![
        old,
        key("openai", "Spare", "sk-proj-TESTTEST-spare", json!({})),
    ]);
    let f = bundle_file(dir.path(), "one.byok.json", &list);
    let r = byok(&["env", s(&f), "--format", "json"], Some(PASS));
    assert_eq!(
        r.json(),
        json!({"OPENAI_API_KEY": "sk-proj-TESTTEST-spare"})
    );
    assert_eq!(
        r.stderr(),
        "byok: note: OPENAI_API_KEY is the OpenAI key \"Spare\": the default, \"Old\", expired on 2020-01-01\n"
    );
}

/// The prompt needs a terminal; util-linux `script` provides one (Debian's bsdutils,
/// an essential package, so a failure to start it is a failure, not a skip).
#[cfg(target_os = "linux")]
#[test]
fn the_passphrase_prompt_names_the_file() {
    use std::io::{Read, Write};
    let cmd = format!("'{BYOK}' bundle decrypt '{}'", s(&golden_file()));
    let mut child = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env_remove("BYOK_PASSPHRASE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("script(1) from util-linux gives byok a terminal");
    // Kept open until byok is done: at end of input `script` may end the session.
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(format!("{GOLDEN_PASS}\n").as_bytes())
        .expect("type the passphrase");
    let mut out = String::new();
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut out)
        .expect("read the terminal");
    drop(stdin);
    let _ = child.wait();
    assert!(
        out.contains("Passphrase for golden-v1.byok.json: "),
        "{out}"
    );
    assert!(
        out.contains("\"schema\": 1"),
        "the passphrase was read: {out}"
    );
}

/// Google's genai SDKs and the Gemini CLI read GOOGLE_GEMINI_BASE_URL: set from a Gemini
/// key's base URL, and cleared for a key without one, as for the other providers.
#[test]
fn a_gemini_key_sets_or_clears_the_base_url_googles_tools_read() {
    let dir = tempfile::tempdir().expect("tmp");
    let list = key_list(vec![
        key(
            "gemini",
            "Gateway",
            "AIzaTESTTEST-gateway",
            json!({"base_url": "https://gateway.example/gemini"}),
        ),
        key("gemini", "Plain", "AIzaTESTTEST-plain", json!({})),
    ]);
    let f = bundle_file(dir.path(), "k.byok.json", &list);
    let show = "printf '%s|%s' \"${GOOGLE_GEMINI_BASE_URL-unset}\" \"$GEMINI_API_KEY\"";
    let inherited = [("GOOGLE_GEMINI_BASE_URL", "https://left-behind.example")];
    for (name, expected) in [
        (
            "Gateway",
            "https://gateway.example/gemini|AIzaTESTTEST-gateway",
        ),
        ("Plain", "unset|AIzaTESTTEST-plain"),
    ] {
        let r = byok_with(
            &["run", s(&f), "--name", name, "--", "sh", "-c", show],
            Some(PASS),
            None,
            &inherited,
        );
        assert_eq!(r.code(), Some(0), "{}", r.stderr());
        assert_eq!(r.stdout(), expected);
    }
    let r = byok(&["env", s(&f), "--name", "Plain"], Some(PASS));
    assert!(
        r.stdout().contains("unset GOOGLE_GEMINI_BASE_URL\n"),
        "{}",
        r.stdout()
    );
}
