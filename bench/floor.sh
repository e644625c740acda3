#!/usr/bin/env bash
# The size floor of byok's stack, next to the app's own size: a minimal Leptos app with
# the router (bench/floor/leptos), byok-core's main paths with no UI (bench/floor/core),
# and both in one wasm (bench/floor/both), each built as the app is (opt-level z, LTO, erase_components,
# wasm-bindgen, wasm-opt -Oz). Prints raw, gzip -9 and brotli sizes in kB; asserts
# nothing. Needs what the build command installs (wasm target, wasm-bindgen, npm deps)
# and a release build in dist/ for the comparison line.
#
#   bench/floor.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
export PATH="$HOME/.cargo/bin:$root/node_modules/.bin:$PATH"
export CARGO_TARGET_DIR="$root/target/floor"
export RUSTFLAGS="--cfg erase_components"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd bench/floor && cargo build --quiet --release --locked --target wasm32-unknown-unknown -p floor-leptos -p floor-core -p floor-both)
out="$CARGO_TARGET_DIR/wasm32-unknown-unknown/release"
for name in floor-leptos floor_core floor-both; do
  wasm-bindgen --target web --no-typescript --out-dir "$work/$name" "$out/$name.wasm"
  # The features Trunk enables for the app's wasm-opt run (Rust 1.95's wasm32 defaults).
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$work/$name/${name}_bg.wasm" -o "$work/$name/${name}_bg.wasm"
done

node - "$work" "$root/dist" <<'JS'
const { readFileSync, readdirSync, existsSync } = require('node:fs');
const { join } = require('node:path');
const { gzipSync, brotliCompressSync, constants } = require('node:zlib');
const [work, dist] = process.argv.slice(2);
const kb = (n) => (n / 1000).toFixed(1).padStart(7);
const size = (files) => files.reduce((t, f) => {
  const b = readFileSync(f);
  t.raw += b.length;
  t.gzip += gzipSync(b, { level: 9 }).length;
  t.br += brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  return t;
}, { raw: 0, gzip: 0, br: 0 });
const row = (label, t) => console.log(`${label.padEnd(52)} ${kb(t.raw)} ${kb(t.gzip)} ${kb(t.br)}`);
const js = (dir) => readdirSync(dir, { recursive: true }).filter((f) => /\.(js|wasm)$/.test(f)).map((f) => join(dir, f));
console.log(`${'wasm + its JS glue, kB'.padEnd(52)} ${'raw'.padStart(7)} ${'gzip'.padStart(7)} ${'br'.padStart(7)}`);
const l = size(js(join(work, 'floor-leptos')));
const c = size(js(join(work, 'floor_core')));
row('minimal Leptos app with the router', l);
row('byok-core main paths, no UI', c);
row('both in one wasm (what they share counted once)', size(js(join(work, 'floor-both'))));
if (existsSync(dist)) row('the app (dist/: wasm and JS)', size(js(dist)));
console.log('goal for the whole app, every file: 250 kB gzip');
JS
