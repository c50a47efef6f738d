#!/usr/bin/env bash
# Every test of charmbox, on a fresh machine: installs what is missing, builds
# the host and the guest charms (cached in target/), runs unit, conformance
# and end-to-end tests in release mode (wasmtime is slow in debug builds).
# Each step prints its wall time, so a slow CI run says where it went.
set -euo pipefail
cd "$(dirname "$0")/.."
step() {
  local start=$SECONDS
  "$@"
  printf 'test.sh: %s: %d s (%d s in all)\n' "$*" $((SECONDS - start)) "$SECONDS" >&2
}
step bash scripts/setup.sh
# The packed charms' host (no compiler, static), which `charmbox pack` ships.
step bash scripts/build-dispatch-host.sh
step cargo test --release --workspace --locked --no-run
step cargo test --release --workspace --locked
step bash scripts/test-python.sh
