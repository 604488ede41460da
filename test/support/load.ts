// A bounded HTTP load generator on the host for zero-downtime e2e tests (rollouts, scale-downs).
import { request } from 'node:http';

export interface LoadResult {
  ok: number;
  failed: number;
  errors: Record<string, number>;
}

/**
 * Two workers send GETs from the host to 127.0.0.1:port (a NodePort), a new connection each, until stop.now
 * is set and at least `min` requests were sent, or `maxSeconds` pass. A non-200 answer or an error fails.
 */
export function hostLoad(port: number, min: number, maxSeconds: number, stop: { now: boolean }): Promise<LoadResult> {
  let ok = 0;
  let failed = 0;
  const errors: Record<string, number> = {};
  const end = Date.now() + maxSeconds * 1000;
  const one = () =>
    new Promise<void>((resolve) => {
      const q = request({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 5000 }, (s) => {
        s.resume();
        s.on('end', () => {
          if (s.statusCode === 200) ok++;
          else failed++;
          resolve();
        });
      });
      q.on('timeout', () => q.destroy(new Error('timeout')));
      q.on('error', (e: NodeJS.ErrnoException) => {
        failed++;
        errors[e.code ?? e.message] = (errors[e.code ?? e.message] ?? 0) + 1;
        resolve();
      });
      q.end();
    });
  const done = () => Date.now() > end || (ok + failed >= min && stop.now);
  return Promise.all([0, 1].map(async () => {
    while (!done()) await one();
  })).then(() => ({ ok, failed, errors }));
}
