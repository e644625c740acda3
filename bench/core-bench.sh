#!/usr/bin/env bash
# byok-core / byok CLI figures: PBKDF2 at 600,000 iterations, bundle encrypt and decrypt
# for 1, 100 and 10,000 keys, peak memory of `byok bundle decrypt` on the 10,000-key
# bundle. Prints figures; it is not a test and fails only if something does not run.
#
#   bench/core-bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== building (release)" >&2
cargo build --quiet --release -p byok-cli --bin byok --example bundle_bench

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== in-process (byok-core, release build)"
target/release/examples/bundle_bench --write "$work"

echo
echo "== the byok binary, end to end (process start, read, parse, PBKDF2, decrypt, print)"
export BYOK_PASSPHRASE="bench passphrase, not a secret"
for n in 1 100 10000; do
  f="$work/keys-$n.byok.json"
  if [ -x /usr/bin/time ]; then
    # %e wall seconds, %M peak resident set size in KiB.
    /usr/bin/time -f "%e %M" -o "$work/time" target/release/byok bundle decrypt "$f" >/dev/null
    awk -v n="$n" '{ printf "%6s keys: %6.0f ms wall, peak RSS %6.1f MiB\n", n, $1 * 1000, $2 / 1024 }' "$work/time"
  else
    start=$(date +%s%N)
    target/release/byok bundle decrypt "$f" >/dev/null
    printf '%6s keys: %6d ms wall (install GNU time for peak memory)\n' "$n" \
      $(( ($(date +%s%N) - start) / 1000000 ))
  fi
done
echo
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
