// Controller-manager registration for the horizontal pod autoscaler ("horizontalpodautoscaling").
import type { ControllerRegistration } from '../manager.js';
import { HpaController } from './hpa-controller.js';

export const registration: ControllerRegistration = {
  name: 'horizontalpodautoscaling',
  create: (ctx) => {
    const c = new HpaController({ client: ctx.client, informers: ctx.informers, log: ctx.log, ...ctx.options.hpa });
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
