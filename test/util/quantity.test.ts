import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Quantity, QuantityError, canonicalQuantity, parseQuantity, tryParseQuantity } from '../../src/util/quantity.js';

test('canonical form as the API server writes it back', () => {
  const cases: [string, string][] = [
    ['0', '0'],
    ['1', '1'],
    ['1.5', '1500m'],
    ['0.5', '500m'],
    ['100m', '100m'],
    ['1000m', '1'],
    ['2000', '2k'],
    ['1500', '1500'],
    ['1k', '1k'],
    ['1Gi', '1Gi'],
    ['1024Mi', '1Gi'],
    ['1.5Gi', '1536Mi'],
    ['0.5Gi', '512Mi'],
    ['1024', '1024'],
    ['1025Ki', '1025Ki'],
    ['0.5Ki', '512'],
    ['1e3', '1e3'],
    ['1E3', '1e3'],
    ['1E', '1E'],
    ['12e-1', '1200e-3'],
    ['0.1n', '1n'],
    ['-1.5', '-1500m'],
    ['.5', '500m'],
    ['5.', '5'],
    ['0Gi', '0'],
    ['+3', '3'],
  ];
  for (const [input, want] of cases) assert.equal(canonicalQuantity(input), want, input);
});

test('numbers in manifests are accepted', () => {
  assert.equal(canonicalQuantity(2), '2');
  assert.equal(canonicalQuantity(0.25), '250m');
});

test('invalid quantities fail with upstream messages', () => {
  const cases: [string, RegExp][] = [
    ['', /quantities must match the regular expression/],
    ['abc', /quantities must match the regular expression/],
    ['1 Gi', /quantities must match the regular expression/],
    ['1Kb', /quantities must match the regular expression/],
    ['1K', /unable to parse quantity's suffix/],
    ['1ki', /unable to parse quantity's suffix/],
    ['1.2.3', /unable to parse numeric part of quantity/],
    ['1e', /unable to parse quantity's suffix/],
  ];
  for (const [input, re] of cases) {
    assert.throws(() => parseQuantity(input), (e: unknown) => e instanceof QuantityError && re.test(e.message), input);
  }
  assert.equal(tryParseQuantity('nope'), undefined);
});

test('milli and whole values round up', () => {
  const cases: [string, number, number][] = [
    ['100m', 100, 1],
    ['1', 1000, 1],
    ['1.5', 1500, 2],
    ['1Ki', 1024000, 1024],
    ['1n', 1, 1],
    ['2Gi', 2147483648000, 2147483648],
  ];
  for (const [input, milli, whole] of cases) {
    const q = parseQuantity(input);
    assert.equal(q.milliValue(), milli, input);
    assert.equal(q.value(), whole, input);
  }
});

test('comparison and arithmetic', () => {
  assert.equal(parseQuantity('1').cmp(parseQuantity('1000m')), 0);
  assert.equal(parseQuantity('1Gi').cmp(parseQuantity('1G')), 1);
  assert.equal(parseQuantity('500m').cmp(parseQuantity('0.6')), -1);
  assert.equal(parseQuantity('250m').add(parseQuantity('750m')).toString(), '1');
  assert.equal(parseQuantity('1Gi').add(parseQuantity('512Mi')).toString(), '1536Mi');
  assert.equal(parseQuantity('1').sub(parseQuantity('1500m')).toString(), '-500m');
  assert.equal(Quantity.fromInt(0).add(parseQuantity('1Ki')).toString(), '1Ki');
  assert.equal(Quantity.fromMilli(2500).toString(), '2500m');
  assert.equal(JSON.stringify({ cpu: parseQuantity('0.1') }), '{"cpu":"100m"}');
});
