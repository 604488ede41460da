// A component worker entry for test/cli/sim-worker.test.ts: the real component worker (component-worker.ts),
// which exits with code 3 (a crash) once the file SKIFF_TEST_SIM_DIE_FILE appears, unless the marker
// SKIFF_TEST_SIM_DIED_MARKER says it already did: the supervisor then starts a worker that keeps running.
import { existsSync, writeFileSync } from 'node:fs';
import '../../src/cli/component-worker.js';

const trigger = process.env.SKIFF_TEST_SIM_DIE_FILE!;
const marker = process.env.SKIFF_TEST_SIM_DIED_MARKER!;
if (!existsSync(marker)) {
  setInterval(() => {
    if (!existsSync(trigger)) return;
    writeFileSync(marker, 'died once');
    process.exit(3);
  }, 50).unref();
}
