import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { yamlNestingExceeds } from '../../src/apiserver/yaml-depth.js';

const flow = (n: number, array: boolean) => (array ? '['.repeat(n) : '{"a":'.repeat(n)) + '1' + (array ? ']'.repeat(n) : '}'.repeat(n));
const block = (n: number) => Array.from({ length: n }, (_, i) => `${' '.repeat(i)}k:`).join('\n') + ' 1\n';

const cases: [string, string, number, boolean][] = [
  ['a scalar', 'hello', 1, false],
  ['a flat mapping', 'a: 1\nb: 2\n', 1, false],
  ['a mapping in a mapping at the limit', 'a:\n  b: 1\n', 2, false],
  ['a mapping in a mapping over the limit', 'a:\n  b: 1\n', 1, true],
  ['block sequences on one line', '- - - x\n', 3, false],
  ['block sequences on one line over the limit', '- - - x\n', 2, true],
  ['flow arrays 5,000 deep', flow(5000, true), 1000, true],
  ['flow mappings 5,000 deep', flow(5000, false), 1000, true],
  ['flow arrays 50 deep', flow(50, true), 1000, false],
  ['block mappings 60 deep', block(60), 60, false],
  ['block mappings 60 deep over a limit of 59', block(60), 59, true],
  ['several documents', 'a: 1\n---\nb:\n  c:\n    d: 1\n', 2, true],
  ['brackets inside a quoted string do not nest', `a: "${'['.repeat(3000)}"\n`, 1, false],
  ['broken YAML is left to the parser', 'a: [1, 2\n', 5, false],
];

for (const [name, text, max, want] of cases) {
  test(`yamlNestingExceeds: ${name}`, () => assert.equal(yamlNestingExceeds(text, max), want));
}

test('hostile YAML nesting gets a 400 and never aborts the server process', () => {
  // Without the depth check a second deep body could abort V8: the yaml composer ran out of stack inside a
  // regular-expression compilation, which is fatal instead of a RangeError.
  const server = new URL('../../src/apiserver/server.ts', import.meta.url).pathname;
  const script = `
    const { decodeBody } = await import(${JSON.stringify(server)});
    const n = 5000;
    const deep = ['['.repeat(n) + '1' + ']'.repeat(n), '{"a":'.repeat(n) + '1' + '}'.repeat(n)];
    // Where the stack runs out decides whether it runs out inside a regex compilation: try from many depths.
    const at = (k, body) => (k ? at(k - 1, body) : decodeBody('application/yaml', Buffer.from(body), false));
    const out = new Set();
    for (let k = 0; k < 40; k++) {
      for (const b of deep) {
        try { at(k * 3, b); out.add('ok'); } catch (e) { out.add(e.code ?? String(e)); }
      }
    }
    console.log(JSON.stringify([...out]));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `the process ended with ${r.status ?? r.signal}: ${r.stderr.slice(0, 400)}`);
  assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').pop()!), [400]);
});
