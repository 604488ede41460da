// Command-line option parsing, driven by tables: each command declares its options as OptionSpec rows and
// this module turns argv into typed values, help text and usage errors. Adding a flag = adding a row.
// Pure: no process access (environment values are passed in), no printing.

export type OptionType = 'string' | 'int' | 'boolean' | 'list';
export type OptionValue = string | number | boolean | string[];

export interface OptionSpec {
  /** Long name without dashes, e.g. "api-port". */
  name: string;
  /** One-letter alias without dash, e.g. "v". */
  short?: string;
  type: OptionType;
  description: string;
  /** Placeholder in help, e.g. "DIR". */
  valueName?: string;
  /** Default when neither the flag nor `env` is given. A function is evaluated lazily (e.g. home dir). */
  default?: OptionValue | (() => OptionValue);
  /** Allowed values for string options. */
  choices?: readonly string[];
  /** Environment variable that supplies the value when the flag is absent. */
  env?: string;
  /** For int: inclusive bounds. */
  min?: number;
  max?: number;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

export class ParsedOptions {
  constructor(
    readonly values: ReadonlyMap<string, OptionValue>,
    /** Arguments that are not options, in order. */
    readonly positionals: readonly string[],
    /** Names given explicitly on the command line. */
    readonly explicit: ReadonlySet<string>,
  ) {}

  string(name: string): string {
    const v = this.values.get(name);
    if (typeof v !== 'string') throw new Error(`option --${name} is not a string option with a value`);
    return v;
  }
  optionalString(name: string): string | undefined {
    const v = this.values.get(name);
    return typeof v === 'string' ? v : undefined;
  }
  int(name: string): number {
    const v = this.values.get(name);
    if (typeof v !== 'number') throw new Error(`option --${name} is not an int option with a value`);
    return v;
  }
  bool(name: string): boolean {
    return this.values.get(name) === true;
  }
  list(name: string): string[] {
    const v = this.values.get(name);
    return Array.isArray(v) ? v : [];
  }
}

/** Parses argv (after the command name) against `specs`. `--help` must be handled by the caller first. */
export function parseOptions(
  specs: readonly OptionSpec[],
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): ParsedOptions {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const raw = new Map<string, string[]>();
  const bools = new Map<string, boolean>();
  const positionals: string[] = [];

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    let name: string;
    let inline: string | undefined;
    let spec: OptionSpec | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
      spec = byName.get(name);
      if (!spec && name.startsWith('no-') && byName.get(name.slice(3))?.type === 'boolean' && inline === undefined) {
        bools.set(name.slice(3), false);
        continue;
      }
    } else {
      name = arg.slice(1, 2);
      inline = arg.length > 2 ? arg.slice(2).replace(/^=/, '') : undefined;
      spec = byShort.get(name);
    }
    if (!spec) throw new UsageError(`unknown option ${arg.split('=')[0]}${suggest(name, specs)}`);
    if (spec.type === 'boolean') {
      if (inline === undefined) bools.set(spec.name, true);
      else if (/^(true|1|yes)$/i.test(inline)) bools.set(spec.name, true);
      else if (/^(false|0|no)$/i.test(inline)) bools.set(spec.name, false);
      else throw new UsageError(`--${spec.name} takes no value or true/false, not "${inline}"`);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('-') && next !== '-')) {
        throw new UsageError(`--${spec.name} needs a value (${spec.valueName ?? spec.type})`);
      }
      value = next;
      i++;
    }
    const list = raw.get(spec.name) ?? [];
    list.push(value);
    raw.set(spec.name, list);
  }

  const values = new Map<string, OptionValue>();
  const explicit = new Set<string>([...raw.keys(), ...bools.keys()]);
  for (const spec of specs) {
    if (spec.type === 'boolean') {
      const envVal = spec.env ? env[spec.env] : undefined;
      const v = bools.get(spec.name) ?? (envVal !== undefined && envVal !== '' ? /^(true|1|yes)$/i.test(envVal) : undefined);
      values.set(spec.name, v ?? (resolveDefault(spec) as boolean | undefined) ?? false);
      continue;
    }
    let given = raw.get(spec.name);
    let source = `--${spec.name}`;
    if (!given && spec.env && env[spec.env] !== undefined && env[spec.env] !== '') {
      given = spec.type === 'list' ? env[spec.env]!.split(',') : [env[spec.env]!];
      source = `$${spec.env}`;
    }
    if (!given) {
      const d = resolveDefault(spec);
      if (d !== undefined) values.set(spec.name, d);
      else if (spec.type === 'list') values.set(spec.name, []);
      continue;
    }
    if (spec.type === 'list') {
      values.set(spec.name, given.flatMap((g) => g.split(',')).filter((g) => g !== ''));
      continue;
    }
    if (given.length > 1) throw new UsageError(`--${spec.name} was given ${given.length} times; give it once`);
    values.set(spec.name, convert(spec, given[0]!, source));
  }
  return new ParsedOptions(values, positionals, explicit);
}

function resolveDefault(spec: OptionSpec): OptionValue | undefined {
  return typeof spec.default === 'function' ? spec.default() : spec.default;
}

function convert(spec: OptionSpec, value: string, source: string): OptionValue {
  if (spec.type === 'int') {
    if (!/^-?\d+$/.test(value)) throw new UsageError(`${source} must be a whole number, not "${value}"`);
    const n = Number(value);
    if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
      throw new UsageError(`${source} must be between ${spec.min ?? '-∞'} and ${spec.max ?? '∞'}, not ${n}`);
    }
    return n;
  }
  if (spec.choices && !spec.choices.includes(value)) {
    throw new UsageError(`${source} must be one of ${spec.choices.join(', ')}, not "${value}"`);
  }
  return value;
}

function suggest(name: string, specs: readonly OptionSpec[]): string {
  let best: { name: string; d: number } | undefined;
  for (const s of specs) {
    const d = editDistance(name, s.name);
    if (d <= 2 && (!best || d < best.d)) best = { name: s.name, d };
  }
  return best ? ` (did you mean --${best.name}?)` : '';
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

/** Help text for a list of options, aligned in two columns. */
export function formatOptions(specs: readonly OptionSpec[]): string {
  const rows = specs.map((s) => {
    const flag = `${s.short ? `-${s.short}, ` : '    '}--${s.name}${s.type === 'boolean' ? '' : ` ${s.valueName ?? s.type.toUpperCase()}`}`;
    let desc = s.description;
    if (s.choices) desc += ` (${s.choices.join('|')})`;
    if (s.default !== undefined && s.type !== 'boolean') {
      const d = typeof s.default === 'function' ? s.default() : s.default;
      desc += ` [default: ${Array.isArray(d) ? d.join(',') : String(d)}]`;
    }
    if (s.env) desc += ` [env: ${s.env}]`;
    return [flag, desc] as const;
  });
  const width = Math.max(0, ...rows.map(([f]) => f.length));
  return rows.map(([f, d]) => `  ${f.padEnd(width)}  ${d}`).join('\n');
}
