// The node IPAM controller (upstream's nodeipam with the range allocator): every node without
// spec.podCIDR gets the first free per-node subnet of the cluster CIDR, written with a patch of spec.podCIDR
// and spec.podCIDRs. Subnets already on nodes (including simulated ones) count as taken. Event
// CIDRNotAvailable when the range is full. Decisions live in decisions.ts.
import type { Node } from 'kubernetes-types/core/v1.js';
import type { ApiClient } from '../../client/client.js';
import type { Informer } from '../../client/informer.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import * as resources from '../../client/resources.js';
import { runWorkers, WorkQueue } from '../../client/workqueue.js';
import { realClock } from '../../client/clock.js';
import { newEventRecorder, type EventRecorder } from '../../client/event-recorder.js';
import { allocateNodeCidr } from './decisions.js';

export interface NodeIpamOptions {
  client: ApiClient;
  informers: InformerFactory;
  /** --cluster-cidr, default 10.42.0.0/16 (as k3s). */
  clusterCidr?: string;
  /** --node-cidr-mask-size, default 24. */
  nodeCidrMaskSize?: number;
  log?: (line: string) => void;
}

export const defaultClusterCidr = '10.42.0.0/16';

export class NodeIpamController {
  private readonly nodes: Informer<Node>;
  private readonly queue = new WorkQueue({ name: 'nodeipam' });
  private readonly recorder: EventRecorder;
  private readonly log: (line: string) => void;
  /** Subnets handed out and not yet seen in the cache (two nodes at once must not get the same one). */
  private readonly pending = new Map<string, string>();
  private workers: Promise<void> | undefined;
  private readonly remove: () => void;

  constructor(private readonly opts: NodeIpamOptions) {
    this.log = opts.log ?? ((l) => process.stderr.write(`${l}\n`));
    this.nodes = opts.informers.informerFor(resources.nodes);
    this.recorder = newEventRecorder(opts.client, 'cidrAllocator', realClock, this.log);
    const add = (n: Node) => {
      if (!n.spec?.podCIDR && n.metadata?.name) this.queue.add(n.metadata.name);
    };
    this.remove = this.nodes.addEventHandler({ onAdd: add, onUpdate: (_o, n) => add(n), onDelete: (n) => this.pending.delete(n.metadata?.name ?? '') });
  }

  async start(signal?: AbortSignal): Promise<void> {
    await this.nodes.waitForSync(signal);
    this.workers = runWorkers(this.queue, 1, (name) => this.reconcile(name), { onError: (k, e) => this.log(`nodeipam: node ${k}: ${(e as Error).message}`) });
  }

  async stop(): Promise<void> {
    this.remove();
    this.queue.shutdown();
    await this.workers;
  }

  private async reconcile(name: string): Promise<void> {
    const node = this.nodes.indexer.get(name);
    if (!node || node.spec?.podCIDR) {
      this.pending.delete(name);
      return;
    }
    const used = new Set<string>();
    for (const n of this.nodes.indexer.list()) for (const c of n.spec?.podCIDRs ?? (n.spec?.podCIDR ? [n.spec.podCIDR] : [])) used.add(c);
    for (const [other, c] of this.pending) if (other !== name) used.add(c);
    const cidr = this.pending.get(name) ?? allocateNodeCidr(this.opts.clusterCidr ?? defaultClusterCidr, this.opts.nodeCidrMaskSize ?? 24, used);
    if (!cidr) {
      this.recorder.event({ ...node, apiVersion: 'v1', kind: 'Node' }, 'Warning', 'CIDRNotAvailable', `Node ${name} status is now: CIDRNotAvailable`);
      throw new Error(`no pod CIDR left in ${this.opts.clusterCidr ?? defaultClusterCidr}`);
    }
    this.pending.set(name, cidr);
    await this.opts.client.patch(resources.nodes, name, { spec: { podCIDR: cidr, podCIDRs: [cidr] } }, 'strategic', { fieldManager: 'node-ipam-controller' });
  }
}
