// Running CNI plugins: the batch script's shape and the outcome of a plugin run (pure, table-driven), and a
// batch against the real reference plugins (as root): the namespace step, concurrent plugins, errors
// reported per plugin, and the step that runs whatever happened.
import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { batchScript, CniError, invokeBatch, pluginOutcome, type CniInvocation } from '../../../src/network/cni/invoke.js';

const inv = (over: Partial<CniInvocation> = {}): CniInvocation => ({
  binDir: '/usr/lib/cni', command: 'ADD', containerId: 'c1', netns: '/run/netns/x', ifName: 'lo', args: 'IgnoreUnknown=1;K8S_POD_NAME=p', input: { cniVersion: '1.0.0', name: "it's", type: 'loopback' }, ...over,
});

test('batchScript: the step before, each plugin with its environment and input, the step after', () => {
  const script = batchScript({ before: [['ip', 'netns', 'add', 'x'], ['ip', '-n', 'x', 'link', 'set', 'lo', 'up']], concurrent: true, invocations: [inv(), inv({ ifName: 'eth0', input: { type: 'bridge' } })], after: ['ip', 'netns', 'delete', 'x'] });
  const lines = script.split('\n');
  assert.equal(lines[0], 'cd "$1" || exit 97');
  assert.equal(lines.splice(1, 1)[0], ': >before0.rc; : >before1.rc; : >0.rc; : >1.rc; : >after.rc', 'status files emptied first (the directory is reused)');
  assert.equal(lines[1], 'ip netns add x >before0.out 2>before0.err || { echo $? >before0.rc; exit 0; }');
  assert.equal(lines.splice(2, 1)[0], 'ip -n x link set lo up >before1.out 2>before1.err || { echo $? >before1.rc; exit 0; }');
  assert.equal(lines[2], "{ ( export CNI_COMMAND=ADD CNI_CONTAINERID=c1 CNI_NETNS=/run/netns/x CNI_IFNAME=lo CNI_ARGS='IgnoreUnknown=1;K8S_POD_NAME=p' CNI_PATH=/usr/lib/cni GOMAXPROCS=1 GOGC=off; exec /usr/lib/cni/loopback >0.out 2>0.err <<'SKIFF_CNI_INPUT_END'");
  assert.equal(lines[3], JSON.stringify(inv().input));
  assert.equal(lines[4], 'SKIFF_CNI_INPUT_END');
  assert.equal(lines[5], ') ; echo $? >0.rc; } &');
  assert.match(lines[6]!, /CNI_IFNAME=eth0 .*exec \/usr\/lib\/cni\/bridge >1\.out 2>1\.err/);
  assert.deepEqual(lines.slice(-4), ['wait', 'ip netns delete x >after.out 2>after.err; echo $? >after.rc', 'exit 0', '']);
  const sequential = batchScript({ concurrent: false, invocations: [inv()] });
  assert.ok(sequential.includes(') ; echo $? >0.rc; }\n'), 'no & when sequential');
  assert.ok(!sequential.includes('wait') && !sequential.includes('before.') && !sequential.includes('after.'));
});

test('pluginOutcome: result, CNI error object, stderr, nothing', () => {
  const cases: { name: string; code: number | null; out: string; err: string; want: { ok: true; result: unknown } | { code: number; message: string } }[] = [
    { name: 'result', code: 0, out: '{"ips":[{"address":"10.0.0.2/24"}]}\n', err: '', want: { ok: true, result: { ips: [{ address: '10.0.0.2/24' }] } } },
    { name: 'empty result (DEL)', code: 0, out: '', err: 'log line', want: { ok: true, result: undefined } },
    { name: 'error object', code: 1, out: '{"code":7,"msg":"bad","details":"why"}', err: '', want: { code: 7, message: 'CNI plugin bridge failed (7): bad: why' } },
    { name: 'error object, stderr as details', code: 1, out: '{"code":11,"msg":"try later"}', err: 'busy\n', want: { code: 11, message: 'CNI plugin bridge failed (11): try later: busy' } },
    { name: 'no object', code: 127, out: '', err: 'sh: 1: exec: /x: not found', want: { code: 127, message: 'CNI plugin bridge failed (127): sh: 1: exec: /x: not found' } },
    { name: 'killed', code: null, out: '', err: '', want: { code: -1, message: 'CNI plugin bridge failed (-1): no output' } },
  ];
  for (const c of cases) {
    const got = pluginOutcome('bridge', c.code, c.out, c.err);
    if ('ok' in c.want) assert.deepEqual(got, c.want, c.name);
    else {
      assert.equal(got.ok, false, c.name);
      const e = (got as { error: CniError }).error;
      assert.ok(e instanceof CniError, c.name);
      assert.equal(e.code, c.want.code, c.name);
      assert.equal(e.message, c.want.message, c.name);
    }
  }
});

const skip = process.getuid?.() !== 0 ? 'needs root' : !existsSync('/usr/lib/cni/loopback') ? 'needs the CNI plugins in /usr/lib/cni' : undefined;
if (skip) console.log(`# skipping the CNI batch test: ${skip}`);

describe('invokeBatch with the reference plugins', { skip }, () => {
  it('creates the namespace, runs the plugins concurrently, reports each outcome, always runs the last step', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-cni-batch-'));
    const ns = `skiff-bt-${randomBytes(4).toString('hex')}`;
    const netns = `/run/netns/${ns}`;
    try {
      const lo = inv({ netns, containerId: ns, input: { cniVersion: '1.0.0', name: 'cni-loopback', type: 'loopback' } });
      const missing = inv({ netns, containerId: ns, ifName: 'eth0', input: { cniVersion: '1.0.0', name: 'n', type: 'no-such-plugin' } });
      const broken = inv({ netns, containerId: ns, ifName: 'eth1', input: { cniVersion: '1.0.0', name: 'n', type: 'bridge', mtu: 'not a number' } });
      const add = await invokeBatch({ before: [['ip', 'netns', 'add', ns]], concurrent: true, invocations: [lo, missing, broken] }, dir);
      assert.equal(add.beforeError, undefined);
      assert.equal(add.results[0]?.ok, true, 'loopback ADD');
      assert.deepEqual((add.results[0] as { result: { interfaces: { name: string }[] } }).result.interfaces.map((i) => i.name), ['lo']);
      assert.match(execFileSync('ip', ['-n', ns, 'link', 'show', 'lo']).toString(), /UP/, 'lo is up in the namespace');
      assert.equal(add.results[1]?.ok, false);
      assert.match((add.results[1] as { error: Error }).error.message, /no-such-plugin failed \(127\)/);
      assert.equal(add.results[2]?.ok, false, 'a configuration the bridge plugin cannot parse fails');
      const parseError = (add.results[2] as { error: Error }).error as CniError;
      assert.ok(parseError instanceof CniError);
      assert.equal(parseError.plugin, 'bridge');
      assert.match(parseError.message, /mtu|unmarshal|json/i);

      // The namespace exists now: `before` fails and nothing runs.
      const again = await invokeBatch({ before: [['ip', 'netns', 'add', ns], ['ip', '-n', ns, 'link', 'set', 'lo', 'up']], concurrent: true, invocations: [lo] }, dir);
      assert.match(again.beforeError?.message ?? '', /^ip netns add .* failed \(exit \d+\): .+/);
      assert.deepEqual(again.results, [undefined]);

      const del = await invokeBatch({ concurrent: false, invocations: [{ ...lo, command: 'DEL' }], after: ['ip', 'netns', 'delete', ns] }, dir);
      assert.deepEqual(del.results, [{ ok: true, result: undefined }]);
      assert.equal(del.afterError, undefined);
      assert.equal(existsSync(netns), false, 'namespace removed');
      const gone = await invokeBatch({ concurrent: false, invocations: [], after: ['ip', 'netns', 'delete', ns] }, dir);
      assert.match(gone.afterError?.message ?? '', /^ip netns delete .* failed/);
      // One work directory, reused by each batch in turn (they ran one after another).
      assert.equal(readdirSync(dir).length, 1, 'one work directory');
    } finally {
      if (existsSync(netns)) execFileSync('ip', ['netns', 'delete', ns]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
