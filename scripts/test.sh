#!/usr/bin/env bash
# Every test of charmbox, on a fresh machine: installs what is missing, builds
# the host and the guest charms (cached in target/), runs unit, conformance
# and end-to-end tests in release mode (wasmtime is slow in debug builds).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The packed charms' host (no compiler, static), which `charmbox pack` ships.
bash scripts/build-dispatch-host.sh
cargo test --release --workspace --locked
bash scripts/test-python.sh
