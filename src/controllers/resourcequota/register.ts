// Controller-manager registration for the ResourceQuota controller ("resourcequota", as upstream names it).
import type { ControllerRegistration } from '../manager.js';
import { ResourceQuotaController } from './resourcequota-controller.js';

export const registration: ControllerRegistration = {
  name: 'resourcequota',
  create: (ctx) => {
    const c = new ResourceQuotaController({ client: ctx.client, informers: ctx.informers, log: ctx.log });
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
