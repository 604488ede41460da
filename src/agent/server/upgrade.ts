// The upgrade half of the node server: exec, attach and portForward, over every transport kubectl 1.32 uses —
// WebSocket with the channel protocol (v5…v1), raw SPDY/3.1 (`Upgrade: SPDY/3.1` + X-Stream-Protocol-Version),
// and, for port-forward, SPDY tunnelled in WebSocket messages (`SPDY/3.1+portforward.k8s.io`). Chooses the
// protocol, answers 101 and hands the session to remote-command.ts / port-forward.ts with a runner bound to
// the runtime. Refusals before the upgrade are plain HTTP answers carrying a Status.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { Runtime, StreamSession } from '../../runtime/runtime.js';
import type { StatusReason } from '../../api/errors.js';
import {
  negotiateProtocol,
  portForwardProtocol,
  remoteCommandProtocols,
  spdyRemoteCommandProtocols,
  spdyTunnelPortForwardProtocol,
  type RemoteCommandProtocol,
} from '../../apiserver/streaming/channel-protocol.js';
import { serveRemoteCommandSpdy, serveRemoteCommandWebSocket, type CommandRunner } from '../../apiserver/streaming/remote-command.js';
import { servePortForwardSpdy } from '../../apiserver/streaming/port-forward.js';
import { parsePortsQuery, servePortForwardWebSocket, webSocketPortForwardProtocols } from '../../apiserver/streaming/port-forward-websocket.js';
import { SpdySession } from '../../apiserver/streaming/spdy-session.js';
import { rawHttpResponse } from '../../apiserver/streaming/http-status.js';
import { findInstances, pickSandbox } from './containers.js';
import { parseExecQuery, type AgentRoute, type ExecRequest } from './routes.js';

type StreamRoute = Extract<AgentRoute, { kind: 'exec' | 'attach' | 'portForward' }>;

export interface UpgradeContext {
  runtime: Runtime;
  log: (line: string) => void;
}

function headerList(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).flatMap((x) => x.split(',')).map((s) => s.trim()).filter(Boolean);
}

function refuse(socket: Duplex, code: number, reason: StatusReason, message: string): void {
  socket.end(rawHttpResponse(code, reason, message));
}

type Transport = { kind: 'websocket'; protocol: string } | { kind: 'spdy'; protocol: string };

/** Which transport and protocol to speak (pure): undefined when the client offers nothing we serve. */
export function chooseTransport(req: Pick<IncomingMessage, 'headers'>, forPortForward: boolean): Transport | undefined {
  const upgrade = String(req.headers['upgrade'] ?? '').toLowerCase();
  if (upgrade === 'websocket') {
    const offered = headerList(req.headers['sec-websocket-protocol']);
    const p = forPortForward ? negotiateProtocol(offered, [spdyTunnelPortForwardProtocol, ...webSocketPortForwardProtocols]) : negotiateProtocol(offered, remoteCommandProtocols);
    return p ? { kind: 'websocket', protocol: p } : undefined;
  }
  if (upgrade === 'spdy/3.1') {
    const offered = headerList(req.headers['x-stream-protocol-version']);
    const p = forPortForward ? negotiateProtocol(offered, [portForwardProtocol]) : negotiateProtocol(offered, spdyRemoteCommandProtocols);
    return p ? { kind: 'spdy', protocol: p } : undefined;
  }
  return undefined;
}

function acceptSpdy(socket: Duplex, protocol: string, head: Buffer): SpdySession {
  socket.write(['HTTP/1.1 101 Switching Protocols', 'Connection: Upgrade', 'Upgrade: SPDY/3.1', `X-Stream-Protocol-Version: ${protocol}`, '', ''].join('\r\n'));
  if (head.length) socket.unshift(head);
  return new SpdySession(socket);
}

async function acceptWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer, protocol: string): Promise<WebSocket> {
  // `ws` only accepts RFC 6455 token characters in Sec-WebSocket-Protocol, and kubectl's
  // "SPDY/3.1+portforward.k8s.io" has a '/': the protocol is already chosen, so show `ws` a placeholder
  // and answer with the real name.
  req.headers['sec-websocket-protocol'] = 'chosen';
  // `ws` is loaded on the first WebSocket stream: an idle agent does not carry it.
  const { WebSocketServer } = await import('ws');
  return new Promise((resolve) => {
    const wsServer = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 64 * 1024 * 1024, handleProtocols: () => protocol });
    wsServer.handleUpgrade(req, socket, head, (ws) => resolve(ws));
  });
}

export async function handleUpgrade(ctx: UpgradeContext, route: StreamRoute, req: IncomingMessage, socket: Duplex, head: Buffer, query: URLSearchParams): Promise<void> {
  socket.on('error', () => undefined);
  const transport = chooseTransport(req, route.kind === 'portForward');
  if (!transport) {
    return refuse(socket, 400, 'BadRequest', `unable to upgrade: no supported protocol among those offered for ${route.kind}`);
  }
  if (route.kind === 'portForward') {
    const sandbox = pickSandbox(await ctx.runtime.listPodSandboxes(), route.ref);
    if (!sandbox) return refuse(socket, 404, 'NotFound', `pod "${route.ref.pod}" not found`);
    const target = {
      connect: (port: number) => ctx.runtime.portForward(sandbox.id, port),
      describe: `${sandbox.id}, uid ${sandbox.uid}`,
      log: ctx.log,
    };
    if (transport.kind === 'websocket' && transport.protocol !== spdyTunnelPortForwardProtocol) {
      const ports = parsePortsQuery(query);
      if (typeof ports === 'string') return refuse(socket, 400, 'BadRequest', ports);
      const ws = await acceptWebSocket(req, socket, head, transport.protocol);
      servePortForwardWebSocket(ws, transport.protocol, ports, target);
      return;
    }
    // SPDY frames either straight on the socket or inside WebSocket binary messages (kubectl ≥ 1.31).
    const session =
      transport.kind === 'spdy'
        ? acceptSpdy(socket, transport.protocol, head)
        : new SpdySession((await import('ws')).createWebSocketStream(await acceptWebSocket(req, socket, head, transport.protocol)));
    servePortForwardSpdy(session, target);
    return;
  }

  const parsed = parseExecQuery(query, route.kind === 'exec');
  if ('error' in parsed) return refuse(socket, 400, 'BadRequest', parsed.error);
  const instances = await findInstances(ctx.runtime, route.ref, route.container);
  const container = instances[0];
  if (!container) return refuse(socket, 404, 'NotFound', `container "${route.container}" in pod "${route.ref.pod}" not found`);
  if (container.state !== 'running') {
    return refuse(socket, 400, 'BadRequest', `container ${route.container} is not running (state: ${container.state})`);
  }
  const run = runner(ctx, route.kind, container.id, parsed);
  if (transport.kind === 'websocket') {
    const ws = await acceptWebSocket(req, socket, head, transport.protocol);
    await serveRemoteCommandWebSocket(ws, transport.protocol as RemoteCommandProtocol, parsed, run);
  } else {
    const session = acceptSpdy(socket, transport.protocol, head);
    await serveRemoteCommandSpdy(session, transport.protocol as RemoteCommandProtocol, parsed, run);
  }
}

function runner(ctx: UpgradeContext, kind: 'exec' | 'attach', containerId: string, req: ExecRequest): CommandRunner {
  return async (io) => {
    const opts = { tty: io.tty, stdin: io.stdin, stdout: io.stdout, stderr: io.stderr };
    let session: StreamSession;
    try {
      session = kind === 'exec' ? await ctx.runtime.exec(containerId, req.command, opts) : await ctx.runtime.attach(containerId, opts);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      return { error: kind === 'exec' ? `failed to exec in container: ${msg}` : `failed to attach to container: ${msg}` };
    }
    io.onResize((s) => session.resize(s.width, s.height));
    const abort = () => session.close();
    io.signal.addEventListener('abort', abort);
    try {
      const { exitCode } = await session.done;
      return { exitCode, command: kind === 'exec' ? req.command : undefined };
    } finally {
      io.signal.removeEventListener('abort', abort);
    }
  };
}
