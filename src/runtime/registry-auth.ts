// Registry credentials for an image from a pod's imagePullSecrets, matched as the kubelet's docker keyring
// matches them (pkg/credentialprovider): each secret's entries (kubernetes.io/dockerconfigjson `auths`, or
// the older kubernetes.io/dockercfg) are keyed by a registry URL; an entry applies when its host (with `*`
// globs per DNS label) and port equal the image's registry and its path is a prefix of the image's
// repository path. All matching credentials are returned, most specific first: the kubelet tries them in
// that order until a pull succeeds. Pure: secrets' data in (base64, as in the API), ImageAuth list out.
import type { ImageAuth } from './runtime.js';

export interface PullSecretData {
  type?: string;
  /** Secret.data: base64 values. */
  data?: Record<string, string>;
}

interface DockerConfigEntry {
  username?: string;
  password?: string;
  auth?: string;
  identitytoken?: string;
  registrytoken?: string;
}

interface Key {
  host: string;
  port: string;
  path: string;
  raw: string;
  entry: DockerConfigEntry;
}

const dockerHubHosts = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** The registry host[:port] and repository path of an image reference, Docker Hub normalized. */
export function imageLocation(image: string): { host: string; port: string; path: string } {
  const noDigest = image.split('@')[0]!;
  const slash = noDigest.indexOf('/');
  const first = slash < 0 ? '' : noDigest.slice(0, slash);
  const isRegistry = first.includes('.') || first.includes(':') || first === 'localhost';
  let registry = isRegistry ? first : 'docker.io';
  let repo = isRegistry ? noDigest.slice(slash + 1) : noDigest;
  const tagAt = repo.lastIndexOf(':');
  if (tagAt > repo.lastIndexOf('/')) repo = repo.slice(0, tagAt);
  if (dockerHubHosts.has(registry)) {
    registry = 'docker.io';
    if (!repo.includes('/')) repo = `library/${repo}`;
  }
  const [host, port = ''] = registry.split(':') as [string, string?];
  return { host: host.toLowerCase(), port, path: repo };
}

function parseKey(raw: string, entry: DockerConfigEntry): Key | undefined {
  let text = raw.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) text = `https://${text}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  let host = url.hostname.toLowerCase();
  let path = url.pathname.replace(/^\/+|\/+$/g, '');
  if (dockerHubHosts.has(host)) {
    host = 'docker.io';
    // "https://index.docker.io/v1/" is the classic key for all of Docker Hub.
    if (path === 'v1' || path === 'v2') path = '';
  }
  return { host, port: url.port, path, raw, entry };
}

function hostMatches(pattern: string, host: string): boolean {
  const p = pattern.split('.');
  const h = host.split('.');
  if (p.length !== h.length) return false;
  return p.every((label, i) => {
    if (!label.includes('*')) return label === h[i];
    const re = new RegExp(`^${label.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^.]*')}$`);
    return re.test(h[i]!);
  });
}

function entriesOf(secret: PullSecretData): Record<string, DockerConfigEntry> {
  const decode = (v: string | undefined) => (v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8'));
  try {
    const json = decode(secret.data?.['.dockerconfigjson']);
    if (json !== undefined) return ((JSON.parse(json) as { auths?: Record<string, DockerConfigEntry> }).auths ?? {});
    const cfg = decode(secret.data?.['.dockercfg']);
    if (cfg !== undefined) return JSON.parse(cfg) as Record<string, DockerConfigEntry>;
  } catch {
    // A malformed secret gives no credentials, as the kubelet's keyring skips it.
  }
  return {};
}

function toAuth(k: Key): ImageAuth {
  const e = k.entry;
  let { username, password } = e;
  if (!username && !password && e.auth) {
    const decoded = Buffer.from(e.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      username = decoded.slice(0, colon);
      password = decoded.slice(colon + 1);
    }
  }
  return {
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    ...(e.identitytoken ? { identityToken: e.identitytoken } : {}),
    ...(e.registrytoken ? { registryToken: e.registrytoken } : {}),
    serverAddress: k.raw,
  };
}

/** Credentials for `image` from the pod's pull secrets, most specific match first (empty: pull anonymously). */
export function credentialsForImage(image: string, secrets: PullSecretData[]): ImageAuth[] {
  const loc = imageLocation(image);
  const keys: Key[] = [];
  for (const s of secrets) {
    for (const [raw, entry] of Object.entries(entriesOf(s))) {
      const k = parseKey(raw, entry);
      if (!k) continue;
      if (!hostMatches(k.host, loc.host) || k.port !== loc.port) continue;
      if (k.path && loc.path !== k.path && !loc.path.startsWith(`${k.path}/`)) continue;
      keys.push(k);
    }
  }
  // Longer (more specific) keys first; a stable sort keeps secret order among equals.
  keys.sort((a, b) => `${b.host}${b.path}`.length - `${a.host}${a.path}`.length);
  return keys.map(toAuth);
}

/**
 * Pulls as the kubelet does with a keyring: anonymously when no credential matches, else with each matching
 * credential in turn until one succeeds; all failing gives the errors together ("[e1, e2]" for several, as
 * utilerrors.NewAggregate prints them).
 */
export async function pullWithCredentials(pull: (image: string, auth?: ImageAuth) => Promise<string>, image: string, creds: ImageAuth[]): Promise<string> {
  if (!creds.length) return pull(image);
  const errors: Error[] = [];
  for (const auth of creds) {
    try {
      return await pull(image, auth);
    } catch (e) {
      errors.push(e as Error);
    }
  }
  if (errors.length === 1) throw errors[0]!;
  throw new Error(`[${errors.map((e) => e.message).join(', ')}]`);
}
