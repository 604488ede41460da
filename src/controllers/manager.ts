// Skiff's controller manager (kube-controller-manager's role): builds the shared clients and informer
// factory, starts the selected controllers from a registration table, waits for their caches, and stops
// everything it started. A controller is added by one entry in `controllerTable`; the manager knows nothing
// else about it. Controllers are API clients only: nothing here reaches into the apiserver or storage.
import type { ApiClient } from '../client/client.js';
import { InformerFactory } from '../client/informer-factory.js';
import { stripManagedFields } from '../client/informer.js';
import { GarbageCollector } from './garbagecollector/garbage-collector.js';
import { metadataClientFor } from '../client/metadata-client.js';
import { NamespaceController } from './namespace/namespace-controller.js';
import { registration as replicasetRegistration } from './replicaset/register.js';
import { registration as deploymentRegistration } from './deployment/register.js';
import { registration as statefulSetRegistration } from './statefulset/register.js';
import { registration as daemonSetRegistration } from './daemonset/register.js';
import { registration as jobRegistration } from './job/register.js';
import { registration as cronJobRegistration } from './cronjob/register.js';
import { registration as endpointRegistration } from './endpoints/register.js';
import { registration as endpointSliceRegistration } from './endpointslice/register.js';
import { registration as serviceAccountRegistration } from './serviceaccount/register.js';
import { registration as nodeLifecycleRegistration } from './nodelifecycle/register.js';
import { registration as disruptionRegistration } from './disruption/register.js';
import { registration as resourceQuotaRegistration } from './resourcequota/register.js';
import { registration as hpaRegistration } from './podautoscaler/register.js';
import { registration as rootCaCertPublisherRegistration } from './rootcacertpublisher/register.js';
import { binderRegistration as pvBinderRegistration, localPathRegistration } from './persistentvolume/register.js';
import { registration as nodeIpamRegistration } from './nodeipam/register.js';
import { registration as serviceLBRegistration } from './servicelb/register.js';

export interface ControllerManagerOptions {
  client: ApiClient;
  log?: (line: string) => void;
  /** Names from controllerTable to run; default all. */
  controllers?: string[];
  gc?: { workers?: number; resyncPeriodMs?: number };
  namespace?: { workers?: number; remainingContentRequeueMs?: number };
  nodeLifecycle?: { monitorPeriodMs?: number; monitorGraceMs?: number; startupGraceMs?: number };
  /** Horizontal pod autoscaler (--horizontal-pod-autoscaler-sync-period, ...-downscale-stabilization). */
  hpa?: { syncPeriodMs?: number; downscaleStabilizationMs?: number; calculator?: { tolerance?: number; cpuInitializationPeriodMs?: number; delayOfInitialReadinessStatusMs?: number } };
  /** Node IPAM: --cluster-cidr (default 10.42.0.0/16) and --node-cidr-mask-size (default 24). */
  nodeIpam?: { clusterCidr?: string; nodeCidrMaskSize?: number };
  /** PEM of the cluster CA, published as kube-root-ca.crt in every namespace (upstream --root-ca-file). */
  rootCA?: string;
  /** How long start() waits for caches before resolving anyway (controllers keep waiting). Default 60 s. */
  syncTimeoutMs?: number;
}

/** What every controller is given. */
export interface ControllerContext {
  client: ApiClient;
  /** Same connection, metadata-only reads (PartialObjectMetadata). */
  metadataClient: ApiClient;
  /** Shared informers: each resource is listed and watched once per process. */
  informers: InformerFactory;
  log: (line: string) => void;
  options: ControllerManagerOptions;
}

/** A started controller: start() resolves once its caches are synced and its workers run. */
export interface Controller {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface ControllerRegistration {
  name: string;
  create(ctx: ControllerContext): Controller;
}

export const controllerTable: readonly ControllerRegistration[] = [
  {
    name: 'namespace',
    create: (ctx) => {
      const c = new NamespaceController({
        client: ctx.client,
        metadataClient: ctx.metadataClient,
        informers: ctx.informers,
        log: ctx.log,
        ...ctx.options.namespace,
      });
      const abort = new AbortController();
      return {
        start: () => c.start(abort.signal).catch((e) => (abort.signal.aborted ? undefined : Promise.reject(e))),
        stop: async () => {
          abort.abort(new Error('stopped'));
          await c.stop();
        },
      };
    },
  },
  {
    name: 'garbagecollector',
    create: (ctx) =>
      new GarbageCollector({
        client: ctx.client,
        metadataClient: ctx.metadataClient,
        informers: ctx.informers,
        log: ctx.log,
        ...ctx.options.gc,
      }),
  },
  replicasetRegistration,
  deploymentRegistration,
  statefulSetRegistration,
  daemonSetRegistration,
  jobRegistration,
  cronJobRegistration,
  endpointRegistration,
  endpointSliceRegistration,
  serviceAccountRegistration,
  nodeLifecycleRegistration,
  disruptionRegistration,
  resourceQuotaRegistration,
  hpaRegistration,
  rootCaCertPublisherRegistration,
  pvBinderRegistration,
  localPathRegistration,
  nodeIpamRegistration,
  serviceLBRegistration,
];

export interface ControllerManager {
  /** Names of the controllers running. */
  readonly controllers: string[];
  stop(): Promise<void>;
}

export async function startControllerManager(opts: ControllerManagerOptions): Promise<ControllerManager> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const selected = opts.controllers ?? controllerTable.map((c) => c.name);
  const unknown = selected.filter((n) => !controllerTable.some((c) => c.name === n));
  if (unknown.length > 0) throw new TypeError(`unknown controllers: ${unknown.join(', ')} (known: ${controllerTable.map((c) => c.name).join(', ')})`);

  // As kube-controller-manager's informers: no controller reads managedFields (writes without them keep the
  // stored ones), so the caches do not hold them; at 50,000 pods they are about half of each pod.
  const informers = new InformerFactory(opts.client, { log, transform: stripManagedFields, omitManagedFields: true });
  const ctx: ControllerContext = { client: opts.client, metadataClient: metadataClientFor(opts.client), informers, log, options: opts };
  const running: { name: string; controller: Controller }[] = [];
  for (const reg of controllerTable) {
    if (selected.includes(reg.name)) running.push({ name: reg.name, controller: reg.create(ctx) });
  }

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await Promise.all(running.map((r) => r.controller.stop().catch((e) => log(`controller ${r.name}: stop failed: ${(e as Error).message}`))));
      await informers.stop();
    })());

  // Informers the controllers asked for start now; ones asked for later start on creation.
  informers.start();
  const started = Promise.all(
    running.map((r) =>
      r.controller.start().then(
        () => log(`controller ${r.name}: started`),
        (e) => log(`controller ${r.name}: failed to start: ${(e as Error)?.message ?? String(e)}`),
      ),
    ),
  );
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      log('controller manager: caches not synced yet; continuing while controllers wait');
      resolve();
    }, opts.syncTimeoutMs ?? 60_000);
    timer.unref();
  });
  await Promise.race([started, timeout]);
  clearTimeout(timer);
  return { controllers: running.map((r) => r.name), stop };
}
