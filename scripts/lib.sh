# Shared by scripts/serve and scripts/test: install, once, what a fresh Debian machine
# with only Rust, Node and npm lacks. Every step is skipped when already satisfied.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$ROOT/node_modules/.bin:$PATH"
# Trunk checks tool versions against the internet unless told not to; this machine has
# only package registries.
export TRUNK_SKIP_VERSION_CHECK=true

TRUNK_VERSION=0.21.14

say() { printf '\n==> %s\n' "$*" >&2; }

# The wasm-bindgen version Cargo.lock pins; the CLI must match it exactly.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

ensure_wasm_target() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "Adding the wasm32-unknown-unknown Rust target"
    rustup target add wasm32-unknown-unknown
  fi
}

ensure_trunk() {
  if ! trunk --version 2>/dev/null | grep -q " $TRUNK_VERSION\$"; then
    say "Installing trunk $TRUNK_VERSION (compiles for several minutes, once)"
    # 0.22 needs a newer rustc than this project's 1.95.
    cargo install --locked trunk --version "$TRUNK_VERSION"
  fi
}

ensure_wasm_bindgen() {
  local v
  v="$(wasm_bindgen_version)"
  [ -n "$v" ] || { echo "Cargo.lock names no wasm-bindgen version" >&2; exit 1; }
  if ! grep -q "wasm_bindgen = \"$v\"" Trunk.toml; then
    echo "Trunk.toml [tools] wasm_bindgen must equal Cargo.lock's wasm-bindgen $v" >&2
    exit 1
  fi
  if ! wasm-bindgen --version 2>/dev/null | grep -q " $v\$"; then
    say "Installing wasm-bindgen-cli $v (matches Cargo.lock)"
    # No --locked: its lockfile pins a webpki-roots this registry does not serve.
    cargo install wasm-bindgen-cli --version "$v"
  fi
}

ensure_npm_packages() {
  # binaryen's wasm-opt (Debian's is too old and breaks the wasm), playwright-core, axe-core.
  if [ ! -x node_modules/.bin/wasm-opt ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "Installing npm packages (package-lock.json)"
    npm ci --no-audit --no-fund
  fi
}

ensure_chromium() {
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    say "Installing Chromium and ChromeDriver from Debian"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y chromium chromium-driver
  fi
}

build_app() {
  say "Building the web app (release)"
  trunk build --release
}

build_host() {
  say "Building byok-host"
  cargo build --release -p byok-host
}
