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
  /** May change attrs.object; throws StatusError to reject. */
  mutate?(attrs: AdmissionAttributes): Promise<void> | void;
  /** Must not change anything; throws StatusError to reject. */
  validate?(attrs: AdmissionAttributes): Promise<void> | void;
}

export class Admission {
  private readonly plugins: AdmissionPlugin[] = [];

  register(plugin: AdmissionPlugin): void {
    this.plugins.push(plugin);
  }

  async mutate(attrs: AdmissionAttributes): Promise<void> {
    for (const p of this.plugins) if (p.mutate) await p.mutate(attrs);
  }

  async validate(attrs: AdmissionAttributes): Promise<void> {
    for (const p of this.plugins) if (p.validate) await p.validate(attrs);
  }
}
