// Controller-manager registration for the disruption controller ("disruption").
import type { ControllerRegistration } from '../manager.js';
import { DisruptionController } from './disruption-controller.js';

export const registration: ControllerRegistration = {
  name: 'disruption',
  create: (ctx) => {
    const c = new DisruptionController({ client: ctx.client, informers: ctx.informers, log: ctx.log });
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
