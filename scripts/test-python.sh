#!/usr/bin/env bash
# charmbox.testing: builds the Python package (python/, maturin + PyO3) into
# the tests' venv (target/python/testing-venv), then runs each Python charm's
# tests/unit under both ops.testing and charmbox.testing, and python/tests.
# scripts/test.sh runs it after the Rust tests (it uses target/release/charmbox).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
venv="$root/target/python/testing-venv"
log() { printf 'test-python: %s\n' "$*" >&2; }

if [ ! -x "$venv/bin/python" ]; then
  log "making the venv $venv"
  python3 -m venv "$venv"
fi
stamp="$venv/.requirements"
if ! cmp -s python/requirements-test.txt "$stamp"; then
  log "installing python/requirements-test.txt"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r python/requirements-test.txt
  cp python/requirements-test.txt "$stamp"
fi
log "building charmbox.testing's extension (maturin develop --release)"
(cd python && VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH" maturin develop --release --locked --quiet)

export CHARMBOX_BIN="$root/target/release/charmbox"
if [ ! -x "$CHARMBOX_BIN" ]; then
  log "building the charmbox CLI (replay checks the traces)"
  cargo build --release --locked -p charmbox --bin charmbox
fi
# One pytest per charm: each charm's module is `charm`.
for dir in examples/peer-counter-py examples/pause-py examples/openssh-py examples/kvdb-py tests/charms/testing-py; do
  log "pytest $dir/tests/unit"
  "$venv/bin/python" -m pytest -q -p no:cacheprovider "$dir/tests/unit"
done
log "pytest examples/peer-counter-py/tests/model (charmbox.testing.Simulation)"
"$venv/bin/python" -m pytest -q -p no:cacheprovider examples/peer-counter-py/tests/model
log "charmbox new --lang python: the new charm's own unit test, under charmbox.testing"
newdir="$root/target/tmp/new-python-unit"
rm -rf "$newdir"
"$CHARMBOX_BIN" new new-python-unit --lang python --dir "$newdir"
"$venv/bin/python" -m pytest -q -p no:cacheprovider "$newdir/tests/unit"
log "pytest python/tests"
"$venv/bin/python" -m pytest -q -p no:cacheprovider python/tests
