// Options of the general etcd3 client (grpc-js) for the one thing that still uses it: snapshots through the
// maintenance API (src/storage/backup/etcd-snapshot.ts). The store itself talks to etcd over its own channel
// (grpc-channel.ts), so etcd3 and grpc-js are loaded only when a snapshot is taken.
import type { IOptions } from 'etcd3';
import { pem, type EtcdStoreOptions } from './etcd-store.js';
import { HostBreaker } from './host-breaker.js';

/** The etcd3 client options for a store's settings: same members, TLS material and per-attempt deadline. */
export function etcdClientOptions(opts: EtcdStoreOptions): IOptions {
  const attemptTimeoutMs = opts.attemptTimeoutMs ?? 5000;
  const ca = pem(opts.ca);
  const cert = pem(opts.cert);
  const key = pem(opts.key);
  const options: IOptions = {
    hosts: opts.endpoints,
    // Streams (the snapshot) live as long as they need; unary calls get a per-attempt deadline.
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + attemptTimeoutMs }),
    faultHandling: { host: (host) => new HostBreaker(host) },
    grpcOptions: {
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
    },
  };
  if (ca || cert || key) {
    // grpc-js uses the system roots when rootCertificate is null.
    options.credentials = { rootCertificate: ca ?? (null as unknown as Buffer), privateKey: key, certChain: cert };
  }
  return options;
}
