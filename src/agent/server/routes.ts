// The node server's URL space, as the kubelet's: what a path and query ask for. Pure.
//   GET  /healthz                                   ok
//   GET  /pods                                      PodList of what the runtime holds
//   GET  /stats/summary                             Summary API (stats/v1alpha1)
//   GET  /containerLogs/{ns}/{pod}/{container}      CRI log of a container (query: follow, previous, …)
//   GET|POST /exec/{ns}/{pod}[/{uid}]/{container}   upgrade; ?command=…&stdin&stdout&stderr&tty
//   GET|POST /attach/{ns}/{pod}[/{uid}]/{container} upgrade
//   GET|POST /portForward/{ns}/{pod}[/{uid}]        upgrade; ports travel in stream headers

export interface PodRef {
  namespace: string;
  pod: string;
  uid?: string;
}

export type AgentRoute =
  | { kind: 'healthz' }
  | { kind: 'pods' }
  | { kind: 'statsSummary' }
  | { kind: 'containerLogs'; ref: PodRef; container: string }
  | { kind: 'exec' | 'attach'; ref: PodRef; container: string }
  | { kind: 'portForward'; ref: PodRef }
  | { kind: 'notFound' };

export function parseAgentRoute(pathname: string): AgentRoute {
  const parts: string[] = [];
  for (const p of pathname.split('/')) {
    if (!p) continue;
    try {
      parts.push(decodeURIComponent(p));
    } catch {
      return { kind: 'notFound' };
    }
  }
  const [head, ...rest] = parts;
  switch (head) {
    case 'healthz':
      return rest.length === 0 ? { kind: 'healthz' } : { kind: 'notFound' };
    case 'pods':
      return rest.length === 0 ? { kind: 'pods' } : { kind: 'notFound' };
    case 'stats':
      return rest.length === 1 && rest[0] === 'summary' ? { kind: 'statsSummary' } : { kind: 'notFound' };
    case 'containerLogs':
      return rest.length === 3 ? { kind: 'containerLogs', ref: { namespace: rest[0]!, pod: rest[1]! }, container: rest[2]! } : { kind: 'notFound' };
    case 'exec':
    case 'attach':
      if (rest.length === 3) return { kind: head, ref: { namespace: rest[0]!, pod: rest[1]! }, container: rest[2]! };
      if (rest.length === 4) return { kind: head, ref: { namespace: rest[0]!, pod: rest[1]!, uid: rest[2]! }, container: rest[3]! };
      return { kind: 'notFound' };
    case 'portForward':
      if (rest.length === 2) return { kind: 'portForward', ref: { namespace: rest[0]!, pod: rest[1]! } };
      if (rest.length === 3) return { kind: 'portForward', ref: { namespace: rest[0]!, pod: rest[1]!, uid: rest[2]! } };
      return { kind: 'notFound' };
    default:
      return { kind: 'notFound' };
  }
}

export interface ExecRequest {
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** The exec/attach query as upstream's kubelet reads it (stderr is dropped with a TTY). */
export function parseExecQuery(q: URLSearchParams, needCommand: boolean): ExecRequest | { error: string } {
  const bool = (n: string) => q.get(n) === 'true' || q.get(n) === '1';
  const tty = bool('tty');
  const req: ExecRequest = { command: q.getAll('command'), stdin: bool('stdin'), stdout: bool('stdout'), stderr: bool('stderr') && !tty, tty };
  if (!req.stdin && !req.stdout && !req.stderr) return { error: 'you must specify at least 1 of stdin, stdout, stderr' };
  if (needCommand && req.command.length === 0) return { error: 'you must specify a command' };
  return req;
}
