// Controller-manager registration for the node lifecycle controller ("nodelifecycle").
import type { ControllerRegistration } from '../manager.js';
import { NodeLifecycleController } from './nodelifecycle-controller.js';

export const registration: ControllerRegistration = {
  name: 'nodelifecycle',
  create: (ctx) => {
    const c = new NodeLifecycleController({ client: ctx.client, informers: ctx.informers, log: ctx.log, ...ctx.options.nodeLifecycle });
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
