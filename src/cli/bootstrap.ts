// Shared bootstrap credentials for several servers on one datastore (as k3s keeps its bootstrap data in the
// datastore): the cluster CA, the admin client certificate and the static tokens live under one key in the
// store. The first server to start publishes its own; every later server adopts them into its data directory
// before ensurePki() runs, so each server's serving certificate is signed by the same CA and one kubeconfig
// works against any server. It must not generate certificates itself (pki.ts does) or start anything.
//
// The key holds private keys in clear text: protect the datastore (etcd client-certificate auth, TLS), as
// upstream protects etcd, which holds Secrets.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { AlreadyExistsError, ConflictError, type Store } from '../storage/store.js';
import type { Pki } from '../apiserver/auth/pki.js';

/**
 * Outside "/" (every API storage prefix starts with "/"), so no watch cache or list of the API server ever sees it;
 * copied by backups and `skiff migrate` with everything else.
 */
export const BOOTSTRAP_KEY = 'skiff/bootstrap/pki';

export interface BootstrapData {
  caCert: string;
  caKey: string;
  adminCert: string;
  adminKey: string;
  tokens: string;
}

/** The files of the data directory that hold each field. */
function files(dataDir: string): Record<keyof BootstrapData, { path: string; mode: number }> {
  const tls = join(dataDir, 'tls');
  return {
    caCert: { path: join(tls, 'ca.crt'), mode: 0o644 },
    caKey: { path: join(tls, 'ca.key'), mode: 0o600 },
    adminCert: { path: join(tls, 'admin.crt'), mode: 0o644 },
    adminKey: { path: join(tls, 'admin.key'), mode: 0o600 },
    tokens: { path: join(dataDir, 'tokens.csv'), mode: 0o600 },
  };
}

export function parseBootstrap(value: string): BootstrapData | undefined {
  try {
    const v = JSON.parse(value) as Partial<BootstrapData>;
    const ok = ['caCert', 'caKey', 'adminCert', 'adminKey', 'tokens'].every((k) => typeof v[k as keyof BootstrapData] === 'string');
    return ok ? (v as BootstrapData) : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the shared credentials into the data directory; returns the files that changed. */
export function adoptBootstrap(dataDir: string, data: BootstrapData): string[] {
  mkdirSync(join(dataDir, 'tls'), { recursive: true, mode: 0o700 });
  const changed: string[] = [];
  for (const [field, f] of Object.entries(files(dataDir)) as [keyof BootstrapData, { path: string; mode: number }][]) {
    const current = existsSync(f.path) ? readFileSync(f.path, 'utf8') : undefined;
    if (current === data[field]) continue;
    const tmp = `${f.path}.tmp-${process.pid}`;
    writeFileSync(tmp, data[field], { mode: f.mode });
    chmodSync(tmp, f.mode);
    renameSync(tmp, f.path);
    changed.push(f.path);
  }
  return changed;
}

function fromPki(pki: Pki): BootstrapData {
  return {
    caCert: pki.caCert,
    caKey: readFileSync(join(pki.dir, 'ca.key'), 'utf8'),
    adminCert: pki.adminCert,
    adminKey: pki.adminKey,
    tokens: readFileSync(pki.tokensFile, 'utf8'),
  };
}

export interface BootstrapResult {
  pki: Pki;
  /** What happened, for progress output. */
  note: string;
}

/**
 * Makes the data directory's credentials the cluster's: adopts the stored ones, or publishes this server's
 * when it is the first. `ensurePki` is pki.ts's ensurePki bound to the data directory.
 */
export async function syncBootstrap(store: Store, dataDir: string, ensurePki: () => Promise<Pki>): Promise<BootstrapResult> {
  for (let attempt = 0; ; attempt++) {
    const kv = await store.get(BOOTSTRAP_KEY);
    if (kv) {
      const stored = parseBootstrap(kv.value);
      if (!stored) throw new Error(`the datastore key ${BOOTSTRAP_KEY} is not Skiff bootstrap data`);
      const changed = adoptBootstrap(dataDir, stored);
      const pki = await ensurePki();
      const now = fromPki(pki);
      // ensurePki renewed something (e.g. the admin certificate expires soon): share the renewal.
      if (now.adminCert !== stored.adminCert || now.caCert !== stored.caCert || now.tokens !== stored.tokens) {
        try {
          await store.update(BOOTSTRAP_KEY, JSON.stringify(now), kv.modRevision);
        } catch (err) {
          if (err instanceof ConflictError && attempt < 3) continue; // another server renewed first: adopt theirs
          throw err;
        }
        return { pki, note: 'renewed the shared cluster credentials in the datastore' };
      }
      return { pki, note: changed.length ? 'adopted the cluster CA and admin credentials from the datastore' : 'cluster credentials match the datastore' };
    }
    const pki = await ensurePki();
    try {
      await store.create(BOOTSTRAP_KEY, JSON.stringify(fromPki(pki)));
      return { pki, note: 'published this server\'s CA and admin credentials to the datastore' };
    } catch (err) {
      // Another server published first: take theirs on the next pass.
      if (err instanceof AlreadyExistsError && attempt < 3) continue;
      throw err;
    }
  }
}
