// Controller-manager registration for the node IPAM controller ("nodeipam").
import type { ControllerRegistration } from '../manager.js';
import { NodeIpamController } from './nodeipam-controller.js';

export const registration: ControllerRegistration = {
  name: 'nodeipam',
  create: (ctx) => {
    const c = new NodeIpamController({ client: ctx.client, informers: ctx.informers, log: ctx.log, ...ctx.options.nodeIpam });
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
