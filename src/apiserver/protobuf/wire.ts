// The protobuf wire format, read-only: varints, the four wire types Kubernetes objects use, and a field
// iterator over a byte range. It knows nothing about messages or JSON. Every defect of the input is a
// `Malformed` (which callers turn into a 400); nothing here allocates more than the fields it returns.

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_BYTES = 2;
export const WIRE_FIXED32 = 5;

export class Malformed extends Error {}

/** One field occurrence. `int` is set for varints, `bytes` for length-delimited and fixed-width fields. */
export interface WireField {
  no: number;
  wire: number;
  int: number | bigint;
  bytes: Uint8Array;
}

const EMPTY = new Uint8Array(0);

/** A cursor over a byte range. */
export class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  /**
   * A varint as a number while it fits in 49 bits (7 bytes), else as a bigint (up to 64 bits, as protobuf
   * defines: longer encodings and bits past 64 are malformed).
   */
  varint(): number | bigint {
    const { buf } = this;
    let result = 0;
    let mul = 1;
    const start = this.pos;
    for (let i = 0; i < 7; i++) {
      if (this.pos >= buf.length) throw new Malformed('truncated varint');
      const b = buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    // Long form: redo in bigint.
    this.pos = start;
    let big = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= buf.length) throw new Malformed('truncated varint');
      const b = buf[this.pos++]!;
      big |= BigInt(b & 0x7f) << BigInt(7 * i);
      if ((b & 0x80) === 0) {
        if (i === 9 && b > 1) throw new Malformed('varint overflows 64 bits');
        return big;
      }
    }
    throw new Malformed('varint longer than 10 bytes');
  }

  /** A varint that must be a small non-negative number (lengths, keys). */
  smallVarint(what: string): number {
    const v = this.varint();
    if (typeof v !== 'number') throw new Malformed(`${what} too large`);
    return v;
  }

  take(n: number, what: string): Uint8Array {
    if (n > this.buf.length - this.pos) throw new Malformed(`${what}: length ${n} runs past the end`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** The next field; groups (wire types 3 and 4) and unknown wire types are malformed. */
  field(): WireField {
    const key = this.smallVarint('field key');
    const no = Math.floor(key / 8);
    const wire = key % 8;
    if (no === 0) throw new Malformed('field number 0');
    switch (wire) {
      case WIRE_VARINT:
        return { no, wire, int: this.varint(), bytes: EMPTY };
      case WIRE_FIXED64:
        return { no, wire, int: 0, bytes: this.take(8, `field ${no}`) };
      case WIRE_FIXED32:
        return { no, wire, int: 0, bytes: this.take(4, `field ${no}`) };
      case WIRE_BYTES:
        return { no, wire, int: 0, bytes: this.take(this.smallVarint(`field ${no} length`), `field ${no}`) };
      default:
        throw new Malformed(`field ${no}: unsupported wire type ${wire}`);
    }
  }
}

/** All fields of one message, in wire order. */
export function readFields(buf: Uint8Array): WireField[] {
  const r = new Reader(buf);
  const out: WireField[] = [];
  while (!r.done) out.push(r.field());
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function utf8String(bytes: Uint8Array, what: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new Malformed(`${what}: invalid UTF-8`);
  }
}
