// Node IPAM: first free per-node subnet of the cluster CIDR, skipping subnets nodes already hold.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { allocateNodeCidr, formatCidr, parseCidr } from '../../../src/controllers/nodeipam/decisions.js';

describe('allocateNodeCidr', () => {
  const rows: { cluster: string; mask: number; used: string[]; want: string | undefined }[] = [
    { cluster: '10.42.0.0/16', mask: 24, used: [], want: '10.42.0.0/24' },
    { cluster: '10.42.0.0/16', mask: 24, used: ['10.42.0.0/24', '10.42.1.0/24'], want: '10.42.2.0/24' },
    { cluster: '10.42.0.0/16', mask: 24, used: ['10.42.1.0/24'], want: '10.42.0.0/24' },
    { cluster: '10.42.0.0/16', mask: 24, used: ['10.42.0.0/23'], want: '10.42.2.0/24' },
    { cluster: '10.42.0.0/16', mask: 24, used: ['10.64.0.0/24', 'fd00::/64'], want: '10.42.0.0/24' },
    { cluster: '10.42.0.0/23', mask: 24, used: ['10.42.0.0/24', '10.42.1.0/24'], want: undefined },
    { cluster: '10.42.7.9/16', mask: 26, used: ['10.42.0.0/26'], want: '10.42.0.64/26' },
  ];
  for (const r of rows) {
    it(`${r.cluster} /${r.mask} with ${r.used.join(',') || 'nothing'} used → ${r.want}`, () => assert.equal(allocateNodeCidr(r.cluster, r.mask, r.used), r.want));
  }
  it('rejects invalid CIDRs and masks that do not fit', () => {
    assert.throws(() => parseCidr('10.42.0.0'), /invalid CIDR/);
    assert.throws(() => allocateNodeCidr('10.42.0.0/16', 8, []), /does not fit/);
    assert.equal(formatCidr(parseCidr('192.168.1.77/24')), '192.168.1.0/24');
  });
});
