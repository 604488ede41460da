// The one core/v1 Event recorder every Skiff component uses (controllers, scheduler, node agent, HPA), as
// upstream's record.EventRecorder writes Events: name "<object>.<hex time>", involvedObject, reason,
// message, type, source.component (+ host for node agents), first/last timestamps, count. With `aggregate`,
// a repeat of the same event (same object, fieldPath, type, reason and message) within 10 minutes raises the
// first Event's count and lastTimestamp instead of writing another, as client-go's event correlator does
// ("(x5 over 2m)" in kubectl describe). Best effort: a failed write is logged, never thrown, and never blocks
// the caller; with `maxInFlight`, events beyond that many outstanding writes are dropped (counted).
import type { Event, ObjectReference } from 'kubernetes-types/core/v1.js';
import type { ApiClient, ObjectLike } from './client.js';
import type { Clock } from './clock.js';
import { isNotFound } from './errors.js';
import * as resources from './resources.js';

export type EventType = 'Normal' | 'Warning';

/** An object (with metadata, as informers hold them) or a reference to one. */
export type EventSubject = ObjectLike | ObjectReference;

export interface EventRecorder {
  /** fieldPath names a part of the object, e.g. "spec.containers{app}" for a pod's container. */
  event(subject: EventSubject, type: EventType, reason: string, message: string, fieldPath?: string): void;
  /** Forgets the aggregation state of an object (it was deleted or its events no longer repeat). */
  forget(uid: string | undefined): void;
  /** Events dropped because maxInFlight writes were outstanding. */
  readonly dropped: number;
}

export interface RecorderOptions {
  /** The node an agent's events come from (source.host and reportingInstance, as the kubelet's). */
  host?: string;
  /** Count repeats into the first Event (client-go's correlator). */
  aggregate?: boolean;
  /** Outstanding writes beyond which events are dropped rather than queued without end. */
  maxInFlight?: number;
  /** apiVersion/kind for subjects that lack them (objects from typed informers). */
  defaultKind?: { apiVersion: string; kind: string };
}

const aggregateWindowMs = 10 * 60_000;
const aggregateMaxKeys = 50_000;

export function referenceTo(obj: ObjectLike): ObjectReference {
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    namespace: obj.metadata?.namespace,
    name: obj.metadata?.name,
    uid: obj.metadata?.uid,
    resourceVersion: obj.metadata?.resourceVersion,
  };
}

function referenceOf(subject: EventSubject, defaultKind: RecorderOptions['defaultKind']): ObjectReference {
  const ref = 'metadata' in subject && subject.metadata ? referenceTo(subject as ObjectLike) : { ...(subject as ObjectReference) };
  if (defaultKind) {
    ref.apiVersion ??= defaultKind.apiVersion;
    ref.kind ??= defaultKind.kind;
  }
  return ref;
}

/** Upstream's Time wire format: RFC 3339 to the second. */
const wireTime = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

interface Seen {
  name: string;
  namespace: string;
  count: number;
  lastMs: number;
  uid?: string;
}

export function newEventRecorder(client: ApiClient, component: string, clock: Pick<Clock, 'now'>, log: (line: string) => void, opts: RecorderOptions = {}): EventRecorder {
  const host = opts.host;
  const seen = new Map<string, Seen>();
  const keysByUid = new Map<string, Set<string>>();
  let seq = 0;
  let inFlight = 0;
  let dropped = 0;

  const remember = (key: string, s: Seen) => {
    seen.set(key, s);
    if (s.uid) {
      let keys = keysByUid.get(s.uid);
      if (!keys) keysByUid.set(s.uid, (keys = new Set()));
      keys.add(key);
    }
    if (seen.size > aggregateMaxKeys) drop(seen.keys().next().value!);
  };
  const drop = (key: string) => {
    const s = seen.get(key);
    seen.delete(key);
    if (s?.uid) keysByUid.get(s.uid)?.delete(key);
  };

  const write = async (ref: ObjectReference, type: EventType, reason: string, message: string): Promise<void> => {
    const nowMs = clock.now();
    const now = wireTime(nowMs);
    const namespace = ref.namespace || 'default';
    const key = opts.aggregate ? JSON.stringify([ref.kind, ref.namespace, ref.name, ref.uid, ref.fieldPath, type, reason, message]) : '';
    const prev = opts.aggregate ? seen.get(key) : undefined;
    if (prev && nowMs - prev.lastMs < aggregateWindowMs) {
      prev.count++;
      prev.lastMs = nowMs;
      try {
        await client.patch(resources.events, prev.name, { count: prev.count, lastTimestamp: now }, 'merge', { namespace: prev.namespace });
        return;
      } catch (e) {
        // The Event expired (events have a TTL): start a new one.
        if (!isNotFound(e)) throw e;
      }
    }
    const name = `${ref.name ?? 'object'}.${(nowMs * 1000 + (seq++ % 1000)).toString(16)}`;
    const ev: Event = {
      metadata: { name, namespace },
      involvedObject: ref,
      reason,
      message,
      type,
      source: host ? { component, host } : { component },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      reportingComponent: component,
      reportingInstance: host ?? component,
    };
    if (opts.aggregate) {
      drop(key);
      remember(key, { name, namespace, count: 1, lastMs: nowMs, uid: ref.uid });
    }
    await client.create(resources.events, ev, { namespace });
  };

  return {
    event(subject, type, reason, message, fieldPath) {
      if (opts.maxInFlight !== undefined && inFlight >= opts.maxInFlight) {
        dropped++;
        return;
      }
      const ref = referenceOf(subject, opts.defaultKind);
      if (fieldPath) ref.fieldPath = fieldPath;
      inFlight++;
      write(ref, type, reason, message)
        .catch((e: unknown) => log(`${component}: event ${reason} for ${ref.namespace ?? ''}/${ref.name}: ${(e as Error)?.message ?? String(e)}`))
        .finally(() => inFlight--);
    },
    forget(uid) {
      if (!uid) return;
      for (const key of keysByUid.get(uid) ?? []) seen.delete(key);
      keysByUid.delete(uid);
    },
    get dropped() {
      return dropped;
    },
  };
}
