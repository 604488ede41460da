// `ip netns`'s directory set up before namespaces are bound under it: the decision from mountinfo (table), and
// on the real kernel, in temporary directories (never /run/netns itself), why it matters: a namespace bound
// under a directory that is no mount point is hidden by the bind mount the first `ip netns add` makes, and can
// no longer be unbound by its path; bound under a directory set up first, it can.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureNetnsDir, netnsDirMessage, netnsDirStep } from '../../../src/network/cni/netns-dir.js';
import { parseMountinfo, readMountinfo } from '../../../src/util/mountinfo.js';

const info = (...lines: string[]) => ['25 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw', ...lines].join('\n');
const nsfs = (id: number, at: string) => `${id} 25 0:4 net:[4026532177] ${at} rw - nsfs nsfs rw`;

it('netnsDirStep: what the directory needs, per mountinfo', () => {
  const cases: [string, string, string][] = [
    ['no mount at the directory, nothing under it', info(), 'bind-and-share'],
    ['a shared mount point', info('42 25 0:22 /netns /run/netns rw,nosuid shared:5 master:1 - tmpfs tmpfs rw'), 'ready'],
    ['a private mount point', info('42 25 0:22 /netns /run/netns rw - tmpfs tmpfs rw'), 'make-shared'],
    ['stacked: the topmost counts', info('42 25 0:22 /netns /run/netns rw shared:5 - tmpfs tmpfs rw', '43 42 254:0 /run/netns /run/netns rw - ext4 /dev/vda rw'), 'make-shared'],
    ['no mount point, a namespace bound under it (containerd first)', info(nsfs(43, '/run/netns/cni-1')), 'unsafe'],
    ['a namespace under a shared mount point', info('42 25 0:22 /netns /run/netns rw shared:5 - tmpfs tmpfs rw', nsfs(43, '/run/netns/cni-1')), 'ready'],
    ['a sibling directory with the same prefix is not under it', info(nsfs(43, '/run/netns2/x')), 'bind-and-share'],
  ];
  for (const [name, mountinfo, want] of cases) assert.equal(netnsDirStep(mountinfo, '/run/netns'), want, name);
});

it('netnsDirMessage names each step and a failure', () => {
  assert.match(netnsDirMessage('bind-and-share'), /ip netns add/);
  assert.match(netnsDirMessage('unsafe'), /left as it is/);
  assert.match(netnsDirMessage('failed (mount: permission denied)'), /could not be set up.*permission denied/);
});

const skip = process.getuid?.() !== 0 ? 'needs root (mounts)' : undefined;
if (skip) console.log(`# skipping netns directory mount tests: ${skip}`);

describe('netns directory on the real kernel', { skip, concurrency: false }, () => {
  /** Mount points at or under dir, in the kernel's order (a mount stacked over another after it). */
  const mountsAt = (dir: string) => parseMountinfo(readMountinfo()).map((m) => m.mountPoint).filter((m) => m === dir || m.startsWith(`${dir}/`));
  const mounted = (p: string) => mountsAt(p).includes(p);
  /** Binds this process's network namespace to a file, as containerd binds a sandbox's. */
  const bindNamespace = (file: string) => {
    writeFileSync(file, '');
    execFileSync('mount', ['--bind', `/proc/${process.pid}/ns/net`, file]);
  };
  const umount = (p: string) => execFileSync('umount', [p], { stdio: 'ignore' });
  /** Runs fn in a new temporary directory, then undoes every mount at or under it (topmost first) and removes it. */
  const inTempDir = async (fn: (dir: string) => Promise<void>) => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-netns-dir-'));
    try {
      await fn(dir);
    } finally {
      for (let i = 0; i < 10; i++) {
        const at = mountsAt(dir);
        if (at.length === 0) break;
        try {
          umount(at[at.length - 1]!);
        } catch {
          execFileSync('umount', ['-l', at[at.length - 1]!], { stdio: 'ignore' });
        }
      }
      rmSync(dir, { recursive: true, force: true });
      assert.equal(mounted(dir), false, `${dir} left mounted`);
    }
  };

  it('sets a fresh directory up once (bound onto itself, shared; concurrent calls share it), then finds it ready', () =>
    inTempDir(async (dir) => {
      // Two at once (pods set up together) share one set-up: one bind mount, not two stacked.
      assert.deepEqual(await Promise.all([ensureNetnsDir(dir), ensureNetnsDir(dir)]), ['bind-and-share', 'bind-and-share']);
      assert.equal(mountsAt(dir).filter((m) => m === dir).length, 1);
      assert.equal(netnsDirStep(readMountinfo(), dir), 'ready');
      assert.equal(await ensureNetnsDir(dir), 'ready');
    }));

  it('leaves a directory with namespaces bound under it as it is', () =>
    inTempDir(async (dir) => {
      bindNamespace(join(dir, 'cni-1'));
      assert.equal(await ensureNetnsDir(dir), 'unsafe');
      assert.equal(mounted(dir), false);
      umount(join(dir, 'cni-1')); // still reachable by its path
    }));

  it('a namespace bound under the directory stays removable after a later bind of the directory only when it was set up first', async () => {
    // Not set up: the bind mount the first `ip netns add` makes hides the namespace's mount.
    await inTempDir(async (bare) => {
      bindNamespace(join(bare, 'cni-1'));
      execFileSync('mount', ['--bind', bare, bare]);
      execFileSync('mount', ['--make-shared', bare]);
      assert.throws(() => umount(join(bare, 'cni-1')), 'hidden under the bind mount');
    });
    // Set up first: a later `ip netns add` finds a mount point and only makes it shared.
    await inTempDir(async (ready) => {
      await ensureNetnsDir(ready);
      bindNamespace(join(ready, 'cni-1'));
      assert.equal(netnsDirStep(readMountinfo(), ready), 'ready');
      execFileSync('mount', ['--make-shared', ready]);
      umount(join(ready, 'cni-1'));
      rmSync(join(ready, 'cni-1'));
    });
  });
});
