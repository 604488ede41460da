// The protobuf messages of etcd's KV service that the store sends and reads (etcdserverpb rpc.proto, mvccpb
// kv.proto; field numbers of the published API), encoded and decoded by hand: only the fields Skiff uses, with
// revisions as numbers (etcd revisions stay far below 2^53) and keys/values as Buffers that point into the
// response instead of copies. Pure: no I/O, no gRPC framing (grpc-channel.ts adds that).
import { Reader, WIRE_BYTES, WIRE_VARINT } from '../../apiserver/protobuf/wire.js';

export interface EtcdKv {
  key: Buffer;
  value: Buffer;
  createRevision: number;
  modRevision: number;
  version: number;
}

export interface RangeRequest {
  key: Buffer;
  rangeEnd?: Buffer;
  limit?: number;
  /** 0 or absent: the current revision. */
  revision?: number;
  keysOnly?: boolean;
  countOnly?: boolean;
}

export interface RangeResponse {
  revision: number;
  kvs: EtcdKv[];
  more: boolean;
  count: number;
}

export type CompareTarget = 'version' | 'create' | 'mod';
export type CompareResult = 'equal' | 'greater' | 'less' | 'not-equal';

export interface Compare {
  key: Buffer;
  target: CompareTarget;
  result: CompareResult;
  /** The version, create revision or mod revision compared against. */
  value: number;
}

export type RequestOp =
  | { range: RangeRequest }
  | { put: { key: Buffer; /** A string is written as UTF-8 straight into the request. */ value: Buffer | string; prevKv?: boolean } }
  | { deleteRange: { key: Buffer; prevKv?: boolean } };

export interface TxnRequest {
  compare: Compare[];
  success: RequestOp[];
  failure: RequestOp[];
}

export interface ResponseOp {
  range?: RangeResponse;
  put?: { prevKv: EtcdKv | undefined };
  deleteRange?: { deleted: number; prevKvs: EtcdKv[] };
}

export interface TxnResponse {
  revision: number;
  succeeded: boolean;
  responses: ResponseOp[];
}

const TARGETS: Record<CompareTarget, number> = { version: 0, create: 1, mod: 2 };
/** The Compare oneof field that carries the value for each target. */
const TARGET_FIELDS: Record<CompareTarget, number> = { version: 4, create: 5, mod: 6 };
const RESULTS: Record<CompareResult, number> = { equal: 0, greater: 1, less: 2, 'not-equal': 3 };

/** Appends protobuf fields to a growing buffer; nested messages are written by a child writer first. */
export class Writer {
  private buf: Buffer;
  private len = 0;

  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  private rawVarint(n: number): void {
    this.ensure(10);
    while (n > 127) {
      this.buf[this.len++] = (n % 128) | 128;
      n = Math.floor(n / 128);
    }
    this.buf[this.len++] = n;
  }

  /** A non-negative integer field (int64/uint64/bool/enum); `always` writes a zero too (oneof members). */
  uint(field: number, n: number, always = false): this {
    if (n === 0 && !always) return this;
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`protobuf field ${field}: ${n} is not a non-negative integer`);
    this.rawVarint(field * 8 + WIRE_VARINT);
    this.rawVarint(n);
    return this;
  }

  bool(field: number, b: boolean | undefined): this {
    return b ? this.uint(field, 1) : this;
  }

  bytes(field: number, b: Uint8Array | undefined): this {
    if (b === undefined) return this;
    this.rawVarint(field * 8 + WIRE_BYTES);
    this.rawVarint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  message(field: number, child: Writer): this {
    return this.bytes(field, child.finish());
  }

  /** The bytes written so far (a view, valid until the next write). */
  finish(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

function writeRange(w: Writer, r: RangeRequest): Writer {
  return w
    .bytes(1, r.key)
    .bytes(2, r.rangeEnd)
    .uint(3, r.limit ?? 0)
    .uint(4, r.revision ?? 0)
    .bool(8, r.keysOnly)
    .bool(9, r.countOnly);
}

export function encodeRangeRequest(r: RangeRequest): Buffer {
  return writeRange(new Writer(64 + r.key.length * 2), r).finish();
}

// A TxnRequest is sized first, then written into one buffer: no nested buffers copied into their parents,
// and the value (the bulk of a write) is copied once, from the caller's string or Buffer.

function varintSize(n: number): number {
  let size = 1;
  while (n > 127) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** A length-delimited field of `len` bytes (field numbers here are < 16: a one-byte tag). */
function lenFieldSize(len: number): number {
  return 1 + varintSize(len) + len;
}

function uintFieldSize(n: number, always = false): number {
  return n === 0 && !always ? 0 : 1 + varintSize(n);
}

const boolFieldSize = (b: boolean | undefined): number => (b ? 2 : 0);

function rangeBodySize(r: RangeRequest): number {
  return (
    lenFieldSize(r.key.length) +
    (r.rangeEnd ? lenFieldSize(r.rangeEnd.length) : 0) +
    uintFieldSize(r.limit ?? 0) +
    uintFieldSize(r.revision ?? 0) +
    boolFieldSize(r.keysOnly) +
    boolFieldSize(r.countOnly)
  );
}

/** Byte length of each op body and its value, computed once and used by the sizing and writing passes. */
interface OpPlan {
  op: RequestOp;
  body: number;
  valueBytes: number;
}

function planOp(op: RequestOp): OpPlan {
  if ('range' in op) return { op, body: rangeBodySize(op.range), valueBytes: 0 };
  if ('put' in op) {
    const p = op.put;
    const valueBytes = typeof p.value === 'string' ? Buffer.byteLength(p.value) : p.value.length;
    return { op, body: lenFieldSize(p.key.length) + lenFieldSize(valueBytes) + boolFieldSize(p.prevKv), valueBytes };
  }
  return { op, body: lenFieldSize(op.deleteRange.key.length) + boolFieldSize(op.deleteRange.prevKv), valueBytes: 0 };
}

function compareBodySize(c: Compare): number {
  return uintFieldSize(RESULTS[c.result]) + uintFieldSize(TARGETS[c.target]) + lenFieldSize(c.key.length) + uintFieldSize(c.value, true);
}

/** Writes protobuf fields at a cursor into a buffer sized beforehand. */
class Cursor {
  constructor(
    readonly buf: Buffer,
    public at: number,
  ) {}

  varint(n: number): void {
    const buf = this.buf;
    while (n > 127) {
      buf[this.at++] = (n % 128) | 128;
      n = Math.floor(n / 128);
    }
    buf[this.at++] = n;
  }

  uint(field: number, n: number, always = false): void {
    if (n === 0 && !always) return;
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`protobuf field ${field}: ${n} is not a non-negative integer`);
    this.buf[this.at++] = field * 8 + WIRE_VARINT;
    this.varint(n);
  }

  bool(field: number, b: boolean | undefined): void {
    if (b) this.uint(field, 1);
  }

  head(field: number, len: number): void {
    this.buf[this.at++] = field * 8 + WIRE_BYTES;
    this.varint(len);
  }

  bytes(field: number, b: Uint8Array): void {
    this.head(field, b.length);
    this.buf.set(b, this.at);
    this.at += b.length;
  }

  utf8(field: number, s: string, byteLength: number): void {
    this.head(field, byteLength);
    this.at += this.buf.write(s, this.at, 'utf8');
  }
}

function putRange(c: Cursor, r: RangeRequest): void {
  c.bytes(1, r.key);
  if (r.rangeEnd) c.bytes(2, r.rangeEnd);
  c.uint(3, r.limit ?? 0);
  c.uint(4, r.revision ?? 0);
  c.bool(8, r.keysOnly);
  c.bool(9, r.countOnly);
}

function putOp(c: Cursor, field: number, plan: OpPlan): void {
  const op = plan.op;
  const inner = 'range' in op ? 1 : 'put' in op ? 2 : 3;
  c.head(field, lenFieldSize(plan.body));
  c.head(inner, plan.body);
  if ('range' in op) putRange(c, op.range);
  else if ('put' in op) {
    const p = op.put;
    c.bytes(1, p.key);
    if (typeof p.value === 'string') c.utf8(2, p.value, plan.valueBytes);
    else c.bytes(2, p.value);
    c.bool(4, p.prevKv);
  } else {
    c.bytes(1, op.deleteRange.key);
    c.bool(3, op.deleteRange.prevKv);
  }
}

/**
 * The TxnRequest's bytes. `reserve` leading bytes are left for the transport to fill (the gRPC message prefix,
 * see frameInPlace in grpc-channel.ts), so the request is never copied again on its way out.
 */
export function encodeTxnRequest(t: TxnRequest, reserve = 0): Buffer {
  const success = t.success.map(planOp);
  const failure = t.failure.map(planOp);
  let size = 0;
  for (const c of t.compare) size += lenFieldSize(compareBodySize(c));
  for (const p of success) size += lenFieldSize(lenFieldSize(p.body));
  for (const p of failure) size += lenFieldSize(lenFieldSize(p.body));
  const c = new Cursor(Buffer.allocUnsafe(reserve + size), reserve);
  for (const cmp of t.compare) {
    c.head(1, compareBodySize(cmp));
    c.uint(1, RESULTS[cmp.result]);
    c.uint(2, TARGETS[cmp.target]);
    c.bytes(3, cmp.key);
    c.uint(TARGET_FIELDS[cmp.target], cmp.value, true);
  }
  for (const p of success) putOp(c, 2, p);
  for (const p of failure) putOp(c, 3, p);
  if (c.at !== c.buf.length) throw new Error(`TxnRequest sized ${size} bytes but wrote ${c.at - reserve}`);
  return c.buf;
}

export function encodeCompactionRequest(revision: number, physical: boolean): Buffer {
  return new Writer(16).uint(1, revision).bool(2, physical).finish();
}

// --- decoding ---

function int(v: number | bigint): number {
  return typeof v === 'number' ? v : Number(v);
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** ResponseHeader.revision (the other header fields are not used). */
function headerRevision(buf: Uint8Array): number {
  const r = new Reader(buf);
  let revision = 0;
  while (!r.done) {
    const f = r.field();
    if (f.no === 3 && f.wire === WIRE_VARINT) revision = int(f.int);
  }
  return revision;
}

export function decodeKeyValue(buf: Uint8Array): EtcdKv {
  const r = new Reader(buf);
  const kv: EtcdKv = { key: Buffer.alloc(0), value: Buffer.alloc(0), createRevision: 0, modRevision: 0, version: 0 };
  while (!r.done) {
    const f = r.field();
    switch (f.no) {
      case 1:
        kv.key = asBuffer(f.bytes);
        break;
      case 2:
        kv.createRevision = int(f.int);
        break;
      case 3:
        kv.modRevision = int(f.int);
        break;
      case 4:
        kv.version = int(f.int);
        break;
      case 5:
        kv.value = asBuffer(f.bytes);
        break;
    }
  }
  return kv;
}

export function decodeRangeResponse(buf: Uint8Array): RangeResponse {
  const r = new Reader(buf);
  const out: RangeResponse = { revision: 0, kvs: [], more: false, count: 0 };
  while (!r.done) {
    const f = r.field();
    if (f.no === 1 && f.wire === WIRE_BYTES) out.revision = headerRevision(f.bytes);
    else if (f.no === 2 && f.wire === WIRE_BYTES) out.kvs.push(decodeKeyValue(f.bytes));
    else if (f.no === 3) out.more = int(f.int) !== 0;
    else if (f.no === 4) out.count = int(f.int);
  }
  return out;
}

function decodePutResponse(buf: Uint8Array): { prevKv: EtcdKv | undefined } {
  const r = new Reader(buf);
  let prevKv: EtcdKv | undefined;
  while (!r.done) {
    const f = r.field();
    if (f.no === 2 && f.wire === WIRE_BYTES) prevKv = decodeKeyValue(f.bytes);
  }
  return { prevKv };
}

function decodeDeleteRangeResponse(buf: Uint8Array): { deleted: number; prevKvs: EtcdKv[] } {
  const r = new Reader(buf);
  const out = { deleted: 0, prevKvs: [] as EtcdKv[] };
  while (!r.done) {
    const f = r.field();
    if (f.no === 2) out.deleted = int(f.int);
    else if (f.no === 3 && f.wire === WIRE_BYTES) out.prevKvs.push(decodeKeyValue(f.bytes));
  }
  return out;
}

function decodeResponseOp(buf: Uint8Array): ResponseOp {
  const r = new Reader(buf);
  const op: ResponseOp = {};
  while (!r.done) {
    const f = r.field();
    if (f.wire !== WIRE_BYTES) continue;
    if (f.no === 1) op.range = decodeRangeResponse(f.bytes);
    else if (f.no === 2) op.put = decodePutResponse(f.bytes);
    else if (f.no === 3) op.deleteRange = decodeDeleteRangeResponse(f.bytes);
  }
  return op;
}

export function decodeTxnResponse(buf: Uint8Array): TxnResponse {
  const r = new Reader(buf);
  const out: TxnResponse = { revision: 0, succeeded: false, responses: [] };
  while (!r.done) {
    const f = r.field();
    if (f.no === 1 && f.wire === WIRE_BYTES) out.revision = headerRevision(f.bytes);
    else if (f.no === 2) out.succeeded = int(f.int) !== 0;
    else if (f.no === 3 && f.wire === WIRE_BYTES) out.responses.push(decodeResponseOp(f.bytes));
  }
  return out;
}

/** CompactionResponse: only its header's revision. */
export function decodeCompactionResponse(buf: Uint8Array): { revision: number } {
  const r = new Reader(buf);
  let revision = 0;
  while (!r.done) {
    const f = r.field();
    if (f.no === 1 && f.wire === WIRE_BYTES) revision = headerRevision(f.bytes);
  }
  return { revision };
}

// --- Watch service (etcdserverpb.Watch/Watch, a bidirectional stream) ---

export interface WatchCreateRequest {
  key: Buffer;
  rangeEnd?: Buffer;
  /** 0: from the next revision on. */
  startRevision: number;
  progressNotify?: boolean;
  prevKv?: boolean;
}

export interface WatchEventMessage {
  type: 'put' | 'delete';
  kv: EtcdKv;
  prevKv: EtcdKv | undefined;
}

export interface WatchResponse {
  revision: number;
  watchId: number;
  created: boolean;
  canceled: boolean;
  compactRevision: number;
  cancelReason: string;
  /** More responses of the same revision follow (only with fragment requested; Skiff does not). */
  fragment: boolean;
  events: WatchEventMessage[];
}

/** WatchRequest{create_request}. */
export function encodeWatchCreateRequest(r: WatchCreateRequest): Buffer {
  const create = new Writer(64 + r.key.length * 2)
    .bytes(1, r.key)
    .bytes(2, r.rangeEnd)
    .uint(3, r.startRevision)
    .bool(4, r.progressNotify)
    .bool(6, r.prevKv);
  return new Writer().message(1, create).finish();
}

function decodeEvent(buf: Uint8Array): WatchEventMessage {
  const r = new Reader(buf);
  const ev: WatchEventMessage = { type: 'put', kv: decodeKeyValue(new Uint8Array(0)), prevKv: undefined };
  while (!r.done) {
    const f = r.field();
    if (f.no === 1) ev.type = int(f.int) === 1 ? 'delete' : 'put';
    else if (f.no === 2 && f.wire === WIRE_BYTES) ev.kv = decodeKeyValue(f.bytes);
    else if (f.no === 3 && f.wire === WIRE_BYTES) ev.prevKv = decodeKeyValue(f.bytes);
  }
  return ev;
}

export function decodeWatchResponse(buf: Uint8Array): WatchResponse {
  const r = new Reader(buf);
  const out: WatchResponse = { revision: 0, watchId: 0, created: false, canceled: false, compactRevision: 0, cancelReason: '', fragment: false, events: [] };
  while (!r.done) {
    const f = r.field();
    switch (f.no) {
      case 1:
        if (f.wire === WIRE_BYTES) out.revision = headerRevision(f.bytes);
        break;
      case 2:
        out.watchId = int(f.int);
        break;
      case 3:
        out.created = int(f.int) !== 0;
        break;
      case 4:
        out.canceled = int(f.int) !== 0;
        break;
      case 5:
        out.compactRevision = int(f.int);
        break;
      case 6:
        if (f.wire === WIRE_BYTES) out.cancelReason = asBuffer(f.bytes).toString('utf8');
        break;
      case 7:
        out.fragment = int(f.int) !== 0;
        break;
      case 11:
        if (f.wire === WIRE_BYTES) out.events.push(decodeEvent(f.bytes));
        break;
    }
  }
  return out;
}

// --- Maintenance service: Status (which member leads) ---

/** What one member says of itself and the cluster; ids are uint64 decimal strings (they exceed 2^53). */
export interface MemberStatus {
  memberId: string;
  /** The member it follows (its own id when it leads); "0" while it knows no leader. */
  leader: string;
  raftTerm: number;
}

/** StatusRequest has no fields. */
export function encodeStatusRequest(): Buffer {
  return Buffer.alloc(0);
}

export function decodeStatusResponse(buf: Uint8Array): MemberStatus {
  const r = new Reader(buf);
  const out: MemberStatus = { memberId: '0', leader: '0', raftTerm: 0 };
  while (!r.done) {
    const f = r.field();
    if (f.no === 1 && f.wire === WIRE_BYTES) {
      const h = new Reader(f.bytes);
      while (!h.done) {
        const hf = h.field();
        if (hf.no === 2 && hf.wire === WIRE_VARINT) out.memberId = String(hf.int);
      }
    } else if (f.no === 4 && f.wire === WIRE_VARINT) out.leader = String(f.int);
    else if (f.no === 6 && f.wire === WIRE_VARINT) out.raftTerm = int(f.int);
  }
  return out;
}
