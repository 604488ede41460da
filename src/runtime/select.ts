// Which runtime a node uses: `--runtime auto|process|containerd`. auto = containerd when its socket answers,
// else the process runtime. containerd is started through the factory the caller passes (the containerd
// runtime lives in src/runtime/containerd; this module does not depend on it), so this file only decides.
import { connect } from 'node:net';
import type { Runtime } from './runtime.js';
import { ProcessRuntime, type ProcessRuntimeOptions } from './process/index.js';

export type RuntimeChoice = 'auto' | 'process' | 'containerd';

export const defaultContainerdSocket = '/run/containerd/containerd.sock';

/** A runtime as the agent holds it: the contract plus node-shutdown cleanup where the runtime offers one. */
export type SelectedRuntime = Runtime & { cleanupAll?(): Promise<unknown>; updatePodCIDR?(cidr: string): Promise<void> };

export interface RuntimeSelectionOptions {
  choice: RuntimeChoice;
  /** Probed by `auto`; passed to startContainerd. */
  containerdSocket?: string;
  process: ProcessRuntimeOptions;
  /**
   * Starts the containerd runtime on `socket` (undefined = a containerd the runtime manages itself, only with
   * an explicit `containerd` choice). Absent: containerd is not available in this build.
   */
  startContainerd?: (socket: string | undefined) => Promise<SelectedRuntime>;
  log?: (line: string) => void;
}

export interface RuntimeSelection {
  runtime: SelectedRuntime;
  /** Why this runtime: logged at start and shown by the node. */
  reason: string;
}

/** Pure: the decision, given whether containerd's socket answered and whether containerd can be started. */
export function chooseRuntime(choice: RuntimeChoice, socketAnswers: boolean, containerdAvailable: boolean): { runtime: 'process' | 'containerd'; reason: string } {
  if (choice === 'process') return { runtime: 'process', reason: '--runtime process' };
  if (choice === 'containerd') {
    if (!containerdAvailable) throw new Error('--runtime containerd: the containerd runtime is not available in this build');
    return { runtime: 'containerd', reason: '--runtime containerd' };
  }
  if (socketAnswers && containerdAvailable) return { runtime: 'containerd', reason: 'auto: containerd answers on its socket' };
  return { runtime: 'process', reason: socketAnswers ? 'auto: containerd answers but its runtime is not available' : 'auto: no containerd socket answers' };
}

/** Whether something accepts connections on the unix socket `path` (within timeoutMs). */
export function socketAnswers(path: string, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ path });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

export async function selectRuntime(o: RuntimeSelectionOptions): Promise<RuntimeSelection> {
  const socket = o.containerdSocket ?? defaultContainerdSocket;
  const answers = o.choice === 'auto' ? await socketAnswers(socket) : false;
  const decision = chooseRuntime(o.choice, answers, !!o.startContainerd);
  if (decision.runtime === 'containerd') {
    try {
      const explicit = o.choice === 'containerd' && !o.containerdSocket ? undefined : socket;
      return { runtime: await o.startContainerd!(explicit), reason: decision.reason };
    } catch (err) {
      if (o.choice === 'containerd') throw err;
      o.log?.(`containerd answered but could not be used (${(err as Error).message}); using the process runtime`);
      return { runtime: await ProcessRuntime.open(o.process), reason: 'auto: containerd failed to start' };
    }
  }
  return { runtime: await ProcessRuntime.open(o.process), reason: decision.reason };
}
