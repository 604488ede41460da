// newUid: version 4 UUIDs in upstream's text form, unique across refills of the random pool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newUid } from '../../src/apiserver/rest/uid.js';

test('newUid: random version 4 UUIDs, lower-case, unique', () => {
  const seen = new Set<string>();
  const counts = new Array<number>(16).fill(0);
  const n = 2000; // several refills of the pool (256 per fill)
  for (let i = 0; i < n; i++) {
    const u = newUid();
    assert.match(u, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.ok(!seen.has(u), `repeated ${u}`);
    seen.add(u);
    counts[parseInt(u[0]!, 16)]!++;
  }
  // Every first digit shows up (random bytes, not a counter): 2,000 draws of 16 values.
  assert.ok(counts.every((c) => c > 50), JSON.stringify(counts));
});
