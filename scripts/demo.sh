#!/usr/bin/env bash
# The charmbox demo, on the embedded default backend (the model simulator,
# persisted in SQLite): build the peer-counter charm into a WebAssembly
# component; run the tutorial "Preserve your charm's data" as a whole model
# (three units, the leader's pod deleted three times, the count of starts
# surviving in the peer relation); then drive a model file step by step as
# an operator would, reopening it between commands; then one event of one
# unit from a State, and the cost of a dispatch; then pack the charm for a
# real Juju and time its packed `dispatch`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release --locked -p charmbox
cb=target/release/charmbox
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== charmbox build examples/peer-counter"
$cb build examples/peer-counter

echo "== charmbox sim examples/peer-counter/scenario.yaml (model in $work/tutorial.db)"
$cb sim examples/peer-counter/scenario.yaml --model "$work/tutorial.db"

echo "== a model file, one command at a time"
export CHARMBOX_MODEL="$work/model.db"
$cb model deploy examples/peer-counter -n 3 --settle
$cb model churn peer-counter/0 --times 3 --settle
$cb model status
$cb model log --unit peer-counter/0 --hooks | tail -8

echo "== one event of one unit: State JSON in, State JSON out"
cat > "$work/state-0.json" <<'JSON'
{"leader": true, "relations": [{"id": 1, "endpoint": "fastapi-peer"}]}
JSON
for i in 1 2; do
  $cb run --charm examples/peer-counter --event start \
    --state "$work/state-$((i - 1)).json" --out "$work/state-$i.json"
  grep unit_stats "$work/state-$i.json"
done

echo "== benchmark: one start dispatch (instantiate + event + commit)"
$cb bench --charm examples/peer-counter --state "$work/state-0.json" --iterations 3000

echo "== charmbox pack: a .charm a Juju unit agent runs (docs/juju.md)"
bash scripts/build-dispatch-host.sh >/dev/null
$cb pack examples/peer-counter -o "$work/peer-counter.charm"
$cb bench-packed --charm examples/peer-counter --state "$work/state-0.json" --runs 20
