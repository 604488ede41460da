// Classifies errors coming out of the etcd client into what the Store contract can say about them. Pure: it
// must not retry, log or talk to etcd; the store decides what to do with each class.

import { CLIENT_CLOSED, GRPC_CANCELLED, GrpcStatusError } from './grpc-channel.js';

export type EtcdErrorClass =
  /** The requested revision is older than etcd's compaction revision. */
  | 'compacted'
  /** The requested revision is newer than etcd's current revision. */
  | 'future-revision'
  /** Transient: no leader, leader changed, member down, timeout. Safe to retry reads; writes are conditional. */
  | 'retryable'
  /** The client was closed by us. */
  | 'closed'
  /** Anything else: etcd refused the request for a reason retrying will not fix. */
  | 'fatal';

// etcd server messages (go.etcd.io/etcd/etcdserver/api/v3rpc/rpctypes and raft) that mean "try again".
const RETRYABLE_MESSAGES = [
  'etcdserver: no leader',
  'etcdserver: leader changed',
  'etcdserver: request timed out',
  'etcdserver: too many requests',
  'etcdserver: server stopped',
  'etcdserver: not capable',
  'etcdserver: timed out waiting for read index',
  'etcdserver: unhealthy cluster',
  'etcdserver: request cancelled',
  'raft proposal dropped',
  'proposal dropped',
  'No connection established',
  'Connection dropped',
  'ECONNREFUSED',
  'ECONNRESET',
];

// gRPC codes of the store's own gRPC channel (grpc-channel.ts) that mean "try again": CANCELLED, UNKNOWN,
// DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, INTERNAL, UNAVAILABLE.
const RETRYABLE_CODES = new Set([1, 2, 4, 8, 10, 13, 14]);

export function classifyEtcdError(err: unknown): EtcdErrorClass {
  if (!(err instanceof Error)) return 'fatal';
  const msg = err.message;
  if (msg.includes('required revision has been compacted')) return 'compacted';
  if (msg.includes('required revision is a future revision')) return 'future-revision';
  if (err instanceof GrpcStatusError && err.code === GRPC_CANCELLED && err.details === CLIENT_CLOSED) return 'closed';
  if (err instanceof GrpcStatusError) return RETRYABLE_CODES.has(err.code) || RETRYABLE_MESSAGES.some((m) => msg.includes(m)) ? 'retryable' : 'fatal';
  if (RETRYABLE_MESSAGES.some((m) => msg.includes(m))) return 'retryable';
  return 'fatal';
}
