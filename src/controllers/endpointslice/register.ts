// Controller-manager registration for the EndpointSlice controller ("endpointslice").
import type { ControllerRegistration } from '../manager.js';
import { EndpointSliceController } from './endpointslice-controller.js';

export const registration: ControllerRegistration = {
  name: 'endpointslice',
  create: (ctx) => {
    const c = new EndpointSliceController({ client: ctx.client, informers: ctx.informers, log: ctx.log });
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
