// The table every kind without a printer gets (upstream rest.DefaultTableConvertor): NAME and CREATED AT, the
// latter a "date" column holding the RFC3339 creation timestamp (kubectl prints it verbatim). Roles,
// ClusterRoles, LimitRanges and CustomResourceDefinitions use it upstream.
import type { TableConvertor } from '../resource.js';
import { DOC } from './descriptions.js';
import { NAME_COLUMN, nameOf, rfc3339 } from './format.js';

export const defaultTableConvertor: TableConvertor = {
  columns: [NAME_COLUMN, { name: 'Created At', type: 'date', description: DOC['meta.v1.ObjectMeta.creationTimestamp'], priority: 0 }],
  row(obj) {
    return [nameOf(obj), rfc3339(obj.metadata.creationTimestamp)];
  },
};
