// quantityError: resource.ParseQuantity's syntax errors, the same on a repeated text (kept answers) and after
// the kept answers were emptied.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QUANTITY_FORMAT_ERROR, quantityError } from '../../../src/api/schema/walk.js';

const suffixError = "unable to parse quantity's suffix";
const cases: [string, string | undefined][] = [
  ['100m', undefined],
  ['64Mi', undefined],
  ['1', undefined],
  ['+1.5Gi', undefined],
  ['.5', undefined],
  ['1e3', undefined],
  ['1E-3', undefined],
  ['', QUANTITY_FORMAT_ERROR],
  ['abc', QUANTITY_FORMAT_ERROR],
  ['1 Gi', QUANTITY_FORMAT_ERROR],
  ['1Gb', QUANTITY_FORMAT_ERROR],
  ['1mm', suffixError],
  ['1Kii', suffixError],
  ['1k2', suffixError],
];

test('quantityError: upstream syntax errors, repeated and after the kept answers are emptied', () => {
  for (let round = 0; round < 2; round++) for (const [q, want] of cases) assert.equal(quantityError(q), want, `${q} (round ${round})`);
  // More distinct texts than are kept: the answers stay right.
  for (let i = 0; i < 5000; i++) assert.equal(quantityError(`${i}m`), undefined);
  for (let i = 0; i < 5000; i++) assert.equal(quantityError(`${i}mm`), suffixError);
  for (const [q, want] of cases) assert.equal(quantityError(q), want, q);
});
