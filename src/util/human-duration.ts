// Human-readable durations exactly as upstream's k8s.io/apimachinery/pkg/util/duration renders them ("5s",
// "3m10s", "2d1h", "2y1d"): the AGE, LAST SEEN and "(… ago)" strings kubectl users read. Pure functions over
// milliseconds; no clocks are read here (callers pass `now`).

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Go's int(d / unit): integer division truncating towards zero. */
function whole(ms: number, unit: number): number {
  return Math.trunc(ms / unit);
}

/** upstream duration.HumanDuration: ~2-3 significant figures. `ms` may be fractional or negative. */
export function humanDuration(ms: number): string {
  // A deviation of up to 2 seconds (excluded) is tolerated as clock skew and shown as "0s".
  const seconds = whole(ms, SECOND);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = whole(ms, MINUTE);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = whole(ms, HOUR);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${whole(hours, 24)}d` : `${whole(hours, 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${whole(hours, 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = whole(hours, 24) % 365;
    const years = whole(hours, 24 * 365);
    return dy === 0 ? `${years}y` : `${years}y${dy}d`;
  }
  return `${whole(hours, 24 * 365)}y`;
}

/** upstream duration.ShortHumanDuration: one unit only ("59s", "1m", "23h", "364d", "2y"). */
export function shortHumanDuration(ms: number): string {
  const seconds = whole(ms, SECOND);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60) return `${seconds}s`;
  const minutes = whole(ms, MINUTE);
  if (minutes < 60) return `${minutes}m`;
  const hours = whole(ms, HOUR);
  if (hours < 24) return `${hours}h`;
  if (hours < 24 * 365) return `${whole(hours, 24)}d`;
  return `${whole(hours, 24 * 365)}y`;
}

/**
 * Parses a Kubernetes timestamp (RFC3339, optionally with fractional seconds) into epoch milliseconds.
 * Returns undefined for absent/empty values and NaN for strings that are not RFC3339.
 */
export function parseTimestamp(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') return Number.NaN;
  if (!/^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(value)) return Number.NaN;
  return Date.parse(value);
}

/**
 * upstream translateTimestampSince: the age of a timestamp at `now`, "<unknown>" when the timestamp is
 * absent (Go's zero time) or unparseable.
 */
export function ageSince(timestamp: unknown, now: Date): string {
  const t = parseTimestamp(timestamp);
  if (t === undefined || Number.isNaN(t)) return '<unknown>';
  return humanDuration(now.getTime() - t);
}
