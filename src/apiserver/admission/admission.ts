// The admission seam: mutating then validating plugins that see every write after defaulting and before
// storage (upstream's admission chain). Plugins (LimitRange, ResourceQuota, PriorityClass, default
// tolerations, PodSecurity...) register here in later work; this module only orders and runs them.
import type { ResourceType } from '../../api/resource.js';
import type { KubeObject } from '../../api/types.js';
import type { UserInfo } from '../auth/authn.js';

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
  /** May change attrs.object; throws StatusError to reject. */
  mutate?(attrs: AdmissionAttributes): Promise<void> | void;
  /** Must not change anything; throws StatusError to reject. */
  validate?(attrs: AdmissionAttributes): Promise<void> | void;
}

interface Chain {
  mutating: AdmissionPlugin[];
  validating: AdmissionPlugin[];
}

export class Admission {
  private readonly plugins: AdmissionPlugin[] = [];
  /** The plugins that handle a (group, resource, operation, subresource), in registration order. */
  private readonly chains = new Map<string, Chain>();

  register(plugin: AdmissionPlugin): void {
    this.plugins.push(plugin);
    this.chains.clear();
  }

  async mutate(attrs: AdmissionAttributes): Promise<void> {
    for (const p of this.chainFor(attrs).mutating) await p.mutate!(attrs);
  }

  async validate(attrs: AdmissionAttributes): Promise<void> {
    for (const p of this.chainFor(attrs).validating) await p.validate!(attrs);
  }

  private chainFor(attrs: AdmissionAttributes): Chain {
    const { rt, operation, subresource } = attrs;
    const key = `${rt.group}/${rt.resource}/${operation}/${subresource}`;
    let chain = this.chains.get(key);
    if (chain === undefined) {
      const handling = this.plugins.filter((p) => p.handles?.(rt, operation, subresource) ?? true);
      chain = { mutating: handling.filter((p) => p.mutate), validating: handling.filter((p) => p.validate) };
      this.chains.set(key, chain);
    }
    return chain;
  }
}
