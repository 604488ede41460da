// Controller-manager registration for the root CA publisher ("root-ca-cert-publisher"); it runs only when the
// manager knows the cluster CA (ControllerManagerOptions.rootCA), as upstream needs --root-ca-file.
import type { ControllerRegistration } from '../manager.js';
import { RootCaCertPublisher } from './root-ca-cert-publisher.js';

export const registration: ControllerRegistration = {
  name: 'root-ca-cert-publisher',
  create: (ctx) => {
    const rootCA = ctx.options.rootCA;
    if (!rootCA) {
      ctx.log('controller root-ca-cert-publisher: no cluster CA given; kube-root-ca.crt ConfigMaps are not published');
      return { start: async () => {}, stop: async () => {} };
    }
    const c = new RootCaCertPublisher({ client: ctx.client, informers: ctx.informers, rootCA, log: ctx.log });
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
