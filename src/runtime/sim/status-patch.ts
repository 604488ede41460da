// The status PATCH bodies a simulated kubelet sends (strategic-merge, with the pod's uid as a precondition),
// as JSON text. The two every pod gets (ContainerCreating, then Running) are filled into templates:
// pod-status.ts's builders run once per pod shape (its containers' and init containers' names and images, the
// restart count) with markers in place of the per-pod values (uid, host and pod IP, times), the JSON is split
// at the markers, and each write joins the parts around the pod's values. The text is byte for byte what
// JSON.stringify of the built patch gives, without building or stringifying objects per write. Pure.
import type { Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import { rfc3339 } from '../../util/wire-time.js';
import { creatingStatusAt, runningStatusAt } from './pod-status.js';

/** Any status patch: the status with the pod's uid as precondition. */
export function statusPatch(uid: string | undefined, status: PodStatus): string {
  return JSON.stringify({ metadata: { uid }, status });
}

/** The ContainerCreating patch of creatingStatus(pod, hostIP, nowMs). */
export function creatingPatch(pod: Pod, hostIP: string, nowMs: number): string {
  const now = rfc3339(nowMs);
  const t = templateFor(pod, 'creating', 0);
  if (!t) return statusPatch(pod.metadata?.uid, creatingStatusAt(pod, hostIP, now));
  return fill(t, [pod.metadata!.uid!, containerIdPrefix(pod), hostIP, now, '', '', '']);
}

/**
 * The Running patch of runningStatus(pod, hostIP, podIP, startedMs, nowMs, restartCount); with startTimeMs,
 * that status plus startTime (a pod whose first write is Running).
 */
export function runningPatch(pod: Pod, hostIP: string, podIP: string, startedMs: number, nowMs: number, restartCount: number, startTimeMs?: number): string {
  const started = rfc3339(startedMs);
  const now = rfc3339(nowMs);
  const startTime = startTimeMs === undefined ? undefined : rfc3339(startTimeMs);
  const t = templateFor(pod, startTime === undefined ? 'running' : 'first-running', restartCount);
  if (!t) {
    const status = runningStatusAt(pod, hostIP, podIP, started, now, restartCount);
    return statusPatch(pod.metadata?.uid, startTime === undefined ? status : { ...status, startTime });
  }
  return fill(t, [pod.metadata!.uid!, containerIdPrefix(pod), hostIP, now, podIP, started, startTime ?? '']);
}

type Kind = 'creating' | 'running' | 'first-running';

/** The JSON text around the holes: parts[0] hole[0] parts[1] … hole[n-1] parts[n]. */
interface Template {
  parts: string[];
  holes: number[];
}

// The holes, by index into fill's values.
const uidHole = 0;
const containerIdHole = 1;
const hostIPHole = 2;
const nowHole = 3;
const podIPHole = 4;
const startedHole = 5;
const startTimeHole = 6;

/** A hole's marker in an object; JSON.stringify writes it as \u0000<i>\u0000, which nothing else produces. */
const marker = (i: number) => `\u0000${i}\u0000`;
const markerInJson = /\\u0000(\d)\\u0000/;

/** At most this many shapes are kept (a fleet runs a few pod templates; past that the cache starts over). */
const maxTemplates = 256;
const templates = new Map<string, Template>();

/**
 * The template of this pod's shape, or undefined when the pod is not templated: no uid, or a NUL or backslash
 * in a container's name or image (text that could read as a marker once encoded).
 */
function templateFor(pod: Pod, kind: Kind, restartCount: number): Template | undefined {
  if (pod.metadata?.uid === undefined) return undefined;
  let key = `${kind}|${restartCount}|`;
  for (const c of pod.spec?.containers ?? []) key += shapeOf(c);
  key += '|';
  for (const c of pod.spec?.initContainers ?? []) key += shapeOf(c);
  let t = templates.get(key);
  if (t) return t;
  if (/[\u0000\\]/.test(key)) return undefined;
  if (templates.size >= maxTemplates) templates.clear();
  t = compile(pod, kind, restartCount);
  templates.set(key, t);
  return t;
}

/** A container's part of the shape key: lengths first, so no two shapes share a key. */
const shapeOf = (c: { name: string; image?: string }) => `${c.name.length}:${c.name}${(c.image ?? '').length}:${c.image ?? ''}`;

function compile(pod: Pod, kind: Kind, restartCount: number): Template {
  const shape: Pod = { metadata: { uid: marker(containerIdHole) }, spec: pod.spec };
  const [hostIP, now, podIP, started] = [marker(hostIPHole), marker(nowHole), marker(podIPHole), marker(startedHole)];
  let status: PodStatus;
  if (kind === 'creating') status = creatingStatusAt(shape, hostIP, now);
  else {
    status = runningStatusAt(shape, hostIP, podIP, started, now, restartCount);
    if (kind === 'first-running') status = { ...status, startTime: marker(startTimeHole) };
  }
  const pieces = statusPatch(marker(uidHole), status).split(markerInJson);
  const t: Template = { parts: [], holes: [] };
  for (let i = 0; i < pieces.length; i++) {
    if (i % 2 === 0) t.parts.push(pieces[i]!);
    else t.holes.push(Number(pieces[i]));
  }
  return t;
}

/** The part of the uid in container IDs (the builders' containerId takes the first 18 characters). */
const containerIdPrefix = (pod: Pod) => pod.metadata!.uid!.slice(0, 18);

/** Characters a JSON string must escape (and lone surrogates, which JSON.stringify escapes too). */
const needsEscape = /["\\\u0000-\u001f\ud800-\udfff]/;

/** The template's text with the values (each JSON-escaped once, however many holes it fills) in its holes. */
function fill(t: Template, values: string[]): string {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v !== '' && needsEscape.test(v)) values[i] = JSON.stringify(v).slice(1, -1);
  }
  let s = t.parts[0]!;
  for (let i = 0; i < t.holes.length; i++) s += values[t.holes[i]!]! + t.parts[i + 1]!;
  return s;
}
