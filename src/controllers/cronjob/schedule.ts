// Cron schedules as upstream's CronJob controller reads them (robfig/cron v3 ParseStandard): five fields
// (minute hour day-of-month month day-of-week) with lists, ranges, steps, `*`/`?`, month and weekday names,
// the descriptors @yearly/@annually/@monthly/@weekly/@daily/@midnight/@hourly and @every <duration>; when
// both day fields are restricted either may match. Next-run computation in a time zone (IANA name via
// Intl) is a pure function of an instant. TZ= / CRON_TZ= prefixes are rejected, as upstream validation does.
// No I/O, no clock.

export class ScheduleError extends Error {}

interface Field {
  bits: Set<number>;
  star: boolean;
}

export interface Schedule {
  /** The first run strictly after afterMs (ms since epoch), or undefined if there is none within 5 years. */
  next(afterMs: number, timeZone?: string): number | undefined;
}

const bounds = {
  minute: [0, 59],
  hour: [0, 23],
  dom: [1, 31],
  month: [1, 12],
  dow: [0, 6],
} as const;

const monthNames: Record<string, number> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const dowNames: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

const descriptors: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

function parseValue(s: string, names: Record<string, number> | undefined, what: string): number {
  const n = names?.[s.toLowerCase()];
  if (n !== undefined) return n;
  if (!/^\d+$/.test(s)) throw new ScheduleError(`failed to parse int from ${s}: strconv.Atoi: parsing "${s}": invalid syntax`);
  void what;
  return Number(s);
}

function parseField(expr: string, [min, max]: readonly [number, number], names?: Record<string, number>): Field {
  const bits = new Set<number>();
  let star = false;
  for (const part of expr.split(',')) {
    const [rangePart, stepPart, extra] = part.split('/');
    if (extra !== undefined) throw new ScheduleError(`too many slashes: ${part}`);
    let lo: number;
    let hi: number;
    let isStar = false;
    if (rangePart === '*' || rangePart === '?') {
      lo = min;
      hi = max;
      isStar = true;
    } else {
      const [a, b, more] = (rangePart ?? '').split('-');
      if (more !== undefined) throw new ScheduleError(`too many hyphens: ${part}`);
      lo = parseValue(a ?? '', names, part);
      hi = b === undefined ? lo : parseValue(b, names, part);
    }
    let step = 1;
    if (stepPart !== undefined) {
      step = parseValue(stepPart, undefined, part);
      if (step <= 0) throw new ScheduleError(`step of range should be a positive number: ${part}`);
      // "N/step" means N-max/step.
      if (!isStar && !(rangePart ?? '').includes('-')) hi = max;
      if (step > 1) isStar = false;
    }
    if (lo < min) throw new ScheduleError(`beginning of range (${lo}) below minimum (${min}): ${part}`);
    if (hi > max) throw new ScheduleError(`end of range (${hi}) above maximum (${max}): ${part}`);
    if (lo > hi) throw new ScheduleError(`beginning of range (${lo}) beyond end of range (${hi}): ${part}`);
    for (let v = lo; v <= hi; v += step) bits.add(v);
    if (isStar) star = true;
  }
  return { bits, star };
}

function parseDuration(s: string): number {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let m: RegExpExecArray | null;
  let consumed = 0;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  while ((m = re.exec(s))) {
    total += Number(m[1]) * unit[m[2]!]!;
    consumed = re.lastIndex;
  }
  if (consumed !== s.length || s.length === 0) throw new ScheduleError(`failed to parse duration @every ${s}: time: invalid duration "${s}"`);
  return total;
}

/** Parses a schedule; throws ScheduleError with robfig's wording for what it rejects. */
export function parseSchedule(spec: string): Schedule {
  const s = spec.trim();
  if (s.length === 0) throw new ScheduleError('empty spec string');
  if (/^(CRON_)?TZ=/.test(s)) throw new ScheduleError('cannot use TZ or CRON_TZ in schedule, use timeZone field instead');
  if (s.startsWith('@every ')) {
    const every = Math.max(1000, Math.floor(parseDuration(s.slice(7).trim()) / 1000) * 1000);
    return { next: (after) => Math.floor(after / 1000) * 1000 + every };
  }
  let expr = s;
  if (s.startsWith('@')) {
    const d = descriptors[s.toLowerCase()];
    if (!d) throw new ScheduleError(`unrecognized descriptor: ${s}`);
    expr = d;
  }
  const fields = expr.split(/\s+/);
  if (fields.length !== 5) throw new ScheduleError(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  const minute = parseField(fields[0]!, bounds.minute);
  const hour = parseField(fields[1]!, bounds.hour);
  const dom = parseField(fields[2]!, bounds.dom);
  const month = parseField(fields[3]!, bounds.month, monthNames);
  const dow = parseField(fields[4]!, bounds.dow, dowNames);
  return { next: (after, tz) => nextRun({ minute, hour, dom, month, dow }, after, tz) };
}

interface Fields {
  minute: Field;
  hour: Field;
  dom: Field;
  month: Field;
  dow: Field;
}

function dayMatches(f: Fields, d: Date): boolean {
  const domOk = f.dom.bits.has(d.getUTCDate());
  const dowOk = f.dow.bits.has(d.getUTCDay());
  if (f.dom.star || f.dow.star) return domOk && dowOk;
  return domOk || dowOk;
}

// ---- time zones ----

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Throws RangeError for an unknown IANA time zone name. */
export function validateTimeZone(tz: string): void {
  formatterFor(tz);
}

function formatterFor(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(tz, f);
  }
  return f;
}

/** Offset (ms) of the zone from UTC at an instant: local wall time − UTC. */
export function zoneOffsetMs(instant: number, tz: string | undefined): number {
  if (!tz || tz === 'UTC' || tz === 'Etc/UTC') return 0;
  const parts = formatterFor(tz).formatToParts(new Date(instant));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour') % 24, get('minute'), get('second'));
  return wall - Math.floor(instant / 1000) * 1000;
}

/** The instant of a local wall time (as fake-UTC ms); a wall time skipped by DST moves forward by the gap. */
function wallToInstant(wall: number, tz: string | undefined): number {
  const guess = wall - zoneOffsetMs(wall, tz);
  const off = zoneOffsetMs(guess, tz);
  const candidate = wall - off;
  if (zoneOffsetMs(candidate, tz) === off) {
    // Prefer the earlier instant of an ambiguous (repeated) wall time.
    const earlier = wall - zoneOffsetMs(candidate - 3_600_000, tz);
    if (earlier < candidate && zoneOffsetMs(earlier, tz) === wall - earlier) return earlier;
    return candidate;
  }
  return wall - zoneOffsetMs(guess - 86_400_000, tz);
}

const minuteMs = 60_000;

function nextRun(f: Fields, after: number, tz: string | undefined): number | undefined {
  let from = after;
  for (let attempt = 0; attempt < 4; attempt++) {
    const wall = nextWall(f, Math.floor((from + zoneOffsetMs(from, tz)) / minuteMs) * minuteMs + minuteMs);
    if (wall === undefined) return undefined;
    const instant = wallToInstant(wall, tz);
    if (instant > after) return instant;
    from = instant + minuteMs;
  }
  return undefined;
}

/** The first wall time ≥ start (fake-UTC ms, whole minutes) matching the fields, as robfig's Next. */
function nextWall(f: Fields, start: number): number | undefined {
  const d = new Date(start);
  const limit = d.getUTCFullYear() + 5;
  for (;;) {
    if (d.getUTCFullYear() > limit) return undefined;
    if (!f.month.bits.has(d.getUTCMonth() + 1)) {
      d.setUTCMonth(d.getUTCMonth() + 1, 1);
      d.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!dayMatches(f, d)) {
      d.setUTCDate(d.getUTCDate() + 1);
      d.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!f.hour.bits.has(d.getUTCHours())) {
      d.setUTCHours(d.getUTCHours() + 1, 0, 0, 0);
      continue;
    }
    if (!f.minute.bits.has(d.getUTCMinutes())) {
      d.setUTCMinutes(d.getUTCMinutes() + 1, 0, 0);
      continue;
    }
    return d.getTime();
  }
}
