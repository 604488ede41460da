// Controller-manager registration for the Endpoints controller ("endpoint", as upstream names it).
import type { ControllerRegistration } from '../manager.js';
import { EndpointsController } from './endpoints-controller.js';

export const registration: ControllerRegistration = {
  name: 'endpoint',
  create: (ctx) => {
    const c = new EndpointsController({ client: ctx.client, informers: ctx.informers, log: ctx.log });
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
