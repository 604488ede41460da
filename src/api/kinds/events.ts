// Events, served twice over one storage as upstream does: core/v1 `events` and events.k8s.io/v1 `events`,
// both under /registry/events in the core/v1 shape. The events.k8s.io resource converts field by field
// (regarding↔involvedObject, note↔message, deprecatedSource↔source, deprecated*↔firstTimestamp/lastTimestamp/
// count; reportingController is stored as core's reportingComponent). Pure conversion + strategy.
import { cause, type StatusCause } from '../errors.js';
import type { KindStrategy, ResourceType, VersionConversion } from '../resource.js';
import type { KubeObject } from '../types.js';
import { defineResource } from './define.js';
import { type Loose, loose, oneOf } from './validation.js';

const str = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v));

/** Fields that keep their name in both shapes. */
const COMMON = ['reason', 'type', 'eventTime', 'series', 'action', 'related', 'reportingInstance'];

function copyDefined(from: Loose, to: Loose, fromKey: string, toKey: string = fromKey): void {
  if (from[fromKey] !== undefined) to[toKey] = from[fromKey];
}

/** events.k8s.io/v1 Event → core/v1 Event (upstream Convert_v1_Event_To_core_Event). */
export function eventsV1ToCore(obj: KubeObject): KubeObject {
  const i = loose(obj);
  const out: Loose = { apiVersion: 'v1', kind: 'Event', metadata: i['metadata'] ?? {} };
  copyDefined(i, out, 'regarding', 'involvedObject');
  if (out['involvedObject'] === undefined) out['involvedObject'] = {};
  copyDefined(i, out, 'note', 'message');
  copyDefined(i, out, 'deprecatedSource', 'source');
  if (out['source'] === undefined) out['source'] = {};
  copyDefined(i, out, 'deprecatedFirstTimestamp', 'firstTimestamp');
  copyDefined(i, out, 'deprecatedLastTimestamp', 'lastTimestamp');
  copyDefined(i, out, 'deprecatedCount', 'count');
  copyDefined(i, out, 'reportingController', 'reportingComponent');
  for (const k of COMMON) copyDefined(i, out, k);
  return out as KubeObject;
}

/** core/v1 Event → events.k8s.io/v1 Event (upstream Convert_core_Event_To_v1_Event). */
export function coreToEventsV1(obj: KubeObject): KubeObject {
  const i = loose(obj);
  const out: Loose = { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: i['metadata'] ?? {} };
  copyDefined(i, out, 'involvedObject', 'regarding');
  copyDefined(i, out, 'message', 'note');
  if (i['source'] && Object.keys(i['source']).length > 0) out['deprecatedSource'] = i['source'];
  copyDefined(i, out, 'firstTimestamp', 'deprecatedFirstTimestamp');
  copyDefined(i, out, 'lastTimestamp', 'deprecatedLastTimestamp');
  if (i['count']) out['deprecatedCount'] = i['count'];
  copyDefined(i, out, 'reportingComponent', 'reportingController');
  for (const k of COMMON) copyDefined(i, out, k);
  if (out['eventTime'] === undefined) out['eventTime'] = null;
  return out as KubeObject;
}

export const eventsV1Conversion: VersionConversion = { toStorage: eventsV1ToCore, fromStorage: coreToEventsV1 };

/** Getters read either shape, so selectors work on stored (core) and served (events.k8s.io) objects. */
function ref(o: KubeObject): Loose {
  const l = loose(o);
  return (l['involvedObject'] ?? l['regarding'] ?? {}) as Loose;
}
function sourceComponent(o: KubeObject): string {
  const l = loose(o);
  return str(l['source']?.['component'] || l['deprecatedSource']?.['component'] || l['reportingComponent'] || l['reportingController']) ?? '';
}
function reporting(o: KubeObject): string {
  const l = loose(o);
  return str(l['reportingComponent'] ?? l['reportingController']) ?? '';
}

const refGetters = (prefix: string): Record<string, (o: KubeObject) => string> => ({
  [`${prefix}.kind`]: (o) => str(ref(o)['kind']) ?? '',
  [`${prefix}.namespace`]: (o) => str(ref(o)['namespace']) ?? '',
  [`${prefix}.name`]: (o) => str(ref(o)['name']) ?? '',
  [`${prefix}.uid`]: (o) => str(ref(o)['uid']) ?? '',
  [`${prefix}.apiVersion`]: (o) => str(ref(o)['apiVersion']) ?? '',
  [`${prefix}.resourceVersion`]: (o) => str(ref(o)['resourceVersion']) ?? '',
  [`${prefix}.fieldPath`]: (o) => str(ref(o)['fieldPath']) ?? '',
});

function validateCoreEvent(obj: KubeObject): StatusCause[] {
  const e = loose(obj);
  const out: StatusCause[] = [];
  const inv = (e['involvedObject'] ?? {}) as Loose;
  const ns = e['metadata']?.['namespace'];
  if (inv['namespace'] && ns && inv['namespace'] !== ns) {
    out.push(cause.invalid('involvedObject.namespace', inv['namespace'], 'does not match event.namespace'));
  }
  out.push(...oneOf(e['type'], 'type', ['Normal', 'Warning']));
  if (e['eventTime'] && !e['reportingComponent']) out.push(cause.required('reportingController', ''));
  if (e['eventTime'] && !e['reportingInstance']) out.push(cause.required('reportingInstance', ''));
  if (e['eventTime'] && !e['action']) out.push(cause.required('action', ''));
  if (e['eventTime'] && !e['reason']) out.push(cause.required('reason', ''));
  return out;
}

export const coreEventStrategy: KindStrategy = {
  nameRule: 'dns1123-subdomain',
  statusSubresource: false,
  generation: false,
  validate: (obj) => validateCoreEvent(obj),
  fieldSelectors: {
    ...refGetters('involvedObject'),
    reason: (o) => str(loose(o)['reason']) ?? '',
    reportingComponent: reporting,
    source: sourceComponent,
    type: (o) => str(loose(o)['type']) ?? '',
  },
};

export const eventsV1Strategy: KindStrategy = {
  nameRule: 'dns1123-subdomain',
  statusSubresource: false,
  generation: false,
  validate(obj) {
    // Validation runs on the served (events.k8s.io) shape; paths use its names.
    const e = loose(obj);
    const out: StatusCause[] = [];
    if (!e['eventTime']) out.push(cause.required('eventTime', ''));
    out.push(...oneOf(e['type'], 'type', ['Normal', 'Warning'], true));
    if (!e['reportingController']) out.push(cause.required('reportingController', ''));
    if (!e['reportingInstance']) out.push(cause.required('reportingInstance', ''));
    if (!e['action']) out.push(cause.required('action', ''));
    if (!e['reason']) out.push(cause.required('reason', ''));
    if (typeof e['note'] === 'string' && Buffer.byteLength(e['note']) > 1024) out.push(cause.tooLong('note', 1024));
    return out;
  },
  fieldSelectors: {
    ...refGetters('regarding'),
    reason: (o) => str(loose(o)['reason']) ?? '',
    reportingController: reporting,
    source: sourceComponent,
    type: (o) => str(loose(o)['type']) ?? '',
  },
};

export function eventResources(): ResourceType[] {
  return [
    defineResource({ group: '', version: 'v1', resource: 'events', kind: 'Event', namespaced: true, shortNames: ['ev'], strategy: coreEventStrategy }),
    defineResource({
      group: 'events.k8s.io',
      version: 'v1',
      resource: 'events',
      kind: 'Event',
      namespaced: true,
      shortNames: ['ev'],
      storagePrefix: '/registry/events',
      storageVersion: 'v1',
      conversion: eventsV1Conversion,
      strategy: eventsV1Strategy,
    }),
  ];
}
