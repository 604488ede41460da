// The contract every service data path implements (nftables, iptables, userspace): set up once, apply the
// full list of routes on each sync (each implementation decides how much to rewrite), and remove
// everything on stop.
import type { ServicePortRoute } from './service-ports.js';

export type ProxyMode = 'nftables' | 'iptables' | 'userspace';

export interface SyncResult {
  /** The whole data path was rewritten (first sync, or after a failure). */
  full: boolean;
  /** Commands or rules written (0 = nothing changed). */
  changes: number;
}

export interface DataPath {
  readonly mode: ProxyMode;
  setUp(): Promise<void>;
  sync(routes: ServicePortRoute[]): Promise<SyncResult>;
  /** The next sync rewrites everything (periodic repair of rules changed behind the proxy's back). */
  invalidate(): void;
  stop(): Promise<void>;
}
