// charmbox's JavaScript library for Juju charms, over the juju:charm world.
//
// A charm's src/charm.js exports `handler = charm({start(event, model) {...}})`;
// the names follow ops (`model.unit.setStatus`, `model.getRelation`,
// `relation.appData.get`). Hook tools are charmbox's typed ones, so a failed
// tool throws with Juju's own message; anything thrown fails the hook with
// its message. `charmbox build` bundles this file as `./charmbox.js` beside
// the charm's sources (docs/js.md).
import * as tools from 'juju:charm/hook-tools@0.1.0';
import { Container as PebbleContainer } from 'juju:charm/pebble@0.1.0';

/** Juju's message of a failed hook tool, or the message of anything thrown. */
export function errorText(e) {
  if (typeof e === 'string') return e;
  const payload = e && e.payload;
  if (payload && typeof payload.val === 'string') return payload.val;
  // Pebble's API and path errors carry a record with the message.
  if (payload && payload.val && typeof payload.val.message === 'string') return payload.val.message;
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

/** A workload container's Pebble, as ops' Container. Layers are objects
 * (or YAML text); a failed call throws with Pebble's message. */
class Container {
  constructor(name) {
    this.name = name;
    this.pebble = null;
  }

  _open() {
    if (this.pebble === null) this.pebble = PebbleContainer.open(this.name);
    return this.pebble;
  }

  /** Whether Pebble answers (false rather than an error, as ops). */
  canConnect() {
    try {
      return this._open().canConnect();
    } catch (e) {
      return false;
    }
  }

  /** Add (or with combine, merge into) the layer `label`. */
  addLayer(label, layer, { combine = false } = {}) {
    // JSON is YAML: a layer object is sent as its JSON text.
    const text = typeof layer === 'string' ? layer : JSON.stringify(layer);
    this._open().addLayer(label, text, combine);
  }

  /** The combined plan, as Pebble's YAML text. */
  getPlanText() {
    return this._open().getPlan();
  }

  /** The plan's services (all, or those named) with their status:
   * [{name, startup, current}]. */
  getServices(...names) {
    return this._open().getServices(names);
  }

  /** Wait for change `id` (as ops does after each service operation);
   * a change that ended in error throws with Pebble's message. */
  _wait(id) {
    const change = this._open().waitChange(id, undefined);
    if (change.err !== undefined) {
      throw new Error(change.err);
    }
  }

  /** Start the services marked `startup: enabled`, and wait. */
  autostart() {
    this._wait(this._open().autostart());
  }

  /** Bring the services in line with the plan, and wait. */
  replan() {
    this._wait(this._open().replan());
  }

  start(...services) {
    this._wait(this._open().start(services));
  }

  stop(...services) {
    this._wait(this._open().stop(services));
  }

  restart(...services) {
    this._wait(this._open().restart(services));
  }

  /** A file's content, as text. */
  pull(path) {
    return new TextDecoder().decode(this._open().pull(path));
  }

  /** Write a file (text or bytes); makeDirs creates its parents. */
  push(path, data, { makeDirs = false, permissions } = {}) {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    this._open().push(path, bytes, { makeDirs, permissions });
  }
}

/** The charm's configuration, as ops' model.config. */
class Config {
  /** The option's value (string, number, boolean), or undefined when
   * unset; an int beyond 2^53 stays a BigInt. */
  get(key) {
    const value = tools.configGet(key);
    if (value === undefined) return undefined;
    const v = value.val;
    if (typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) {
      return Number(v);
    }
    return v;
  }
}

/** This unit, as ops' Unit. */
class Unit {
  constructor(name) {
    this.name = name;
  }

  /** The workload container `name`. */
  getContainer(name) {
    return new Container(name);
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
    this.config = new Config();
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
