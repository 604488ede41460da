// Helper process for restart.test.ts: plays an agent that starts a pod with the process runtime and then
// dies without closing anything. Prints the container id. Args: <stateDir> [die-before-go] (dies when it
// is about to tell the wrapper to start the command, printing the id first: the wrapper is left waiting).
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { ProcessRuntime } from '../../../src/runtime/process/index.js';
import { containerConfig, sandboxConfig } from './support.js';

const stateDir = process.argv[2]!;
if (process.argv[3] === 'die-before-go') {
  const open = fs.openSync;
  fs.openSync = ((path: fs.PathLike, flags?: fs.OpenMode, mode?: fs.Mode) => {
    if (String(path).endsWith('/ctl')) {
      console.log(String(path).split('/').at(-2));
      process.exit(0);
    }
    return open(path, flags ?? 'r', mode);
  }) as typeof fs.openSync;
  syncBuiltinESMExports();
}
const rt = await ProcessRuntime.open({ stateDir, isolation: 'none' });
const sbc = sandboxConfig(stateDir, 'restart');
const sb = await rt.runPodSandbox(sbc);
const script = 'i=0; while [ $i -lt 40 ]; do echo tick$i; i=$((i+1)); sleep 0.05; done; exit 9';
const id = await rt.createContainer(sb, containerConfig('app', ['sh', '-c', script]), sbc);
await rt.startContainer(id);
console.log(id);
process.exit(0);
