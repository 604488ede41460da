// Authorization: may this user do this? For now every authenticated user may do everything
// (AllowAllAuthorizer), as a cluster whose only credentials are the admin's. This is the seam where RBAC
// (and later Node authorization) plugs in: the server calls authorize() once per request with upstream's
// request attributes, and only this module decides. It must not authenticate or touch storage itself.

import type { UserInfo } from './authn.js';

/** The attributes upstream's authorizer.Attributes carries for one request. */
export interface AuthorizationAttributes {
  /** get, list, watch, create, update, patch, delete, deletecollection; for non-resource paths the HTTP verb. */
  verb: string;
  apiGroup: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** Set for non-resource requests (e.g. /healthz, /version). */
  path?: string;
}

export interface AuthorizationDecision {
  allowed: boolean;
  reason: string;
}

export interface Authorizer {
  authorize(user: UserInfo, attrs: AuthorizationAttributes): AuthorizationDecision;
}

/** Allows every authenticated user; to be replaced by RBAC. */
export class AllowAllAuthorizer implements Authorizer {
  authorize(_user: UserInfo, _attrs: AuthorizationAttributes): AuthorizationDecision {
    return { allowed: true, reason: 'skiff allows every authenticated user (no RBAC yet)' };
  }
}

/** The message upstream's 403 carries: `User "u" cannot get resource "pods" in API group "" in the namespace "ns"`. */
export function forbiddenMessage(user: UserInfo, a: AuthorizationAttributes, reason?: string): string {
  let msg: string;
  if (a.path !== undefined && !a.resource) {
    msg = `User "${user.username}" cannot ${a.verb} path "${a.path}"`;
  } else {
    const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
    msg = `User "${user.username}" cannot ${a.verb} resource "${res}" in API group "${a.apiGroup}"`;
    msg += a.namespace ? ` in the namespace "${a.namespace}"` : ' at the cluster scope';
  }
  return reason ? `${msg}: ${reason}` : msg;
}
