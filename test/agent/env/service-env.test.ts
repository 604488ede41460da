import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from 'kubernetes-types/core/v1.js';
import { serviceEnvVars, servicesForPod } from '../../../src/agent/env/service-env.js';

const svc = (ns: string, name: string, ip: string | undefined, ports: Service['spec'] extends infer S ? (S extends { ports?: infer P } ? P : never) : never): Service => ({
  metadata: { namespace: ns, name },
  spec: { clusterIP: ip, ports },
});

test('service variables: host, ports, named ports and docker links as upstream', () => {
  const vars = serviceEnvVars([
    svc('app', 'my-svc', '10.43.0.12', [
      { name: 'http', port: 80, protocol: 'TCP' },
      { name: 'dns-udp', port: 53, protocol: 'UDP' },
    ]),
  ]);
  assert.deepEqual(vars, [
    { name: 'MY_SVC_SERVICE_HOST', value: '10.43.0.12' },
    { name: 'MY_SVC_SERVICE_PORT', value: '80' },
    { name: 'MY_SVC_SERVICE_PORT_HTTP', value: '80' },
    { name: 'MY_SVC_SERVICE_PORT_DNS_UDP', value: '53' },
    { name: 'MY_SVC_PORT', value: 'tcp://10.43.0.12:80' },
    { name: 'MY_SVC_PORT_80_TCP', value: 'tcp://10.43.0.12:80' },
    { name: 'MY_SVC_PORT_80_TCP_PROTO', value: 'tcp' },
    { name: 'MY_SVC_PORT_80_TCP_PORT', value: '80' },
    { name: 'MY_SVC_PORT_80_TCP_ADDR', value: '10.43.0.12' },
    { name: 'MY_SVC_PORT_53_UDP', value: 'udp://10.43.0.12:53' },
    { name: 'MY_SVC_PORT_53_UDP_PROTO', value: 'udp' },
    { name: 'MY_SVC_PORT_53_UDP_PORT', value: '53' },
    { name: 'MY_SVC_PORT_53_UDP_ADDR', value: '10.43.0.12' },
  ]);
});

test('service variables: IPv6 addresses are bracketed; protocol defaults to TCP; unnamed port has no suffix', () => {
  const vars = serviceEnvVars([svc('a', 'v6', 'fd00::10', [{ port: 8080 }])]);
  assert.deepEqual(
    vars.map((v) => `${v.name}=${v.value}`),
    ['V6_SERVICE_HOST=fd00::10', 'V6_SERVICE_PORT=8080', 'V6_PORT=tcp://[fd00::10]:8080', 'V6_PORT_8080_TCP=tcp://[fd00::10]:8080', 'V6_PORT_8080_TCP_PROTO=tcp', 'V6_PORT_8080_TCP_PORT=8080', 'V6_PORT_8080_TCP_ADDR=fd00::10'],
  );
});

test('which services a pod sees', () => {
  const all = [
    svc('default', 'kubernetes', '10.43.0.1', [{ name: 'https', port: 443 }]),
    svc('default', 'other', '10.43.0.2', [{ port: 1 }]),
    svc('app', 'web', '10.43.0.3', [{ port: 80 }]),
    svc('app', 'headless', 'None', [{ port: 80 }]),
    svc('app', 'external', undefined, [{ port: 80 }]),
    svc('app', 'kubernetes', '10.43.0.9', [{ port: 80 }]),
    svc('elsewhere', 'db', '10.43.0.4', [{ port: 5432 }]),
  ];
  const names = (ns: string, links: boolean) => servicesForPod(all, ns, links).map((s) => `${s.metadata!.namespace}/${s.metadata!.name}`).sort();
  const cases: [string, boolean, string[]][] = [
    // A same-named service of the pod's namespace replaces the master service, as upstream's map does.
    ['app', true, ['app/kubernetes', 'app/web']],
    ['app', false, ['default/kubernetes']],
    ['default', true, ['default/kubernetes', 'default/other']],
    ['default', false, ['default/kubernetes']],
    ['none', true, ['default/kubernetes']],
  ];
  for (const [ns, links, want] of cases) assert.deepEqual(names(ns, links), want, `${ns} links=${links}`);
});
