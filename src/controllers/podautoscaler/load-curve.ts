// Load curves for `skiff hpa simulate`: the total demand of a workload over time (milli-units of the metric
// the HPA watches, e.g. millicores of CPU), from a synthetic spec or a recorded CSV/JSON series. Recorded
// points are joined linearly and hold their last value. Pure.
import { tryParseQuantity } from '../../util/quantity.js';

/** Total demand (milli-units) at t ms after the start. */
export type LoadCurve = (tMs: number) => number;

export interface CurvePoint {
  tMs: number;
  /** milli-units */
  value: number;
}

export class CurveError extends Error {}

/** "90", "90s", "5m", "1h30m", "250ms" → ms (a bare number is seconds). */
export function curveDuration(text: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let pos = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    total += Number(m[1]) * unit[m[2]!]!;
    pos = re.lastIndex;
  }
  if (pos === 0 || pos !== t.length) throw new CurveError(`"${text}" is not a duration (like 30s, 5m or 1h30m)`);
  return total;
}

/** "400m", "2", "1.5" → milli-units. */
export function curveValue(text: string): number {
  const q = tryParseQuantity(text.trim());
  if (!q) throw new CurveError(`"${text}" is not a quantity (like 400m or 2)`);
  return q.milliValue();
}

function params(body: string, allowed: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of body.split(',').filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new CurveError(`expected key=value, got "${part}"`);
    const k = part.slice(0, eq).trim();
    if (!allowed.includes(k)) throw new CurveError(`unknown parameter "${k}" (known: ${allowed.join(', ')})`);
    out.set(k, part.slice(eq + 1));
  }
  return out;
}

/**
 * Synthetic curves:
 *   constant:VALUE
 *   spike:base=400m,peak=3,at=5m,rise=1m,hold=10m,fall=5m   (a flash sale)
 *   ramp:from=200m,to=2,over=30m
 *   sine:base=1,amplitude=500m,period=1h                     (rush hours)
 *   steps:400m@0,2@5m,800m@20m
 */
export function parseCurveSpec(spec: string): LoadCurve {
  const colon = spec.indexOf(':');
  const kind = colon < 0 ? spec : spec.slice(0, colon);
  const body = colon < 0 ? '' : spec.slice(colon + 1);
  switch (kind) {
    case 'constant': {
      const v = curveValue(body);
      return () => v;
    }
    case 'spike': {
      const p = params(body, ['base', 'peak', 'at', 'rise', 'hold', 'fall']);
      const base = curveValue(p.get('base') ?? '0');
      const peak = curveValue(p.get('peak') ?? '0');
      const at = curveDuration(p.get('at') ?? '5m');
      const rise = curveDuration(p.get('rise') ?? '1m');
      const hold = curveDuration(p.get('hold') ?? '10m');
      const fall = curveDuration(p.get('fall') ?? '1m');
      return (t) => {
        if (t < at) return base;
        if (t < at + rise) return base + ((peak - base) * (t - at)) / Math.max(1, rise);
        if (t < at + rise + hold) return peak;
        if (t < at + rise + hold + fall) return peak - ((peak - base) * (t - at - rise - hold)) / Math.max(1, fall);
        return base;
      };
    }
    case 'ramp': {
      const p = params(body, ['from', 'to', 'over']);
      const from = curveValue(p.get('from') ?? '0');
      const to = curveValue(p.get('to') ?? '0');
      const over = curveDuration(p.get('over') ?? '10m');
      return (t) => (t >= over ? to : from + ((to - from) * t) / Math.max(1, over));
    }
    case 'sine': {
      const p = params(body, ['base', 'amplitude', 'period']);
      const base = curveValue(p.get('base') ?? '0');
      const amp = curveValue(p.get('amplitude') ?? '0');
      const period = curveDuration(p.get('period') ?? '1h');
      return (t) => Math.max(0, base + amp * Math.sin((2 * Math.PI * t) / period));
    }
    case 'steps': {
      const points = body.split(',').filter(Boolean).map((s) => {
        const [v, at] = s.split('@');
        if (v === undefined || at === undefined) throw new CurveError(`expected VALUE@TIME, got "${s}"`);
        return { tMs: curveDuration(at), value: curveValue(v) };
      });
      points.sort((a, b) => a.tMs - b.tMs);
      return (t) => {
        let v = points[0]?.value ?? 0;
        for (const p of points) if (p.tMs <= t) v = p.value;
        return v;
      };
    }
    default:
      throw new CurveError(`unknown curve "${kind}" (constant, spike, ramp, sine, steps)`);
  }
}

/**
 * A recorded series: CSV lines "TIME,VALUE" (a header line is skipped; TIME in seconds or a duration, VALUE a
 * quantity), or JSON [{"t": TIME, "value": VALUE}, ...] / {"points": [...]}.
 */
export function parseRecordedCurve(text: string, format: 'csv' | 'json'): CurvePoint[] {
  let points: CurvePoint[];
  if (format === 'json') {
    const raw = JSON.parse(text) as unknown;
    const list = Array.isArray(raw) ? raw : (raw as { points?: unknown[] }).points;
    if (!Array.isArray(list)) throw new CurveError('expected a JSON array of {"t", "value"} points or {"points": [...]}');
    points = list.map((p, i) => {
      const o = p as { t?: unknown; value?: unknown };
      if (o.t === undefined || o.value === undefined) throw new CurveError(`point ${i} needs "t" and "value"`);
      return { tMs: curveDuration(String(o.t)), value: curveValue(String(o.value)) };
    });
  } else {
    points = [];
    text.split(/\r?\n/).forEach((line, i) => {
      const l = line.trim();
      if (!l || l.startsWith('#')) return;
      const [t, v] = l.split(',').map((x) => x.trim());
      if (i === 0 && t !== undefined && !/^\d/.test(t)) return; // header
      if (t === undefined || v === undefined) throw new CurveError(`line ${i + 1}: expected TIME,VALUE`);
      points.push({ tMs: curveDuration(t), value: curveValue(v) });
    });
  }
  if (points.length === 0) throw new CurveError('the recorded curve has no points');
  return points.sort((a, b) => a.tMs - b.tMs);
}

export function curveFromPoints(points: CurvePoint[]): LoadCurve {
  return (t) => {
    if (t <= points[0]!.tMs) return points[0]!.value;
    for (let i = 1; i < points.length; i++) {
      const a = points[i - 1]!;
      const b = points[i]!;
      if (t <= b.tMs) return a.value + ((b.value - a.value) * (t - a.tMs)) / Math.max(1, b.tMs - a.tMs);
    }
    return points[points.length - 1]!.value;
  };
}
