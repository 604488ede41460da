// The HTTPS API server. The pipeline reads top to bottom: authenticate → route (health, version, discovery,
// OpenAPI, resources) → authorize → read and decode body → REST handler → shape and encode the response.
// Every failure a client can cause leaves as a Kubernetes Status with the right code; an unexpected error is
// logged and answered 500 without taking the process down.
import { createServer as createHttpsServer, type Server } from 'node:https';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { chmodSync, rmSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { parse as parseYaml } from 'yaml';
import { yamlNestingExceeds } from './yaml-depth.js';
import type { Store } from '../storage/store.js';
import { startCompactor } from '../storage/compactor.js';
import { errors, StatusError } from '../api/errors.js';
import type { ResourceType } from '../api/resource.js';
import type { KubeObject } from '../api/types.js';
import { builtinResources } from '../api/kinds/index.js';
import { SchemaRegistry } from '../api/schema/registry.js';
import type { Authenticator, UserInfo } from './auth/authn.js';
import type { NodeBootstrap } from './auth/node-bootstrap.js';
import { AllowAllAuthorizer, forbiddenMessage, type Authorizer } from './auth/authz.js';
import { decodeProtobufObject } from './protobuf.js';
import { parseRequestInfo, parseRequestTarget, type RequestTarget, type ResourceRequestInfo } from './request-info.js';
import { bodyFormat, negotiate, wantsAggregatedDiscovery, type Negotiated } from './negotiation.js';
import { ResourceRegistry } from './resource-registry.js';
import { ObjectStorage } from './object-storage.js';
import { Discovery } from './discovery.js';
import { OpenApi } from './openapi-handler.js';
import { Admission } from './admission/admission.js';
import { priorityPlugin } from './admission/priority.js';
import { defaultTolerationsPlugin } from './admission/default-tolerations.js';
import { defaultAllocatorConfig, serviceIpPlugin } from './admission/service-ip.js';
import { limitRangerPlugin } from './admission/limit-range.js';
import { resourceQuotaPlugin } from './admission/resource-quota.js';
import { serviceAccountPlugin } from './admission/service-account.js';
import { defaultStorageClassPlugin } from './admission/default-storage-class.js';
import { encode, includeObjectOf, shapeResponse } from './render.js';
import { create } from './rest/create.js';
import { get, list } from './rest/read.js';
import { update } from './rest/update.js';
import { patch } from './rest/patch.js';
import { deleteCollection, deleteOne } from './rest/delete.js';
import { getScale, writeScale } from './rest/scale.js';
import { isReview, review } from './rest/reviews.js';
import { bind, connect, evict, finalizeNamespace } from './rest/subresources.js';
import { serveWatch, defaultWatchSettings, httpWatchSink, type WatchSettings, type WatchSink } from './rest/watch.js';
import type { RestDeps, RestRequest, RestResponse } from './rest/types.js';
import { CrdManager } from './crd-manager.js';
import { bootstrap } from './bootstrap.js';
import { ServiceAccountTokens } from './auth/service-accounts.js';
import { requestToken } from './rest/token-request.js';
import { reviewToken } from './rest/token-review.js';
import { serverVersion } from './version.js';
import { StreamingProxy, isStreamingRequest, type KubeletClientCredentials } from './streaming/node-proxy.js';
import { rawStatusResponse } from './streaming/http-status.js';
import { MetricsApi, metricsResourceTypes, type MetricsApiOptions } from '../metrics/api.js';
// The in-process endpoint's shapes are the in-process transport's (src/client/in-process-transport.ts).
import type { InProcessEndpoint, InProcessRequest as LocalRequest, InProcessResponse as LocalResponse, InProcessStreamSink } from '../client/in-process-transport.js';

export interface ApiServerOptions {
  store: Store;
  /** 0 = ephemeral. */
  port: number;
  /** Default "0.0.0.0". */
  host?: string;
  tls: { key: string; cert: string; ca: string };
  authenticator: Authenticator;
  authorizer?: Authorizer;
  log?: (line: string) => void;
  watch?: Partial<WatchSettings>;
  /**
   * Also serve plain HTTP on this unix socket for the server's own components (controllers, scheduler):
   * no TLS cost; every request on it is the control plane itself. The socket file is made mode 0600.
   */
  localSocket?: { path: string; user: UserInfo };
  /** Events each resource's watch cache keeps for resuming watches (default 10,000). */
  watchCacheCapacity?: number;
  /**
   * Whether the watch cache can prove it has caught up with the store (true for SQLite, whose commits notify
   * in process). When false (etcd), GETs and lists without a resourceVersion read the store, as upstream does
   * without consistent-list-from-cache.
   */
  consistentCacheReads?: boolean;
  /** Address the `kubernetes` Service's endpoints point at (default: the host's first IPv4 address). */
  advertiseAddress?: string;
  /** Service ClusterIP range (--service-cidr, default 10.43.0.0/16): allocation and the `kubernetes` Service. */
  serviceCidr?: string;
  /** History compaction interval (upstream default 5 minutes); 0 disables it. */
  compactionIntervalMs?: number;
  /** Client certificate for node agents (logs, exec, attach, port-forward, node proxy); absent = those answer 503. */
  kubeletClient?: KubeletClientCredentials;
  /** metrics.k8s.io / custom / external metrics served in process; `scrape` enables the node collector. */
  metrics?: MetricsApiOptions;
  /** Join-token bootstrap for nodes joining (answered before authentication; see auth/node-bootstrap.ts). */
  nodeBootstrap?: NodeBootstrap;
}

export interface ApiServer {
  url: string;
  port: number;
  /** In-process access for components that run inside the server process. */
  deps: RestDeps;
  /**
   * With `localSocket`: requests from components in this process (src/client/in-process-transport.ts), served
   * as the socket's identity through the same routing, authorization, admission, validation and storage, with
   * no HTTP and no socket; their watches too (the same watch code, writing into the component's stream).
   */
  inProcess?: InProcessEndpoint;
  /** The in-process metrics APIs (snapshot, scrapeNow). */
  metrics?: MetricsApi;
  close(): Promise<void>;
}

/** The host's first non-internal IPv4 address, or loopback on a host without one. */
function defaultAdvertiseAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

const connectSubresources = new Set(['log', 'exec', 'attach', 'portforward', 'proxy']);

/** Upstream's request body limit (3 MiB). */
export const maxBodyBytes = 3 * 1024 * 1024;
/** Nesting deeper than this is refused before any recursive processing. */
export const maxJsonDepth = 1000;

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const log = opts.log ?? (() => {});
  const registry = new ResourceRegistry([...builtinResources(), ...metricsResourceTypes()]);
  const schemas = new SchemaRegistry();
  const storage = new ObjectStorage(opts.store, { historyCapacity: opts.watchCacheCapacity, consistentCacheReads: opts.consistentCacheReads ?? true });
  const admission = new Admission();
  admission.register(priorityPlugin(registry, storage));
  admission.register(defaultTolerationsPlugin());
  admission.register(serviceAccountPlugin(registry, storage));
  admission.register(defaultStorageClassPlugin(registry, storage));
  admission.register(serviceIpPlugin(registry, storage, defaultAllocatorConfig(opts.serviceCidr)));
  // LimitRanger's defaults must be in place before quota is charged.
  admission.register(limitRangerPlugin(registry, storage));
  admission.register(resourceQuotaPlugin(registry, storage));
  const deps: RestDeps = { registry, schemas, storage, admission };
  const serviceAccounts = await ServiceAccountTokens.start(opts.store, storage, registry, { log });
  const metrics = new MetricsApi({ registry, storage }, opts.metrics ?? {}, log);
  const authorizer = opts.authorizer ?? new AllowAllAuthorizer();
  const discovery = new Discovery(registry);
  const openapi = new OpenApi(registry, schemas);
  const watchSettings: WatchSettings = { ...defaultWatchSettings, ...opts.watch };
  const crds = new CrdManager(deps, log);
  const compactor =
    opts.compactionIntervalMs === 0
      ? undefined
      : startCompactor(opts.store, { intervalMs: opts.compactionIntervalMs, onError: (err) => log(`compaction failed: ${String(err)}`) });
  let ready = false;
  const streaming = new StreamingProxy(deps, opts.kubeletClient, log);

  const handler = new RequestHandler({ deps, authorizer, discovery, openapi, watchSettings, log, isReady: () => ready, streaming, authenticator: serviceAccounts.withServiceAccountTokens(opts.authenticator), serviceAccounts, metrics, nodeBootstrap: opts.nodeBootstrap });
  const server: Server = createHttpsServer(
    { key: opts.tls.key, cert: opts.tls.cert, ca: opts.tls.ca, requestCert: true, rejectUnauthorized: false },
    (req, res) => void handler.handle(req, res),
  );
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 70_000;
  server.requestTimeout = 0; // watches and log streams are long-lived
  // exec, attach and port-forward upgrade the connection (WebSocket or SPDY) and are tunnelled to the node.
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void handler.handleUpgrade(req, socket, head));
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const local = opts.localSocket ? await listenLocal(opts.localSocket, handler) : undefined;
  let closed = false;
  const localUser = opts.localSocket?.user;
  // Each in-process request waits for the event loop's next turn first: a component that loops over requests
  // answered from memory would otherwise run on microtasks alone and starve every socket of the process.
  const nextTurn = <T>(serve: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) =>
      setImmediate(() => {
        if (closed) reject(Object.assign(new Error('the API server is closed'), { code: 'ECONNREFUSED' }));
        else serve().then(resolve, reject);
      }),
    );
  const inProcess: InProcessEndpoint | undefined = localUser && {
    serve: (req) => nextTurn(() => handler.serveLocal(req, localUser)),
    stream: (req, sink) => nextTurn(() => handler.serveLocalStream(req, localUser, sink)),
  };
  const port = (server.address() as AddressInfo).port;

  try {
    // Every watch cache starts with the server (as upstream), so a watch that follows any list finds history.
    await Promise.all(registry.all().filter((rt) => rt.storagePrefix !== '').map((rt) => storage.cache(rt)));
    await crds.start();
    await metrics.start();
    await bootstrap(deps, { advertise: { address: opts.advertiseAddress ?? defaultAdvertiseAddress(), port }, serviceCidr: opts.serviceCidr });
    ready = true;
  } catch (err) {
    compactor?.stop();
    server.close();
    throw err;
  }

  return {
    url: `https://127.0.0.1:${port}`,
    port,
    deps,
    metrics,
    ...(inProcess ? { inProcess } : {}),
    close: async () => {
      ready = false;
      closed = true;
      metrics.stop();
      compactor?.stop();
      crds.stop();
      streaming.close();
      storage.close();
      server.closeAllConnections();
      local?.closeAllConnections();
      await Promise.all([
        new Promise<void>((resolve) => server.close(() => resolve())),
        local ? new Promise<void>((resolve) => local.close(() => resolve())) : undefined,
      ]);
    },
  };
}

/** The control plane's own plain-HTTP endpoint on a unix socket, answering as a fixed identity. */
async function listenLocal(sock: { path: string; user: UserInfo }, handler: RequestHandler): Promise<HttpServer> {
  rmSync(sock.path, { force: true });
  const local = handler.withAuthenticator({ authenticate: () => sock.user });
  const server = createHttpServer((req, res) => void local.handle(req, res));
  server.keepAliveTimeout = 65_000;
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(sock.path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(sock.path, 0o600);
  return server;
}

interface HandlerContext {
  deps: RestDeps;
  authenticator: Authenticator;
  authorizer: Authorizer;
  discovery: Discovery;
  openapi: OpenApi;
  watchSettings: WatchSettings;
  log: (line: string) => void;
  isReady: () => boolean;
  streaming: StreamingProxy;
  serviceAccounts: ServiceAccountTokens;
  metrics: MetricsApi;
  nodeBootstrap?: NodeBootstrap;
}

class RequestHandler {
  constructor(private readonly ctx: HandlerContext) {}

  withAuthenticator(authenticator: Authenticator): RequestHandler {
    return new RequestHandler({ ...this.ctx, authenticator });
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const target = parseRequestTarget(req.url ?? '/');
      if (this.ctx.nodeBootstrap?.handles(target.path)) return await this.ctx.nodeBootstrap.handle(req, res);
      const user = this.ctx.authenticator.authenticate(req);
      if (!user) {
        drain(req);
        throw errors.unauthorized();
      }
      await this.route(httpExchange(req, res, target), res, user);
    } catch (err) {
      this.fail(res, err, `${req.method} ${req.url}`);
    }
  }

  /** A request from a component in this process, answered as `user` by the same route as over HTTP. */
  async serveLocal(req: LocalRequest, user: UserInfo): Promise<LocalResponse | undefined> {
    const reply = new LocalReply(req.bodyUnused === true);
    try {
      await this.route(localExchange(req), reply, user);
    } catch (err) {
      if (err === needsConnection) return undefined;
      this.fail(reply, err, `${req.method} ${req.path}`);
    }
    return reply.response();
  }

  /**
   * A streamed request (a watch) from a component in this process, as `user` by the same route as over HTTP:
   * 'stream' once its lines go to `out`, else the answer (an error before the stream started) or undefined
   * (it needs a connection). A failure after the start cuts the stream, as a reset connection over HTTP.
   */
  async serveLocalStream(req: LocalRequest, user: UserInfo, out: InProcessStreamSink): Promise<LocalResponse | 'stream' | undefined> {
    const reply = new LocalReply(false);
    const watch = localWatchSink(out);
    try {
      await this.route(localExchange(req, watch), reply, user);
    } catch (err) {
      if (err === needsConnection) return undefined;
      if (!watch.opened) this.fail(reply, err, `${req.method} ${req.path}`);
      else {
        this.ctx.log(`internal error on ${req.method} ${req.path}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        out.end(err instanceof Error ? err.message : String(err));
      }
    }
    return watch.opened ? 'stream' : reply.response();
  }

  /** An upgrade request: authenticate and authorize as any request, then hand the socket to the streaming proxy. */
  async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    try {
      const url = new URL(req.url ?? '/', 'https://localhost');
      const user = this.ctx.authenticator.authenticate(req);
      if (!user) throw errors.unauthorized();
      const info = parseRequestInfo(req.method ?? 'GET', url.pathname, url.searchParams);
      if (!info.isResourceRequest || !isStreamingRequest(info)) throw errors.badRequest(`${url.pathname} does not support upgrade requests`);
      const decision = this.ctx.authorizer.authorize(user, { verb: info.verb, apiGroup: info.group, resource: info.resource, subresource: info.subresource, namespace: info.namespace || undefined, name: info.name });
      if (!decision.allowed) throw errors.forbidden(forbiddenMessage(user, { verb: info.verb, apiGroup: info.group, resource: info.resource, namespace: info.namespace, name: info.name }, decision.reason));
      await this.ctx.streaming.upgrade(req, socket, head, info, url);
    } catch (err) {
      const st = err instanceof StatusError ? err : errors.internal(err instanceof Error ? err.message : String(err));
      if (!(err instanceof StatusError)) this.ctx.log(`internal error on upgrade ${req.method} ${req.url}: ${String(err)}`);
      if (socket.writable) socket.end(rawStatusResponse(st));
      else socket.destroy();
    }
  }

  private fail(res: Responder, err: unknown, what: string): void {
    let st: StatusError;
    if (err instanceof StatusError) st = err;
    else {
      this.ctx.log(`internal error on ${what}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      st = errors.internal(err instanceof Error ? err.message : String(err));
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendJson(res, st.code, JSON.stringify(st.toStatus()));
  }

  /**
   * Everything after authentication, for HTTP and in-process requests alike. Not async: the resource request's
   * promise is returned as it is (an async function would wrap it in one more), and a throw reaches the
   * caller's try as a rejection would.
   */
  private route(req: Exchange, res: Responder, user: UserInfo): Promise<void> | void {
    const { path, query } = req.target;
    if (this.ctx.nodeBootstrap?.handles(path)) throw needsConnection;
    const method = req.method;

    switch (path) {
      case '/healthz':
      case '/livez':
        return sendText(res, 200, 'ok');
      case '/readyz':
        return this.ctx.isReady() ? sendText(res, 200, 'ok') : sendText(res, 500, '[-]skiff-bootstrap failed: not finished\nreadyz check failed');
      case '/version':
        return sendJson(res, 200, JSON.stringify(serverVersion()));
      case '/.well-known/openid-configuration':
        return sendJson(res, 200, JSON.stringify(this.ctx.serviceAccounts.openidConfiguration(req.headers.host ?? 'localhost')));
      case '/openid/v1/jwks':
        res.writeHead(200, { 'Content-Type': 'application/jwk-set+json' });
        return void res.end(JSON.stringify(this.ctx.serviceAccounts.jwks()));
    }
    if (path.startsWith('/healthz/') || path.startsWith('/livez/') || path.startsWith('/readyz/')) return sendText(res, 200, 'ok');
    if (path === '/openapi/v2' || path.startsWith('/openapi/v3')) return this.serveOpenApi(req, res, path, query);
    if (path === '/api' || path === '/api/' || path === '/apis' || path === '/apis/') return this.serveRootDiscovery(req, res, path.replace(/\/$/, '') as '/api' | '/apis');

    if (this.ctx.metrics.handlesPath(path)) {
      req.discard();
      if (method !== 'GET') throw errors.methodNotAllowed(`${method} is not supported on metric values`);
      return this.ctx.metrics.servePath(path, query).then((v) => sendJson(res, 200, JSON.stringify(v)));
    }

    const info = parseRequestInfo(method, path, query);
    if (!info.isResourceRequest) return this.serveGroupDiscovery(req, res, path);
    return this.serveResource(req, res, info, query, user);
  }

  private serveRootDiscovery(req: Exchange, res: Responder, path: '/api' | '/apis'): void {
    const agg = wantsAggregatedDiscovery(req.headers.accept);
    const which = path === '/api' ? 'api' : 'apis';
    if (agg) {
      const doc = this.ctx.discovery.aggregated(which, agg);
      return sendCached(req, res, doc, `application/json;g=apidiscovery.k8s.io;v=${agg};as=APIGroupDiscoveryList`);
    }
    const doc = which === 'api' ? this.ctx.discovery.apiVersions(req.localAddress) : this.ctx.discovery.apiGroupList();
    return sendCached(req, res, doc, 'application/json');
  }

  private serveGroupDiscovery(req: Exchange, res: Responder, path: string): void {
    const parts = path.split('/').filter(Boolean);
    let doc;
    if (parts[0] === 'api' && parts.length === 2) doc = this.ctx.discovery.resourceList('', parts[1]);
    else if (parts[0] === 'apis' && parts.length === 2) doc = this.ctx.discovery.apiGroup(parts[1]);
    else if (parts[0] === 'apis' && parts.length === 3) doc = this.ctx.discovery.resourceList(parts[1], parts[2]);
    if (!doc) throw errors.noRoute();
    return sendCached(req, res, doc, 'application/json');
  }

  private serveOpenApi(req: Exchange, res: Responder, path: string, query: URLSearchParams): void {
    if (path === '/openapi/v2') {
      const accept = req.headers.accept ?? '';
      if (accept && !/application\/json|\*\/\*/.test(accept)) {
        throw errors.notAcceptable('only application/json is served for /openapi/v2');
      }
      return sendCached(req, res, this.ctx.openapi.v2(), 'application/json');
    }
    if (path === '/openapi/v3' || path === '/openapi/v3/') return sendCached(req, res, this.ctx.openapi.v3Root(), 'application/json');
    const gvPath = path.slice('/openapi/v3/'.length);
    const doc = this.ctx.openapi.v3Group(gvPath);
    if (!doc) throw errors.noRoute();
    void query;
    return sendCached(req, res, doc, 'application/json', true);
  }

  private async serveResource(
    req: Exchange,
    res: Responder,
    info: ResourceRequestInfo,
    query: URLSearchParams,
    user: UserInfo,
  ): Promise<void> {
    const { deps } = this.ctx;
    const rt = deps.registry.lookup(info.group, info.version, info.resource);
    if (!rt) {
      req.discard();
      throw errors.noRoute();
    }
    if (!rt.namespaced && info.namespace && info.resource !== 'namespaces') {
      req.discard();
      throw errors.noRoute();
    }
    const decision = this.ctx.authorizer.authorize(user, {
      verb: info.verb,
      apiGroup: info.group,
      resource: info.resource,
      subresource: info.subresource || undefined,
      namespace: info.namespace || undefined,
      name: info.name || undefined,
    });
    if (!decision.allowed) {
      req.discard();
      throw errors.forbidden(forbiddenMessage(user, { verb: info.verb, apiGroup: info.group, resource: info.resource, namespace: info.namespace, name: info.name }, decision.reason));
    }
    if (isStreamingRequest(info)) {
      if (!req.http) throw needsConnection;
      return this.ctx.streaming.serve(req.http.req, req.http.res, info, new URL(req.http.req.url ?? '/', 'https://localhost'));
    }

    const negotiated = negotiateCached(req.headers.accept);
    const include = includeObjectOf(query);
    const body = req.hasBody ? await req.readBody() : emptyBody;
    const rreq: RestRequest = {
      rt,
      info,
      query,
      user,
      body: body.length ? decodeBody(req.headers['content-type'], body, info.verb === 'patch') : undefined,
      contentType: req.headers['content-type'],
      userAgent: req.headers['user-agent'],
    };

    if (info.verb === 'watch') {
      if (info.subresource || !rt.verbs.includes('watch') || rt.storagePrefix === '') {
        throw errors.methodNotAllowed(`watch is not supported on ${info.resource}${info.subresource ? '/' + info.subresource : ''}`);
      }
      const sink = req.http ? httpWatchSink(req.http.res) : req.watchSink;
      if (!sink) throw needsConnection;
      return serveWatch(deps, rreq, sink, negotiated.shape, include, this.ctx.watchSettings);
    }
    const result = await this.dispatch(rreq, rt, info, req.method);
    const shaped = shapeResponse(rt, result.object, info.subresource === 'scale' ? { kind: 'object' } : negotiated.shape, include);
    // An object this request has just written was serialized with its write: that JSON is the response.
    const written = shaped === result.object && negotiated.encoding === 'json' && isObjectResult(shaped) ? deps.storage.servedJson(shaped, true) : undefined;
    const out = written !== undefined ? { body: written, contentType: 'application/json' } : encode(shaped, negotiated.encoding);
    const headers: Record<string, string | string[]> = { 'Content-Type': out.contentType, 'Cache-Control': 'no-cache, private' };
    if (result.warnings?.length) headers['Warning'] = result.warnings.map((w) => `299 - ${JSON.stringify(w)}`);
    res.writeHead(result.status, headers);
    res.end(out.body);
  }

  private dispatch(req: RestRequest, rt: ResourceType, info: ResourceRequestInfo, method: string): Promise<RestResponse> {
    const { deps } = this.ctx;
    if (rt.group === 'authentication.k8s.io' && rt.resource === 'tokenreviews') {
      if (info.verb !== 'create' || info.name) throw errors.methodNotAllowed('tokenreviews only supports create');
      return Promise.resolve(reviewToken(req, this.ctx.serviceAccounts));
    }
    if (isReview(rt.group, rt.resource)) {
      if (info.verb !== 'create' || info.name) throw errors.methodNotAllowed(`${rt.resource} only supports create`);
      return Promise.resolve(review(req, this.ctx.authorizer));
    }
    const sub = info.subresource;
    if (sub) {
      if (!rt.subresources.some((s) => s.name === sub)) throw errors.noRoute();
      if (sub === 'scale') {
        if (info.verb === 'get') return getScale(deps, req);
        if (info.verb === 'update' || info.verb === 'patch') return writeScale(deps, req, method === 'PUT' ? 'PUT' : 'PATCH');
        throw errors.methodNotAllowed(`${info.verb} is not supported on ${rt.resource}/scale`);
      }
      if (sub === 'status') {
        if (info.verb === 'get') return get(deps, req);
        if (info.verb === 'update') return update(deps, req);
        if (info.verb === 'patch') return patch(deps, req);
        throw errors.methodNotAllowed(`${info.verb} is not supported on ${rt.resource}/status`);
      }
      if (sub === 'binding' && info.verb === 'create') return bind(deps, req, info.name);
      if (sub === 'eviction' && info.verb === 'create') return evict(deps, req);
      if (sub === 'finalize' && info.verb === 'update') return finalizeNamespace(deps, req);
      if (sub === 'token' && info.verb === 'create' && rt.group === '' && rt.resource === 'serviceaccounts') return requestToken(deps, req, this.ctx.serviceAccounts);
      if (connectSubresources.has(sub)) return connect(deps, req);
      throw errors.methodNotAllowed(`${info.verb} is not supported on ${rt.resource}/${sub} by this server`);
    }
    if (rt.group === '' && rt.resource === 'bindings') {
      if (info.verb !== 'create') throw errors.methodNotAllowed('bindings only supports create');
      const name = (req.body as { metadata?: { name?: string } } | undefined)?.metadata?.name;
      if (!name) throw errors.invalid('', 'Binding', '', [{ reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value' }]);
      return bind(deps, req, name);
    }
    if (!rt.verbs.includes(info.verb as never)) throw errors.methodNotAllowed(`the server does not allow this method on the requested resource`);
    if (this.ctx.metrics.serves(rt)) return Promise.resolve({ status: 200, object: this.ctx.metrics.resourceRequest(rt, info.verb, info.namespace, info.name, req.query) });
    if (rt.storagePrefix === '') return Promise.resolve(virtualResource(rt, info));
    switch (info.verb) {
      case 'get':
        return get(deps, req);
      case 'list':
        return list(deps, req);
      case 'create':
        if (info.name) throw errors.methodNotAllowed('POST to an object URL is not allowed; POST to the collection');
        return create(deps, req);
      case 'update':
        return update(deps, req);
      case 'patch':
        return patch(deps, req);
      case 'delete':
        return deleteOne(deps, req);
      case 'deletecollection':
        return deleteCollection(deps, req);
      default:
        throw errors.methodNotAllowed(`unsupported verb ${info.verb}`);
    }
  }
}

const emptyBody = Buffer.alloc(0);

/** What routing needs of a request, whether it came over HTTP or from a component in this process. */
interface Exchange {
  method: string;
  /** The path and query (as URL has them). */
  target: RequestTarget;
  headers: IncomingHttpHeaders;
  hasBody: boolean;
  /** The whole body (at most maxBodyBytes, else 413). */
  readBody(): Promise<Buffer | string>;
  /** Lets a body go unread. */
  discard(): void;
  /** "address:port" the client reached (for /api's serverAddressByClientCIDRs); '' in process. */
  localAddress: string;
  /** Over HTTP: the request and response, for what streams (watches, logs, exec, node proxy). */
  http?: { req: IncomingMessage; res: ServerResponse };
  /** In process: where a watch's lines go (the component's stream), when the component asked for a stream. */
  watchSink?: WatchSink;
}

/** Where an answer goes: a ServerResponse, or a LocalReply. */
interface Responder {
  writeHead(status: number, headers: OutgoingHttpHeaders): unknown;
  end(body?: string | Uint8Array): unknown;
  readonly headersSent: boolean;
  destroy(): unknown;
}

/** Thrown by route for what an in-process request cannot be served without a connection. */
const needsConnection = new Error('needs a connection');

function httpExchange(req: IncomingMessage, res: ServerResponse, target: RequestTarget): Exchange {
  return {
    method: req.method ?? 'GET',
    target,
    headers: req.headers,
    hasBody: hasBody(req),
    readBody: () => readBody(req),
    discard: () => drain(req),
    get localAddress() {
      return req.socket.localAddress ? `${req.socket.localAddress}:${req.socket.localPort}` : '';
    },
    http: { req, res },
  };
}

function localExchange(req: LocalRequest, watchSink?: WatchSink): Exchange {
  const body = req.body;
  const exchange: Exchange = {
    method: req.method,
    target: parseRequestTarget(req.path),
    headers: req.headers,
    hasBody: body !== undefined && body.length > 0,
    readBody: () =>
      // A string's UTF-8 length is at most three bytes per UTF-16 unit: only a long one is measured.
      body !== undefined && body.length * 3 > maxBodyBytes && Buffer.byteLength(body) > maxBodyBytes
        ? Promise.reject(errors.tooLarge(`the request body is larger than the limit of ${maxBodyBytes} bytes`))
        : Promise.resolve(body ?? emptyBody),
    discard: () => {},
    localAddress: '',
  };
  if (watchSink) exchange.watchSink = watchSink;
  return exchange;
}

/** A watch served to a component in this process: its lines go to the component's stream as they are. */
function localWatchSink(out: InProcessStreamSink): WatchSink & { readonly opened: boolean } {
  let opened = false;
  return {
    framed: false,
    get opened() {
      return opened;
    },
    open() {
      opened = true;
      return out.start();
    },
    write: (line) => out.line(line as string),
    backlog: () => out.backlog(),
    end: () => out.end(),
    onClose: (cb) => out.onClose(cb),
  };
}

/**
 * The in-process answer: status, lower-case headers and the body as text (empty for a success whose caller
 * reads no body: then it is neither flattened nor copied to the caller's thread).
 */
class LocalReply implements Responder {
  private status = 0;
  private headers: Record<string, string | string[]> = {};
  private body = '';
  private ended = false;
  private destroyed = false;

  constructor(private readonly bodyUnused: boolean) {}

  get headersSent(): boolean {
    return this.ended;
  }

  writeHead(status: number, headers: OutgoingHttpHeaders): this {
    this.status = status;
    for (const k in headers) {
      const v = headers[k];
      if (v !== undefined) this.headers[k.toLowerCase()] = typeof v === 'number' ? String(v) : v;
    }
    return this;
  }

  end(body?: string | Uint8Array): this {
    if (body !== undefined && !(this.bodyUnused && this.status >= 200 && this.status < 300)) this.body = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
    this.ended = true;
    return this;
  }

  destroy(): this {
    this.destroyed = true;
    return this;
  }

  response(): LocalResponse {
    if (this.destroyed || !this.ended) throw Object.assign(new Error('the response ended before it was complete'), { code: 'ECONNRESET' });
    return { status: this.status, headers: this.headers, body: this.body };
  }
}

function isObjectResult(v: unknown): v is KubeObject {
  return typeof v === 'object' && v !== null && typeof (v as { metadata?: unknown }).metadata === 'object';
}

/**
 * `parse` memoized per distinct header value: clients send the same few Accept and Content-Type headers again
 * and again (at most 256 remembered; results are read-only; a value whose parse throws is never remembered).
 */
function perHeaderValue<T>(parse: (value: string | undefined) => T): (value: string | undefined) => T {
  const seen = new Map<string, T>();
  return (value) => {
    if (value === undefined) return parse(value);
    let r = seen.get(value);
    if (r === undefined) {
      r = parse(value);
      if (seen.size >= 256) seen.clear();
      seen.set(value, r);
    }
    return r;
  };
}

/** Accept negotiation (throws 406 for what cannot be served). */
const negotiateCached = perHeaderValue(negotiate);

/** HTTP/1.1: a request has a body only with Content-Length > 0 or Transfer-Encoding. */
function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return (len !== undefined && len !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/** Resources that are never stored (componentstatuses): an empty list, and nothing to get. */
function virtualResource(rt: ResourceType, info: ResourceRequestInfo): RestResponse {
  if (info.verb === 'list') {
    return { status: 200, object: { apiVersion: rt.group ? `${rt.group}/${rt.version}` : rt.version, kind: rt.listKind, metadata: {}, items: [] } };
  }
  if (info.verb === 'get') throw errors.notFound(rt.group, rt.resource, info.name);
  throw errors.methodNotAllowed(`${info.verb} is not supported on ${rt.resource}`);
}

function drain(req: IncomingMessage): void {
  req.resume();
}

/** The whole body, with events rather than an async iterator (cheaper on this per-request path). */
function readBody(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBodyBytes) {
    drain(req);
    return Promise.reject(errors.tooLarge(`the request body is larger than the limit of ${maxBodyBytes} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        cleanup();
        drain(req);
        reject(errors.tooLarge(`the request body is larger than the limit of ${maxBodyBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onClose = () => {
      // A connection that goes away before the body ended: nothing to answer.
      if (req.complete) return;
      cleanup();
      reject(new Error('the connection closed before the request body was read'));
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/** Decodes a request body by Content-Type. Patch bodies are JSON or YAML whatever their patch media type. */
export function decodeBody(contentType: string | undefined, body: Buffer | string, isPatch: boolean): unknown {
  const ct = mediaTypeOf(contentType);
  let value: unknown;
  if (ct === 'application/vnd.kubernetes.protobuf') {
    value = decodeProtobufObject(typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
  } else {
    const format = isPatch ? (ct === 'application/apply-patch+yaml' ? 'yaml' : 'json') : ct === 'application/json' ? 'json' : bodyFormat(contentType);
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (format === 'yaml') {
      // Depth first (without recursion): composing a hostile body thousands of levels deep could abort the process.
      if (text.length > maxJsonDepth && yamlNestingExceeds(text, maxJsonDepth)) throw errors.badRequest(`the request body is nested deeper than ${maxJsonDepth} levels`);
      try {
        value = parseYaml(text, { maxAliasCount: 100, uniqueKeys: false });
      } catch (err) {
        throw errors.badRequest(`error decoding YAML: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
      }
    } else {
      try {
        value = JSON.parse(text);
      } catch (err) {
        throw errors.badRequest(`error decoding JSON: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
  // Each level of nesting takes at least one byte in every encoding: a shorter body cannot be too deep.
  if (body.length > maxJsonDepth && depthExceeds(value, maxJsonDepth)) throw errors.badRequest(`the request body is nested deeper than ${maxJsonDepth} levels`);
  return value;
}

/** A Content-Type's media type, lower-case without parameters. */
const mediaTypeOf = perHeaderValue((contentType) => (contentType ?? '').split(';')[0]!.trim().toLowerCase());

/**
 * Depth check, so hostile nesting cannot overflow the stack of later recursive passes. Its own recursion
 * stops at `max` levels, so it cannot overflow either.
 */
export function depthExceeds(value: unknown, max: number): boolean {
  return deeper(value, 1, max);
}

function deeper(v: unknown, d: number, max: number): boolean {
  if (v === null || typeof v !== 'object') return false;
  if (d > max) return true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (deeper(v[i], d + 1, max)) return true;
    return false;
  }
  for (const k in v) if (deeper((v as Record<string, unknown>)[k], d + 1, max)) return true;
  return false;
}

function sendText(res: Responder, code: number, text: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
  res.end(text);
}

function sendJson(res: Responder, code: number, body: string): void {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(body);
}

function sendCached(req: Exchange, res: Responder, doc: { body: string; etag: string }, contentType: string, immutable = false): void {
  const headers: Record<string, string> = {
    'Content-Type': contentType,
    ETag: doc.etag,
    Vary: 'Accept',
    'Cache-Control': immutable ? 'public, immutable' : 'no-cache, private',
  };
  if (req.headers['if-none-match'] === doc.etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, headers);
  res.end(doc.body);
}
