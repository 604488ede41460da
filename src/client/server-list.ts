// Several API servers for one cluster (servers on one etcd): parsing a `--server` value that lists them, and
// running a one-off request (such as the agent's join) against the first one that answers. The ApiClient's
// transport fails over along ClientConfig.servers by itself; this is for callers outside it. No I/O of its own.

/** Connection failures that say "this server is not reachable", so the next one is worth trying. */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNABORTED']);

export function isUnreachable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; kind?: unknown } | undefined;
  if (e?.kind === 'connect') return true; // TransportError
  if (typeof e?.code === 'string' && UNREACHABLE_CODES.has(e.code)) return true;
  return typeof e?.message === 'string' && /^(timed out|socket hang up)$/.test(e.message);
}

/** `https://a:6443` or `https://a:6443,https://b:6443` → the URLs, each checked, without repeats. */
export function parseServerList(value: string): string[] {
  const out: string[] = [];
  for (const raw of value.split(',')) {
    const s = raw.trim().replace(/\/+$/, '');
    if (s === '') continue;
    let url: URL;
    try {
      url = new URL(s);
    } catch {
      throw new Error(`${s} is not a URL (want https://HOST:PORT)`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`${s} is not an http(s) URL (want https://HOST:PORT)`);
    if (!out.includes(s)) out.push(s);
  }
  if (out.length === 0) throw new Error('no server given (want https://HOST:PORT[,https://HOST:PORT...])');
  return out;
}

/**
 * `attempt` on each server in order until one answers; a server that cannot be reached is skipped, any other
 * failure (the server answered "no") is final. Rejects with the last unreachable error when none answers.
 */
export async function firstReachable<T>(servers: readonly string[], attempt: (server: string) => Promise<T>): Promise<T> {
  let last: unknown = new Error('no servers');
  for (const server of servers) {
    try {
      return await attempt(server);
    } catch (err) {
      if (!isUnreachable(err)) throw err;
      last = err;
    }
  }
  throw last;
}
