// The admin kubeconfig `skiff up` writes to DIR/kubeconfig.yaml (mode 0600): cluster "skiff" with the CA
// inline, user "skiff-admin" with its client certificate and key inline, context "skiff" as current.
// With several servers (one cluster on etcd behind two or three `skiff server`s) it also lists every server:
// context "skiff" (current) points at the first and carries the whole list in the cluster extension
// `skiff.dev/servers`, which Skiff's own clients fail over along (kubectl ignores it); contexts "skiff-1",
// "skiff-2", ... point at one server each, so `kubectl --context skiff-2` or `kubectl config use-context
// skiff-2` switches by hand (kubectl has no failover of its own).
// renderKubeconfig() is pure; writeKubeconfig() only writes the file.

import { chmodSync, renameSync, writeFileSync } from 'node:fs';

export const KUBECONFIG_NAME = 'skiff';
export const KUBECONFIG_USER = 'skiff-admin';
/** Name of the cluster extension listing every server (src/client/config.ts reads it). */
export const SERVERS_EXTENSION = 'skiff.dev/servers';

export interface KubeconfigInput {
  server: string;
  /** Every server of the cluster, in the order clients try them (default: just `server`). */
  servers?: string[];
  caCert: string;
  clientCert: string;
  clientKey: string;
  name?: string;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** Every server once, `server` first. */
export function kubeconfigServers(k: Pick<KubeconfigInput, 'server' | 'servers'>): string[] {
  return [...new Set([k.server, ...(k.servers ?? [])])];
}

export function renderKubeconfig(k: KubeconfigInput): string {
  const name = k.name ?? KUBECONFIG_NAME;
  const servers = kubeconfigServers(k);
  const cluster = (clusterName: string, server: string, all?: string[]) => [
    '- cluster:',
    `    certificate-authority-data: ${b64(k.caCert)}`,
    ...(all
      ? ['    extensions:', `    - name: ${SERVERS_EXTENSION}`, '      extension:', '        servers:', ...all.map((s) => `        - ${s}`)]
      : []),
    `    server: ${server}`,
    `  name: ${clusterName}`,
  ];
  const context = (contextName: string) => ['- context:', `    cluster: ${contextName}`, `    user: ${KUBECONFIG_USER}`, `  name: ${contextName}`];
  const each = servers.length > 1 ? servers.map((s, i) => ({ name: `${name}-${i + 1}`, server: s })) : [];
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    ...cluster(name, servers[0]!, servers.length > 1 ? servers : undefined),
    ...each.flatMap((e) => cluster(e.name, e.server)),
    'contexts:',
    ...context(name),
    ...each.flatMap((e) => context(e.name)),
    `current-context: ${name}`,
    'preferences: {}',
    'users:',
    `- name: ${KUBECONFIG_USER}`,
    '  user:',
    `    client-certificate-data: ${b64(k.clientCert)}`,
    `    client-key-data: ${b64(k.clientKey)}`,
    '',
  ].join('\n');
}

export function writeKubeconfig(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** "https://127.0.0.1:6443" for a wildcard bind address, otherwise that address (IPv6 in brackets). */
export function serverUrl(bindAddress: string, port: number): string {
  const host = bindAddress === '0.0.0.0' || bindAddress === '::' || bindAddress === '' ? '127.0.0.1' : bindAddress;
  return `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
