#!/usr/bin/env bash
# Installs what charmbox needs and is missing; safe to run again (idempotent).
#  - the host toolchain: rustup's stable cargo (must already be on the machine);
#  - the guest target wasm32-unknown-unknown from rustup, or, when rustup
#    cannot download it, Debian's rustc-web/cargo-web/rust-web-src, with which
#    `charmbox build` builds std itself (-Zbuild-std).
set -euo pipefail

log() { printf 'setup: %s\n' "$*" >&2; }

# Debian packages, with sudo unless root.
apt_install() {
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@"
}

if ! command -v cargo >/dev/null 2>&1; then
  log "cargo not found: install Rust (rustup, stable >= 1.95) first"
  exit 1
fi

have_target() {
  command -v rustup >/dev/null 2>&1 &&
    rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown
}

have_debian_web() {
  [ -x /usr/bin/cargo ] && [ -x /usr/bin/rustc ] && [ -d /usr/lib/rustlib/src/rust/library ]
}

if have_target; then
  log "guest target wasm32-unknown-unknown: installed"
elif command -v rustup >/dev/null 2>&1 && rustup target add wasm32-unknown-unknown >&2; then
  log "guest target wasm32-unknown-unknown: added with rustup"
elif have_debian_web; then
  log "guest toolchain: Debian rustc-web fallback already installed"
else
  log "rustup cannot add wasm32-unknown-unknown: installing Debian's rustc-web fallback"
  apt_install rustc-web cargo-web rust-web-src
fi

# Python charms whose requirements have Rust + PyO3 native code (pydantic v2's
# pydantic-core) get it built for WASI from its sdist: rustup's wasm32-wasip1.
if command -v rustup >/dev/null 2>&1; then
  if rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip1; then
    log "target wasm32-wasip1 (native Python extensions): installed"
  elif rustup target add wasm32-wasip1 >&2; then
    log "target wasm32-wasip1 (native Python extensions): added with rustup"
  else
    log "rustup cannot add wasm32-wasip1: Python charms needing pydantic-core will not build"
  fi
fi

# Python charms (charmbox build of src/charm.py) need the host's python3 with
# pip, which installs componentize-py and the charms' requirements into
# target/python/; `bench --vs-scenario` also makes a venv there.
have_python() {
  command -v python3 >/dev/null 2>&1 &&
    python3 -m pip --version >/dev/null 2>&1 &&
    python3 -c 'import venv, ensurepip' >/dev/null 2>&1
}

if have_python; then
  log "python3 with pip and venv: installed ($(python3 --version 2>&1))"
else
  log "installing python3, pip and venv (Debian packages)"
  apt_install python3 python3-pip python3-venv
fi

# C charms (charmbox build of src/charm.c) need clang with the wasm32-wasi
# target: clang and wasm-ld, wasi-libc, and clang's wasm32 builtins.
have_c_toolchain() {
  command -v clang-14 >/dev/null 2>&1 &&
    [ -f /usr/lib/wasm32-wasi/libc.a ] &&
    [ -f "$(clang-14 --target=wasm32-wasi -print-libgcc-file-name 2>/dev/null)" ]
}

if have_c_toolchain; then
  log "clang-14 for wasm32-wasi (C charms): installed"
else
  log "installing clang-14, lld-14, wasi-libc and the wasm32 builtins (Debian packages, C charms)"
  apt_install clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32
fi

# JavaScript charms (charmbox build of src/charm.js) need node >= 18 and npm,
# which install componentize-js into the build cache once.
have_node() {
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 &&
    [ "$(node -e 'console.log(process.versions.node.split(".")[0])' 2>/dev/null || echo 0)" -ge 18 ]
}

if have_node; then
  log "node $(node --version) and npm (JavaScript charms): installed"
else
  log "installing nodejs and npm (Debian packages, JavaScript charms)"
  apt_install nodejs npm
fi
