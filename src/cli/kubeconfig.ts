// The admin kubeconfig `skiff up` writes to DIR/kubeconfig.yaml (mode 0600): cluster "skiff" with the CA
// inline, user "skiff-admin" with its client certificate and key inline, context "skiff" as current.
// renderKubeconfig() is pure; writeKubeconfig() only writes the file.

import { chmodSync, renameSync, writeFileSync } from 'node:fs';

export const KUBECONFIG_NAME = 'skiff';
export const KUBECONFIG_USER = 'skiff-admin';

export interface KubeconfigInput {
  server: string;
  caCert: string;
  clientCert: string;
  clientKey: string;
  name?: string;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

export function renderKubeconfig(k: KubeconfigInput): string {
  const name = k.name ?? KUBECONFIG_NAME;
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- cluster:',
    `    certificate-authority-data: ${b64(k.caCert)}`,
    `    server: ${k.server}`,
    `  name: ${name}`,
    'contexts:',
    '- context:',
    `    cluster: ${name}`,
    `    user: ${KUBECONFIG_USER}`,
    `  name: ${name}`,
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
