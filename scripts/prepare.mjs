#!/usr/bin/env node
// Shared set-up for ./skiff and `npm test` (no dependencies: runs before node_modules exists).
//   1. `npm ci` when node_modules is missing or older than package-lock.json;
//   2. with --system: as root, install the host components tests need (scripts/install-system-packages.sh);
//      otherwise say which host-component tests will be skipped and why;
//   3. build dist/ with tsc when any file in src/ (or tsconfig.json, package.json) is newer than
//      dist/.build-stamp, and copy non-TypeScript files under src/ (JSON, .proto, ...) into dist/.
// Type errors do not stop the build (tsc still emits); they are printed as a warning so a half-finished file
// elsewhere in the tree never blocks `skiff up`. `npm run typecheck` is the strict check.
// Usage: node scripts/prepare.mjs [--system] [--quiet]

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync, readFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const quiet = args.has('--quiet');
const say = (line) => process.stderr.write(`prepare: ${line}\n`);
const info = (line) => quiet || say(line);
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

const major = Number(process.versions.node.split('.')[0]);
if (major < 20) {
  say(`Node.js ${process.version} is too old; skiff needs Node.js 20 or newer`);
  process.exit(1);
}

function mtime(p) {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return -1;
  }
}

function run(cmd, cmdArgs, what) {
  const started = Date.now();
  info(`${what} ...`);
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.error) {
    say(`${what} failed: ${r.error.message}`);
    return 1;
  }
  if (r.status === 0) info(`${what}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return r.status ?? 1;
}

// Only one prepare at a time per checkout (parallel ./skiff invocations, test runners).
const lockDir = join(tmpdir(), `skiff-prepare-${createHash('sha256').update(root).digest('hex').slice(0, 12)}.lock`);
function lock() {
  const deadline = Date.now() + 10 * 60 * 1000;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'pid'), String(process.pid));
      return;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
    }
    let owner = 0;
    try {
      owner = Number(readFileSync(join(lockDir, 'pid'), 'utf8'));
    } catch {
      // being created or removed
    }
    if (owner && !alive(owner)) {
      rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) {
      say(`another prepare (pid ${owner}) has held ${lockDir} for 10 minutes; remove it if that process is gone`);
      process.exit(1);
    }
    spawnSync('sleep', ['0.2']);
  }
}
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}
lock();
process.on('exit', () => rmSync(lockDir, { recursive: true, force: true }));

// 1. Dependencies.
const lockfile = join(root, 'package-lock.json');
const installed = join(root, 'node_modules', '.package-lock.json');
if (mtime(installed) < 0 || mtime(lockfile) > mtime(installed)) {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  if (run(npm, ['ci', '--no-audit', '--no-fund'], 'installing dependencies (npm ci)') !== 0) {
    say('npm ci failed; check the network access to the npm registry and run `npm ci` by hand to see why');
    process.exit(1);
  }
}

// 2. Host components.
if (args.has('--system')) {
  if (isRoot) {
    const code = run('bash', [join(root, 'scripts', 'install-system-packages.sh')], 'system packages');
    if (code !== 0) say(`installing system packages failed (exit ${code}); tests that need them will be skipped`);
  } else {
    reportSkippedHostTests();
  }
}

function onPath(bin) {
  return (process.env.PATH ?? '').split(':').some((d) => d && existsSync(join(d, bin)));
}

function reportSkippedHostTests() {
  const rows = [
    ['etcd storage backend tests', onPath('etcd') ? undefined : 'etcd is not installed (apt package etcd-server)'],
    ['containerd runtime tests', 'they need root (containerd, runc and CNI create namespaces and cgroups)'],
    ['pod networking and service routing tests', 'they need root (network namespaces, veth, bridges, nftables)'],
    ['process runtime isolation tests', 'they need root (cgroup limits, own network and mount namespaces)'],
  ].filter(([, why]) => why);
  say('not running as root: system packages are not installed, and these tests will be skipped:');
  for (const [what, why] of rows) say(`  - ${what}: ${why}`);
}

// 3. Build.
const dist = join(root, 'dist');
const stamp = join(dist, '.build-stamp');

function newestUnder(dir) {
  let newest = -1;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestUnder(p) : mtime(p));
  }
  return newest;
}

const inputs = Math.max(newestUnder(join(root, 'src')), mtime(join(root, 'tsconfig.json')), mtime(join(root, 'package.json')));
if (mtime(stamp) < 0 || inputs > mtime(stamp)) {
  const buildStarted = new Date();
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const started = Date.now();
  info('building dist/ (tsc) ...');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: root, encoding: 'utf8' });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  if (r.status === 2) {
    // Diagnostics present, outputs generated.
    const count = (output.match(/error TS\d+/g) ?? []).length;
    say(`build finished with ${count} type error(s); dist/ was emitted anyway:`);
    process.stderr.write(output.split('\n').slice(0, 40).join('\n') + '\n');
  } else if (r.status !== 0) {
    say(`build failed (tsc exit ${r.status ?? r.signal}):`);
    process.stderr.write(output + '\n');
    process.exit(1);
  }
  const copied = copyAssets(join(root, 'src'), dist);
  mkdirSync(dist, { recursive: true });
  writeFileSync(stamp, `${buildStarted.toISOString()}\n`);
  // The stamp carries the start time, so an edit made while tsc ran still counts as newer next time.
  utimesSync(stamp, buildStarted, buildStarted);
  info(`build: done in ${((Date.now() - started) / 1000).toFixed(1)} s${copied ? `, ${copied} asset(s) copied` : ''}`);
}

/** Copies every non-TypeScript file under src/ to dist/ when missing or older there. */
function copyAssets(from, to) {
  let n = 0;
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const src = join(from, entry.name);
    const dst = join(to, entry.name);
    if (entry.isDirectory()) {
      n += copyAssets(src, dst);
      continue;
    }
    if (/\.(m|c)?ts$/.test(entry.name)) continue;
    if (mtime(dst) >= mtime(src)) continue;
    mkdirSync(dirname(dst), { recursive: true });
    copyFileSync(src, dst);
    n++;
    if (!quiet && process.env.SKIFF_PREPARE_VERBOSE) say(`copied ${relative(root, src)}`);
  }
  return n;
}
