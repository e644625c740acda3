//! Test data for `bench/browser-bench.mjs`: a vault record and sealed conversation
//! records, made with byok-core's public API exactly as the app makes them, printed as
//! one JSON object on stdout:
//!
//! ```text
//! {"vaultRecord": "<the byok.vault localStorage value>",
//!  "conversations": [{"id": "<uuid>", "record": "<the IndexedDB value>"}, ...]}
//! ```
//!
//! cargo run --release -p byok-core --example bench_fixture -- \
//!     --passphrase 'P' --keys 1000 --conversations 500 --messages 50 \
//!     --base-url http://127.0.0.1:9999
//!
//! Keys are labelled `Bench key 0000`, `Bench key 0001`, ...; they cycle through the
//! four providers and all point at `--base-url` (the mock provider). Not a test: it
//! asserts nothing.

use byok_core::conversation::{self, Conversation, MessageStatus, MessageUsage, StoredMessage};
use byok_core::crypto::DEFAULT_ITERATIONS;
use byok_core::model::{NewKey, Provider, Vault};
use byok_core::provider::Role;
use byok_core::secret::Secret;
use byok_core::vault;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

struct Args {
    passphrase: String,
    keys: usize,
    conversations: usize,
    messages: usize,
    base_url: String,
    iterations: u32,
    /// Answers recorded in the usage history, spread over the year before the fixture's
    /// clock (for `bench/usage-bench.mjs`).
    usage_messages: usize,
}

fn args() -> Args {
    let mut a = Args {
        passphrase: String::new(),
        keys: 1,
        conversations: 0,
        messages: 50,
        base_url: "http://127.0.0.1:9999".into(),
        iterations: DEFAULT_ITERATIONS,
        usage_messages: 0,
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < argv.len() {
        let v = argv.get(i + 1).cloned().unwrap_or_default();
        match argv[i].as_str() {
            "--passphrase" => a.passphrase = v,
            "--keys" => a.keys = v.parse().expect("--keys N"),
            "--conversations" => a.conversations = v.parse().expect("--conversations N"),
            "--messages" => a.messages = v.parse().expect("--messages N"),
            "--base-url" => a.base_url = v,
            "--iterations" => a.iterations = v.parse().expect("--iterations N"),
            "--usage-messages" => a.usage_messages = v.parse().expect("--usage-messages N"),
            other => panic!("unknown argument {other}"),
        }
        i += 2;
    }
    assert!(!a.passphrase.is_empty(), "--passphrase is required");
    a
}

/// Deterministic ids so two fixture runs produce the same labels and ids.
fn id(kind: u64, n: u64) -> Uuid {
    Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0000 | ((kind as u128) << 96) | n as u128)
}

const ANSWER: &str = "## Answer\n\nHere is what the mock model says about item {n}: the quick brown fox \
jumps over the lazy dog, and then it does it again, because benchmarks like text.\n\n\
- first point with **bold** text\n- second point with `inline code`\n- third point with a \
[link](https://example.com/{n})\n\n```rust\nfn item_{n}(x: u32) -> u32 {\n    x * {n} + 1\n}\n```\n\n\
A closing paragraph with *emphasis*, a number ({n}) and enough words to look like a \
real reply from a real model, more or less.\n";

fn main() {
    let a = args();
    let now = OffsetDateTime::from_unix_timestamp(1_790_000_000).expect("valid time");

    let mut v = Vault::default();
    for i in 0..a.keys {
        let provider = Provider::ALL[i % Provider::ALL.len()];
        let secret = match provider {
            Provider::Anthropic => format!("sk-ant-api03-FAKEFAKEFAKEFAKEFAKE-bench{i:06}-ok-mock"),
            Provider::Gemini => format!("AIzaFAKEFAKEFAKEFAKEFAKE-bench{i:06}-ok-mock"),
            Provider::OpenaiCompatible => {
                format!("sk-or-v1-FAKEFAKEFAKEFAKEFAKE-bench{i:06}-ok-mock")
            }
            Provider::Openai => format!("sk-proj-FAKEFAKEFAKEFAKEFAKE-bench{i:06}-ok-mock"),
        };
        let base = if provider == Provider::OpenaiCompatible {
            format!("{}/compat/v1", a.base_url)
        } else {
            a.base_url.clone()
        };
        v.add(
            NewKey {
                provider,
                label: format!("Bench key {i:04}"),
                secret: Secret::new(secret),
                base_url: Some(base),
                expires_at: None,
                notes: String::new(),
                make_default: false,
            },
            id(1, i as u64),
            now,
        )
        .expect("a valid key");
    }
    // The usage view counts back from the real today, so the history must end there.
    record_usage(&mut v, a.usage_messages, OffsetDateTime::now_utc());
    let (record, data_key) =
        vault::create_with_passphrase(&v, &a.passphrase, a.iterations).expect("vault");

    let mut convs = Vec::with_capacity(a.conversations);
    for c in 0..a.conversations {
        let cid = id(2, c as u64);
        let created = now + Duration::minutes(c as i64);
        let messages = (0..a.messages)
            .map(|m| {
                let user = m % 2 == 0;
                StoredMessage {
                    role: if user { Role::User } else { Role::Assistant },
                    content: if user {
                        format!(
                            "Question {m} of conversation {c}: tell me something about item {m}, please."
                        )
                    } else {
                        ANSWER.replace("{n}", &m.to_string())
                    },
                    status: MessageStatus::Done,
                    error: None,
                    key_id: (!user).then(|| id(1, 1)),
                    key_label: (!user).then(|| "Bench key 0001".to_string()),
                    model: (!user).then(|| "gpt-4o-mini".to_string()),
                    usage: (!user).then_some(MessageUsage {
                        input_tokens: 100,
                        output_tokens: 120,
                        cached_tokens: 0,
                    }),
                    at: created + Duration::seconds(m as i64),
                }
            })
            .collect();
        let conv = Conversation {
            id: cid,
            title: format!("Bench conversation {c:04}"),
            provider: Provider::Openai,
            key_id: Some(id(1, 1)),
            model: "gpt-4o-mini".into(),
            system: None,
            messages,
            created_at: created,
            updated_at: created + Duration::seconds(a.messages as i64),
        };
        let sealed = conversation::seal(&conv, &data_key).expect("seal");
        convs.push(serde_json::json!({ "id": cid.to_string(), "record": sealed }));
    }
    let out = serde_json::json!({
        "vaultRecord": record.to_json(),
        "conversations": convs,
    });
    println!("{out}");
}

/// `n` answers over the 365 days up to `now` (UTC), round-robin over the keys, three models
/// per provider, in day order as the app records them.
fn record_usage(v: &mut Vault, n: usize, now: OffsetDateTime) {
    if v.keys.is_empty() {
        return;
    }
    let first = now.date() - Duration::days(364);
    let keys: Vec<(Uuid, Provider)> = v.keys.iter().map(|k| (k.id, k.provider)).collect();
    for m in 0..n {
        let day = first + Duration::days((m * 365 / n) as i64);
        let (key, provider) = keys[m % keys.len()];
        let models: [&str; 3] = match provider {
            Provider::Anthropic => [
                "claude-sonnet-4-5-20250929",
                "claude-haiku-4-5-20251001",
                "claude-opus-4-1-20250805",
            ],
            Provider::Openai => ["gpt-4o-mini", "gpt-4.1", "o3-mini"],
            Provider::Gemini => ["gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.0-flash"],
            Provider::OpenaiCompatible => [
                "mock/llama-3.1-8b-instruct",
                "mock/mistral-small",
                "mock/qwen",
            ],
        };
        let model = models[(m / keys.len()) % 3];
        let input = 200 + (m as u64 * 37) % 3000;
        v.record_usage(
            key,
            model,
            day,
            input,
            50 + (m as u64 * 13) % 900,
            input / 4,
            now,
        )
        .expect("a known key");
    }
}
