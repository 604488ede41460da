// Object creates driven by wrk (a C HTTP load generator, apt's `wrk`): the load generator of the scheduler
// benchmark when wrk is installed. A Node HTTPS client costs the 2 shared cores about 0.2 ms per create, a large
// share of what the server itself spends per pod; wrk costs a fraction of that, as upstream's Go load generator
// does, and sends the same requests (HTTP/1.1 keep-alive over TLS, `concurrency` connections, bearer token).
// The bodies are written to a file, one JSON object per line, and the Lua script sends them in turn; every create
// must be answered 201, anything else fails the run.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { childrenCpuSeconds } from './_thread-cpu.js';

export interface WrkCreates {
  /** Creates answered 201 (at least the number of bodies). */
  created: number;
  /** wrk's own CPU seconds (user + system). */
  cpuSeconds: number;
}

/** Whether wrk is on PATH. */
export function wrkInstalled(): boolean {
  return spawnSync('sh', ['-c', 'command -v wrk']).status === 0;
}

/** The admin token of a `skiff up` data dir (upstream's token-auth-file format: token,user,uid,...). */
export function adminToken(dataDir: string): string {
  const line = readFileSync(join(dataDir, 'tokens.csv'), 'utf8')
    .split('\n')
    .find((l) => l && !l.startsWith('#'));
  if (!line) throw new Error(`${dataDir}/tokens.csv has no token`);
  return line.split(',')[0]!;
}

function luaString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * Creates at least as many objects as there are bodies (JSON text, one object each, its name "__NAME__") by POST
 * to `path`, with `concurrency` connections: request i sends body i (cycling) named namePrefix + i. wrk may drop
 * a request it has built (a TLS write that must be retried builds the next one), so it is stopped by answers,
 * not by requests: once bodies.length creates were answered 201. Up to `concurrency` more may have been sent
 * by then and be created too. Any other answer stops it and fails the run.
 */
export function wrkCreates(opts: { dataDir: string; port: number; path: string; bodies: string[]; namePrefix: string; concurrency: number; name: string }): Promise<WrkCreates> {
  const bodiesFile = join(opts.dataDir, `${opts.name}.bodies`);
  writeFileSync(bodiesFile, opts.bodies.join('\n') + '\n');
  const script = join(opts.dataDir, `${opts.name}.lua`);
  const headers = `{ ["Authorization"] = ${luaString(`Bearer ${adminToken(opts.dataDir)}`)}, ["Content-Type"] = "application/json" }`;
  writeFileSync(
    script,
    [
      'local bodies = {}',
      `local prefix = ${luaString(opts.namePrefix)}`,
      `for line in io.lines(${luaString(bodiesFile)}) do bodies[#bodies + 1] = line end`,
      'local threads = {}',
      'function setup(thread) threads[#threads + 1] = thread end',
      'local i = 0',
      'created = 0',
      'failed = 0',
      'firstFailure = ""',
      'finished = false',
      'function request()',
      '  i = i + 1',
      '  local body = string.gsub(bodies[((i - 1) % #bodies) + 1], "__NAME__", prefix .. i, 1)',
      `  return wrk.format("POST", ${luaString(opts.path)}, ${headers}, body)`,
      'end',
      'function response(status, hdrs, body)',
      '  if status == 201 then created = created + 1',
      '  else',
      '    failed = failed + 1',
      '    if firstFailure == "" then firstFailure = status .. " " .. string.sub(body, 1, 300) end',
      '  end',
      // wrk's main thread sleeps for the whole -d duration whatever its threads do: the line below tells this
      // process to end it with SIGINT (its summary and done() still run).
      '  if (created >= #bodies or failed > 0) and not finished then',
      '    finished = true',
      '    wrk.thread:stop()',
      '    io.write("WRK finished\\n")',
      '    io.stdout:flush()',
      '  end',
      'end',
      'function done(summary, latency, requests)',
      '  local t = threads[1]',
      '  io.write(string.format("WRK created=%d failed=%d first=%s\\n", t:get("created"), t:get("failed"), t:get("firstFailure")))',
      'end',
    ].join('\n'),
  );
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', ['-t1', `-c${opts.concurrency}`, '-d600s', '-s', script, `https://127.0.0.1:${opts.port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const cpu0 = childrenCpuSeconds();
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('WRK finished\n')) child.kill('SIGINT');
    });
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    // 'close': wrk has been waited for, so its CPU time is in this process's children's.
    child.on('close', (code) => {
      const m = /WRK created=(\d+) failed=(\d+) first=(.*)/.exec(out);
      if (code !== 0 || !m) return reject(new Error(`wrk failed (exit ${code}):\n${out}`));
      if (Number(m[2]) > 0) return reject(new Error(`wrk: ${m[2]} creates failed, the first: ${m[3]}`));
      resolve({ created: Number(m[1]), cpuSeconds: childrenCpuSeconds() - cpu0 });
    });
  });
}
