// The garbage collector's dependency graph (upstream GraphBuilder's uidToNode): one node per object uid,
// owner → dependents edges from ownerReferences. Observed nodes come from the metadata informers; virtual
// nodes stand for owners only known from a reference, until a live lookup confirms or refutes them. Every
// change returns the uids the collector must look at (attemptToDelete / attemptToOrphan) — the graph
// itself does no I/O, and it only triggers work: every decision is verified against the live API.
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { ResourceRef } from '../../client/resource.js';
import { parseApiVersion } from '../../api/types.js';
import { isBeingDeleted, isDeletingDependents, isOrphaningDependents, type MetaState } from './decisions.js';

export interface ObjectIdentity {
  uid: string;
  apiVersion: string;
  kind: string;
  name: string;
  /** For virtual nodes: the namespace of the dependent that referred to it (scope not yet known). */
  namespace?: string;
}

export interface GraphNode {
  identity: ObjectIdentity;
  /** The resource an observed node was seen through (virtual nodes: unknown). */
  resource?: ResourceRef;
  /** Seen through an informer; false = virtual (known only from a reference). */
  observed: boolean;
  owners: OwnerReference[];
  dependents: Set<GraphNode>;
  beingDeleted: boolean;
  deletingDependents: boolean;
  orphaning: boolean;
}

/** Metadata of an object as an informer reports it. */
export interface ObservedMeta extends MetaState {
  uid: string;
  name: string;
  namespace?: string;
  ownerReferences?: readonly OwnerReference[];
}

/** Work the collector must do after a graph change (uids; duplicates are harmless). */
export interface GraphEffects {
  attemptToDelete: string[];
  attemptToOrphan: string[];
}

const none = (): GraphEffects => ({ attemptToDelete: [], attemptToOrphan: [] });

function groupOf(apiVersion: string): string {
  return parseApiVersion(apiVersion).group;
}

export class DependencyGraph {
  private readonly nodes = new Map<string, GraphNode>();

  get size(): number {
    return this.nodes.size;
  }

  get(uid: string): GraphNode | undefined {
    return this.nodes.get(uid);
  }

  /** An informer reported obj (added or updated) from `resource`. */
  observe(resource: ResourceRef & { kind: string }, meta: ObservedMeta): GraphEffects {
    const fx = none();
    const identity: ObjectIdentity = {
      uid: meta.uid,
      apiVersion: resource.group ? `${resource.group}/${resource.version}` : resource.version,
      kind: resource.kind,
      name: meta.name,
      ...(meta.namespace ? { namespace: meta.namespace } : {}),
    };
    const refs = [...(meta.ownerReferences ?? [])];
    let node = this.nodes.get(meta.uid);
    const wasDeletingDependents = node?.observed ? node.deletingDependents : false;
    const wasOrphaning = node?.observed ? node.orphaning : false;

    if (!node) {
      node = { identity, resource, observed: true, owners: refs, dependents: new Set(), beingDeleted: false, deletingDependents: false, orphaning: false };
      this.nodes.set(meta.uid, node);
      this.addDependentToOwners(node, refs, fx);
    } else {
      if (!node.observed) {
        // A virtual node turns real. Dependents that named it by other coordinates may be wrong: re-check them.
        for (const dep of node.dependents) {
          const ref = dep.owners.find((r) => r.uid === meta.uid);
          if (!ref || !referenceMatches(ref, identity) || (identity.namespace && dep.identity.namespace !== identity.namespace)) {
            fx.attemptToDelete.push(dep.identity.uid);
          }
        }
        node.observed = true;
        node.owners = [];
      }
      node.identity = identity;
      node.resource = resource;
      const { added, removed, changed } = referenceDiffs(node.owners, refs);
      if (added.length || removed.length || changed.length) {
        this.addUnblockedOwners(removed, changed, fx);
        node.owners = refs;
        this.addDependentToOwners(node, added, fx);
        this.removeDependentFromOwners(node, removed);
      }
    }
    node.beingDeleted = isBeingDeleted(meta);
    node.deletingDependents = isDeletingDependents(meta);
    node.orphaning = isOrphaningDependents(meta);
    if (node.orphaning && !wasOrphaning) fx.attemptToOrphan.push(node.identity.uid);
    if (node.deletingDependents && !wasDeletingDependents) {
      for (const dep of node.dependents) fx.attemptToDelete.push(dep.identity.uid);
      fx.attemptToDelete.push(node.identity.uid);
    }
    return fx;
  }

  /** An informer reported the object deleted (or a live lookup proved an observed node gone). */
  remove(uid: string): GraphEffects {
    const fx = none();
    const node = this.nodes.get(uid);
    if (!node) return fx;
    this.nodes.delete(uid);
    this.removeDependentFromOwners(node, node.owners);
    for (const dep of node.dependents) fx.attemptToDelete.push(dep.identity.uid);
    for (const ref of node.owners) {
      // An owner waiting for its dependents may now be free to go.
      const owner = this.nodes.get(ref.uid);
      if (owner?.deletingDependents) fx.attemptToDelete.push(owner.identity.uid);
    }
    return fx;
  }

  /** A live lookup found no object for a virtual node: its dependents must be re-checked. */
  virtualNodeAbsent(uid: string): GraphEffects {
    const node = this.nodes.get(uid);
    if (!node || node.observed) return none();
    return this.remove(uid);
  }

  /** Dependents whose reference to owner blocks its foreground deletion. */
  blockingDependents(owner: GraphNode): GraphNode[] {
    return [...owner.dependents].filter((d) => d.owners.some((r) => r.uid === owner.identity.uid && r.blockOwnerDeletion));
  }

  private addDependentToOwners(node: GraphNode, refs: readonly OwnerReference[], fx: GraphEffects): void {
    let suspicious = false;
    for (const ref of refs) {
      let owner = this.nodes.get(ref.uid);
      if (!owner) {
        owner = {
          identity: { uid: ref.uid, apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, ...(node.identity.namespace ? { namespace: node.identity.namespace } : {}) },
          observed: false,
          owners: [],
          dependents: new Set(),
          beingDeleted: false,
          deletingDependents: false,
          orphaning: false,
        };
        this.nodes.set(ref.uid, owner);
        // Does it exist? The collector looks it up; if not, this node is re-checked.
        fx.attemptToDelete.push(ref.uid);
      } else if (owner.observed) {
        const ownerNs = owner.identity.namespace;
        if ((ownerNs && ownerNs !== node.identity.namespace) || !referenceMatches(ref, owner.identity)) suspicious = true;
      }
      owner.dependents.add(node);
    }
    // A reference that does not match the observed owner (other namespace, kind or name) is probably
    // dangling: let the collector verify it.
    if (suspicious) fx.attemptToDelete.push(node.identity.uid);
  }

  private removeDependentFromOwners(node: GraphNode, refs: readonly OwnerReference[]): void {
    for (const ref of refs) this.nodes.get(ref.uid)?.dependents.delete(node);
  }

  /** Owners waiting in the foreground that a removed or no-longer-blocking reference may have released. */
  private addUnblockedOwners(removed: readonly OwnerReference[], changed: readonly [OwnerReference, OwnerReference][], fx: GraphEffects): void {
    const check = (uid: string) => {
      const owner = this.nodes.get(uid);
      if (owner?.deletingDependents) fx.attemptToDelete.push(uid);
    };
    for (const r of removed) if (r.blockOwnerDeletion) check(r.uid);
    for (const [oldRef, newRef] of changed) if (oldRef.blockOwnerDeletion && !newRef.blockOwnerDeletion) check(newRef.uid);
  }
}

function referenceMatches(ref: OwnerReference, id: ObjectIdentity): boolean {
  return ref.uid === id.uid && ref.name === id.name && ref.kind === id.kind && groupOf(ref.apiVersion) === groupOf(id.apiVersion);
}

/** Owner references added, removed and changed (same uid, other content) between two lists. */
export function referenceDiffs(
  old: readonly OwnerReference[],
  next: readonly OwnerReference[],
): { added: OwnerReference[]; removed: OwnerReference[]; changed: [OwnerReference, OwnerReference][] } {
  const oldByUid = new Map(old.map((r) => [r.uid, r]));
  const added: OwnerReference[] = [];
  const changed: [OwnerReference, OwnerReference][] = [];
  for (const r of next) {
    const o = oldByUid.get(r.uid);
    if (!o) added.push(r);
    else {
      oldByUid.delete(r.uid);
      if (
        o.apiVersion !== r.apiVersion ||
        o.kind !== r.kind ||
        o.name !== r.name ||
        !!o.controller !== !!r.controller ||
        !!o.blockOwnerDeletion !== !!r.blockOwnerDeletion
      ) {
        changed.push([o, r]);
      }
    }
  }
  return { added, removed: [...oldByUid.values()], changed };
}
