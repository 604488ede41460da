// The admission seam: mutating then validating plugins that see every write after defaulting and before
// storage (upstream's admission chain). Plugins (LimitRange, ResourceQuota, PriorityClass, default
// tolerations, PodSecurity...) register here in later work; this module only orders and runs them.
import type { ResourceType } from '../../api/resource.js';
import type { KubeObject } from '../../api/types.js';
import type { UserInfo } from '../auth/authn.js';
import type { ObjectStorage } from '../object-storage.js';
import type { WatchCache } from '../../storage/watch-cache.js';
import { innerMap } from '../../util/nested-map.js';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface AdmissionAttributes {
  rt: ResourceType;
  operation: Operation;
  subresource: string;
  namespace: string;
  name: string;
  object?: KubeObject;
  oldObject?: KubeObject;
  user: UserInfo;
  dryRun: boolean;
}

export interface AdmissionPlugin {
  name: string;
  /**
   * False when the plugin has nothing to do for writes of this resource, operation and subresource: the
   * chain leaves it out up front (decided once per combination). Absent: it sees every write.
   */
  handles?(rt: ResourceType, operation: Operation, subresource: string): boolean;
  /** May change attrs.object; throws StatusError to reject. A promise only when it could not finish at once. */
  mutate?(attrs: AdmissionAttributes): Promise<void> | void;
  /** Must not change anything; throws StatusError to reject. A promise only when it could not finish at once. */
  validate?(attrs: AdmissionAttributes): Promise<void> | void;
}

interface Chain {
  mutating: AdmissionPlugin[];
  validating: AdmissionPlugin[];
}

export class Admission {
  private readonly plugins: AdmissionPlugin[] = [];
  /**
   * The plugins that handle a resource type's (operation, subresource), in registration order: by type, then
   * by operation and subresource (no key string per request).
   */
  private chains = new WeakMap<ResourceType, Map<Operation, Map<string, Chain>>>();

  register(plugin: AdmissionPlugin): void {
    this.plugins.push(plugin);
    this.chains = new WeakMap();
  }

  /** Runs the mutating plugins; undefined (nothing to wait for) when none handles the write. */
  mutate(attrs: AdmissionAttributes): Promise<void> | undefined {
    const plugins = this.chainFor(attrs).mutating;
    return plugins.length === 0 ? undefined : runEach(plugins, attrs, 'mutate');
  }

  /** Runs the validating plugins; undefined (nothing to wait for) when none handles the write. */
  validate(attrs: AdmissionAttributes): Promise<void> | undefined {
    const plugins = this.chainFor(attrs).validating;
    return plugins.length === 0 ? undefined : runEach(plugins, attrs, 'validate');
  }

  private chainFor(attrs: AdmissionAttributes): Chain {
    const { rt, operation, subresource } = attrs;
    const bySubresource = innerMap(innerMap(this.chains, rt), operation);
    let chain = bySubresource.get(subresource);
    if (chain === undefined) {
      const handling = this.plugins.filter((p) => p.handles?.(rt, operation, subresource) ?? true);
      chain = { mutating: handling.filter((p) => p.mutate), validating: handling.filter((p) => p.validate) };
      bySubresource.set(subresource, chain);
    }
    return chain;
  }
}

/**
 * Runs the plugins in order, each after the previous one finished: synchronously while they finish at once
 * (no promise, no turn of the microtask queue), then waiting on each from the first that returns a promise.
 */
function runEach(plugins: AdmissionPlugin[], attrs: AdmissionAttributes, phase: 'mutate' | 'validate'): Promise<void> | undefined {
  for (let i = 0; i < plugins.length; i++) {
    const pending = plugins[i]![phase]!(attrs);
    if (pending instanceof Promise) return finishEach(pending, plugins, i + 1, attrs, phase);
  }
  return undefined;
}

async function finishEach(pending: Promise<void>, plugins: AdmissionPlugin[], from: number, attrs: AdmissionAttributes, phase: 'mutate' | 'validate'): Promise<void> {
  await pending;
  for (let i = from; i < plugins.length; i++) await plugins[i]![phase]!(attrs);
}

/**
 * `use(cache)` on a resource's watch cache: at once when it has started (as every built-in one has once the
 * server is up), else once it has. For plugins that finish synchronously when they can.
 */
export function withCache<T>(storage: ObjectStorage, rt: ResourceType, use: (cache: WatchCache) => T): T | Promise<T> {
  const cache = storage.startedCache(rt);
  return cache !== undefined ? use(cache) : storage.cache(rt).then(use);
}
