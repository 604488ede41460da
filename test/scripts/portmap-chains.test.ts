// What the test command removes of the CNI portmap plugin's shared nat chains after the suites (pure table:
// `iptables -t nat -S` text in, iptables argument lists out).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { removalPlan, splitRule } from '../../scripts/portmap-chains.mjs';

const base = ['-P PREROUTING ACCEPT', '-P INPUT ACCEPT', '-P OUTPUT ACCEPT', '-P POSTROUTING ACCEPT'];
const chains = ['-N CNI-HOSTPORT-DNAT', '-N CNI-HOSTPORT-MASQ', '-N CNI-HOSTPORT-SETMARK'];
const jumps = [
  '-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT',
  '-A OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT',
  '-A POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ',
];
const own = [
  '-A CNI-HOSTPORT-MASQ -m mark --mark 0x2000/0x2000 -j MASQUERADE',
  '-A CNI-HOSTPORT-SETMARK -m comment --comment "CNI portfwd masquerade mark" -j MARK --set-xmark 0x2000/0x2000',
];

test('splitRule keeps quoted words together', () => {
  assert.deepEqual(splitRule('-A POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" -j X'), [
    '-A', 'POSTROUTING', '-m', 'comment', '--comment', 'CNI portfwd requiring masquerade', '-j', 'X',
  ]);
  assert.deepEqual(splitRule('-A X -m comment --comment "a \\"b\\"" -j Y'), ['-A', 'X', '-m', 'comment', '--comment', 'a "b"', '-j', 'Y']);
});

const table: { name: string; rules: string[]; want: string[][] }[] = [
  { name: 'no portmap chains: nothing to do', rules: [...base, '-A POSTROUTING -j MASQUERADE'], want: [] },
  {
    name: 'chains without pod rules: jumps deleted, then chains flushed and removed',
    rules: [...base, ...chains, ...jumps, ...own, '-A POSTROUTING -s 10.0.0.0/8 -j MASQUERADE'],
    want: [
      ['-D', 'PREROUTING', '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'CNI-HOSTPORT-DNAT'],
      ['-D', 'OUTPUT', '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'CNI-HOSTPORT-DNAT'],
      ['-D', 'POSTROUTING', '-m', 'comment', '--comment', 'CNI portfwd requiring masquerade', '-j', 'CNI-HOSTPORT-MASQ'],
      ['-F', 'CNI-HOSTPORT-DNAT'], ['-F', 'CNI-HOSTPORT-MASQ'], ['-F', 'CNI-HOSTPORT-SETMARK'],
      ['-X', 'CNI-HOSTPORT-DNAT'], ['-X', 'CNI-HOSTPORT-MASQ'], ['-X', 'CNI-HOSTPORT-SETMARK'],
    ],
  },
  {
    name: 'a pod rule is still there: everything stays',
    rules: [...base, ...chains, '-N CNI-DN-1234', ...jumps, ...own, '-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: \\"cbr0\\" id: \\"abc\\"" -m multiport --dports 8080 -j CNI-DN-1234'],
    want: [],
  },
];

for (const c of table) {
  test(`removalPlan: ${c.name}`, () => assert.deepEqual(removalPlan(c.rules.join('\n') + '\n'), c.want));
}
