//! Figures for `bench/core-bench.sh`: PBKDF2 alone, and bundle encrypt/decrypt for 1, 100
//! and 10,000 keys, in-process. With `--write DIR` it also leaves the bundles in DIR so
//! the script can measure the real `byok` binary (peak memory) on them.
//!
//! Prints figures only; it asserts nothing about speed.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use byok_core::bundle::{self, BundleKey, BundlePayload};
use byok_core::crypto::{self, DEFAULT_ITERATIONS};
use byok_core::model::Provider;
use byok_core::secret::Secret;
use time::OffsetDateTime;

const PASSPHRASE: &str = "bench passphrase, not a secret";
const RUNS: usize = 3;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time<T>(mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut times = Vec::with_capacity(RUNS);
    let mut last = None;
    for _ in 0..RUNS {
        let t = Instant::now();
        last = Some(f());
        times.push(t.elapsed());
    }
    (median(times), last.expect("RUNS > 0"))
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

fn payload(n: usize) -> BundlePayload {
    let now = OffsetDateTime::from_unix_timestamp(1_790_000_000).expect("valid time");
    let keys = (0..n)
        .map(|i| {
            let provider = Provider::ALL[i % 4];
            BundleKey {
                id: format!("{:08x}-0000-4000-8000-{:012x}", i, i),
                provider,
                label: format!("Key number {i}"),
                // About the size of a real Anthropic key.
                secret: Secret::new(format!("sk-ant-api03-{}-{i:08}AA", "x".repeat(80))),
                base_url: (provider == Provider::OpenaiCompatible)
                    .then(|| "https://openrouter.ai/api/v1".to_owned()),
                is_default: i < 4,
                is_active: true,
                created_at: now,
                expires_at: None,
                extra: serde_json::Map::new(),
            }
        })
        .collect();
    BundlePayload {
        schema: 1,
        exported_at: now,
        keys,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let write_dir = args
        .iter()
        .position(|a| a == "--write")
        .map(|i| PathBuf::from(args.get(i + 1).expect("--write DIR")));

    let salt = [7u8; 16];
    let (kdf, _) = time(|| crypto::derive_key(PASSPHRASE.as_bytes(), &salt, DEFAULT_ITERATIONS));
    println!(
        "PBKDF2-HMAC-SHA256, {DEFAULT_ITERATIONS} iterations: {} ms (median of {RUNS})",
        ms(kdf)
    );
    println!();
    println!(
        "{:>6}  {:>12}  {:>11}  {:>11}  {:>16}  {:>14}",
        "keys", "file bytes", "encrypt ms", "decrypt ms", "decrypt w/o KDF", "decrypt / KDF"
    );
    let mut ratio_10k = 0.0;
    for n in [1usize, 100, 10_000] {
        let p = payload(n);
        let (enc, text) = time(|| bundle::seal(&p, PASSPHRASE, DEFAULT_ITERATIONS).expect("seal"));
        let (dec, back) = time(|| {
            bundle::parse(text.as_bytes())
                .expect("parse")
                .open(PASSPHRASE)
                .expect("open")
        });
        assert_eq!(back.keys.len(), n);
        // The same open with the key already derived: the cost of everything but the KDF.
        let parsed = bundle::parse(text.as_bytes()).expect("parse");
        let key = crypto::derive_key(
            PASSPHRASE.as_bytes(),
            &parsed.header.salt,
            parsed.header.iterations,
        );
        let (no_kdf, _) = time(|| {
            bundle::parse(text.as_bytes())
                .expect("parse")
                .open_with_key(&key)
                .expect("open")
        });
        let ratio = dec.as_secs_f64() / kdf.as_secs_f64();
        if n == 10_000 {
            ratio_10k = ratio;
        }
        println!(
            "{:>6}  {:>12}  {:>11}  {:>11}  {:>16}  {:>13.2}x",
            n,
            text.len(),
            ms(enc),
            ms(dec),
            ms(no_kdf),
            ratio
        );
        if let Some(dir) = &write_dir {
            std::fs::write(dir.join(format!("keys-{n}.byok.json")), &text).expect("write bundle");
        }
    }
    println!();
    println!(
        "10,000-key bundle opens in {ratio_10k:.2}x the time of the key derivation alone (goal: < 1.5x)"
    );
}
