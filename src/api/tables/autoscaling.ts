// The HorizontalPodAutoscaler table (REFERENCE "Deployment/x", TARGETS "cpu: 85%/70%", MINPODS, MAXPODS,
// REPLICAS) for autoscaling/v2 objects and autoscaling/v1 ones (targetCPUUtilizationPercentage), as upstream
// formatHPAMetrics. Pure over object and `now`.
import type { MetricSpec, MetricStatus } from 'kubernetes-types/autoscaling/v2.js';
import type { TableConvertor } from '../resource.js';
import type { KubeObject } from '../types.js';
import { AGE_COLUMN, NAME_COLUMN, age, column, field, nameOf, quantity } from './format.js';

/** The v2 metric specs/statuses of an HPA served as v2, or converted from v1's CPU percentage fields. */
function hpaMetrics(obj: KubeObject): { specs: MetricSpec[]; statuses: MetricStatus[] } {
  const specMetrics = field(obj, 'spec', 'metrics');
  if (Array.isArray(specMetrics)) {
    const statuses = field(obj, 'status', 'currentMetrics');
    return { specs: specMetrics as MetricSpec[], statuses: Array.isArray(statuses) ? (statuses as MetricStatus[]) : [] };
  }
  const target = field(obj, 'spec', 'targetCPUUtilizationPercentage');
  if (typeof target !== 'number') return { specs: [], statuses: [] };
  const specs: MetricSpec[] = [
    { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: target } } },
  ];
  const current = field(obj, 'status', 'currentCPUUtilizationPercentage');
  const statuses: MetricStatus[] =
    typeof current === 'number'
      ? [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: current } } }]
      : [];
  return { specs, statuses };
}

/** formatHPAMetrics: at most two metrics, then "+ N more...", "<none>" without metrics. */
export function formatHpaMetrics(specs: MetricSpec[], statuses: MetricStatus[]): string {
  if (specs.length === 0) return '<none>';
  const list: string[] = [];
  specs.forEach((spec, i) => {
    const st: MetricStatus | undefined = statuses[i];
    switch (spec.type) {
      case 'External': {
        const target = spec.external?.target;
        if (target?.averageValue !== undefined) {
          const cur = st?.external?.current?.averageValue;
          list.push(`${cur !== undefined ? quantity(cur) : '<unknown>'}/${quantity(target.averageValue)} (avg)`);
        } else {
          const cur = st?.external ? quantity(st.external.current?.value) : '<unknown>';
          list.push(`${cur}/${quantity(target?.value)}`);
        }
        break;
      }
      case 'Pods': {
        const cur = st?.pods ? quantity(st.pods.current?.averageValue) : '<unknown>';
        list.push(`${cur}/${quantity(spec.pods?.target?.averageValue)}`);
        break;
      }
      case 'Object': {
        const target = spec.object?.target;
        if (target?.averageValue !== undefined) {
          const cur = st?.object?.current?.averageValue;
          list.push(`${cur !== undefined ? quantity(cur) : '<unknown>'}/${quantity(target.averageValue)} (avg)`);
        } else {
          const cur = st?.object ? quantity(st.object.current?.value) : '<unknown>';
          list.push(`${cur}/${quantity(target?.value)}`);
        }
        break;
      }
      case 'Resource':
      case 'ContainerResource': {
        const src = spec.type === 'Resource' ? spec.resource : spec.containerResource;
        const cur = spec.type === 'Resource' ? st?.resource : st?.containerResource;
        const name = src?.name ?? '';
        if (src?.target?.averageValue !== undefined) {
          const current = cur ? quantity(cur.current?.averageValue) : '<unknown>';
          list.push(`${name}: ${current}/${quantity(src.target.averageValue)}`);
        } else {
          const util = cur?.current?.averageUtilization;
          const current = util !== undefined ? `${util}%` : '<unknown>';
          const targetUtil = src?.target?.averageUtilization;
          const target = targetUtil !== undefined ? `${targetUtil}%` : '<auto>';
          list.push(`${name}: ${current}/${target}`);
        }
        break;
      }
      default:
        list.push('<unknown type>');
    }
  });
  const max = 2;
  if (list.length > max) return `${list.slice(0, max).join(', ')} + ${list.length - max} more...`;
  return list.join(', ');
}

export const horizontalPodAutoscalerTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Reference', 'string', 'autoscaling.v2.HorizontalPodAutoscalerSpec.scaleTargetRef'),
    column('Targets', 'string', 'autoscaling.v2.HorizontalPodAutoscalerSpec.metrics'),
    column('MinPods', 'string', 'autoscaling.v2.HorizontalPodAutoscalerSpec.minReplicas'),
    column('MaxPods', 'string', 'autoscaling.v2.HorizontalPodAutoscalerSpec.maxReplicas'),
    column('Replicas', 'string', 'autoscaling.v2.HorizontalPodAutoscalerStatus.currentReplicas'),
    AGE_COLUMN,
  ],
  row(obj, now) {
    const ref = field(obj, 'spec', 'scaleTargetRef');
    const reference = `${String(field(ref, 'kind') ?? '')}/${String(field(ref, 'name') ?? '')}`;
    const { specs, statuses } = hpaMetrics(obj);
    const min = field(obj, 'spec', 'minReplicas');
    const max = field(obj, 'spec', 'maxReplicas');
    const current = field(obj, 'status', 'currentReplicas');
    return [
      nameOf(obj),
      reference,
      formatHpaMetrics(specs, statuses),
      typeof min === 'number' ? String(min) : '<unset>',
      typeof max === 'number' ? max : 0,
      typeof current === 'number' ? current : 0,
      age(obj, now),
    ];
  },
};
