import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  isConfigMapKey,
  isDns1035Label,
  isDns1123Label,
  isDns1123Subdomain,
  isPathSegmentName,
  isQualifiedName,
  isValidLabelValue,
  isValidPortName,
  validateName,
} from '../../src/util/names.js';

test('DNS-1123 subdomain: valid and invalid names with upstream messages', () => {
  for (const ok of ['a', 'example.com', 'my-app-1', '0abc', 'a.b-c.d']) assert.deepEqual(isDns1123Subdomain(ok), [], ok);
  assert.deepEqual(isDns1123Subdomain('My_App'), [
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  ]);
  const long = 'a'.repeat(254);
  assert.equal(isDns1123Subdomain(long)[0], 'must be no more than 253 characters');
});

test('DNS-1123 label and DNS-1035 label', () => {
  const cases: [string, boolean, boolean][] = [
    // name, valid 1123 label, valid 1035 label
    ['web', true, true],
    ['1web', true, false],
    ['web.x', false, false],
    ['-web', false, false],
    ['web-', false, false],
    ['a'.repeat(63), true, true],
    ['a'.repeat(64), false, false],
  ];
  for (const [name, l1123, l1035] of cases) {
    assert.equal(isDns1123Label(name).length === 0, l1123, `1123 ${name}`);
    assert.equal(isDns1035Label(name).length === 0, l1035, `1035 ${name}`);
  }
  assert.equal(
    isDns1123Label('A')[0],
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
  );
  assert.equal(
    isDns1035Label('1a')[0],
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
  );
});

test('qualified names (label keys)', () => {
  for (const ok of ['app', 'app.kubernetes.io/name', 'A_b.c-D', 'example.com/MyName']) assert.deepEqual(isQualifiedName(ok), [], ok);
  assert.deepEqual(isQualifiedName('/name'), ['prefix part must be non-empty']);
  assert.deepEqual(isQualifiedName('a/'), ['name part must be non-empty']);
  assert.match(isQualifiedName('a/b/c')[0]!, /^a qualified name must consist of alphanumeric characters/);
  assert.match(isQualifiedName('Bad_Prefix/x')[0]!, /^prefix part a lowercase RFC 1123 subdomain/);
  assert.equal(isQualifiedName('x'.repeat(64))[0], 'name part must be no more than 63 characters');
  assert.match(isQualifiedName('-x')[0]!, /^name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character \(e.g. 'MyName',  or 'my.name',  or '123-abc', regex/);
});

test('label values', () => {
  for (const ok of ['', 'v1', 'my_value', 'A.b-c']) assert.deepEqual(isValidLabelValue(ok), [], ok);
  assert.equal(isValidLabelValue('-x').length, 1);
  assert.equal(isValidLabelValue('a b').length, 1);
  assert.equal(isValidLabelValue('x'.repeat(64))[0], 'must be no more than 63 characters');
});

test('path segments, config keys, port names', () => {
  assert.deepEqual(isPathSegmentName('system:admin'), []);
  assert.deepEqual(isPathSegmentName('..'), ["may not be '..'"]);
  assert.deepEqual(isPathSegmentName('a/b%c'), ["may not contain '/'", "may not contain '%'"]);
  assert.deepEqual(isConfigMapKey('app.properties'), []);
  assert.equal(isConfigMapKey('a b').length, 1);
  assert.deepEqual(isConfigMapKey('..data'), ["must not start with '..'"]);
  assert.deepEqual(isValidPortName('http'), []);
  assert.deepEqual(isValidPortName('123'), ['must contain at least one letter (a-z)']);
  assert.deepEqual(isValidPortName('a--b'), ['must not contain consecutive hyphens']);
});

test('validateName per rule, generateName prefixes may end in "-"', () => {
  assert.deepEqual(validateName('dns1123-subdomain', 'web-'), validateName('dns1123-subdomain', 'web-'));
  assert.notDeepEqual(validateName('dns1123-subdomain', 'web-'), []);
  assert.deepEqual(validateName('dns1123-subdomain', 'web-', true), []);
  assert.deepEqual(validateName('dns1035-label', 'svc-', true), []);
  assert.deepEqual(validateName('path-segment', 'system:controller:x'), []);
  assert.notDeepEqual(validateName('dns1123-label', 'a.b'), []);
});
