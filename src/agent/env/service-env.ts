// Service environment variables as the kubelet injects them (pkg/kubelet/envvars): for every service with a
// cluster IP in the pod's namespace (when enableServiceLinks) plus the `kubernetes` service of the default
// namespace (always), `<NAME>_SERVICE_HOST`, `<NAME>_SERVICE_PORT[_<PORTNAME>]` and the docker-link
// variables `<NAME>_PORT`, `<NAME>_PORT_<port>_<PROTO>[_PROTO|_PORT|_ADDR]`. Pure.
import type { Service } from 'kubernetes-types/core/v1.js';

const masterServices = new Set(['kubernetes']);

function isServiceIpSet(svc: Service): boolean {
  const ip = svc.spec?.clusterIP;
  return !!ip && ip !== 'None';
}

function envName(s: string): string {
  return s.replace(/-/g, '_').toUpperCase();
}

function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The services whose variables a pod of `namespace` gets (upstream getServiceEnvVarMap's selection). */
export function servicesForPod(services: Service[], namespace: string, enableServiceLinks: boolean): Service[] {
  const byName = new Map<string, Service>();
  for (const svc of services) {
    if (!isServiceIpSet(svc)) continue;
    const name = svc.metadata?.name ?? '';
    const ns = svc.metadata?.namespace ?? '';
    if (ns === 'default' && masterServices.has(name)) {
      if (!byName.has(name)) byName.set(name, svc);
    } else if (ns === namespace && enableServiceLinks) {
      byName.set(name, svc);
    }
  }
  return [...byName.values()];
}

/** Variables for the given services, in upstream's order per service (envvars.FromServices). */
export function serviceEnvVars(services: Service[]): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  for (const svc of services) {
    const ports = svc.spec?.ports ?? [];
    if (!isServiceIpSet(svc) || ports.length === 0) continue;
    const ip = svc.spec!.clusterIP!;
    const prefix = envName(svc.metadata?.name ?? '');
    out.push({ name: `${prefix}_SERVICE_HOST`, value: ip });
    const portVar = `${prefix}_SERVICE_PORT`;
    out.push({ name: portVar, value: String(ports[0]!.port) });
    for (const p of ports) if (p.name) out.push({ name: `${portVar}_${envName(p.name)}`, value: String(p.port) });
    ports.forEach((p, i) => {
      const proto = p.protocol || 'TCP';
      const url = `${proto.toLowerCase()}://${joinHostPort(ip, p.port)}`;
      if (i === 0) out.push({ name: `${prefix}_PORT`, value: url });
      const pp = `${prefix}_PORT_${p.port}_${proto.toUpperCase()}`;
      out.push(
        { name: pp, value: url },
        { name: `${pp}_PROTO`, value: proto.toLowerCase() },
        { name: `${pp}_PORT`, value: String(p.port) },
        { name: `${pp}_ADDR`, value: ip },
      );
    });
  }
  return out;
}
