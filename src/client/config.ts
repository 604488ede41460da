// Where and how to reach the API server: ClientConfig, and loading it from a kubeconfig file (clusters,
// users, contexts, current-context; inline *-data fields or file paths relative to the kubeconfig). It
// reads files only through the injected readFile; it opens no connections.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { createRequire } from 'node:module';

// The YAML parser (~10 MB of resident memory) is loaded only when a kubeconfig is actually parsed: most
// components (node agents, in-process controllers) get their configuration without one.
const parseYaml = (text: string): unknown => (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(text);
import { errors } from '../api/errors.js';

export interface ClientConfig {
  /** One or more https:// base URLs; later ones are tried when earlier ones cannot be reached. */
  servers: string[];
  /** PEM CA bundle; absent = the system roots. */
  ca?: string;
  /** PEM client certificate and key (mutual TLS). */
  cert?: string;
  key?: string;
  token?: string;
  insecureSkipTLSVerify?: boolean;
  /** SNI / name to verify in the server certificate instead of the URL host. */
  tlsServerName?: string;
  /** The context's namespace (default "default"). */
  namespace: string;
  /** Talk plain HTTP over this unix socket instead (in-process components of a server; servers[0] must be http://). */
  socketPath?: string;
  userAgent?: string;
}

export interface KubeconfigOptions {
  /** Context to use instead of current-context. */
  context?: string;
  /** Directory relative file paths are resolved against (the kubeconfig's folder). */
  baseDir?: string;
  readFile?: (path: string) => string;
}

interface NamedCluster {
  name?: string;
  cluster?: Record<string, unknown>;
}
interface NamedUser {
  name?: string;
  user?: Record<string, unknown>;
}
interface NamedContext {
  name?: string;
  context?: { cluster?: string; user?: string; namespace?: string };
}

const invalid = (message: string) => errors.badRequest(`invalid kubeconfig: ${message}`);

function str(o: Record<string, unknown> | undefined, k: string): string | undefined {
  const v = o?.[k];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * The cluster's server, then any others listed in the `skiff.dev/servers` cluster extension (written by Skiff
 * for clusters behind several servers; kubectl ignores extensions): the servers a client fails over along.
 */
function clusterServers(server: string, cluster: Record<string, unknown>): string[] {
  const trim = (u: string) => u.replace(/\/+$/, '');
  const out = [trim(server)];
  const extensions = Array.isArray(cluster['extensions']) ? (cluster['extensions'] as { name?: unknown; extension?: unknown }[]) : [];
  const listed = extensions.find((e) => e?.name === 'skiff.dev/servers')?.extension as { servers?: unknown } | undefined;
  if (listed !== undefined && !Array.isArray(listed?.servers)) throw invalid('extension skiff.dev/servers has no servers list');
  for (const s of (listed?.servers as unknown[] | undefined) ?? []) {
    if (typeof s !== 'string' || !/^https?:\/\//.test(s)) throw invalid(`extension skiff.dev/servers: ${JSON.stringify(s)} is not an http(s) URL`);
    if (!out.includes(trim(s))) out.push(trim(s));
  }
  return out;
}

/** Parses kubeconfig YAML and resolves the chosen context into a ClientConfig. */
export function parseKubeconfig(text: string, opts: KubeconfigOptions = {}): ClientConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw invalid((e as Error).message);
  }
  if (typeof doc !== 'object' || doc === null) throw invalid('not a mapping');
  const d = doc as {
    clusters?: NamedCluster[];
    users?: NamedUser[];
    contexts?: NamedContext[];
    'current-context'?: string;
  };
  const contextName = opts.context ?? d['current-context'];
  if (!contextName) throw invalid('no current-context and no context given');
  const ctx = (d.contexts ?? []).find((c) => c.name === contextName)?.context;
  if (!ctx) throw invalid(`context "${contextName}" not found`);
  const cluster = (d.clusters ?? []).find((c) => c.name === ctx.cluster)?.cluster;
  if (!cluster) throw invalid(`cluster "${ctx.cluster ?? ''}" not found`);
  const user = ctx.user ? (d.users ?? []).find((u) => u.name === ctx.user)?.user : undefined;
  if (ctx.user && !user) throw invalid(`user "${ctx.user}" not found`);

  const baseDir = opts.baseDir ?? process.cwd();
  const read = opts.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const file = (p: string) => read(isAbsolute(p) ? p : resolve(baseDir, p));
  const dataOrFile = (o: Record<string, unknown> | undefined, dataKey: string, fileKey: string): string | undefined => {
    const data = str(o, dataKey);
    if (data) return Buffer.from(data, 'base64').toString('utf8');
    const p = str(o, fileKey);
    return p ? file(p) : undefined;
  };

  const server = str(cluster, 'server');
  if (!server) throw invalid(`cluster "${ctx.cluster}" has no server`);
  const cfg: ClientConfig = { servers: clusterServers(server, cluster), namespace: ctx.namespace || 'default' };
  const ca = dataOrFile(cluster, 'certificate-authority-data', 'certificate-authority');
  if (ca) cfg.ca = ca;
  if (cluster['insecure-skip-tls-verify'] === true) cfg.insecureSkipTLSVerify = true;
  const sni = str(cluster, 'tls-server-name');
  if (sni) cfg.tlsServerName = sni;
  const cert = dataOrFile(user, 'client-certificate-data', 'client-certificate');
  const key = dataOrFile(user, 'client-key-data', 'client-key');
  if (cert) cfg.cert = cert;
  if (key) cfg.key = key;
  const token = str(user, 'token') ?? (str(user, 'tokenFile') ? file(str(user, 'tokenFile')!).trim() : undefined);
  if (token) cfg.token = token;
  return cfg;
}

/** The kubeconfig path kubectl would use: $KUBECONFIG (first entry) or ~/.kube/config. */
export function defaultKubeconfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['KUBECONFIG']?.split(':').find((p) => p !== '');
  return fromEnv ?? join(homedir(), '.kube', 'config');
}

/** Reads and parses a kubeconfig file; relative paths inside it are relative to its folder. */
export function loadKubeconfig(path = defaultKubeconfigPath(), opts: Omit<KubeconfigOptions, 'baseDir'> = {}): ClientConfig {
  const read = opts.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  return parseKubeconfig(read(path), { ...opts, baseDir: dirname(resolve(path)) });
}
