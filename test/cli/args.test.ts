import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOptions, formatOptions, UsageError, type OptionSpec } from '../../src/cli/args.js';

const specs: OptionSpec[] = [
  { name: 'data-dir', short: 'd', type: 'string', description: 'dir', default: () => '/home/x/.skiff', env: 'SKIFF_DATA_DIR' },
  { name: 'api-port', type: 'int', description: 'port', default: 6443, min: 0, max: 65535 },
  { name: 'runtime', type: 'string', description: 'rt', choices: ['auto', 'process'], default: 'auto' },
  { name: 'verbose', short: 'v', type: 'boolean', description: 'v' },
  { name: 'node-label', type: 'list', description: 'labels' },
];

test('parses flags, values, defaults and environment', () => {
  const cases: { argv: string[]; env?: Record<string, string>; want: Record<string, unknown> }[] = [
    { argv: [], want: { 'data-dir': '/home/x/.skiff', 'api-port': 6443, runtime: 'auto', verbose: false, 'node-label': [] } },
    { argv: ['--data-dir', '/d', '--api-port=7443'], want: { 'data-dir': '/d', 'api-port': 7443 } },
    { argv: ['-d', '/d2', '-v'], want: { 'data-dir': '/d2', verbose: true } },
    { argv: ['-d/d3'], want: { 'data-dir': '/d3' } },
    { argv: ['--verbose=false'], want: { verbose: false } },
    { argv: ['--verbose', '--no-verbose'], want: { verbose: false } },
    { argv: ['--runtime', 'process'], want: { runtime: 'process' } },
    { argv: ['--node-label', 'a=1', '--node-label=b=2,c=3'], want: { 'node-label': ['a=1', 'b=2', 'c=3'] } },
    { argv: [], env: { SKIFF_DATA_DIR: '/from-env' }, want: { 'data-dir': '/from-env' } },
    { argv: ['-d', '/flag'], env: { SKIFF_DATA_DIR: '/from-env' }, want: { 'data-dir': '/flag' } },
    { argv: ['--api-port', '0'], want: { 'api-port': 0 } },
  ];
  for (const c of cases) {
    const p = parseOptions(specs, c.argv, c.env);
    for (const [k, v] of Object.entries(c.want)) assert.deepEqual(p.values.get(k), v, `${c.argv.join(' ')}: ${k}`);
  }
  const p = parseOptions(specs, ['x', '--', '--not-an-option']);
  assert.deepEqual(p.positionals, ['x', '--not-an-option']);
  assert.equal(p.int('api-port'), 6443);
  assert.equal(p.string('runtime'), 'auto');
  assert.ok(parseOptions(specs, ['-v']).explicit.has('verbose'));
});

test('usage errors say what is wrong', () => {
  const cases: [string[], RegExp][] = [
    [['--api-prot', '1'], /unknown option --api-prot \(did you mean --api-port\?\)/],
    [['--zzz'], /^unknown option --zzz$/],
    [['--api-port', 'abc'], /--api-port must be a whole number, not "abc"/],
    [['--api-port', '65536'], /between 0 and 65535/],
    [['--api-port'], /--api-port needs a value/],
    [['--data-dir', '--verbose'], /--data-dir needs a value/],
    [['--runtime', 'docker'], /--runtime must be one of auto, process, not "docker"/],
    [['--api-port', '1', '--api-port', '2'], /given 2 times/],
    [['--verbose=maybe'], /takes no value or true\/false/],
  ];
  for (const [argv, re] of cases) {
    assert.throws(() => parseOptions(specs, argv), (e: unknown) => e instanceof UsageError && re.test(e.message), argv.join(' '));
  }
});

test('formatOptions lists every option with its default, choices and env', () => {
  const text = formatOptions(specs);
  assert.match(text, /-d, --data-dir STRING\s+dir \[default: \/home\/x\/\.skiff\] \[env: SKIFF_DATA_DIR\]/);
  assert.match(text, /--runtime STRING\s+rt \(auto\|process\) \[default: auto\]/);
  assert.match(text, /-v, --verbose\s+v$/m);
});
