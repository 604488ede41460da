import { it } from 'node:test';
import assert from 'node:assert/strict';
import { mountPointsUnder, parseMountinfo } from '../../src/util/mountinfo.js';

const text = [
  '25 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw',
  '42 27 0:22 /netns /run/netns rw,nosuid shared:5 master:1 - tmpfs tmpfs rw',
  '43 27 0:23 / /run/private rw - tmpfs tmpfs rw',
  '44 25 0:4 net:[4026532177] /run/netns/cni-1 rw - nsfs nsfs rw',
  '45 25 0:53 / /tmp/x/with\\040space rw - tmpfs tmpfs rw',
  '46 42 254:0 /run/netns /run/netns rw - ext4 /dev/vda rw',
  '',
].join('\n');

it('parseMountinfo: mount point, root, filesystem type and shared propagation of each line, in order', () => {
  assert.deepEqual(parseMountinfo(text), [
    { mountPoint: '/', root: '/', fsType: 'ext4', shared: true },
    { mountPoint: '/run/netns', root: '/netns', fsType: 'tmpfs', shared: true },
    { mountPoint: '/run/private', root: '/', fsType: 'tmpfs', shared: false },
    { mountPoint: '/run/netns/cni-1', root: 'net:[4026532177]', fsType: 'nsfs', shared: false },
    { mountPoint: '/tmp/x/with space', root: '/', fsType: 'tmpfs', shared: false },
    { mountPoint: '/run/netns', root: '/run/netns', fsType: 'ext4', shared: false },
  ]);
});

it('mountPointsUnder: at or below the directory, deepest first, a stacked point once per mount', () => {
  assert.deepEqual(mountPointsUnder(text, '/run/netns'), ['/run/netns/cni-1', '/run/netns', '/run/netns']);
  assert.deepEqual(mountPointsUnder(text, '/run/net'), []);
  assert.deepEqual(mountPointsUnder(text, '/tmp/x/'), ['/tmp/x/with space']);
});
