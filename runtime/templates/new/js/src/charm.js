// {{name}}: sets its unit active on start (charmbox's library: ./charmbox.js,
// put beside this file by `charmbox build`).
import { charm, log } from './charmbox.js';

export const handler = charm({
  start(event, model) {
    log('starting');
    model.unit.setStatus('active', 'ready');
  },
});
