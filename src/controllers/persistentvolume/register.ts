// Controller-manager registrations: the PV binder ("persistentvolume-binder") and the built-in local-path
// provisioner ("local-path-provisioner").
import type { Controller, ControllerContext, ControllerRegistration } from '../manager.js';
import { LocalPathProvisioner } from './local-path-provisioner.js';
import { PersistentVolumeController } from './pv-controller.js';

function wrap(c: { start(signal?: AbortSignal): Promise<void>; stop(): Promise<void> }): Controller {
  const abort = new AbortController();
  return {
    start: () => c.start(abort.signal).catch((e) => (abort.signal.aborted ? undefined : Promise.reject(e))),
    stop: async () => {
      abort.abort(new Error('stopped'));
      await c.stop();
    },
  };
}

export const binderRegistration: ControllerRegistration = {
  name: 'persistentvolume-binder',
  create: (ctx: ControllerContext) => wrap(new PersistentVolumeController({ client: ctx.client, informers: ctx.informers, log: ctx.log })),
};

export const localPathRegistration: ControllerRegistration = {
  name: 'local-path-provisioner',
  create: (ctx: ControllerContext) => wrap(new LocalPathProvisioner({ client: ctx.client, informers: ctx.informers, log: ctx.log })),
};
