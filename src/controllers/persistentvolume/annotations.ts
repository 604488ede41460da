// The annotations the PV controller, the scheduler hand-off and provisioners agree on (upstream names).
export const annBindCompleted = 'pv.kubernetes.io/bind-completed';
export const annBoundByController = 'pv.kubernetes.io/bound-by-controller';
export const annStorageProvisioner = 'volume.kubernetes.io/storage-provisioner';
export const annBetaStorageProvisioner = 'volume.beta.kubernetes.io/storage-provisioner';
export const annSelectedNode = 'volume.kubernetes.io/selected-node';
export const annDynamicallyProvisioned = 'pv.kubernetes.io/provisioned-by';
/** The built-in local-path provisioner's name (as k3s) and the node its volume lives on. */
export const localPathProvisioner = 'rancher.io/local-path';
export const annLocalPathNode = 'local.path.provisioner/selected-node';
/** Set by a node agent: where its local-path volumes live. */
export const annLocalPathRoot = 'skiff.dev/local-path-root';
