// DefaultBinder: binds through POST pods/<name>/binding. A 409 (already bound) or missing pod is
// reported as an error to the scheduler, which forgets the assumed pod.
import type { Pod } from 'kubernetes-types/core/v1.js';
import { resources, type ApiClient } from '../../../client/index.js';
import { errorStatus, type BindPlugin } from '../../framework/types.js';

export const name = 'DefaultBinder';

export function defaultBinder(client: ApiClient): BindPlugin {
  return {
    name,
    async bind(_state, pod: Pod, nodeName) {
      try {
        await client.createSubresource(
          resources.pods,
          pod.metadata!.name!,
          'binding',
          { apiVersion: 'v1', kind: 'Binding', metadata: { name: pod.metadata!.name, namespace: pod.metadata!.namespace, uid: pod.metadata!.uid }, target: { apiVersion: 'v1', kind: 'Node', name: nodeName } },
          { namespace: pod.metadata!.namespace },
        );
        return null;
      } catch (err) {
        return errorStatus((err as Error)?.message ?? String(err));
      }
    },
  };
}
