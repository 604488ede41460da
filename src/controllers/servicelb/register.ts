// Controller-manager registration for the built-in load balancer ("servicelb", as k3s names it).
import type { ControllerRegistration } from '../manager.js';
import { ServiceLBController } from './servicelb-controller.js';

export const registration: ControllerRegistration = {
  name: 'servicelb',
  create: (ctx) => {
    const c = new ServiceLBController({ client: ctx.client, informers: ctx.informers, log: ctx.log });
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
