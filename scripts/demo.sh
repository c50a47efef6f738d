#!/usr/bin/env bash
# The charmbox demo: build the peer-counter charm into a WebAssembly
# component, run its `start` event three times in the sandboxed host (each
# output State is the next input, as a pod restarting would), then once as a
# non-leader, and time a dispatch.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release --locked -p charmbox
cb=target/release/charmbox
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== charmbox build examples/peer-counter"
$cb build examples/peer-counter

cat > "$work/state-0.json" <<'JSON'
{"leader": true, "relations": [{"id": 1, "endpoint": "fastapi-peer"}]}
JSON
for i in 1 2 3; do
  echo "== start #$i (leader)"
  $cb run --charm examples/peer-counter --event start \
    --state "$work/state-$((i - 1)).json" --out "$work/state-$i.json"
  grep unit_stats "$work/state-$i.json"
done

echo "== start as a non-leader: the count is the leader's job"
sed 's/"leader": true/"leader": false/' "$work/state-3.json" > "$work/follower.json"
$cb run --charm examples/peer-counter --event start --state "$work/follower.json" --out "$work/follower-out.json"
grep unit_stats "$work/follower-out.json"

echo "== benchmark: one start dispatch (instantiate + event + commit)"
$cb bench --charm examples/peer-counter --state "$work/state-0.json" --iterations 3000
