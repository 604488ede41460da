// Runs one control-plane component in a worker thread of the API server's process, so it has a core of its
// own instead of sharing the server's event loop (the scheduler's filtering and scoring and its informers'
// decoding ran on the thread that also serves every request). It stays an ordinary API client: its requests
// and its watches reach the server's request handling through a MessagePort (port-endpoint.ts); what needs a
// connection, the server's unix socket. The port's server side closes when the thread exits, which ends the
// worker's watches on the server. This side is the worker's supervisor: a worker that dies is started again after a second, as
// upstream's components are restarted by theirs.
import { MessageChannel, Worker, type WorkerOptions } from 'node:worker_threads';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { servePort } from '../client/port-endpoint.js';
import type { InProcessEndpoint } from '../client/in-process-transport.js';
import type { ComponentConnection } from './component-client.js';
import type { ComponentName, ComponentOptions, ComponentQuery, RunningComponent } from './component-starters.js';
import type { ComponentWorkerData, ToComponentWorker } from './component-worker.js';

export interface ComponentWorkerConfig {
  component: ComponentName;
  connection: ComponentConnection;
  /** The API server's in-process endpoint (ApiServer.inProcess). */
  endpoint: InProcessEndpoint;
  /** Read at each (re)start: a component may carry state over to its successor (the fleet's stats port). */
  options: ComponentOptions;
  log: (line: string) => void;
  /** Wait before starting a worker that died again. Default 1 s. */
  restartDelayMs?: number;
  /** How long a stopping component may take before its thread is terminated. Default 10 s. */
  stopTimeoutMs?: number;
  /** The worker's entry module. Default component-worker (tests give one that dies on purpose). */
  entry?: URL;
  /** Called each time a worker's component runs (again), with what it reports (RunningComponent.info). */
  onStarted?(info: RunningComponent['info']): void;
}

export interface ComponentWorker {
  /** Asks the running component (RunningComponent.answer); waits for a restart in progress. */
  query(q: ComponentQuery): Promise<unknown>;
  stop(): Promise<void>;
}

/** The entry module beside this one, as built (.js) or run from source (.ts). */
const defaultEntry = new URL(`./component-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/**
 * A worker thread running `entry`. Run from source (.ts, under tsx: tests), the thread registers tsx's module
 * hooks before importing it, because on Node 20 a worker does not inherit the hooks `--import tsx` installed.
 */
function spawnWorker(entry: URL, opts: WorkerOptions): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, opts);
  const api = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(code, { ...opts, eval: true });
}

interface Running {
  worker: Worker;
  /** Resolves when the thread has exited, however it ended. */
  exited: Promise<void>;
  query(q: ComponentQuery): Promise<unknown>;
  close(): void;
}

/** Starts the worker; resolves once the component runs, rejects when it failed to start. */
function launch(cfg: ComponentWorkerConfig, onUnexpectedExit: (code: number) => void): Promise<Running> {
  const { port1, port2 } = new MessageChannel();
  const served = servePort(port1, cfg.endpoint);
  const workerData: ComponentWorkerData = { component: cfg.component, connection: cfg.connection, options: cfg.options, port: port2 };
  const worker = spawnWorker(cfg.entry ?? defaultEntry, { workerData, transferList: [port2], name: cfg.component });
  let stopping = false;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  let nextQuery = 1;
  const queries = new Map<number, { resolve(a: unknown): void; reject(e: Error): void }>();
  const running: Running = {
    worker,
    exited,
    query: (query) =>
      new Promise((resolve, reject) => {
        const id = nextQuery++;
        queries.set(id, { resolve, reject });
        worker.postMessage({ type: 'query', id, query } satisfies ToComponentWorker);
      }),
    close: () => {
      stopping = true;
      served.close();
    },
  };
  return new Promise((resolve, reject) => {
    let started = false;
    worker.on('message', (m: { type: string; line?: string; message?: string; info?: RunningComponent['info']; id?: number; answer?: unknown; error?: string }) => {
      if (m.type === 'log') cfg.log(m.line ?? '');
      else if (m.type === 'answer') {
        const q = queries.get(m.id!);
        queries.delete(m.id!);
        if (m.error !== undefined) q?.reject(new Error(m.error));
        else q?.resolve(m.answer);
      } else if (m.type === 'started') {
        started = true;
        cfg.onStarted?.(m.info);
        resolve(running);
      } else if (m.type === 'failed') {
        running.close();
        void worker.terminate();
        reject(new Error(m.message));
      }
    });
    worker.on('error', (err) => cfg.log(`${cfg.component}: worker thread failed: ${err.message}`));
    worker.once('exit', (code) => {
      served.close();
      for (const q of queries.values()) q.reject(new Error(`${cfg.component}: the worker thread exited`));
      queries.clear();
      if (!started) reject(new Error(`${cfg.component}: worker thread exited with code ${code} before the component started`));
      else if (!stopping) onUnexpectedExit(code);
    });
  });
}

export async function startComponentWorker(cfg: ComponentWorkerConfig): Promise<ComponentWorker> {
  const restartDelayMs = cfg.restartDelayMs ?? 1000;
  let current: Running | undefined;
  let stopped = false;
  let restartTimer: NodeJS.Timeout | undefined;
  /** A restart in progress (stop waits for it, then stops what it started). */
  let restarting: Promise<void> | undefined;
  const restart = () => {
    restartTimer = undefined;
    if (stopped) return;
    restarting = launch(cfg, onUnexpectedExit).then(
      (r) => {
        current = r;
      },
      (err: unknown) => {
        cfg.log(`${cfg.component}: ${err instanceof Error ? err.message : String(err)}`);
        if (!stopped) restartTimer = setTimeout(restart, restartDelayMs);
      },
    );
  };
  const onUnexpectedExit = (code: number) => {
    current = undefined;
    cfg.log(`${cfg.component}: worker thread exited unexpectedly (code ${code}); starting it again`);
    restartTimer = setTimeout(restart, restartDelayMs);
  };
  const shutDown = async (r: Running): Promise<void> => {
    const done = new Promise<void>((resolve) => {
      r.worker.on('message', (m: { type: string }) => {
        if (m.type === 'stopped') resolve();
      });
      void r.exited.then(resolve);
    });
    r.worker.postMessage({ type: 'stop' });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise<void>((resolve) => (timer = setTimeout(resolve, cfg.stopTimeoutMs ?? 10_000)))]);
    clearTimeout(timer);
    r.close();
    await r.worker.terminate();
  };
  current = await launch(cfg, onUnexpectedExit);
  return {
    query: async (q) => {
      if (!current && !stopped) await restarting;
      if (!current) throw new Error(`${cfg.component}: ${stopped ? 'stopped' : 'its worker thread is restarting'}`);
      return current.query(q);
    },
    stop: async () => {
      stopped = true;
      clearTimeout(restartTimer);
      await restarting;
      const r = current;
      current = undefined;
      if (r) await shutDown(r);
    },
  };
}
