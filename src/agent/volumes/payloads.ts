// The files of configMap, secret, downwardAPI and projected volumes (upstream MakePayload / CollectData per
// plugin): all keys or the listed items, item mode over defaultMode, missing keys fatal unless optional, with
// upstream's messages. Pure: objects in, a Payload out; fetching and writing happen elsewhere.
import type { ConfigMap, DownwardAPIVolumeFile, KeyToPath, Pod, Secret } from 'kubernetes-types/core/v1.js';
import { fieldRefValue, resourceFieldValue, type DownwardApiHost } from '../env/downward-api.js';
import { secretBytes } from '../env/sources.js';
import type { Payload } from './atomic-writer.js';

export const defaultFileMode = 0o644;

export function configMapPayload(items: KeyToPath[] | undefined, cm: ConfigMap, defaultMode: number, optional: boolean): Payload {
  const payload: Payload = new Map();
  const lookup = (key: string): Buffer | undefined => {
    const s = cm.data?.[key];
    if (s !== undefined) return Buffer.from(s, 'utf8');
    const b = cm.binaryData?.[key];
    return b !== undefined ? Buffer.from(b, 'base64') : undefined;
  };
  if (!items?.length) {
    for (const key of [...Object.keys(cm.data ?? {}), ...Object.keys(cm.binaryData ?? {})]) payload.set(key, { data: lookup(key)!, mode: defaultMode });
    return payload;
  }
  for (const item of items) {
    const data = lookup(item.key);
    if (data === undefined) {
      if (optional) continue;
      throw new Error(`configmap references non-existent config key: ${item.key}`);
    }
    payload.set(item.path, { data, mode: item.mode ?? defaultMode });
  }
  return payload;
}

export function secretPayload(items: KeyToPath[] | undefined, secret: Secret, defaultMode: number, optional: boolean): Payload {
  const payload: Payload = new Map();
  if (!items?.length) {
    for (const key of Object.keys(secret.data ?? {})) payload.set(key, { data: secretBytes(secret, key)!, mode: defaultMode });
    return payload;
  }
  for (const item of items) {
    const data = secretBytes(secret, item.key);
    if (data === undefined) {
      if (optional) continue;
      throw new Error(`references non-existent secret key: ${item.key}`);
    }
    payload.set(item.path, { data, mode: item.mode ?? defaultMode });
  }
  return payload;
}

export function downwardApiPayload(items: DownwardAPIVolumeFile[] | undefined, pod: Pod, host: DownwardApiHost, defaultMode: number): Payload {
  const payload: Payload = new Map();
  for (const item of items ?? []) {
    let value = '';
    if (item.fieldRef) value = fieldRefValue(item.fieldRef, pod, host);
    else if (item.resourceFieldRef) value = resourceFieldValue(item.resourceFieldRef, pod, undefined, host.allocatable);
    payload.set(item.path, { data: Buffer.from(value, 'utf8'), mode: item.mode ?? defaultMode });
  }
  return payload;
}

/** Projected sources merge into one payload; a later source's path replaces an earlier one's. */
export function mergePayloads(parts: Payload[]): Payload {
  const out: Payload = new Map();
  for (const p of parts) for (const [k, v] of p) out.set(k, v);
  return out;
}
