// The CNI pod network against the real reference plugins: namespace + lo + eth0 with an IP from host-local,
// CHECK, DEL releasing the reservation, and the bridge removed at the end. Only talks to addresses inside the
// namespaces it creates.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CniPodNetwork, netnsCommands, type NetworkAttachment } from '../../../src/network/cni/pod-network.js';
import { loopbackConfList } from '../../../src/network/cni/conflist.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : !existsSync('/usr/lib/cni/bridge') ? 'needs the CNI plugins in /usr/lib/cni' : undefined;
if (skip) console.log(`# skipping CNI pod network tests: ${skip}`);

// Egress masquerade: one nftables rule for the pod CIDR (per-pod iptables chains only without nft).
const hasNft = ['/usr/sbin/nft', '/sbin/nft'].some((p) => existsSync(p));
const hasIptables = ['/usr/sbin/iptables', '/sbin/iptables'].some((p) => existsSync(p));
const natRules = () => (hasIptables ? execFileSync('iptables-save', ['-t', 'nat']).toString() : '');
const nftTables = () => (hasNft ? execFileSync('nft', ['list', 'tables']).toString() : '');

const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));

it('netnsCommands: busybox unshare + ip once the netns directory is a shared mount, else ip netns add', () => {
  const att = { netnsName: 'skiff-x', netnsPath: '/run/netns/skiff-x' };
  assert.deepEqual(netnsCommands(att, '/bin/busybox', true), { createFile: true, commands: [['/bin/busybox', 'unshare', '--net=/run/netns/skiff-x', '/bin/busybox', 'ip', 'link', 'set', 'lo', 'up']] });
  const ip = { createFile: false, commands: [['ip', 'netns', 'add', 'skiff-x'], ['ip', '-n', 'skiff-x', 'link', 'set', 'lo', 'up']] };
  assert.deepEqual(netnsCommands(att, '/bin/busybox', false), ip);
  assert.deepEqual(netnsCommands(att, undefined, true), ip);
});

describe('CNI pod network', { skip }, () => {
  const tag = randomBytes(3).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), 'skiff-cni-'));
  const podCIDR = `10.${150 + (parseInt(tag, 16) % 40)}.${parseInt(tag.slice(2, 4), 16)}.0/24`;
  const net = new CniPodNetwork({ binDir: '/usr/lib/cni', bridge: `skc${tag}`, podCIDR, dataDir: dir, ipMasq: hasIptables });
  const atts: NetworkAttachment[] = [];
  after(async () => {
    for (const a of atts) await net.tearDown(a).catch(() => undefined);
    await net.removeBridge();
    rmSync(dir, { recursive: true, force: true });
  });

  it('attaches two pods that reach each other, checks and detaches them without leftovers', async () => {
    const a = await net.setUp(await net.plan({ sandboxId: randomBytes(32).toString('hex'), name: 'a', namespace: 'default', uid: 'ua', portMappings: [] }));
    atts.push(a);
    const b = await net.setUp(await net.plan({ sandboxId: randomBytes(32).toString('hex'), name: 'b', namespace: 'default', uid: 'ub', portMappings: [] }));
    atts.push(b);
    assert.equal(a.ips.length, 1);
    assert.notEqual(a.ips[0], b.ips[0]);
    const lo = execFileSync('ip', ['-n', a.netnsName, '-o', 'addr', 'show', 'lo']).toString();
    assert.match(lo, /127\.0\.0\.1/);
    assert.match(execFileSync('ip', ['-n', a.netnsName, '-o', 'link', 'show', 'lo']).toString(), /<[^>]*\bUP\b/, 'lo is up');
    assert.deepEqual(a.networks.map((n) => n.ifName), ['eth0'], 'lo by ip, not by the loopback plugin');
    // A TCP server inside b answers a client inside a.
    const server = spawn('ip', ['netns', 'exec', b.netnsName, process.execPath, '-e', 'require("net").createServer(s => s.end("pong")).listen(7000, () => console.log("ready"))']);
    try {
      await new Promise((r) => server.stdout.once('data', r));
      const reply = execFileSync('ip', ['netns', 'exec', a.netnsName, process.execPath, '-e', `const s = require("net").connect(7000, "${b.ips[0]}"); s.pipe(process.stdout)`]).toString();
      assert.equal(reply, 'pong');
    } finally {
      server.kill('SIGKILL');
    }
    assert.equal(await net.check(a), undefined);
    const reservations = () => readdirSync(join(dir, 'ipam', `skiff-skc${tag}`)).filter((f) => /^\d/.test(f));
    assert.deepEqual(reservations().sort(), [...a.ips, ...b.ips].sort());

    await net.tearDown(a);
    await net.tearDown(a); // idempotent
    assert.equal(existsSync(a.netnsPath), false);
    assert.deepEqual(reservations(), b.ips);
    assert.match(await net.check(a) ?? '', /gone/);
    if (hasNft) {
      const table = execFileSync('nft', ['list', 'table', 'ip', `skiff_masq_skc${tag}`]).toString();
      assert.match(table, new RegExp(`ip saddr ${podCIDR.replace(/\./g, '\\.')} ip daddr != ${podCIDR.replace(/\./g, '\\.')} masquerade`));
      assert.doesNotMatch(natRules(), new RegExp(b.containerId), 'no per-pod iptables chain');
    } else if (hasIptables) assert.match(natRules(), new RegExp(b.containerId));
    await net.tearDown(b);
    assert.deepEqual(reservations(), []);
    assert.doesNotMatch(natRules(), new RegExp(`${a.containerId}|${b.containerId}`));
    const links = execFileSync('ip', ['-o', 'link', 'show', 'master', `skc${tag}`]).toString();
    assert.equal(links.trim(), '', 'no veth left on the bridge');

    // An attachment recorded by an earlier version (with the loopback network) is still set up and deleted.
    const planned = await net.plan({ sandboxId: randomBytes(32).toString('hex'), name: 'c', namespace: 'default', uid: 'uc', portMappings: [] });
    planned.networks.unshift({ ifName: 'lo', list: loopbackConfList() });
    const c = await net.setUp(planned);
    atts.push(c);
    assert.equal(c.ips.length, 1);
    await net.tearDown(c);
    assert.equal(existsSync(c.netnsPath), false);
    assert.deepEqual(reservations(), []);

    // With busybox: the namespace by its unshare, lo up by its ip (the directory is shared since the first add).
    if (busybox) {
      const bnet = new CniPodNetwork({ ...net.options, busybox });
      const d = await bnet.setUp(await bnet.plan({ sandboxId: randomBytes(32).toString('hex'), name: 'd', namespace: 'default', uid: 'ud', portMappings: [] }));
      atts.push(d);
      assert.match(execFileSync('ip', ['-n', d.netnsName, '-o', 'link', 'show', 'lo']).toString(), /<[^>]*\bUP\b/, 'lo is up (busybox)');
      assert.match(execFileSync('ip', ['netns', 'list']).toString(), new RegExp(d.netnsName), 'listed by ip netns');
      await bnet.tearDown(d);
      assert.equal(existsSync(d.netnsPath), false);
      assert.deepEqual(reservations(), []);
    }

    await net.removeBridge();
    assert.doesNotMatch(execFileSync('ip', ['-o', 'link']).toString(), new RegExp(`skc${tag}`));
    assert.doesNotMatch(nftTables(), new RegExp(`skiff_masq_skc${tag}`));
  });
});
