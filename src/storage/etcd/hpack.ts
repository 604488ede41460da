// HPACK (RFC 7541) for the etcd store's own HTTP/2 client (h2-connection.ts): a complete decoder (static and
// dynamic table, Huffman strings, table size updates), because etcd's server (Go) indexes and Huffman-codes
// its response headers and trailers; and the few encoder pieces a request needs (literals without indexing,
// never Huffman, so a request's header block can be built once and reused). It must not know about gRPC.

/** RFC 7541 Appendix A: the static table (index 1..61), as [name, value]. */
const STATIC: ReadonlyArray<readonly [string, string]> = [
  [':authority', ''], [':method', 'GET'], [':method', 'POST'], [':path', '/'], [':path', '/index.html'],
  [':scheme', 'http'], [':scheme', 'https'], [':status', '200'], [':status', '204'], [':status', '206'],
  [':status', '304'], [':status', '400'], [':status', '404'], [':status', '500'], ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'], ['accept-language', ''], ['accept-ranges', ''], ['accept', ''],
  ['access-control-allow-origin', ''], ['age', ''], ['allow', ''], ['authorization', ''], ['cache-control', ''],
  ['content-disposition', ''], ['content-encoding', ''], ['content-language', ''], ['content-length', ''],
  ['content-location', ''], ['content-range', ''], ['content-type', ''], ['cookie', ''], ['date', ''], ['etag', ''],
  ['expect', ''], ['expires', ''], ['from', ''], ['host', ''], ['if-match', ''], ['if-modified-since', ''],
  ['if-none-match', ''], ['if-range', ''], ['if-unmodified-since', ''], ['last-modified', ''], ['link', ''],
  ['location', ''], ['max-forwards', ''], ['proxy-authenticate', ''], ['proxy-authorization', ''], ['range', ''],
  ['referer', ''], ['refresh', ''], ['retry-after', ''], ['server', ''], ['set-cookie', ''],
  ['strict-transport-security', ''], ['transfer-encoding', ''], ['user-agent', ''], ['vary', ''], ['via', ''],
  ['www-authenticate', ''],
];

/** Static table index of a name, for the encoder's "literal with indexed name". */
export const STATIC_NAME_INDEX: ReadonlyMap<string, number> = new Map(
  [...STATIC.entries()].reverse().map(([i, [name]]) => [name, i + 1]),
);

/**
 * RFC 7541 Appendix B: the Huffman code length of symbols 0..256 (EOS), one letter each ('A' = 5 bits). The
 * code is canonical (codes of one length are consecutive in symbol order, shorter codes first), so the
 * lengths alone define it.
 */
const HUFFMAN_LENGTHS =
  'ISXXXXXXXTZXXZXXXXXXXXZXXXXXXXXXBFFHIBDGFFDGDBBBAAABBBBBBBCDKBHFIBCCCCCCCCCCCCCCCCCCCCCCDCDIOIJBKABABABBBACC' +
  'BBBABCBAABCCCCCKGJIXPRPPRRRSRSSSSSTSTTRSTSSSSQRSRSSTRQPRRSSQSRRTQRSSQQRQSRSSPRRRSRRSVVPORSRUVVVWWVTUOQVWWVWTQQV' +
  'VXWWWPTPQRQQSRRUUTTVSVWVVWWWWWXWWWWWVZ';
const EOS = 256;
const MAX_CODE_BITS = 30;

/** Canonical decoding tables: per length, the first code, how many codes, and where its symbols start. */
const huffman = (() => {
  const lengths = Array.from(HUFFMAN_LENGTHS, (c) => c.charCodeAt(0) - 65 + 5);
  const symbols = lengths.map((_, s) => s).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
  const first = new Int32Array(MAX_CODE_BITS + 1);
  const count = new Int32Array(MAX_CODE_BITS + 1);
  const offset = new Int32Array(MAX_CODE_BITS + 1);
  for (const s of symbols) count[lengths[s]!]!++;
  let code = 0;
  let at = 0;
  for (let len = 1; len <= MAX_CODE_BITS; len++) {
    first[len] = code;
    offset[len] = at;
    at += count[len]!;
    code = (code + count[len]!) << 1;
  }
  return { first, count, offset, symbols: Int32Array.from(symbols) };
})();

export class HpackError extends Error {}

/** Decodes a Huffman-coded string (RFC 7541 §5.2): padding is at most 7 bits, all ones; EOS inside is an error. */
export function huffmanDecode(buf: Buffer, start: number, end: number): string {
  const out: number[] = [];
  const { first, count, offset, symbols } = huffman;
  let code = 0;
  let len = 0;
  for (let i = start; i < end; i++) {
    const byte = buf[i]!;
    for (let bit = 7; bit >= 0; bit--) {
      code = (code << 1) | ((byte >> bit) & 1);
      len++;
      const k = code - first[len]!;
      if (k >= 0 && k < count[len]!) {
        const sym = symbols[offset[len]! + k]!;
        if (sym === EOS) throw new HpackError('Huffman string contains EOS');
        out.push(sym);
        code = 0;
        len = 0;
      } else if (len >= MAX_CODE_BITS) {
        throw new HpackError('invalid Huffman code');
      }
    }
  }
  if (len > 7 || code !== (1 << len) - 1) throw new HpackError('invalid Huffman padding');
  return Buffer.from(out).toString('latin1');
}

/** An integer with an N-bit prefix (RFC 7541 §5.1), read at `at`; returns the value and the next offset. */
function readInt(buf: Buffer, at: number, prefixBits: number): [number, number] {
  const max = (1 << prefixBits) - 1;
  if (at >= buf.length) throw new HpackError('truncated header block');
  let value = buf[at]! & max;
  at++;
  if (value < max) return [value, at];
  let shift = 0;
  for (;;) {
    if (at >= buf.length) throw new HpackError('truncated integer');
    const b = buf[at++]!;
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b & 0x80) === 0) break;
    if (shift > 28) throw new HpackError('integer too large');
  }
  return [value, at];
}

/** Appends an integer with an N-bit prefix whose high bits are `flags`. */
function writeInt(out: number[], flags: number, prefixBits: number, value: number): void {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out.push(flags | value);
    return;
  }
  out.push(flags | max);
  value -= max;
  while (value >= 0x80) {
    out.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
}

function writeString(out: number[], s: string): void {
  const bytes = Buffer.from(s, 'latin1');
  writeInt(out, 0, 7, bytes.length);
  for (const b of bytes) out.push(b);
}

/**
 * A header field as a literal without indexing (RFC 7541 §6.2.2): the name from the static table when it is
 * there, strings never Huffman-coded. Such a field leaves the peer's dynamic table alone, so the bytes are the
 * same for every request and can be reused.
 */
export function encodeLiteral(name: string, value: string): Buffer {
  const out: number[] = [];
  const index = STATIC_NAME_INDEX.get(name);
  if (index !== undefined) writeInt(out, 0x00, 4, index);
  else {
    out.push(0x00);
    writeString(out, name);
  }
  writeString(out, value);
  return Buffer.from(out);
}

/** A fully indexed static field (RFC 7541 §6.1), e.g. `:method: POST`; undefined when the pair is not there. */
export function encodeIndexed(name: string, value: string): Buffer | undefined {
  const i = STATIC.findIndex(([n, v]) => n === name && v === value);
  if (i < 0) return undefined;
  const out: number[] = [];
  writeInt(out, 0x80, 7, i + 1);
  return Buffer.from(out);
}

/** One connection's HPACK decoding context: its dynamic table persists from header block to header block. */
export class HpackDecoder {
  /** Newest first: dynamic index 62 is entries[0]. */
  private entries: Array<readonly [string, string]> = [];
  private size = 0;

  /** The table's current bound (the peer may lower it up to maxSize with size updates). */
  private capacity: number;

  /** `maxSize` is what this side announced as SETTINGS_HEADER_TABLE_SIZE (the bound of size updates). */
  constructor(private readonly maxSize = 4096) {
    this.capacity = maxSize;
  }

  /** Decodes one complete header block (HEADERS plus CONTINUATIONs) into [name, value] pairs. */
  decode(block: Buffer): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    let at = 0;
    let fieldsSeen = false;
    while (at < block.length) {
      const b = block[at]!;
      if (b & 0x80) {
        let index;
        [index, at] = readInt(block, at, 7);
        const [n, v] = this.lookup(index);
        out.push([n, v]);
      } else if (b & 0x40) {
        let field;
        [field, at] = this.readLiteral(block, at, 6);
        this.add(field[0], field[1]);
        out.push(field);
      } else if (b & 0x20) {
        // A dynamic table size update must come before the first field of a block (§4.2).
        if (fieldsSeen) throw new HpackError('table size update after a header field');
        let size;
        [size, at] = readInt(block, at, 5);
        if (size > this.maxSize) throw new HpackError(`table size ${size} above the announced ${this.maxSize}`);
        this.capacity = size;
        this.evict(0);
        continue;
      } else {
        // Literal without indexing (0000) or never indexed (0001): the same to a decoder.
        let field;
        [field, at] = this.readLiteral(block, at, 4);
        out.push(field);
      }
      fieldsSeen = true;
    }
    return out;
  }

  /** Bytes the dynamic table holds (RFC 7541 §4.1: name + value + 32 per entry). */
  get tableSize(): number {
    return this.size;
  }

  private lookup(index: number): readonly [string, string] {
    if (index === 0) throw new HpackError('header index 0');
    if (index <= STATIC.length) return STATIC[index - 1]!;
    const entry = this.entries[index - STATIC.length - 1];
    if (!entry) throw new HpackError(`header index ${index} beyond the table`);
    return entry;
  }

  /** A literal field: its name indexed (N-bit prefix) or a string, then its value. */
  private readLiteral(buf: Buffer, at: number, prefixBits: number): [[string, string], number] {
    let index;
    [index, at] = readInt(buf, at, prefixBits);
    let name: string;
    if (index === 0) [name, at] = this.readString(buf, at);
    else name = this.lookup(index)[0];
    let value: string;
    [value, at] = this.readString(buf, at);
    return [[name, value], at];
  }

  private readString(buf: Buffer, at: number): [string, number] {
    const huff = (buf[at]! & 0x80) !== 0;
    let len;
    [len, at] = readInt(buf, at, 7);
    if (at + len > buf.length) throw new HpackError('truncated string');
    const s = huff ? huffmanDecode(buf, at, at + len) : buf.toString('latin1', at, at + len);
    return [s, at + len];
  }

  private add(name: string, value: string): void {
    const entrySize = name.length + value.length + 32;
    this.evict(entrySize);
    // An entry larger than the table empties it and is not added (§4.4).
    if (entrySize > this.capacity) return;
    this.entries.unshift([name, value]);
    this.size += entrySize;
  }

  /** Drops the oldest entries until `room` more bytes fit. */
  private evict(room: number): void {
    while (this.entries.length > 0 && this.size + room > this.capacity) {
      const [n, v] = this.entries.pop()!;
      this.size -= n.length + v.length + 32;
    }
  }
}
