// peer-counter-js: the charm of the Juju SDK tutorial chapter "Preserve your
// charm's data", in JavaScript. On `start` the leader counts how often the
// application has started, in the JSON value `unit_stats` of the peer
// relation's application databag. The same charm as examples/peer-counter
// (Rust), peer-counter-py and peer-counter-c: the same databags.
import { charm, log } from './charmbox.js';

const PEER_NAME = 'fastapi-peer';
const STATS_KEY = 'unit_stats';

/** started_counter in the stats (a number, or the tutorial's string). */
function startedCounter(raw) {
  if (raw === undefined || raw === '') return 0;
  const value = JSON.parse(raw).started_counter;
  if (value === undefined || value === null) return 0;
  const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (!Number.isSafeInteger(n) || n < 0) throw new Error('started_counter is not a count');
  return n;
}

function count(model) {
  const peers = model.getRelation(PEER_NAME);
  if (peers === null) {
    log(`no ${PEER_NAME} relation yet: not counting this start`);
    return;
  }
  if (!model.unit.isLeader()) {
    log('not the leader: leaving started_counter to the leader');
    return;
  }
  const n = startedCounter(peers.appData.get(STATS_KEY)) + 1;
  // Written as Python's json.dumps writes it.
  peers.appData.set(STATS_KEY, `{"started_counter": ${n}}`);
  log(`started_counter is now ${n}`);
}

export const handler = charm({
  start(event, model) {
    count(model);
    model.unit.setStatus('active', '');
  },
});
