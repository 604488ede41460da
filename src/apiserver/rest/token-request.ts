// POST /api/v1/namespaces/{ns}/serviceaccounts/{name}/token (TokenRequest), as upstream's token REST
// (pkg/registry/core/serviceaccount/storage/token.go): defaults (expirationSeconds 3600, audiences = the API
// audiences), validation (10 minutes to 2^32 seconds), the service account must exist, and a bound object
// (Pod or Secret; Node) must exist with the given uid, a pod must run as this service account. Answers 201
// with the TokenRequest and status {token, expirationTimestamp}.
import type { TokenRequest } from 'kubernetes-types/authentication/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { errors, StatusError } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';
import type { ServiceAccountTokens } from '../auth/service-accounts.js';
import type { KubernetesClaim, ObjectRef } from '../auth/service-account-token.js';
import type { RestDeps, RestRequest, RestResponse } from './types.js';

const minExpirationSeconds = 600;
const maxExpirationSeconds = 2 ** 32;

/** Field problems of a TokenRequest spec (pure), upstream ValidateTokenRequest. */
export function validateTokenRequest(tr: TokenRequest): { field: string; value: unknown; message: string }[] {
  const out: { field: string; value: unknown; message: string }[] = [];
  const exp = tr.spec?.expirationSeconds;
  if (exp !== undefined && exp < minExpirationSeconds) out.push({ field: 'spec.expirationSeconds', value: exp, message: 'may not specify a duration less than 10 minutes' });
  if (exp !== undefined && exp > maxExpirationSeconds) out.push({ field: 'spec.expirationSeconds', value: exp, message: 'may not specify a duration larger than 2^32 seconds' });
  return out;
}

export async function requestToken(deps: RestDeps, req: RestRequest, tokens: ServiceAccountTokens): Promise<RestResponse> {
  const { namespace, name } = req.info;
  const body = (req.body ?? {}) as TokenRequest;
  if (!body || typeof body !== 'object' || (body.kind !== undefined && body.kind !== 'TokenRequest')) {
    throw errors.badRequest(`not a TokenRequest: ${JSON.stringify((body as { kind?: unknown })?.kind)}`);
  }
  const tr: TokenRequest = { ...body, apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { ...(body.spec ?? { audiences: [] }) } };
  const spec = tr.spec;
  spec.expirationSeconds ??= 3600;
  if (!spec.audiences?.length) spec.audiences = [...tokens.audiences];
  const problems = validateTokenRequest(tr);
  if (problems.length) {
    throw errors.invalid('authentication.k8s.io', 'TokenRequest', name, problems.map((p) => ({ reason: 'FieldValueInvalid', field: p.field, message: `Invalid value: ${JSON.stringify(p.value)}: ${p.message}` })));
  }

  const saType = deps.registry.lookup('', 'v1', 'serviceaccounts')!;
  const sa = await deps.storage.get(saType, namespace, name);
  if (!sa) throw errors.notFound('', 'serviceaccounts', name);
  const claim: KubernetesClaim = { namespace, serviceaccount: { name, uid: sa.metadata.uid ?? '' } };

  const ref = spec.boundObjectRef;
  if (ref) {
    const kind = ref.kind ?? '';
    const refName = ref.name ?? '';
    const get = async (resource: string, ns: string): Promise<KubeObject> => {
      const rt = deps.registry.lookup('', 'v1', resource)!;
      const obj = await deps.storage.get(rt, ns, refName);
      if (!obj) throw errors.notFound('', resource, refName);
      if (ref.uid && ref.uid !== obj.metadata.uid) {
        throw new StatusError(409, 'Conflict', `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
      }
      return obj;
    };
    const refOf = (o: KubeObject): ObjectRef => ({ name: o.metadata.name ?? '', uid: o.metadata.uid ?? '' });
    if (ref.apiVersion && ref.apiVersion !== 'v1') throw errors.badRequest(`cannot bind token for ${ref.apiVersion} ${kind}`);
    if (kind === 'Pod') {
      const pod = (await get('pods', namespace)) as KubeObject & Pod;
      if ((pod.spec?.serviceAccountName || 'default') !== name) {
        throw errors.badRequest(`cannot bind token for serviceaccount "${name}" to pod running with different serviceaccount name.`);
      }
      claim.pod = refOf(pod);
      const nodeName = pod.spec?.nodeName;
      if (nodeName) {
        const node = await deps.storage.get(deps.registry.lookup('', 'v1', 'nodes')!, '', nodeName);
        if (node) claim.node = refOf(node);
      }
    } else if (kind === 'Secret') {
      claim.secret = refOf(await get('secrets', namespace));
    } else if (kind === 'Node') {
      claim.node = refOf(await get('nodes', ''));
    } else {
      throw errors.badRequest(`cannot bind token to object of type ${kind}`);
    }
    spec.boundObjectRef = { ...ref, apiVersion: 'v1', uid: (claim.pod ?? claim.secret ?? claim.node)!.uid };
  }

  const issued = tokens.issue({ audiences: spec.audiences, expirationSeconds: spec.expirationSeconds, kubernetes: claim });
  const out: TokenRequest = {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    metadata: { name, namespace, creationTimestamp: issued.issuedAt.toISOString().replace(/\.\d{3}Z$/, 'Z') },
    spec,
    status: { token: issued.token, expirationTimestamp: issued.expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z') },
  };
  return { status: 201, object: out };
}
