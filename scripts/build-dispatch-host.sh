#!/usr/bin/env bash
# Build the packed charms' host: charmbox-dispatch without the compiler,
# statically linked (glibc's static libc), into target/dispatch-host/, where
# `charmbox pack` finds it. Its own target directory: the workspace's
# feature unification would add the compiler back.
set -euo pipefail
cd "$(dirname "$0")/.."
triple="$(rustc -vV | sed -n 's/^host: //p')"
locked="${CARGO_LOCKED:---locked}"
# Stripped, without debug info: the host ships in every .charm.
export CARGO_PROFILE_RELEASE_DEBUG=false CARGO_PROFILE_RELEASE_STRIP=symbols
RUSTFLAGS="-C target-feature=+crt-static" cargo build --release $locked \
  -p charmbox-dispatch --target "$triple" --target-dir target/dispatch-host "$@"
ls -l "target/dispatch-host/$triple/release/charmbox-dispatch"
