# shellcheck shell=bash
# Shared by scripts/run-app and scripts/test: install what is missing, and
# only that. Every step checks first, so a second run on a ready machine
# takes seconds. Sourced, not executed; expects to run from the repo root.

# What the app needs to build and run (Tauri v2 on Debian 12 / Ubuntu 22.04+).
APP_APT_PACKAGES=(
  libwebkit2gtk-4.1-dev build-essential curl wget file libssl-dev
  libayatana-appindicator3-dev librsvg2-dev libxdo-dev pkg-config
)
# What the tests add: an X server, the WebDriver for WebKitGTK, a Secret
# Service (keyring) on a private D-Bus, an SMTP server, an IMAP server
# (Dovecot, started by the mailbox tests) and Chromium.
TEST_APT_PACKAGES=(
  "${APP_APT_PACKAGES[@]}"
  xvfb xauth webkit2gtk-driver imagemagick x11-utils xdotool fonts-dejavu-core
  chromium gnome-keyring dbus dbus-x11 libsecret-tools keyutils python3-aiosmtpd
  dovecot-imapd
  # The Windows compile check: a C compiler for the target's bundled C code
  # (SQLite, the TLS library).
  gcc-mingw-w64-x86-64
)
# The Windows target the tests compile for (not run): see scripts/test.
WINDOWS_TARGET=x86_64-pc-windows-gnu
# The oldest toolchains the code builds with.
MIN_RUST=1.89
MIN_NODE=18.18

say() { printf '\033[1;36m==>\033[0m %s\n' "$*" >&2; }
warn() { printf '\033[1;33mwarning:\033[0m %s\n' "$*" >&2; }
die() {
  printf '\033[1;31merror:\033[0m %s\n' "$*" >&2
  exit 1
}

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    die "need root to run: $* (install sudo or run as root)"
  fi
}

# version_ge A B: true when version A >= version B (dotted numbers).
version_ge() {
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

_apt_updated=
_apt_update_once() {
  if [ -z "$_apt_updated" ]; then
    as_root apt-get update -qq
    _apt_updated=1
  fi
}

# Installs the apt packages that are not installed yet.
ensure_apt_packages() {
  command -v dpkg-query >/dev/null || die "this script knows Debian and Ubuntu (apt); install the packages listed in scripts/lib/setup.sh by hand"
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  _apt_update_once
  # Ubuntu ships Chromium only as a snap; leave it out there rather than fail.
  local installable=()
  for pkg in "${missing[@]}"; do
    if apt-cache show "$pkg" >/dev/null 2>&1; then
      installable+=("$pkg")
    else
      warn "apt has no package $pkg; tests that need it will say so"
    fi
  done
  [ ${#installable[@]} -eq 0 ] && return 0
  say "installing system packages: ${installable[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${installable[@]}"
}

# Makes sure cargo (Rust >= MIN_RUST) is available, installing rustup if
# there is no Rust at all (the Rust in Debian's apt is too old).
ensure_rust() {
  export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
  if ! command -v cargo >/dev/null; then
    say "installing Rust with rustup (https://rustup.rs)"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --component rustfmt,clippy
  fi
  local have
  have=$(rustc --version | awk '{print $2}')
  if ! version_ge "$have" "$MIN_RUST"; then
    if command -v rustup >/dev/null; then
      say "updating Rust $have to stable (need >= $MIN_RUST)"
      rustup update stable
    else
      die "Rust $have is too old (need >= $MIN_RUST); install a current Rust from https://rustup.rs"
    fi
  fi
}

# Makes sure `cargo fmt` and `cargo clippy` exist.
ensure_rust_components() {
  local missing=()
  cargo fmt --version >/dev/null 2>&1 || missing+=(rustfmt)
  cargo clippy --version >/dev/null 2>&1 || missing+=(clippy)
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v rustup >/dev/null || die "missing ${missing[*]}: install them with your Rust toolchain"
  say "adding Rust components: ${missing[*]}"
  rustup component add "${missing[@]}"
}

# Adds a rustup target if it is not installed yet: ensure_rust_target TRIPLE.
ensure_rust_target() {
  if command -v rustup >/dev/null; then
    rustup target list --installed | grep -qx "$1" && return 0
    say "adding the Rust target $1 (rustup)"
    rustup target add "$1"
  else
    # A Rust without rustup: fine if the target's standard library is there.
    [ -d "$(rustc --print sysroot)/lib/rustlib/$1" ] ||
      die "the Rust target $1 is missing and there is no rustup to add it; install it with your Rust toolchain"
  fi
}

# Installs a cargo tool if its command is missing: ensure_cargo_tool CMD CRATE.
ensure_cargo_tool() {
  command -v "$1" >/dev/null && return 0
  say "installing $2 (cargo install --locked)"
  cargo install "$2" --locked
}

# Makes sure node (>= MIN_NODE) and npm are available.
ensure_node() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    ensure_apt_packages nodejs npm
  fi
  local have
  have=$(node --version | sed 's/^v//')
  version_ge "$have" "$MIN_NODE" || die "Node.js $have is too old (need >= $MIN_NODE); install a current Node.js LTS"
}

# `npm ci` in ui/, only when node_modules does not match package-lock.json.
ensure_node_modules() {
  local stamp=ui/node_modules/.cairn-lock-sha want
  want=$(sha256sum ui/package-lock.json | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  say "installing UI dependencies (npm ci)"
  (cd ui && npm ci --no-audit --no-fund)
  echo "$want" >"$stamp"
}

# Builds ui/dist (which the app embeds) unless it is newer than every input.
ensure_ui_built() {
  if [ -f ui/dist/index.html ] && [ -z "$(find ui/src ui/index.html ui/vite.config.ts ui/tsconfig.json ui/package-lock.json -newer ui/dist/index.html -print -quit 2>/dev/null)" ]; then
    return 0
  fi
  say "building the UI (ui/dist)"
  (cd ui && npm run --silent build)
}
