// The key that signs ServiceAccount tokens (upstream --service-account-signing-key-file / --service-account-key-file).
// An ECDSA P-256 key (JWS ES256), kept in the datastore outside the API's key space, as k3s keeps its service
// key in its bootstrap data: every server on one datastore signs and verifies with the same key, and backups
// carry it. The first server to start creates it; later ones read it. No HTTP here.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { AlreadyExistsError, type Store } from '../../storage/store.js';

/** Outside "/" so no watch cache or API list ever sees it. */
export const SERVICE_ACCOUNT_KEY = 'skiff/bootstrap/service-account-key';

export interface ServiceAccountKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** JWS key id: base64url(SHA-256(DER SubjectPublicKeyInfo)), as upstream computes it. */
  kid: string;
}

export function keyId(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('base64url');
}

export function serviceAccountKeyFromPem(pem: string): ServiceAccountKey {
  const privateKey = createPrivateKey(pem);
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, kid: keyId(publicKey) };
}

export function generateServiceAccountKeyPem(): string {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** Reads the cluster's signing key from the store, creating it when this is the first server. */
export async function ensureServiceAccountKey(store: Store): Promise<ServiceAccountKey> {
  for (let attempt = 0; ; attempt++) {
    const kv = await store.get(SERVICE_ACCOUNT_KEY);
    if (kv) {
      const { privateKeyPem } = JSON.parse(kv.value) as { privateKeyPem?: string };
      if (!privateKeyPem) throw new Error(`the datastore key ${SERVICE_ACCOUNT_KEY} holds no private key`);
      return serviceAccountKeyFromPem(privateKeyPem);
    }
    const pem = generateServiceAccountKeyPem();
    try {
      await store.create(SERVICE_ACCOUNT_KEY, JSON.stringify({ privateKeyPem: pem }));
      return serviceAccountKeyFromPem(pem);
    } catch (err) {
      if (err instanceof AlreadyExistsError && attempt < 3) continue; // another server created it first
      throw err;
    }
  }
}
