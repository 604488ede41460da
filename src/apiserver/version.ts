// The /version document. kubectl's dispatcher picks the kubectl binary from gitVersion, so it must read
// v1.32.x (see shared/reference/kubectl-wire-protocol.md §0); Skiff's own version is in gitCommit.
import { readFileSync } from 'node:fs';

export const kubernetesVersion = { major: '1', minor: '32', gitVersion: 'v1.32.5' };

let skiffVersion: string | undefined;
export function skiffPackageVersion(): string {
  if (skiffVersion === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
      skiffVersion = pkg.version ?? 'dev';
    } catch {
      skiffVersion = 'dev';
    }
  }
  return skiffVersion;
}

export function serverVersion() {
  return {
    ...kubernetesVersion,
    gitCommit: `skiff-${skiffPackageVersion()}`,
    gitTreeState: 'clean',
    buildDate: '2026-11-22T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: 'skiff',
    platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}
