// Kubernetes resource quantities ("500m", "1.5Gi", "2e3"): exact parsing, upstream's canonical form,
// milli/whole values, comparison and arithmetic. Values are exact decimals (bigint × 10^scale), rounded up
// to nano precision on parse as upstream does. Pure; must not know about API objects or errors beyond its own.

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export const QUANTITY_FORMAT_WRONG =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
export const QUANTITY_NUMERIC = 'unable to parse numeric part of quantity';
export const QUANTITY_SUFFIX = "unable to parse quantity's suffix";

export class QuantityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QuantityError';
  }
}

const FORMAT_RE = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;

const DECIMAL_SUFFIXES: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIXES: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_BY_EXP = new Map<number, string>(Object.entries(DECIMAL_SUFFIXES).map(([s, e]) => [e, s]));
const BINARY_BY_EXP = new Map<number, string>(Object.entries(BINARY_SUFFIXES).map(([s, e]) => [e / 10, s]));

const NANO_SCALE = -9;

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

/** Divide rounding away from zero (upstream's inf.RoundUp). */
function divAwayFromZero(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b === 0n ? q : a < 0n ? q - 1n : q + 1n;
}

export class Quantity {
  /** value = unscaled × 10^scale; kept normalised (no trailing zeros in unscaled unless zero). */
  private constructor(
    readonly unscaled: bigint,
    readonly scale: number,
    readonly format: QuantityFormat,
  ) {}

  static of(unscaled: bigint, scale: number, format: QuantityFormat = 'DecimalSI'): Quantity {
    let u = unscaled;
    let s = scale;
    if (u === 0n) return new Quantity(0n, 0, format);
    while (u % 10n === 0n) {
      u /= 10n;
      s += 1;
    }
    if (s < NANO_SCALE) {
      u = divAwayFromZero(u, pow10(NANO_SCALE - s));
      s = NANO_SCALE;
      while (u !== 0n && u % 10n === 0n) {
        u /= 10n;
        s += 1;
      }
    }
    return new Quantity(u, s, format);
  }

  static fromMilli(milli: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    return Quantity.of(BigInt(milli), -3, format);
  }

  static fromInt(v: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    return Quantity.of(BigInt(v), 0, format);
  }

  static parse(input: string): Quantity {
    if (input.length === 0) throw new QuantityError(QUANTITY_FORMAT_WRONG);
    const m = FORMAT_RE.exec(input);
    if (!m) throw new QuantityError(QUANTITY_FORMAT_WRONG);
    let num = m[1]!;
    const suffix = m[2]!;
    let negative = false;
    if (num[0] === '+' || num[0] === '-') {
      negative = num[0] === '-';
      num = num.slice(1);
    }
    const dot = num.indexOf('.');
    if (dot !== num.lastIndexOf('.')) throw new QuantityError(QUANTITY_NUMERIC);
    const intPart = dot < 0 ? num : num.slice(0, dot);
    const fracPart = dot < 0 ? '' : num.slice(dot + 1);
    if (intPart.length + fracPart.length === 0) throw new QuantityError(QUANTITY_NUMERIC);
    let unscaled = BigInt(intPart + fracPart || '0');
    let scale = -fracPart.length;
    let format: QuantityFormat;
    if (suffix in DECIMAL_SUFFIXES) {
      format = 'DecimalSI';
      scale += DECIMAL_SUFFIXES[suffix]!;
    } else if (suffix in BINARY_SUFFIXES) {
      format = 'BinarySI';
      unscaled *= 2n ** BigInt(BINARY_SUFFIXES[suffix]!);
    } else if (/^[eE][-+]?[0-9]+$/.test(suffix)) {
      format = 'DecimalExponent';
      scale += Number.parseInt(suffix.slice(1), 10);
    } else {
      throw new QuantityError(QUANTITY_SUFFIX);
    }
    if (negative) unscaled = -unscaled;
    const q = Quantity.of(unscaled, scale, format);
    // Values below one can't be shown in binary units without rounding: upstream switches to DecimalSI.
    if (format === 'BinarySI' && q.unscaled > 0n && q.cmp(Quantity.fromInt(1)) < 0) {
      return new Quantity(q.unscaled, q.scale, 'DecimalSI');
    }
    return q;
  }

  isZero(): boolean {
    return this.unscaled === 0n;
  }

  sign(): -1 | 0 | 1 {
    return this.unscaled === 0n ? 0 : this.unscaled < 0n ? -1 : 1;
  }

  /** The value scaled to 10^scale units, rounded away from zero (upstream ScaledValue). */
  scaledValue(targetScale: number): bigint {
    if (this.scale >= targetScale) return this.unscaled * pow10(this.scale - targetScale);
    return divAwayFromZero(this.unscaled, pow10(targetScale - this.scale));
  }

  /** Whole units, rounded up (upstream Value()). */
  value(): number {
    return Number(this.scaledValue(0));
  }

  /** Thousandths, rounded up (upstream MilliValue()). */
  milliValue(): number {
    return Number(this.scaledValue(-3));
  }

  asApproximateFloat(): number {
    return Number(this.unscaled) * 10 ** this.scale;
  }

  cmp(other: Quantity): -1 | 0 | 1 {
    const s = Math.min(this.scale, other.scale);
    const a = this.unscaled * pow10(this.scale - s);
    const b = other.unscaled * pow10(other.scale - s);
    return a === b ? 0 : a < b ? -1 : 1;
  }

  equals(other: Quantity): boolean {
    return this.cmp(other) === 0;
  }

  add(other: Quantity): Quantity {
    const s = Math.min(this.scale, other.scale);
    const sum = this.unscaled * pow10(this.scale - s) + other.unscaled * pow10(other.scale - s);
    return Quantity.of(sum, s, this.isZero() ? other.format : this.format);
  }

  sub(other: Quantity): Quantity {
    return this.add(other.neg());
  }

  neg(): Quantity {
    return new Quantity(-this.unscaled, this.scale, this.format);
  }

  /** Upstream's canonical string: the form the API server writes back. */
  toString(): string {
    if (this.unscaled === 0n) return '0';
    let format = this.format;
    if (format === 'BinarySI') {
      const abs = this.unscaled < 0n ? -this.unscaled : this.unscaled;
      const small = Quantity.of(abs, this.scale).cmp(Quantity.fromInt(1024)) < 0;
      if (small || this.scale < 0) format = 'DecimalSI';
    }
    if (format === 'BinarySI') {
      let n = this.unscaled * pow10(this.scale);
      let exp = 0;
      while (exp < 6 && n % 1024n === 0n) {
        n /= 1024n;
        exp += 1;
      }
      return `${n}${BINARY_BY_EXP.get(exp) ?? ''}`;
    }
    let mantissa = this.unscaled;
    let exp = this.scale;
    const mod = ((exp % 3) + 3) % 3;
    if (mod !== 0) {
      mantissa *= pow10(mod);
      exp -= mod;
    }
    if (format === 'DecimalExponent') return exp === 0 ? `${mantissa}` : `${mantissa}e${exp}`;
    const suffix = DECIMAL_BY_EXP.get(exp);
    return suffix !== undefined ? `${mantissa}${suffix}` : `${mantissa}e${exp}`;
  }

  toJSON(): string {
    return this.toString();
  }
}

export function parseQuantity(input: string): Quantity {
  return Quantity.parse(input);
}

/** Undefined instead of an exception, for code paths that treat bad values as absent. */
export function tryParseQuantity(input: string | number | undefined | null): Quantity | undefined {
  if (input === undefined || input === null) return undefined;
  try {
    return Quantity.parse(typeof input === 'number' ? String(input) : input);
  } catch {
    return undefined;
  }
}

/** A quantity field's canonical JSON form (numbers in manifests are accepted, as upstream's decoder does). */
export function canonicalQuantity(input: string | number): string {
  return Quantity.parse(typeof input === 'number' ? String(input) : input).toString();
}
