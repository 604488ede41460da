// Tables for the smaller cluster-level groups: rbac.authorization.k8s.io bindings, coordination leases,
// scheduling priority classes, node runtime classes, policy disruption budgets, admission webhook and policy
// configurations, certificate signing requests and flow-control objects — as upstream printers.go.
// Roles and ClusterRoles have no printer upstream and use the default NAME / CREATED AT table.
// Pure over object and `now`.
import type { CertificateSigningRequest } from 'kubernetes-types/certificates/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import type { Subject } from 'kubernetes-types/rbac/v1.js';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import type { TableConvertor } from '../resource.js';
import { humanDuration } from '../../util/human-duration.js';
import { AGE_COLUMN, NAME_COLUMN, age, column, field, intOrString, labelSelectorString, nameOf } from './format.js';

// ---- rbac ----

/** rbac.SubjectsStrings: users, groups and "namespace/name" service accounts. */
export function subjectsStrings(subjects: Subject[] | undefined): [string[], string[], string[]] {
  const users: string[] = [];
  const groups: string[] = [];
  const sas: string[] = [];
  for (const s of subjects ?? []) {
    if (s.kind === 'User') users.push(s.name);
    else if (s.kind === 'Group') groups.push(s.name);
    else if (s.kind === 'ServiceAccount') sas.push(`${s.namespace ?? ''}/${s.name}`);
  }
  return [users, groups, sas];
}

function bindingTable(what: 'roleBinding' | 'clusterRoleBinding'): TableConvertor {
  const doc = what === 'roleBinding' ? 'rbac.v1.RoleBinding.roleRef' : 'rbac.v1.ClusterRoleBinding.roleRef';
  return {
    columns: [
      NAME_COLUMN,
      column('Role', 'string', doc),
      AGE_COLUMN,
      column('Users', 'string', { text: `Users in the ${what}` }, { priority: 1 }),
      column('Groups', 'string', { text: `Groups in the ${what}` }, { priority: 1 }),
      column('ServiceAccounts', 'string', { text: `ServiceAccounts in the ${what}` }, { priority: 1 }),
    ],
    row(obj, now) {
      const ref = field(obj, 'roleRef');
      const [users, groups, sas] = subjectsStrings(field(obj, 'subjects') as Subject[] | undefined);
      return [
        nameOf(obj),
        `${String(field(ref, 'kind') ?? '')}/${String(field(ref, 'name') ?? '')}`,
        age(obj, now),
        users.join(', '),
        groups.join(', '),
        sas.join(', '),
      ];
    },
  };
}

export const roleBindingTable = bindingTable('roleBinding');
export const clusterRoleBindingTable = bindingTable('clusterRoleBinding');

// ---- coordination, scheduling, node ----

export const leaseTable: TableConvertor = {
  columns: [NAME_COLUMN, column('Holder', 'string', 'coordination.v1.LeaseSpec.holderIdentity'), AGE_COLUMN],
  row(obj, now) {
    return [nameOf(obj), (obj as unknown as Lease).spec?.holderIdentity ?? '', age(obj, now)];
  },
};

export const priorityClassTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Value', 'integer', 'scheduling.v1.PriorityClass.value'),
    column('Global-Default', 'boolean', 'scheduling.v1.PriorityClass.globalDefault'),
    AGE_COLUMN,
    column('PreemptionPolicy', 'string', 'scheduling.v1.PriorityClass.preemptionPolicy'),
  ],
  row(obj, now) {
    const pc = obj as unknown as PriorityClass;
    return [nameOf(obj), pc.value ?? 0, pc.globalDefault ?? false, age(obj, now), pc.preemptionPolicy ?? ''];
  },
};

export const runtimeClassTable: TableConvertor = {
  // Upstream looks the description up under a key ObjectMeta does not have, so it is empty.
  columns: [NAME_COLUMN, column('Handler', 'string', { text: '' }), AGE_COLUMN],
  row(obj, now) {
    return [nameOf(obj), String(field(obj, 'handler') ?? ''), age(obj, now)];
  },
};

// ---- policy ----

export const podDisruptionBudgetTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Min Available', 'string', { text: 'The minimum number of pods that must be available.' }),
    column('Max Unavailable', 'string', { text: 'The maximum number of pods that may be unavailable.' }),
    column('Allowed Disruptions', 'integer', { text: 'Calculated number of pods that may be disrupted at this time.' }),
    AGE_COLUMN,
  ],
  row(obj, now) {
    const pdb = obj as unknown as PodDisruptionBudget;
    const min = pdb.spec?.minAvailable;
    const max = pdb.spec?.maxUnavailable;
    return [
      nameOf(obj),
      min === undefined || min === null ? 'N/A' : intOrString(min),
      max === undefined || max === null ? 'N/A' : intOrString(max),
      pdb.status?.disruptionsAllowed ?? 0,
      age(obj, now),
    ];
  },
};

// ---- admission registration ----

export const webhookConfigurationTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Webhooks', 'integer', { text: 'Webhooks indicates the number of webhooks registered in this configuration' }),
    AGE_COLUMN,
  ],
  row(obj, now) {
    const hooks = field(obj, 'webhooks');
    return [nameOf(obj), Array.isArray(hooks) ? hooks.length : 0, age(obj, now)];
  },
};

function admissionPolicyTable(count: 'validations' | 'mutations'): TableConvertor {
  const text =
    count === 'validations'
      ? 'Validations indicates the number of validation rules defined in this configuration'
      : 'Mutation indicates the number of mutations rules defined in this configuration';
  return {
    columns: [
      NAME_COLUMN,
      column(count === 'validations' ? 'Validations' : 'Mutations', 'integer', { text }),
      column('ParamKind', 'string', { text: 'ParamKind specifies the kind of resources used to parameterize this policy' }),
      AGE_COLUMN,
    ],
    row(obj, now) {
      const rules = field(obj, 'spec', count);
      const paramKind = field(obj, 'spec', 'paramKind');
      const pk = paramKind ? `${String(field(paramKind, 'apiVersion') ?? '')}/${String(field(paramKind, 'kind') ?? '')}` : '<unset>';
      return [nameOf(obj), Array.isArray(rules) ? rules.length : 0, pk, age(obj, now)];
    },
  };
}

export const validatingAdmissionPolicyTable = admissionPolicyTable('validations');
export const mutatingAdmissionPolicyTable = admissionPolicyTable('mutations');

export const admissionPolicyBindingTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('PolicyName', 'string', { text: 'PolicyName indicates the policy definition which the policy binding binded to' }),
    column('ParamRef', 'string', { text: 'ParamRef indicates the param resource which sets the configration param' }),
    AGE_COLUMN,
  ],
  row(obj, now) {
    const pr = field(obj, 'spec', 'paramRef');
    let param = '<unset>';
    if (pr && typeof pr === 'object') {
      const name = String(field(pr, 'name') ?? '');
      const ns = String(field(pr, 'namespace') ?? '');
      const selector = field(pr, 'selector');
      if (name) param = ns ? `${ns}/${name}` : `*/${name}`;
      else if (selector && typeof selector === 'object') param = labelSelectorString(selector) ?? '<error>';
    }
    return [nameOf(obj), String(field(obj, 'spec', 'policyName') ?? ''), param, age(obj, now)];
  },
};

// ---- certificates ----

export function csrCondition(csr: CertificateSigningRequest): string {
  let approved = false;
  let denied = false;
  let failed = false;
  for (const c of csr.status?.conditions ?? []) {
    if (c.type === 'Approved') approved = true;
    else if (c.type === 'Denied') denied = true;
    else if (c.type === 'Failed') failed = true;
  }
  let status = denied ? 'Denied' : approved ? 'Approved' : 'Pending';
  if (failed) status += ',Failed';
  if (csr.status?.certificate) status += ',Issued';
  return status;
}

export const certificateSigningRequestTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    AGE_COLUMN,
    column('SignerName', 'string', 'certificates.v1.CertificateSigningRequestSpec.signerName'),
    column('Requestor', 'string', 'certificates.v1.CertificateSigningRequestSpec.request'),
    column('RequestedDuration', 'string', 'certificates.v1.CertificateSigningRequestSpec.expirationSeconds'),
    column('Condition', 'string', 'certificates.v1.CertificateSigningRequestStatus.conditions'),
  ],
  row(obj, now) {
    const csr = obj as unknown as CertificateSigningRequest;
    const seconds = csr.spec?.expirationSeconds;
    return [
      nameOf(obj),
      age(obj, now),
      csr.spec?.signerName || '<none>',
      csr.spec?.username ?? '',
      typeof seconds === 'number' ? humanDuration(seconds * 1000) : '<none>',
      csrCondition(csr),
    ];
  },
};

// ---- flow control ----

export const flowSchemaTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('PriorityLevel', 'string', 'flowcontrol.v1.PriorityLevelConfigurationReference.name'),
    column('MatchingPrecedence', 'string', 'flowcontrol.v1.FlowSchemaSpec.matchingPrecedence'),
    column('DistinguisherMethod', 'string', 'flowcontrol.v1.FlowSchemaSpec.distinguisherMethod'),
    AGE_COLUMN,
    column('MissingPL', 'string', { text: 'references a broken or non-existent PriorityLevelConfiguration' }),
  ],
  row(obj, now) {
    const dm = field(obj, 'spec', 'distinguisherMethod');
    const conditions = field(obj, 'status', 'conditions');
    let missing = '?';
    if (Array.isArray(conditions)) {
      const dangling = conditions.find((c) => field(c, 'type') === 'Dangling');
      if (dangling) missing = String(field(dangling, 'status') ?? '');
    }
    return [
      nameOf(obj),
      String(field(obj, 'spec', 'priorityLevelConfiguration', 'name') ?? ''),
      Number(field(obj, 'spec', 'matchingPrecedence') ?? 0),
      dm ? String(field(dm, 'type') ?? '') : '<none>',
      age(obj, now),
      missing,
    ];
  },
};

export const priorityLevelConfigurationTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Type', 'string', 'flowcontrol.v1.PriorityLevelConfigurationSpec.type'),
    column('NominalConcurrencyShares', 'string', 'flowcontrol.v1.LimitedPriorityLevelConfiguration.nominalConcurrencyShares'),
    column('Queues', 'string', 'flowcontrol.v1.QueuingConfiguration.queues'),
    column('HandSize', 'string', 'flowcontrol.v1.QueuingConfiguration.handSize'),
    column('QueueLengthLimit', 'string', 'flowcontrol.v1.QueuingConfiguration.queueLengthLimit'),
    AGE_COLUMN,
  ],
  row(obj, now) {
    const limited = field(obj, 'spec', 'limited');
    let ncs: unknown = '<none>';
    let queues: unknown = '<none>';
    let handSize: unknown = '<none>';
    let queueLengthLimit: unknown = '<none>';
    if (limited && typeof limited === 'object') {
      ncs = field(limited, 'nominalConcurrencyShares') ?? 0;
      const q = field(limited, 'limitResponse', 'queuing');
      if (q && typeof q === 'object') {
        queues = field(q, 'queues') ?? 0;
        handSize = field(q, 'handSize') ?? 0;
        queueLengthLimit = field(q, 'queueLengthLimit') ?? 0;
      }
    }
    return [nameOf(obj), String(field(obj, 'spec', 'type') ?? ''), ncs, queues, handSize, queueLengthLimit, age(obj, now)];
  },
};

// ---- apiregistration (kube-aggregator's own table) ----

export const apiServiceTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Service', 'string', { text: 'The reference to the service that hosts this API endpoint.' }),
    column('Available', 'string', { text: 'Whether this service is available.' }),
    AGE_COLUMN,
  ],
  row(obj, now) {
    const svc = field(obj, 'spec', 'service');
    const service = svc && typeof svc === 'object' ? `${String(field(svc, 'namespace') ?? '')}/${String(field(svc, 'name') ?? '')}` : 'Local';
    let status = 'Unknown';
    const conditions = field(obj, 'status', 'conditions');
    const available = Array.isArray(conditions) ? conditions.find((c) => field(c, 'type') === 'Available') : undefined;
    if (available) {
      const s = String(field(available, 'status') ?? '');
      const reason = String(field(available, 'reason') ?? '');
      status = s !== 'True' && reason ? `${s} (${reason})` : s;
    }
    return [nameOf(obj), service, status, age(obj, now)];
  },
};
