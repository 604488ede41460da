// Label pairs ("key=value") as index values, so a selector that pins a key to one value (`app=web`,
// `app in (web)`) finds its candidates by index lookup instead of scanning every object; the full selector
// is still matched against each candidate. Pure.
import type { LabelSelector } from './label-selector.js';

/** Index values of an object's labels, optionally scoped (e.g. by namespace): "<scope>/<key>=<value>". */
export function labelPairs(labels: Record<string, string> | undefined | null, scope = ''): string[] {
  const out: string[] = [];
  for (const k in labels ?? {}) out.push(`${scope}/${k}=${labels![k]}`);
  return out;
}

/** The index value that every object the selector matches must carry, when the selector pins one. */
export function pinnedPair(selector: LabelSelector, scope = ''): string | undefined {
  if (selector.matchesNothing) return undefined;
  for (const r of selector.requirements) {
    const v = selector.exactValue(r.key);
    if (v !== undefined) return `${scope}/${r.key}=${v}`;
  }
  return undefined;
}
