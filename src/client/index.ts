// Skiff's Kubernetes client library (client-go's role): transport, ApiClient, informers, work queue,
// leader election. Components import from here.
export * from './backoff.js';
export * from './client.js';
export * from './clock.js';
export * from './config.js';
export * from './discovery.js';
export * from './errors.js';
export * from './indexer.js';
export * from './informer.js';
export * from './informer-factory.js';
export * from './leader-election.js';
export * from './line-decoder.js';
export * from './rate-limiter.js';
export * from './resource.js';
export * as resources from './resources.js';
export * from './transport.js';
export * from './watch-event.js';
export * from './workqueue.js';
