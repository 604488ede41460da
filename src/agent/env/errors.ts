// The error the agent reports as the container's waiting reason `CreateContainerConfigError`: the container's
// configuration cannot be resolved (a missing ConfigMap, Secret or key; an unsupported field path). Messages
// are upstream's, e.g. `configmap "x" not found`, `couldn't find key y in ConfigMap ns/x`.
export class ContainerConfigError extends Error {
  override name = 'ContainerConfigError';
  readonly reason = 'CreateContainerConfigError';
}
