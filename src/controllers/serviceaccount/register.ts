// Controller-manager registration for the service accounts controller ("serviceaccount").
import type { ControllerRegistration } from '../manager.js';
import { ServiceAccountsController } from './serviceaccounts-controller.js';

export const registration: ControllerRegistration = {
  name: 'serviceaccount',
  create: (ctx) => {
    const c = new ServiceAccountsController({ client: ctx.client, informers: ctx.informers, log: ctx.log });
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
