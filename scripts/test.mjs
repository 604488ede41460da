#!/usr/bin/env node
// The one test command (`npm test`, also run by .ci/run): prepares what the tests need, then runs every
// test file under test/ with Node's test runner. `--unit` skips test/e2e. Extra arguments = file filters.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { portmapChainsPresent, removeNewPortmapChains } from './portmap-chains.mjs';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const filters = args.filter((a) => !a.startsWith('--'));

function run(cmd, cmdArgs, opts = {}) {
  const r = spawnSync(cmd, cmdArgs, { stdio: 'inherit', cwd: root, ...opts });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

// Set-up: dependencies, system packages (root only), build.
run(process.execPath, [join(root, 'scripts', 'prepare.mjs'), ...(process.env.SKIFF_SKIP_SYSTEM ? [] : ['--system'])]);
// The build tolerates type errors (so ./skiff always starts); the test suite does not.
if (!filters.length) {
  console.log('typecheck: tsc -p tsconfig.test.json --noEmit');
  run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.test.json', '--noEmit']);
}

function collect(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) collect(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}
let files = collect(join(root, 'test'), []).sort();
if (unitOnly) files = files.filter((f) => !relative(root, f).startsWith('test/e2e'));
if (filters.length) files = files.filter((f) => filters.some((x) => relative(root, f).includes(x)));
if (!files.length) {
  console.error('no test files matched');
  process.exit(1);
}
const conc = process.env.SKIFF_TEST_CONCURRENCY ?? '2';
const portmapBefore = portmapChainsPresent();
// dist/ was built by the set-up above.
const { parseMountinfo, readMountinfo } = await import('../dist/util/mountinfo.js');
const namespacesBefore = mountedNamespaces();
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${conc}`, ...files.map((f) => relative(root, f))], { stdio: 'inherit', cwd: root });
// Host-port tests leave the CNI portmap plugin's shared nat chains behind (the plugin never removes them).
const removed = removeNewPortmapChains(portmapBefore);
if (removed.length) console.log(`cleanup: removed the CNI portmap plugin's empty CNI-HOSTPORT-* chains (${removed.join(', ')})`);
// Every network namespace a test made must be gone (a leftover is a failed cleanup, even when every test passed).
const leftNamespaces = [...mountedNamespaces()].filter((m) => !namespacesBefore.has(m));
if (leftNamespaces.length) {
  console.error(`leftover: ${leftNamespaces.length} network namespace mount(s) the tests made are still there: ${leftNamespaces.join(', ')}`);
  process.exit(r.status || 1);
}
process.exit(r.status ?? 1);

/** Mount points of network namespaces (nsfs), from this process's mount table. */
function mountedNamespaces() {
  return new Set(parseMountinfo(readMountinfo()).filter((m) => m.fsType === 'nsfs' && m.root.startsWith('net:')).map((m) => `${m.mountPoint} (${m.root})`));
}
