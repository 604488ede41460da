import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { LogRotator, planRotation, rotatedName } from '../../../src/agent/logs/rotation.js';
import { ProcessRuntime } from '../../../src/runtime/process/index.js';
import { containerConfig, sandboxConfig, until } from '../../runtime/process/support.js';

const now = new Date('2024-05-01T10:20:30Z');
const policy = { maxSizeBytes: 100, maxFiles: 5 };

test('rotated names carry a UTC stamp', () => {
  assert.equal(rotatedName('/l/app/0.log', now), '/l/app/0.log.20240501-102030');
});

test('planRotation: nothing below the size limit; otherwise rotate, trim to maxFiles, gzip all but the newest', () => {
  const cases: { name: string; size: number; siblings: string[]; policy?: typeof policy; want: ReturnType<typeof planRotation> }[] = [
    { name: 'small file', size: 99, siblings: ['0.log'], want: { remove: [], compress: [] } },
    { name: 'first rotation', size: 100, siblings: ['0.log'], want: { remove: [], compress: [], rotateTo: '/l/0.log.20240501-102030' } },
    {
      name: 'second rotation compresses the previous one',
      size: 500,
      siblings: ['0.log', '0.log.20240501-090000'],
      want: { remove: [], compress: ['/l/0.log.20240501-090000'], rotateTo: '/l/0.log.20240501-102030' },
    },
    {
      name: 'at the limit: the oldest go',
      size: 500,
      siblings: ['0.log', '0.log.20240501-070000.gz', '0.log.20240501-080000.gz', '0.log.20240501-085000.gz', '0.log.20240501-090000', '1.log', '0.log.tmp'],
      want: { remove: ['/l/0.log.20240501-070000.gz'], compress: ['/l/0.log.20240501-090000'], rotateTo: '/l/0.log.20240501-102030' },
    },
    {
      name: 'maxFiles 2 keeps only the current file and the one being rotated',
      size: 500,
      siblings: ['0.log', '0.log.20240501-090000'],
      policy: { maxSizeBytes: 100, maxFiles: 2 },
      want: { remove: ['/l/0.log.20240501-090000'], compress: [], rotateTo: '/l/0.log.20240501-102030' },
    },
    {
      name: 'same second as an earlier rotation',
      size: 500,
      siblings: ['0.log', '0.log.20240501-102030'],
      want: { remove: [], compress: ['/l/0.log.20240501-102030'], rotateTo: '/l/0.log.20240501-102031' },
    },
  ];
  for (const c of cases) assert.deepEqual(planRotation('/l/0.log', c.size, c.siblings, c.policy ?? policy, now), c.want, c.name);
});

test('LogRotator rotates a running container\'s log through the real process runtime', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-rotate-'));
  const rt = await ProcessRuntime.open({ stateDir: join(dir, 'state'), isolation: 'none' });
  t.after(async () => {
    await rt.cleanupAll();
    await rt.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const sbc = sandboxConfig(dir, 'rot');
  const sb = await rt.runPodSandbox(sbc);
  const id = await rt.createContainer(sb, containerConfig('app', ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo "line $i"; sleep 0.01; done']), sbc);
  await rt.startContainer(id);
  const logPath = (await rt.containerStatus(id))!.logPath;
  await until('log grows', () => existsSync(logPath) && statSync(logPath).size > 300);
  let clock = new Date('2024-05-01T10:00:00Z');
  const rotator = new LogRotator({ runtime: rt, policy: { maxSizeBytes: 200, maxFiles: 3 }, now: () => clock });
  for (let i = 0; i < 4; i++) {
    await until('log over the limit', () => statSync(logPath).size > 200);
    await rotator.runOnce();
    clock = new Date(clock.getTime() + 60_000);
  }
  const files = readdirSync(join(sbc.logDirectory, 'app')).sort();
  assert.equal(files.length, 3, files.join(' '));
  assert.deepEqual(files.map((f) => f.replace(/\d{8}-\d{6}/, 'STAMP')).sort(), ['0.log', '0.log.STAMP', '0.log.STAMP.gz']);
  // The runtime writes to the new file after reopening; the rotated ones hold earlier lines, the .gz is valid.
  await until('new file written', () => statSync(logPath).size > 0);
  const gz = gunzipSync(readFileSync(join(sbc.logDirectory, 'app', files.find((f) => f.endsWith('.gz'))!))).toString();
  assert.match(gz, /stdout F line \d+/);
  await rotator.stop();
});
