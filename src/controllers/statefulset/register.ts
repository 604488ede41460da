// The StatefulSet controller's entry for the controller manager's table.
import type { ControllerRegistration } from '../manager.js';
import { StatefulSetController } from './statefulset-controller.js';

export const registration: ControllerRegistration = {
  name: 'statefulset',
  create: (ctx) => {
    const c = new StatefulSetController({ client: ctx.client, informers: ctx.informers, log: ctx.log });
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
