// The cluster's certificates and the admin credentials, kept under a data directory:
//   DIR/tls/ca.crt, ca.key          ECDSA P-256 CA, 10 years
//   DIR/tls/server.crt, server.key  serving certificate (localhost, loopback, host name, host addresses,
//                                   the in-cluster "kubernetes" service names), 1 year
//   DIR/tls/admin.crt, admin.key    client certificate CN=skiff-admin, O=system:masters, 1 year
//   DIR/tls/kubelet-client.crt/.key the API server's client certificate for node agents (logs, exec, …),
//                                   CN=kube-apiserver-kubelet-client, O=system:masters, 1 year
//   DIR/tokens.csv                  static tokens in upstream's --token-auth-file format
// ensurePki() creates what is missing and re-issues a leaf certificate when it no longer fits (expires within
// 30 days, a wanted SAN is missing, a different CA signed it, its key does not match). Later starts only read
// and check files with node:crypto; the X.509 library is loaded only when something must be generated.
// Keys are written with mode 0600. This module must not know about HTTP or the API server.

import { X509Certificate, createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname as osHostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { parseTokenFile, formatTokenLine, type StaticToken } from './token-file.js';
import { serviceCidrOf } from '../../network/service-cidr.js';

export const ADMIN_USER = 'skiff-admin';
export const ADMIN_GROUP = 'system:masters';
/** The API server's identity towards node agents (upstream kubeadm's apiserver-kubelet-client). */
export const KUBELET_CLIENT_USER = 'kube-apiserver-kubelet-client';
const DAY_MS = 24 * 60 * 60 * 1000;
const CA_DAYS = 3650;
const LEAF_DAYS = 365;
const RENEW_BEFORE_DAYS = 30;
const KUBERNETES_SERVICE_NAMES = [
  'kubernetes',
  'kubernetes.default',
  'kubernetes.default.svc',
  'kubernetes.default.svc.cluster.local',
];

export interface Pki {
  /** DIR/tls */
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  /** The API server's client certificate for node agents. */
  kubeletClientCert: string;
  kubeletClientKey: string;
  /** The admin bearer token (also in tokensFile). */
  adminToken: string;
  tokensFile: string;
  /** What this call created or re-issued, for progress output (empty on an unchanged start). */
  issued: string[];
}

export interface PkiOptions {
  /** Defaults to os.hostname(). */
  hostname?: string;
  /** Defaults to every non-internal address of the host (link-local IPv6 excluded). */
  addresses?: string[];
  /** Additional DNS names or IP addresses for the serving certificate. */
  extraSans?: string[];
  /** The service CIDR (--service-cidr): the in-cluster `kubernetes` Service's address (its first) is a SAN. */
  serviceCidr?: string;
  now?: Date;
}

export interface SanSet {
  dns: string[];
  ips: string[];
}

/** The SANs the serving certificate must carry (pure). */
export function desiredServerSans(hostname: string, addresses: string[], extra: string[] = [], serviceCidr?: string): SanSet {
  const dns = new Set<string>(['localhost', ...KUBERNETES_SERVICE_NAMES]);
  const ips = new Set<string>(['127.0.0.1', '::1', serviceCidrOf(serviceCidr).kubernetesIP]);
  const add = (v: string) => {
    const ip = normalizeIp(v);
    if (ip) ips.add(ip);
    else if (v) dns.add(v.toLowerCase());
  };
  add(hostname);
  for (const a of addresses) add(a);
  for (const e of extra) add(e);
  return { dns: [...dns].sort(), ips: [...ips].sort() };
}

/** Non-internal host addresses; link-local IPv6 (fe80::/10) is left out because it is interface-scoped. */
export function hostAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.internal) continue;
      if (a.family === 'IPv6' && /^fe[89ab]/i.test(a.address)) continue;
      out.push(a.address);
    }
  }
  return out;
}

/** Canonical text of an IP address, or undefined when `v` is not one. */
export function normalizeIp(v: string): string | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(v)) return v.split('.').some((o) => Number(o) > 255) ? undefined : v;
  if (!v.includes(':')) return undefined;
  try {
    return new URL(`http://[${v}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}

/** SANs of a certificate as node:crypto reports them ("DNS:a, IP Address:1.2.3.4"). */
export function certSans(cert: X509Certificate): SanSet {
  const dns: string[] = [];
  const ips: string[] = [];
  for (const part of (cert.subjectAltName ?? '').split(', ')) {
    if (part.startsWith('DNS:')) dns.push(part.slice(4).toLowerCase());
    else if (part.startsWith('IP Address:')) {
      const ip = normalizeIp(part.slice(11));
      if (ip) ips.push(ip);
    }
  }
  return { dns, ips };
}

/**
 * Why a leaf certificate must be re-issued, or undefined when it is still good (pure apart from the
 * node:crypto checks). Extra SANs in the certificate are fine: only missing ones force a new certificate,
 * so a laptop moving between networks does not churn certificates in both directions.
 */
export function leafProblem(
  cert: X509Certificate,
  keyPem: string,
  ca: X509Certificate,
  now: Date,
  want?: SanSet,
): string | undefined {
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return 'not signed by the current CA';
  if (!cert.checkPrivateKey(createPrivateKey(keyPem))) return 'key does not match';
  if (new Date(cert.validTo).getTime() - now.getTime() < RENEW_BEFORE_DAYS * DAY_MS) return 'expires soon';
  if (want) {
    const have = certSans(cert);
    const missing = [
      ...want.dns.filter((d) => !have.dns.includes(d)),
      ...want.ips.filter((i) => !have.ips.includes(i)),
    ];
    if (missing.length) return `missing SANs ${missing.join(', ')}`;
  }
  return undefined;
}

export async function ensurePki(dataDir: string, opts: PkiOptions = {}): Promise<Pki> {
  const dir = join(dataDir, 'tls');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const now = opts.now ?? new Date();
  const issued: string[] = [];
  const path = (n: string) => join(dir, n);
  const want = desiredServerSans(opts.hostname ?? osHostname(), opts.addresses ?? hostAddresses(), opts.extraSans, opts.serviceCidr);

  // CA: create when missing or unusable; a new CA forces new leaves (they fail the "signed by" check).
  let caCert = readIfExists(path('ca.crt'));
  let caKey = readIfExists(path('ca.key'));
  let ca = caCert && caKey ? parseCert(caCert) : undefined;
  if (!ca || !caKey || !safeKeyMatches(ca, caKey) || new Date(ca.validTo) <= now) {
    const g = await generator();
    const created = await g.createCa(now);
    caCert = created.cert;
    caKey = created.key;
    writeAtomic(path('ca.key'), caKey, 0o600);
    writeAtomic(path('ca.crt'), caCert, 0o644);
    ca = new X509Certificate(caCert);
    issued.push(`CA (${path('ca.crt')})`);
  }

  const leaf = async (name: 'server' | 'admin' | 'kubelet-client', sans?: SanSet): Promise<{ cert: string; key: string }> => {
    const certPem = readIfExists(path(`${name}.crt`));
    const keyPem = readIfExists(path(`${name}.key`));
    const cert = certPem ? parseCert(certPem) : undefined;
    let problem = cert && keyPem ? safeLeafProblem(cert, keyPem, ca!, now, sans) : 'missing';
    if (!problem && name === 'admin' && !subjectIsAdmin(cert!)) problem = 'wrong subject';
    if (!problem && name === 'kubelet-client' && !cert!.subject.split('\n').includes(`CN=${KUBELET_CLIENT_USER}`)) problem = 'wrong subject';
    if (!problem) return { cert: certPem!, key: keyPem! };
    const g = await generator();
    const made =
      name === 'server'
        ? await g.createServer(caCert!, caKey!, sans!, now)
        : await g.createClient(caCert!, caKey!, name === 'admin' ? ADMIN_USER : KUBELET_CLIENT_USER, [ADMIN_GROUP], now);
    writeAtomic(path(`${name}.key`), made.key, 0o600);
    writeAtomic(path(`${name}.crt`), made.cert, 0o644);
    issued.push(`${name} certificate (${problem === 'missing' ? 'new' : problem})`);
    return made;
  };
  const server = await leaf('server', want);
  const admin = await leaf('admin');
  const kubeletClient = await leaf('kubelet-client');

  const tokensFile = join(dataDir, 'tokens.csv');
  const adminToken = ensureAdminToken(tokensFile, issued);

  return {
    dir,
    caCert: caCert!,
    serverCert: server.cert,
    serverKey: server.key,
    adminCert: admin.cert,
    adminKey: admin.key,
    kubeletClientCert: kubeletClient.cert,
    kubeletClientKey: kubeletClient.key,
    adminToken,
    tokensFile,
    issued,
  };
}

function ensureAdminToken(file: string, issued: string[]): string {
  const text = readIfExists(file);
  let tokens: StaticToken[] = [];
  if (text !== undefined) {
    // A malformed file throws TokenFileError: never rewrite (and so lose) tokens a user added by hand.
    tokens = parseTokenFile(text);
    const admin = tokens.find((t) => t.user === ADMIN_USER);
    if (admin) return admin.token;
  }
  const token = randomBytes(32).toString('hex');
  const line = formatTokenLine({ token, user: ADMIN_USER, uid: ADMIN_USER, groups: [ADMIN_GROUP] });
  const kept = tokens.map(formatTokenLine);
  writeAtomic(file, [...kept, line].join('\n') + '\n', 0o600);
  issued.push(`admin token (${file})`);
  return token;
}

function subjectIsAdmin(cert: X509Certificate): boolean {
  const lines = cert.subject.split('\n');
  return lines.includes(`CN=${ADMIN_USER}`) && lines.includes(`O=${ADMIN_GROUP}`);
}

function parseCert(pem: string): X509Certificate | undefined {
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

function safeKeyMatches(cert: X509Certificate, keyPem: string): boolean {
  try {
    return cert.checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}

function safeLeafProblem(
  cert: X509Certificate,
  keyPem: string,
  ca: X509Certificate,
  now: Date,
  want?: SanSet,
): string | undefined {
  try {
    return leafProblem(cert, keyPem, ca, now, want);
  } catch (e) {
    return `unreadable (${(e as Error).message})`;
  }
}

function readIfExists(p: string): string | undefined {
  return existsSync(p) ? readFileSync(p, 'utf8') : undefined;
}

function writeAtomic(p: string, data: string, mode: number): void {
  const tmp = `${p}.tmp-${process.pid}`;
  writeFileSync(tmp, data, { mode });
  chmodSync(tmp, mode); // the umask may have narrowed or the file may have pre-existed
  renameSync(tmp, p);
}

// ---- generation (lazy: loads @peculiar/x509 only when a certificate must be made) ----

interface Generator {
  createCa(now: Date): Promise<{ cert: string; key: string }>;
  createServer(caCert: string, caKey: string, sans: SanSet, now: Date, commonName?: string): Promise<{ cert: string; key: string }>;
  createClient(
    caCert: string,
    caKey: string,
    user: string,
    groups: string[],
    now: Date,
  ): Promise<{ cert: string; key: string }>;
}

let generatorPromise: Promise<Generator> | undefined;
function generator(): Promise<Generator> {
  generatorPromise ??= loadGenerator();
  return generatorPromise;
}

async function loadGenerator(): Promise<Generator> {
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const subtle = webcrypto.subtle;

  const newKeys = () => subtle.generateKey(alg, true, ['sign', 'verify']) as Promise<webcrypto.CryptoKeyPair>;
  const keyPem = async (k: webcrypto.CryptoKey) =>
    toPem('PRIVATE KEY', Buffer.from(await subtle.exportKey('pkcs8', k)));
  const serial = () => {
    const b = randomBytes(16);
    b[0] = b[0]! & 0x7f; // positive
    return b.toString('hex');
  };
  const validity = (now: Date, days: number) => ({
    notBefore: new Date(now.getTime() - 5 * 60 * 1000), // tolerate small clock skew between machines
    notAfter: new Date(now.getTime() + days * DAY_MS),
  });
  const importCa = async (certPem: string, keyPemText: string) => ({
    cert: new x509.X509Certificate(certPem),
    key: await subtle.importKey('pkcs8', fromPem(keyPemText), alg, false, ['sign']),
  });

  const issue = async (
    caCert: string,
    caKey: string,
    subject: string,
    days: number,
    now: Date,
    extensions: InstanceType<typeof x509.Extension>[],
  ) => {
    const ca = await importCa(caCert, caKey);
    const keys = await newKeys();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject,
      issuer: ca.cert.subject,
      ...validity(now, days),
      publicKey: keys.publicKey,
      signingKey: ca.key,
      signingAlgorithm: alg,
      extensions: [
        ...extensions,
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(ca.cert.publicKey),
      ],
    });
    return { cert: cert.toString('pem') + '\n', key: await keyPem(keys.privateKey) };
  };

  return {
    async createCa(now) {
      const keys = await newKeys();
      const cert = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: serial(),
        name: `CN=skiff-ca@${Math.floor(now.getTime() / 1000)}`,
        ...validity(now, CA_DAYS),
        keys,
        signingAlgorithm: alg,
        extensions: [
          new x509.BasicConstraintsExtension(true, undefined, true),
          new x509.KeyUsagesExtension(
            x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
            true,
          ),
          await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        ],
      });
      return { cert: cert.toString('pem') + '\n', key: await keyPem(keys.privateKey) };
    },
    createServer(caCert, caKey, sans, now, commonName = 'skiff-apiserver') {
      return issue(caCert, caKey, `CN=${commonName}`, LEAF_DAYS, now, [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
          true,
        ),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([
          ...sans.dns.map((value) => ({ type: 'dns' as const, value })),
          ...sans.ips.map((value) => ({ type: 'ip' as const, value })),
        ]),
      ]);
    },
    createClient(caCert, caKey, user, groups, now) {
      const subject = [`CN=${user}`, ...groups.map((g) => `O=${g}`)].join(', ');
      return issue(caCert, caKey, subject, LEAF_DAYS, now, [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      ]);
    },
  };
}

/**
 * A node's credentials signed by the cluster CA in DIR/tls, as the kubelet's TLS bootstrap ends up with: a
 * client certificate for system:node:<name> (group system:nodes) and a serving certificate for its node
 * server covering its name and addresses.
 */
export async function issueNodeCertificates(
  dataDir: string,
  nodeName: string,
  addresses: string[],
  now = new Date(),
): Promise<{ caCert: string; clientCert: string; clientKey: string; servingCert: string; servingKey: string }> {
  const dir = join(dataDir, 'tls');
  const caCert = readFileSync(join(dir, 'ca.crt'), 'utf8');
  const caKey = readFileSync(join(dir, 'ca.key'), 'utf8');
  const g = await generator();
  const user = `system:node:${nodeName}`;
  const client = await g.createClient(caCert, caKey, user, ['system:nodes'], now);
  const sans = desiredServerSans(nodeName, addresses);
  const serving = await g.createServer(caCert, caKey, { dns: sans.dns.filter((d) => !d.startsWith('kubernetes')), ips: sans.ips.filter((i) => i !== serviceCidrOf().kubernetesIP) }, now, user);
  return { caCert, clientCert: client.cert, clientKey: client.key, servingCert: serving.cert, servingKey: serving.key };
}

function toPem(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

function fromPem(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}
