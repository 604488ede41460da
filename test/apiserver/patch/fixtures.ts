// Hand-written OpenAPI v3 schemas for the patch tests: a Deployment-like kind carrying upstream's
// x-kubernetes-patch-* / list-type / map-type annotations, plus a minimal resolver over them.
import type { Schema, SchemaResolver } from '../../../src/api/schema/types.js';

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const str: Schema = { type: 'string' };
const int: Schema = { type: 'integer' };
const stringMap: Schema = { type: 'object', additionalProperties: { type: 'string' } };

export const definitions: Record<string, Schema> = {
  Deployment: {
    type: 'object',
    'x-kubernetes-group-version-kind': [{ group: 'apps', version: 'v1', kind: 'Deployment' }],
    properties: {
      apiVersion: str,
      kind: str,
      metadata: ref('ObjectMeta'),
      spec: ref('DeploymentSpec'),
      status: { type: 'object', properties: { replicas: int, readyReplicas: int } },
    },
  },
  ObjectMeta: {
    type: 'object',
    properties: {
      name: str,
      namespace: str,
      uid: str,
      resourceVersion: str,
      generation: int,
      creationTimestamp: str,
      labels: stringMap,
      annotations: stringMap,
      finalizers: {
        type: 'array',
        items: str,
        'x-kubernetes-patch-strategy': 'merge',
        'x-kubernetes-list-type': 'set',
      },
      ownerReferences: {
        type: 'array',
        items: { type: 'object', properties: { uid: str, name: str, kind: str, apiVersion: str } },
        'x-kubernetes-patch-strategy': 'merge',
        'x-kubernetes-patch-merge-key': 'uid',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['uid'],
      },
      managedFields: { type: 'array', items: { type: 'object' } },
    },
  },
  DeploymentSpec: {
    type: 'object',
    properties: {
      replicas: int,
      paused: { type: 'boolean' },
      minReadySeconds: int,
      selector: ref('LabelSelector'),
      template: ref('PodTemplateSpec'),
      strategy: { allOf: [ref('DeploymentStrategy')], 'x-kubernetes-patch-strategy': 'retainKeys' },
    },
  },
  LabelSelector: {
    type: 'object',
    'x-kubernetes-map-type': 'atomic',
    properties: { matchLabels: stringMap },
  },
  DeploymentStrategy: {
    type: 'object',
    properties: {
      type: str,
      rollingUpdate: {
        type: 'object',
        properties: {
          maxSurge: { 'x-kubernetes-int-or-string': true },
          maxUnavailable: { 'x-kubernetes-int-or-string': true },
        },
      },
    },
  },
  PodTemplateSpec: {
    type: 'object',
    properties: { metadata: ref('ObjectMeta'), spec: ref('PodSpec') },
  },
  PodSpec: {
    type: 'object',
    properties: {
      containers: {
        type: 'array',
        items: ref('Container'),
        'x-kubernetes-patch-strategy': 'merge',
        'x-kubernetes-patch-merge-key': 'name',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
      },
      volumes: {
        type: 'array',
        items: ref('Volume'),
        'x-kubernetes-patch-strategy': 'merge,retainKeys',
        'x-kubernetes-patch-merge-key': 'name',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
      },
      tolerations: {
        type: 'array',
        items: { type: 'object', properties: { key: str, operator: str, effect: str, value: str } },
        'x-kubernetes-list-type': 'atomic',
      },
      nodeSelector: { ...stringMap, 'x-kubernetes-map-type': 'atomic' },
      restartPolicy: str,
      dnsPolicy: str,
    },
  },
  Container: {
    type: 'object',
    properties: {
      name: str,
      image: str,
      imagePullPolicy: str,
      args: { type: 'array', items: str, 'x-kubernetes-list-type': 'atomic' },
      env: {
        type: 'array',
        items: { type: 'object', properties: { name: str, value: str } },
        'x-kubernetes-patch-strategy': 'merge',
        'x-kubernetes-patch-merge-key': 'name',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
      },
      ports: {
        type: 'array',
        items: ref('ContainerPort'),
        'x-kubernetes-patch-strategy': 'merge',
        'x-kubernetes-patch-merge-key': 'containerPort',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['containerPort', 'protocol'],
      },
      resources: {
        type: 'object',
        properties: { limits: stringMap, requests: stringMap },
      },
    },
  },
  ContainerPort: {
    type: 'object',
    properties: { containerPort: int, name: str, protocol: { type: 'string', default: 'TCP' } },
  },
  Volume: {
    type: 'object',
    properties: {
      name: str,
      emptyDir: { type: 'object', properties: { medium: str } },
      configMap: { type: 'object', properties: { name: str } },
      secret: { type: 'object', properties: { secretName: str } },
    },
  },
};

export const resolver: SchemaResolver = {
  resolve(schema) {
    let s = schema;
    for (let i = 0; s && s.$ref && i < 20; i++) s = definitions[s.$ref.replace('#/components/schemas/', '')];
    return s;
  },
  forKind(group, version, kind) {
    return group === 'apps' && version === 'v1' && kind === 'Deployment' ? definitions.Deployment : undefined;
  },
};

export const deploymentSchema = definitions.Deployment!;

/** A typical live Deployment (as stored), for patches to act on. */
export function liveDeployment(): Record<string, unknown> & { metadata: Record<string, unknown> } {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'default',
      uid: 'u-1',
      resourceVersion: '7',
      labels: { app: 'web' },
      finalizers: ['a', 'b'],
    },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            { name: 'main', image: 'nginx:1.27', ports: [{ containerPort: 80, protocol: 'TCP' }], env: [{ name: 'A', value: '1' }] },
            { name: 'sidecar', image: 'busybox', args: ['sleep', '3600'] },
          ],
          volumes: [{ name: 'data', emptyDir: {} }],
          tolerations: [{ key: 'k1', operator: 'Exists' }],
        },
      },
    },
  };
}
