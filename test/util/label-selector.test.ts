import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError } from '../../src/api/errors.js';
import { formatLabelSelector, labelSelectorFromObject, parseLabelSelector, selectorFromSet } from '../../src/util/label-selector.js';

const labels = { app: 'web', tier: 'frontend', version: '3' };

test('string selectors match as upstream', () => {
  const cases: [string, boolean][] = [
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app=api', false],
    ['app!=api', true],
    ['missing!=x', true],
    ['app', true],
    ['!app', false],
    ['!missing', true],
    ['app in (web,api)', true],
    ['app in (api)', false],
    ['app notin (api)', true],
    ['missing notin (api)', true],
    ['missing in (api)', false],
    ['app=web,tier=frontend', true],
    ['app=web,tier=backend', false],
    ['  app = web , tier in ( frontend ) ', true],
    ['version>2', true],
    ['version<2', false],
    ['app>2', false],
    ['missing=', false],
    ['missing!=', true],
    ['app in (web,)', true],
  ];
  for (const [s, want] of cases) assert.equal(parseLabelSelector(s).matches(labels), want, s);
});

test('parse errors are 400s with upstream messages', () => {
  const cases: [string, string][] = [
    ['app=web,', "found '', expected: identifier after ','"],
    ['app web', "unable to parse requirement: found 'web', expected: in, notin, =, ==, !=, gt, lt"],
    ['app=web x', "found 'x', expected: ',' or 'end of string'"],
    ['=web', "found '=', expected: !, identifier, or 'end of string'"],
    ['app in web', "unable to parse requirement: found 'web' expected: '('"],
    ['app in (a b)', "unable to parse requirement: found 'b', expected: ',' or ')'"],
    ['app ! web', "unable to parse requirement: found '!', expected: in, notin, =, ==, !=, gt, lt"],
    ['version>x', `unable to parse requirement: values[0]: Invalid value: "x": for 'Gt', 'Lt' operators, the value must be an integer`],
  ];
  for (const [s, msg] of cases) {
    assert.throws(
      () => parseLabelSelector(s),
      (e: unknown) => e instanceof StatusError && e.code === 400 && e.reason === 'BadRequest' && e.message === msg,
      s,
    );
  }
  assert.throws(() => parseLabelSelector('-bad=x'), (e: unknown) => e instanceof StatusError && /^unable to parse requirement: <nil>: Invalid value: "-bad": name part must consist/.test(e.message));
  assert.throws(() => parseLabelSelector('app=-x'), (e: unknown) => e instanceof StatusError && /values\[0\]\[app\]: Invalid value: "-x"/.test(e.message));
});

test('toString sorts by key and uses upstream spelling', () => {
  assert.equal(parseLabelSelector('tier in (b,a),app=web,!old,new').toString(), 'app=web,new,!old,tier in (a,b)');
});

test('metav1.LabelSelector objects', () => {
  assert.equal(labelSelectorFromObject(undefined).matches(labels), false, 'nil selects nothing');
  assert.equal(labelSelectorFromObject({}).matches(labels), true, 'empty selects everything');
  const sel = labelSelectorFromObject({
    matchLabels: { app: 'web' },
    matchExpressions: [
      { key: 'tier', operator: 'In', values: ['frontend', 'edge'] },
      { key: 'legacy', operator: 'DoesNotExist' },
    ],
  });
  assert.equal(sel.matches(labels), true);
  assert.equal(sel.matches({ app: 'web', tier: 'frontend', legacy: 'y' }), false);
  assert.equal(sel.toString(), 'app=web,!legacy,tier in (edge,frontend)');
  assert.throws(() => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }), /"Gt" is not a valid label selector operator/);
  assert.throws(() => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }), /values set can't be empty/);
  assert.equal(formatLabelSelector({ matchLabels: { app: 'x' } }), 'app=x');
  assert.equal(formatLabelSelector({}), '<none>');
  assert.equal(selectorFromSet({ app: 'web' }).matches(labels), true);
  assert.equal(selectorFromSet({}).matches(labels), true);
});

test('exactValue for index lookups', () => {
  assert.equal(parseLabelSelector('app=web,tier!=x').exactValue('app'), 'web');
  assert.equal(parseLabelSelector('app in (a,b)').exactValue('app'), undefined);
  assert.equal(parseLabelSelector('').requirements.length, 0);
  assert.equal(parseLabelSelector('').empty(), true);
});
