import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expand, mappingFuncFor } from '../../../src/agent/env/expansion.js';

// Cases from upstream's expansion tests (third_party/forked/golang/expansion/expand_test.go).
test('$(VAR) expansion follows upstream rules', () => {
  const vars = new Map([
    ['VAR_A', 'A'],
    ['VAR_B', 'B'],
    ['VAR_C', 'C'],
    ['VAR_REF', '$(VAR_A)'],
    ['VAR_EMPTY', ''],
  ]);
  const mapping = mappingFuncFor(vars, new Map([['SVC', 'svc-value'], ['VAR_A', 'shadowed']]));
  const cases: [string, string][] = [
    ['$(VAR_A)', 'A'],
    ['___$(VAR_B)___', '___B___'],
    ['$(VAR_A)-$(VAR_A)', 'A-A'],
    ['$(VAR_A)$(VAR_B)$(VAR_C)', 'ABC'],
    ['$(VAR_REF)', '$(VAR_A)'],
    ['$(VAR_EMPTY)', ''],
    ['$(SVC)', 'svc-value'],
    ['$(UNKNOWN)', '$(UNKNOWN)'],
    ['$$(VAR_A)', '$(VAR_A)'],
    ['$$$(VAR_A)', '$A'],
    ['$$$$(VAR_A)', '$$(VAR_A)'],
    ['f000-$$VAR_A', 'f000-$VAR_A'],
    ['$(VAR_A', '$(VAR_A'],
    ['$(VAR_A)$(', 'A$('],
    ['$VAR_A', '$VAR_A'],
    ['$(', '$('],
    ['$', '$'],
    ['$$', '$'],
    ['foo$', 'foo$'],
    ['$()', '$()'],
    ['$(VAR_A)/$(UNKNOWN)', 'A/$(UNKNOWN)'],
    ['no refs here', 'no refs here'],
    ['über $(VAR_B) ü', 'über B ü'],
  ];
  for (const [input, want] of cases) assert.equal(expand(input, mapping), want, input);
});
