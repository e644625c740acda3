//! Figures for `bench/core-bench.sh`: PBKDF2 alone, and bundle encrypt/decrypt for 1, 100
//! and 10,000 keys, in-process. With `--write DIR` it also leaves the bundles in DIR so
//! the script can measure the real `byok` binary (peak memory) on them.
//!
//! Prints figures only; it asserts nothing about speed.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use byok_core::bundle;
use byok_core::crypto::{self, DEFAULT_ITERATIONS};

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
        let p = bundle::bench_payload(n);
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
