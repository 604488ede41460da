// parsedQuantity: tryParseQuantity with string results kept, as validation and the QoS class use it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsedQuantity } from '../../../src/api/kinds/validation.js';
import { tryParseQuantity } from '../../../src/util/quantity.js';

test('parsedQuantity gives what tryParseQuantity gives, again and again, and past its bound', () => {
  const inputs: unknown[] = ['100m', '64Mi', '1', '1.5', '2e3', 'abc', '', '1Zi', 250, 0.5, null, undefined, { a: 1 }, ['1']];
  for (let round = 0; round < 3; round++) {
    for (const v of inputs) {
      const want = typeof v === 'string' || typeof v === 'number' ? tryParseQuantity(v) : undefined;
      assert.equal(parsedQuantity(v)?.toString(), want?.toString(), JSON.stringify(v));
    }
  }
  for (let i = 0; i < 10_000; i++) assert.equal(parsedQuantity(`${i}m`)?.milliValue(), i);
  assert.equal(parsedQuantity('64Mi')?.value(), 64 * 1024 * 1024);
});
