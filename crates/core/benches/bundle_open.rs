//! Criterion: opening a 10,000-key bundle (scripts/bench). `parse+decrypt` is the work
//! after the key derivation (parse the file, AES-256-GCM decrypt, check every entry);
//! `pbkdf2` is the derivation alone at the bundle's 600,000 iterations; `open` is both,
//! what `byok bundle decrypt` does.

use byok_core::bundle;
use byok_core::crypto::{self, DEFAULT_ITERATIONS};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

const PASSPHRASE: &str = "bench passphrase, not a secret";
const KEYS: usize = 10_000;

fn bench(c: &mut Criterion) {
    let salt = [7u8; 16];
    let iv = [9u8; 12];
    let key = crypto::derive_key(PASSPHRASE.as_bytes(), &salt, DEFAULT_ITERATIONS);
    let file = bundle::seal_with_key(
        &bundle::bench_payload(KEYS),
        &key,
        &salt,
        &iv,
        DEFAULT_ITERATIONS,
    )
    .expect("seal");

    let mut g = c.benchmark_group("bundle_open_10000");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(file.len() as u64));
    g.bench_function("parse+decrypt", |b| {
        b.iter(|| {
            let parsed = bundle::parse(black_box(file.as_bytes())).expect("parse");
            let p = parsed.open_with_key(&key).expect("open");
            assert_eq!(p.keys.len(), KEYS);
            p
        })
    });
    g.bench_function("pbkdf2", |b| {
        b.iter(|| crypto::derive_key(black_box(PASSPHRASE.as_bytes()), &salt, DEFAULT_ITERATIONS))
    });
    g.bench_function("open", |b| {
        b.iter(|| {
            let parsed = bundle::parse(black_box(file.as_bytes())).expect("parse");
            parsed.open(PASSPHRASE).expect("open")
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
