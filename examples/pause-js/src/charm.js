// pause-js: the charm of the Juju SDK how-to "How to run workloads with
// your charm", in JavaScript. Pebble runs /pause in the `pause` container;
// the charm gives Pebble the layer and keeps the service's environment in
// line with the `timeout` option, restarting it only when the plan changed
// (as examples/pause in Rust and examples/pause-py).
import { charm, log } from './charmbox.js';

const NAME = 'pause';

const PAUSE_LAYER = {
  summary: 'pause layer',
  description: 'pebble config layer for google/pause',
  services: {
    pause: {
      override: 'replace',
      summary: 'pause service',
      command: '/pause',
      startup: 'enabled',
    },
  },
};

export const handler = charm({
  'pebble-ready'(event, model) {
    const container = model.unit.getContainer(NAME);
    container.addLayer(NAME, PAUSE_LAYER, { combine: true });
    container.autostart();
    model.unit.setStatus('active', '');
  },

  'config-changed'(event, model) {
    const container = model.unit.getContainer(NAME);
    if (!container.canConnect()) {
      log(`Pebble in the ${NAME} container is not ready yet`);
      model.unit.setStatus('waiting', 'waiting for Pebble in the workload container');
      return;
    }
    if (container.getServices(NAME).length === 0) {
      log(`no ${NAME} service in the plan yet: pebble-ready has not run`);
      model.unit.setStatus('waiting', 'waiting for the pause service');
      return;
    }
    const before = container.getPlanText();
    const timeout = model.config.get('timeout') ?? 30;
    const overlay = {
      services: { pause: { override: 'merge', environment: { TIMEOUT: String(timeout) } } },
    };
    container.addLayer(NAME, overlay, { combine: true });
    if (container.getPlanText() !== before) {
      log('added config layer to Pebble plan');
      container.restart(NAME);
      log(`restarted ${NAME} service`);
    } else {
      log(`the plan did not change: ${NAME} keeps running`);
    }
    model.unit.setStatus('active', '');
  },
});
