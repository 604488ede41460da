// The DaemonSet controller's entry for the controller manager's table.
import type { ControllerRegistration } from '../manager.js';
import { DaemonSetController } from './daemonset-controller.js';

export const registration: ControllerRegistration = {
  name: 'daemonset',
  create: (ctx) => {
    const c = new DaemonSetController({ client: ctx.client, informers: ctx.informers, log: ctx.log });
    const abort = new AbortController();
    return {
      start: () => c.start(abort.signal).catch((e) => (abort.signal.aborted ? undefined : Promise.reject(e))),
      stop: async () => {
        abort.abort(new Error('stopped'));
        await c.stop();
      },
    };
  },
};
