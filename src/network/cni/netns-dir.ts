// `ip netns`'s directory, /run/netns, set up before any network namespace is bound under it. iproute2's first
// `ip netns add` makes the directory a mount point of its own (a bind mount onto itself) with shared
// propagation. containerd binds its sandboxes' namespaces (/run/netns/cni-…) without doing that. So when a
// containerd has pods and something then runs its first `ip netns add` (a process-runtime pod, another
// cluster, a test), the new bind mount covers the directory: containerd's namespace mounts stay underneath,
// where nothing can reach them by path. Unbinding one then fails ("device or resource busy"), the sandbox is
// never removed, the pod's final delete never comes, and the namespaces outlive `skiff up`. Setting the
// directory up first, as `ip netns add` would, makes every later `ip netns add` find it ready.
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { parseMountinfo, readMountinfo } from '../../util/mountinfo.js';

const run = promisify(execFile);

/** Where `ip netns` keeps its namespace files. */
export const netnsDir = '/run/netns';

/**
 * What the directory needs: nothing; shared propagation only (it is a mount point); a bind mount onto itself
 * and shared propagation (as the first `ip netns add` does); or nothing can be done safely: it is no mount
 * point but namespaces are bound under it already, which a bind mount would hide.
 */
export type NetnsDirStep = 'ready' | 'make-shared' | 'bind-and-share' | 'unsafe';

/** The step `dir` needs, per a /proc/self/mountinfo text. */
export function netnsDirStep(mountinfo: string, dir = netnsDir): NetnsDirStep {
  const mounts = parseMountinfo(mountinfo);
  const own = mounts.filter((m) => m.mountPoint === dir);
  if (own.length > 0) return own[own.length - 1]!.shared ? 'ready' : 'make-shared';
  return mounts.some((m) => m.mountPoint.startsWith(`${dir}/`)) ? 'unsafe' : 'bind-and-share';
}

/** Set-ups in progress, by directory. */
const inFlight = new Map<string, Promise<NetnsDirStep>>();

/**
 * Sets `ip netns`'s directory up as iproute2 does (root only: without root no namespace is made here). Returns
 * the step it found needed; 'unsafe' is left as it is (the caller may log it). Throws when `mount` fails.
 */
export function ensureNetnsDir(dir = netnsDir): Promise<NetnsDirStep> {
  // Pods set up at once share one set-up: two binds would stack.
  let p = inFlight.get(dir);
  if (p === undefined) {
    p = setUp(dir).finally(() => inFlight.delete(dir));
    inFlight.set(dir, p);
  }
  return p;
}

async function setUp(dir: string): Promise<NetnsDirStep> {
  if (process.getuid?.() !== 0) return 'ready';
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const step = netnsDirStep(readMountinfo(), dir);
  if (step === 'bind-and-share') await run('mount', ['--bind', dir, dir]);
  if (step === 'bind-and-share' || step === 'make-shared') await run('mount', ['--make-shared', dir]);
  return step;
}

/** What a step (or a failure's text) means, for a log line. */
export function netnsDirMessage(step: NetnsDirStep | string): string {
  switch (step) {
    case 'ready':
      return 'a shared mount already';
    case 'make-shared':
      return 'made a shared mount';
    case 'bind-and-share':
      return 'bound onto itself and made a shared mount (as `ip netns add` does)';
    case 'unsafe':
      return 'not a mount point, with namespaces bound under it already: left as it is (a later `ip netns add` will hide those namespaces)';
    default:
      return `could not be set up as \`ip netns add\` does: ${step}`;
  }
}
