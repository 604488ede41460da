import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cidrContains, cidrsOverlap, parseIpv4Cidr, parseServiceCidr, type Ipv4Cidr } from '../../src/network/service-cidr.js';
import { parseOptions } from '../../src/cli/args.js';
import { clusterCidrOption, agentOptions } from '../../src/cli/agent-options.js';
import { localClusterDns, serviceCidrOption, serviceCidrSetting } from '../../src/cli/service-cidr-option.js';

test('parseServiceCidr: derived addresses and errors', () => {
  const cases: { text: string; want: string }[] = [
    { text: '10.43.0.0/16', want: '10.43.0.0/16 k=10.43.0.1 dns=10.43.0.10' },
    { text: '10.96.0.0/12', want: '10.96.0.0/12 k=10.96.0.1 dns=10.96.0.10' },
    { text: '10.44.7.0/24', want: '10.44.7.0/24 k=10.44.7.1 dns=10.44.7.10' },
    { text: '10.44.7.99/24', want: '10.44.7.0/24 k=10.44.7.1 dns=10.44.7.10' }, // host bits cleared, as net.ParseCIDR
    { text: '192.168.5.16/28', want: '192.168.5.16/28 k=192.168.5.17 dns=192.168.5.26' },
    { text: '10.0.0.0/8', want: 'invalid service CIDR 10.0.0.0/8: the range is too large; the prefix length must be at least 12' },
    { text: '10.43.0.0/29', want: 'invalid service CIDR 10.43.0.0/29: the range is too small; the prefix length must be at most 28 (cluster DNS takes the tenth address)' },
    { text: '10.43.0.0', want: 'invalid service CIDR: "10.43.0.0" is not an IPv4 CIDR such as 10.43.0.0/16 (only IPv4 service ranges are supported)' },
    { text: '10.43.0.256/16', want: 'invalid service CIDR: "10.43.0.256/16" is not an IPv4 CIDR such as 10.43.0.0/16 (only IPv4 service ranges are supported)' },
    { text: 'fd00::/108', want: 'invalid service CIDR: "fd00::/108" is not an IPv4 CIDR such as 10.43.0.0/16 (only IPv4 service ranges are supported)' },
    { text: '10.43.0.0/33', want: 'invalid service CIDR: "10.43.0.0/33" is not an IPv4 CIDR such as 10.43.0.0/16 (only IPv4 service ranges are supported)' },
  ];
  for (const c of cases) {
    const got = parseServiceCidr(c.text);
    assert.equal(typeof got === 'string' ? got : `${got.text} k=${got.kubernetesIP} dns=${got.dnsIP}`, c.want, c.text);
  }
});

test('overlap and containment', () => {
  const p = (s: string) => parseIpv4Cidr(s) as Ipv4Cidr;
  assert.equal(cidrsOverlap(p('10.42.0.0/16'), p('10.43.0.0/16')), false);
  assert.equal(cidrsOverlap(p('10.42.0.0/15'), p('10.43.0.0/16')), true);
  assert.equal(cidrsOverlap(p('10.43.5.0/24'), p('10.43.0.0/16')), true);
  assert.equal(cidrContains(p('10.43.0.0/16'), '10.43.255.254'), true);
  assert.equal(cidrContains(p('10.43.0.0/16'), '10.44.0.0'), false);
  assert.equal(cidrContains(p('10.43.0.0/16'), 'nope'), false);
});

test('--service-cidr: validation with clear CLI errors; local cluster DNS defaults to its tenth address', () => {
  const specs = [serviceCidrOption, clusterCidrOption, ...agentOptions];
  const parse = (argv: string[]) => parseOptions(specs, argv);
  assert.equal(serviceCidrSetting(parse([])).text, '10.43.0.0/16');
  assert.deepEqual(localClusterDns(parse([]), ['10.43.0.10']), ['10.43.0.10']);
  const custom = parse(['--service-cidr', '10.50.0.0/20']);
  assert.deepEqual(localClusterDns(custom, [custom.string('cluster-dns')]), ['10.50.0.10']);
  const explicit = parse(['--service-cidr', '10.50.0.0/20', '--cluster-dns', '10.9.9.9']);
  assert.deepEqual(localClusterDns(explicit, ['10.9.9.9']), ['10.9.9.9']);
  assert.throws(() => serviceCidrSetting(parse(['--service-cidr', 'bogus'])), { name: 'UsageError', message: '--service-cidr: invalid service CIDR: "bogus" is not an IPv4 CIDR such as 10.43.0.0/16 (only IPv4 service ranges are supported)' });
  assert.throws(() => serviceCidrSetting(parse(['--service-cidr', '10.42.0.0/16'])), {
    name: 'UsageError',
    message: '--service-cidr 10.42.0.0/16 overlaps --cluster-cidr 10.42.0.0/16: Service and pod addresses must be distinct',
  });
});
