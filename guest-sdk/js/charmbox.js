// charmbox's JavaScript library for Juju charms, over the juju:charm world.
//
// A charm's src/charm.js exports `handler = charm({start(event, model) {...}})`;
// the names follow ops (`model.unit.setStatus`, `model.getRelation`,
// `relation.appData.get`). Hook tools are charmbox's typed ones, so a failed
// tool throws with Juju's own message; anything thrown fails the hook with
// its message. `charmbox build` bundles this file as `./charmbox.js` beside
// the charm's sources (docs/js.md).
import * as tools from 'juju:charm/hook-tools@0.1.0';

/** Juju's message of a failed hook tool, or the message of anything thrown. */
export function errorText(e) {
  if (typeof e === 'string') return e;
  const payload = e && e.payload;
  if (payload && typeof payload.val === 'string') return payload.val;
  if (e instanceof Error) {
    // SpiderMonkey's stack is the frames only: the message goes first.
    const stack = e.stack ? `\n${String(e.stack).trimEnd()}` : '';
    return `${e.name}: ${e.message}${stack}`;
  }
  return String(e);
}

/** juju-log at a level: 'info' (default), 'debug', 'warning', 'error'. */
export function log(message, level = 'info') {
  tools.jujuLog(level, String(message));
}

/** A databag of one relation: this application's or this unit's. */
class Databag {
  constructor(relationId, target, app) {
    this.relationId = relationId;
    this.target = target;
    this.app = app;
  }

  /** The value of `key`, or undefined. */
  get(key) {
    const bag = tools.relationGet(this.relationId, this.target, this.app);
    const found = bag.find(([k]) => k === key);
    return found === undefined ? undefined : found[1];
  }

  /** Set `key` (Juju refuses the application's databag to non-leaders). */
  set(key, value) {
    tools.relationSet(this.relationId, this.app, [[key, String(value)]]);
  }
}

/** One relation, as ops' Relation. */
class Relation {
  constructor(id, model) {
    this.id = id;
    this.appData = new Databag(id, model.appName, true);
    this.unitData = new Databag(id, model.unitName, false);
  }
}

/** This unit, as ops' Unit. */
class Unit {
  constructor(name) {
    this.name = name;
  }

  isLeader() {
    return tools.isLeader();
  }

  /** status: 'active', 'blocked', 'maintenance' or 'waiting'. */
  setStatus(status, message = '') {
    tools.statusSet(false, status, message);
  }

  setWorkloadVersion(version) {
    tools.applicationVersionSet(String(version));
  }
}

/** What the charm sees of the model during one event. */
class Model {
  constructor(event) {
    this.unitName = event.context.unitName;
    this.appName = event.context.appName;
    this.unit = new Unit(this.unitName);
  }

  /** ops' model.get_relation(endpoint): the relation, or null; more than
   * one on the endpoint is an error, as in ops. */
  getRelation(endpoint) {
    const ids = tools.relationIds(endpoint);
    if (ids.length === 0) return null;
    if (ids.length > 1) throw new Error(`more than one ${endpoint} relation: get it by id`);
    return new Relation(ids[0], this);
  }
}

/** The exported handler: `handlers[kind](event, model)` for each event
 * kind the charm handles ('start', 'config-changed', 'relation-changed'...). */
export function charm(handlers) {
  return {
    dispatch(event) {
      const handle = handlers[event.kind];
      if (handle === undefined) return;
      try {
        handle(event, new Model(event));
      } catch (e) {
        // A string thrown is the handler's `err`: the hook fails with it.
        throw errorText(e);
      }
    },
  };
}
