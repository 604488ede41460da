// metadata.uid of a new object: a random (version 4) UUID in its usual lower-case text form, as upstream's
// uuid.NewUUID. Made from a pool of random bytes (crypto.randomFillSync, refilled every 256 UIDs) written
// straight into the 36 characters: crypto.randomUUID builds its text from about twenty string concatenations
// (~550 bytes allocated per UID on Node 20, against the 36-character string here), and two are made per pod
// (the pod and its Scheduled event).
import { randomFillSync } from 'node:crypto';

const UUID_BYTES = 16;
const pool = Buffer.allocUnsafe(UUID_BYTES * 256);
let next = pool.length;
const text = Buffer.allocUnsafe(36);

/** The lower-case hex digit of a nibble, as a character code. */
const hexDigit = (n: number): number => (n < 10 ? 0x30 + n : 0x57 + n);

/** A new random UUID, e.g. "1b4e28ba-2fa1-4d2b-883f-0016d3cca427" (version 4, RFC 4122 variant). */
export function newUid(): string {
  if (next === pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  pool[next + 6] = (pool[next + 6]! & 0x0f) | 0x40;
  pool[next + 8] = (pool[next + 8]! & 0x3f) | 0x80;
  let o = 0;
  for (let i = 0; i < UUID_BYTES; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) text[o++] = 0x2d;
    const b = pool[next + i]!;
    text[o++] = hexDigit(b >> 4);
    text[o++] = hexDigit(b & 0x0f);
  }
  next += UUID_BYTES;
  return text.toString('latin1', 0, 36);
}
