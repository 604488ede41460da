import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError } from '../../src/api/errors.js';
import { escapeFieldValue, parseFieldSelector } from '../../src/util/field-selector.js';

const fields: Record<string, string> = { 'metadata.name': 'web', 'status.phase': 'Running', 'spec.nodeName': '' };
const get = (f: string) => fields[f];

test('parse and match', () => {
  const cases: [string, boolean][] = [
    ['', true],
    ['metadata.name=web', true],
    ['metadata.name==web', true],
    ['metadata.name!=web', false],
    ['metadata.name=web,status.phase=Running', true],
    ['metadata.name=web,status.phase!=Running', false],
    ['spec.nodeName=', true],
    ['spec.nodeName!=', false],
    ['missing=', true],
    ['status.phase=Pending', false],
  ];
  for (const [s, want] of cases) assert.equal(parseFieldSelector(s).matches(get), want, s);
});

test('escapes in values', () => {
  const sel = parseFieldSelector('metadata.name=a\\,b\\=c\\\\d');
  assert.equal(sel.requirements[0]!.value, 'a,b=c\\d');
  assert.equal(sel.toString(), 'metadata.name=a\\,b\\=c\\\\d');
  assert.equal(escapeFieldValue('x=y'), 'x\\=y');
});

test('errors are 400 with upstream messages', () => {
  const cases: [string, string][] = [
    ['metadata.name', "invalid selector: 'metadata.name'; can't understand 'metadata.name'"],
    ['metadata.name=a\\x', 'invalid escape sequence: \\x'],
    ['spec.foo=bar', 'field label not supported: spec.foo'],
  ];
  for (const [s, msg] of cases) {
    assert.throws(
      () => parseFieldSelector(s, (f) => f === 'status.phase'),
      (e: unknown) => e instanceof StatusError && e.code === 400 && e.message === msg,
      s,
    );
  }
  assert.doesNotThrow(() => parseFieldSelector('metadata.namespace=x,metadata.name=y', () => false));
});

test('exactValue', () => {
  const sel = parseFieldSelector('spec.nodeName=node-1,status.phase!=Failed');
  assert.equal(sel.exactValue('spec.nodeName'), 'node-1');
  assert.equal(sel.exactValue('status.phase'), undefined);
});
