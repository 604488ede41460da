import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bridgeConfList, cniArgs, loopbackConfList, pluginInput, resultIPs } from '../../../src/network/cni/conflist.js';
import { masqueradeRuleset, masqueradeTable } from '../../../src/network/cni/masquerade.js';

test('bridgeConfList: bridge + host-local over the pod CIDR; portmap only with host ports', () => {
  const base = { name: 'skiff-cni0', bridge: 'cni0', podCIDR: '10.42.0.0/24', ipamDataDir: '/s/cni/ipam', ipMasq: true };
  const list = bridgeConfList({ ...base, hostPorts: false });
  assert.equal(list.cniVersion, '1.0.0');
  assert.deepEqual(list.plugins.map((p) => p.type), ['bridge']);
  assert.deepEqual(list.plugins[0], {
    type: 'bridge', bridge: 'cni0', isGateway: true, ipMasq: true, hairpinMode: true,
    ipam: { type: 'host-local', ranges: [[{ subnet: '10.42.0.0/24' }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: '/s/cni/ipam' },
  });
  assert.deepEqual(bridgeConfList({ ...base, hostPorts: true, mtu: 1400 }).plugins.map((p) => p.type), ['bridge', 'portmap']);
  assert.equal(bridgeConfList({ ...base, hostPorts: false, mtu: 1400 }).plugins[0].mtu, 1400);
  assert.deepEqual((bridgeConfList({ ...base, podCIDR: 'fd00::/64', hostPorts: false }).plugins[0].ipam as { routes: unknown }).routes, [{ dst: '::/0' }]);
  assert.deepEqual(loopbackConfList().plugins, [{ type: 'loopback' }]);
});

test('pluginInput injects name, version, prevResult and runtimeConfig for declared capabilities', () => {
  const list = bridgeConfList({ name: 'n', bridge: 'b', podCIDR: '10.0.0.0/24', ipamDataDir: '/d', ipMasq: false, hostPorts: true });
  const pm = [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }];
  const bridge = pluginInput(list, list.plugins[0], undefined, { portMappings: pm });
  assert.equal(bridge.name, 'n');
  assert.equal(bridge.cniVersion, '1.0.0');
  assert.equal('prevResult' in bridge, false);
  assert.equal('runtimeConfig' in bridge, false, 'bridge has no portMappings capability');
  const prev = { ips: [{ address: '10.0.0.2/24' }] };
  const portmap = pluginInput(list, list.plugins[1], prev, { portMappings: pm });
  assert.deepEqual(portmap.runtimeConfig, { portMappings: pm });
  assert.deepEqual(portmap.prevResult, prev);
  assert.equal('capabilities' in portmap, false);
});

test('cniArgs and resultIPs', () => {
  assert.equal(cniArgs({ namespace: 'ns', name: 'p', uid: 'u', sandboxId: 's' }), 'IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p;K8S_POD_INFRA_CONTAINER_ID=s;K8S_POD_UID=u');
  assert.deepEqual(resultIPs({ ips: [{ address: '10.42.0.5/24', gateway: '10.42.0.1' }, { address: 'fd00::5/64' }] }), ['10.42.0.5', 'fd00::5']);
  assert.deepEqual(resultIPs(undefined), []);
});

test('masqueradeRuleset: one rule for the pod CIDR in a table of its own, recreated atomically', () => {
  assert.equal(masqueradeTable('cni0'), 'skiff_masq_cni0');
  assert.equal(masqueradeTable('sk-br.1'), 'skiff_masq_sk_br_1');
  const text = masqueradeRuleset('cni0', '10.42.0.0/24');
  assert.deepEqual(text.split('\n').slice(0, 3), ['table ip skiff_masq_cni0 {}', 'delete table ip skiff_masq_cni0', 'table ip skiff_masq_cni0 {']);
  assert.match(text, /type nat hook postrouting priority srcnat; policy accept;\n\s+ip saddr 10\.42\.0\.0\/24 ip daddr != 10\.42\.0\.0\/24 masquerade/);
  assert.match(masqueradeRuleset('b', 'fd00::/64'), /table ip6 skiff_masq_b \{[\s\S]*ip6 saddr fd00::\/64 ip6 daddr != fd00::\/64 masquerade/);
});
