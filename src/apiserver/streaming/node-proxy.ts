// The API server's side of pods/log, pods/exec, pods/attach, pods/portforward and nodes/proxy: resolve the
// pod (or node) to its node agent's server (src/agent/endpoint.ts) and forward the request there with the
// API server's kubelet-client certificate, as upstream's UpgradeAwareProxy does. Plain requests (logs, node
// proxy) are re-issued and their responses streamed back; upgrade requests (exec, attach, port-forward over
// WebSocket or SPDY) are tunnelled: after the request line and headers are re-sent, bytes flow unchanged in
// both directions and the agent speaks the protocol. Every refusal is a Status.
import { request as httpsRequest } from 'node:https';
import { connect as tlsConnect, createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { StatusError, errors, type StatusReason } from '../../api/errors.js';
import { nodeAgentUrl } from '../../agent/endpoint.js';
import type { ResourceRequestInfo } from '../request-info.js';
import type { RestDeps } from '../rest/types.js';
import { rawStatusResponse } from './http-status.js';
import { nodeProxyLocation, podStreamLocation, type AgentLocation, type PodStreamSubresource } from './location.js';

/** The API server's client certificate for node agents (upstream's --kubelet-client-certificate/key). */
export interface KubeletClientCredentials {
  cert: string;
  key: string;
  /** When set, agents' serving certificates must chain to it (upstream's --kubelet-certificate-authority). */
  ca?: string;
}

const podSubresources = new Set<string>(['log', 'exec', 'attach', 'portforward']);

/** Whether this request is one the streaming proxy serves. */
export function isStreamingRequest(info: ResourceRequestInfo): boolean {
  if (info.group !== '' || !info.name) return false;
  if (info.resource === 'pods') return podSubresources.has(info.subresource);
  return info.resource === 'nodes' && info.subresource === 'proxy';
}

/** Request headers never forwarded to the agent: the client's credentials and per-hop headers. */
const dropHeaders = new Set(['authorization', 'host', 'proxy-connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'impersonate-user', 'impersonate-group']);

interface Target {
  base: URL;
  location: AgentLocation;
}

export class StreamingProxy {
  /** TLS sessions per agent, so each tunnelled exec resumes instead of doing a full handshake. */
  private readonly sessions = new Map<string, Buffer>();
  /** Open tunnels (client side); upgraded sockets are no longer the HTTP server's to close. */
  private readonly tunnels = new Set<Duplex>();

  constructor(
    private readonly deps: RestDeps,
    private readonly creds: KubeletClientCredentials | undefined,
    private readonly log: (line: string) => void,
  ) {}

  /** Resolves the target, or undefined for a request answered with nothing (log of an unscheduled pod). */
  private async target(info: ResourceRequestInfo, url: URL): Promise<Target | undefined> {
    if (!this.creds) throw errors.unavailable('this server has no client certificate for node agents');
    if (info.resource === 'nodes') {
      const node = await this.node(info.name);
      if (!node) throw errors.notFound('', 'nodes', info.name);
      return { base: this.agentBase(node), location: nodeProxyLocation(url.pathname, url.searchParams) };
    }
    const podType = this.deps.registry.lookup('', 'v1', 'pods')!;
    const pod = (await this.deps.storage.get(podType, info.namespace, info.name)) as Pod | undefined;
    if (!pod) throw errors.notFound('', 'pods', info.name);
    const location = podStreamLocation(pod, info.subresource as PodStreamSubresource, url.searchParams);
    if (!location) return undefined;
    const nodeName = pod.spec!.nodeName!;
    const node = await this.node(nodeName);
    if (!node) throw errors.unavailable(`node "${nodeName}" of pod ${info.name} is not registered`);
    return { base: this.agentBase(node), location };
  }

  private async node(name: string): Promise<Node | undefined> {
    const nodeType = this.deps.registry.lookup('', 'v1', 'nodes')!;
    return (await this.deps.storage.get(nodeType, '', name)) as Node | undefined;
  }

  private agentBase(node: Node): URL {
    const u = nodeAgentUrl(node);
    if (!u) throw errors.unavailable(`no preferred addresses found for node "${node.metadata?.name}": it reports no agent endpoint`);
    return new URL(u);
  }

  private secureContext: SecureContext | undefined;

  private tlsOptions() {
    const c = this.creds!;
    // One context for every connection to an agent (built per connection, it parses the CA, certificate and
    // key again: ~1.5 ms of CPU on each exec, attach, port-forward and log request).
    this.secureContext ??= createSecureContext({ cert: c.cert, key: c.key, ...(c.ca ? { ca: c.ca } : {}) });
    return {
      secureContext: this.secureContext,
      cert: c.cert,
      key: c.key,
      ...(c.ca ? { ca: c.ca, rejectUnauthorized: true } : { rejectUnauthorized: false }),
      // Agents are addressed by IP or by the loopback endpoint; their certificate is checked against the CA
      // (when configured), not against the name used to dial.
      checkServerIdentity: () => undefined,
    };
  }

  /** Plain HTTP: logs (streamed, also when following) and the node proxy. */
  async serve(req: IncomingMessage, res: ServerResponse, info: ResourceRequestInfo, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const isNodeProxy = info.resource === 'nodes';
    if (!isNodeProxy && info.subresource !== 'log') {
      req.resume();
      throw errors.badRequest('Upgrade request required');
    }
    if (!isNodeProxy && method !== 'GET') throw errors.methodNotAllowed(`${method} is not supported on pods/log`);
    const target = await this.target(info, url);
    if (!target) {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end();
      return;
    }
    const agentUrl = agentRequestUrl(target);
    const headers: Record<string, string | string[]> = {};
    if (isNodeProxy) {
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !dropHeaders.has(k) && k !== 'connection' && k !== 'upgrade') headers[k] = v;
    }
    await new Promise<void>((resolve, reject) => {
      const upstream = httpsRequest(agentUrl, { method: isNodeProxy ? method : 'GET', headers, ...this.tlsOptions() }, (ares) => {
        const code = ares.statusCode ?? 502;
        if (!isNodeProxy && (code < 200 || code >= 300)) {
          // The agent's refusal becomes the client's Status (upstream's generic response checker).
          collect(ares).then((body) => {
            reject(agentError(code, body));
          }, reject);
          return;
        }
        const out: Record<string, string | string[]> = {};
        if (isNodeProxy) {
          for (const [k, v] of Object.entries(ares.headers)) if (v !== undefined && !dropHeaders.has(k) && k !== 'connection') out[k] = v;
        } else {
          out['Content-Type'] = 'text/plain';
          out['Cache-Control'] = 'no-cache, private';
        }
        res.writeHead(code, out);
        res.flushHeaders();
        ares.pipe(res);
        ares.on('end', resolve);
        ares.on('error', () => {
          res.destroy();
          resolve();
        });
      });
      upstream.on('error', (err) => {
        if (res.headersSent) {
          res.destroy();
          resolve();
        } else reject(errors.unavailable(`${req.method ?? 'GET'} "${agentUrl}": ${err.message}`));
      });
      // The client went away (kubectl logs -f interrupted): stop reading from the agent.
      res.on('close', () => upstream.destroy());
      if (isNodeProxy) req.pipe(upstream);
      else {
        req.resume();
        upstream.end();
      }
    });
  }

  /** Ends every open tunnel (server shutdown). */
  close(): void {
    for (const s of this.tunnels) s.destroy();
    this.tunnels.clear();
  }

  /** Upgrade requests: tunnel the connection to the agent once the target is known to be valid. */
  async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, info: ResourceRequestInfo, url: URL): Promise<void> {
    this.tunnels.add(socket);
    socket.on('close', () => this.tunnels.delete(socket));
    let target: Target | undefined;
    try {
      if (info.resource === 'pods' && info.subresource === 'log') throw errors.badRequest('pods/log does not upgrade');
      target = await this.target(info, url);
      if (!target) throw errors.badRequest(`pod ${info.name} does not have a host assigned`);
    } catch (err) {
      socket.end(rawStatusResponse(err instanceof StatusError ? err : errors.internal(String(err))));
      return;
    }
    const agentUrl = agentRequestUrl(target);
    const u = new URL(agentUrl);
    const lines = [`${req.method ?? 'GET'} ${u.pathname}${u.search} HTTP/1.1`, `Host: ${u.host}`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i]!;
      if (dropHeaders.has(name.toLowerCase())) continue;
      lines.push(`${name}: ${req.rawHeaders[i + 1]}`);
    }
    const upstream: TLSSocket = tlsConnect({ host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 443), session: this.sessions.get(u.host), ...this.tlsOptions() });
    upstream.on('session', (session: Buffer) => {
      if (this.sessions.size > 1000) this.sessions.clear();
      this.sessions.set(u.host, session);
    });
    let connected = false;
    upstream.once('secureConnect', () => {
      connected = true;
      upstream.write(lines.join('\r\n') + '\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.setNoDelay(true);
    upstream.on('error', (err) => {
      if (!connected) {
        socket.end(rawStatusResponse(errors.unavailable(`error dialing backend: ${err.message}`)));
      } else socket.destroy();
      this.log(`streaming proxy to ${u.host}: ${err.message}`);
    });
    socket.on('error', () => upstream.destroy());
    socket.on('close', () => upstream.destroy());
    upstream.on('close', () => socket.destroy());
  }
}

function agentRequestUrl(t: Target): string {
  const q = t.location.query.toString();
  return `${t.base.origin}${t.location.path}${q ? `?${q}` : ''}`;
}

function collect(s: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
  });
}

const reasonByCode: Record<number, StatusReason> = { 400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed', 409: 'Conflict', 429: 'TooManyRequests', 503: 'ServiceUnavailable', 504: 'Timeout' };

/** An agent's error answer as a StatusError: its own Status when it sent one, else its text. */
export function agentError(code: number, body: Buffer): StatusError {
  try {
    const st = JSON.parse(body.toString()) as { kind?: string; message?: string; reason?: StatusReason; details?: Record<string, unknown> };
    if (st.kind === 'Status' && typeof st.message === 'string') return new StatusError(code, st.reason ?? reasonByCode[code] ?? 'InternalError', st.message, st.details);
  } catch {
    // not JSON: the text is the message
  }
  return new StatusError(code, reasonByCode[code] ?? 'InternalError', body.toString().trim() || `the node agent answered ${code}`);
}
