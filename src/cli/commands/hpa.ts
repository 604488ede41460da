// `skiff hpa simulate`: replays a load curve (synthetic or recorded) through an HPA spec with the HPA
// controller's own decision code and prints replicas and utilization over time as a table and an ASCII plot,
// so behavior policies can be tuned before production. No cluster is needed. The YAML file holds the
// HorizontalPodAutoscaler (autoscaling/v2, or v1 which is converted) and optionally the Deployment (its
// replicas and container requests); without a Deployment, --replicas and --request describe the pods.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2.js';
import type { Container } from 'kubernetes-types/core/v1.js';
import type { Command } from '../command.js';
import { UsageError } from '../args.js';
import { CliError } from '../errors.js';
import { parseDuration } from '../datastore.js';
import type { KubeObject } from '../../api/types.js';
import type { SimulationStep } from '../../controllers/podautoscaler/simulation.js';

export const hpaCommand: Command = {
  name: 'hpa',
  args: 'simulate',
  summary: 'what-if: replay a load curve through a HorizontalPodAutoscaler spec (no cluster needed)',
  details:
    'The curve is the total demand of the workload in the HPA\'s metric (millicores for CPU), shared by the\n' +
    'Ready pods. Synthetic curves:\n' +
    '  constant:800m\n' +
    '  spike:base=400m,peak=4,at=5m,rise=1m,hold=10m,fall=5m     (flash sale)\n' +
    '  ramp:from=200m,to=3,over=30m\n' +
    '  sine:base=1,amplitude=600m,period=1h                    (rush hours)\n' +
    '  steps:400m@0,2@5m,800m@20m\n' +
    'Recorded curves: --load FILE.csv (TIME,VALUE lines; TIME in seconds or like 5m) or FILE.json\n' +
    '([{"t": 0, "value": "400m"}, ...]).\n' +
    'Examples:\n' +
    '  skiff hpa simulate -f hpa.yaml --curve spike:base=500m,peak=6,at=2m,hold=10m --duration 30m\n' +
    '  skiff hpa simulate -f hpa.yaml --load traffic.csv --request 250m --replicas 3 --output json',
  options: [
    { name: 'filename', short: 'f', type: 'string', valueName: 'FILE', description: 'YAML with the HorizontalPodAutoscaler (and optionally its Deployment)' },
    { name: 'curve', type: 'string', valueName: 'SPEC', description: 'synthetic load curve (see below)' },
    { name: 'load', type: 'string', valueName: 'FILE', description: 'recorded load curve (.csv or .json)' },
    { name: 'duration', type: 'string', valueName: 'DURATION', description: 'how long to simulate', default: '30m' },
    { name: 'sync-period', type: 'string', valueName: 'DURATION', description: 'HPA sync period (one decision per period)', default: '15s' },
    { name: 'pod-startup', type: 'string', valueName: 'DURATION', description: 'time from pod creation to Ready', default: '30s' },
    { name: 'downscale-stabilization', type: 'string', valueName: 'DURATION', description: 'scale-down window for HPAs without spec.behavior', default: '5m' },
    { name: 'replicas', type: 'int', valueName: 'N', description: 'initial replicas (default: the Deployment\'s in the file, else the HPA\'s minReplicas)', min: 0, max: 100_000 },
    { name: 'request', type: 'string', valueName: 'Q', description: 'per-pod request of the HPA\'s resource without a Deployment in the file', default: '100m' },
    { name: 'output', short: 'o', type: 'string', valueName: 'FORMAT', description: 'table (with a plot) or json', choices: ['table', 'json'], default: 'table' },
    { name: 'no-plot', type: 'boolean', description: 'table only' },
  ],
  async run(opts, ctx) {
    const [verb] = opts.positionals;
    if (verb !== 'simulate') throw new UsageError('say what to do: simulate');
    const file = opts.optionalString('filename');
    if (!file) throw new UsageError('give the HPA spec with -f FILE');
    const curveSpec = opts.optionalString('curve');
    const loadFile = opts.optionalString('load');
    if (!!curveSpec === !!loadFile) throw new UsageError('give exactly one of --curve SPEC or --load FILE');
    const [{ simulate }, curves, { defaultHpaV2, hpaV1ToV2 }] = await Promise.all([
      import('../../controllers/podautoscaler/simulation.js'),
      import('../../controllers/podautoscaler/load-curve.js'),
      import('../../api/kinds/autoscaling.js'),
    ]);
    const { hpa, deployment } = readSpec(file, defaultHpaV2, hpaV1ToV2);
    const metricResource = firstResource(hpa);
    let curve;
    try {
      if (curveSpec) curve = curves.parseCurveSpec(curveSpec);
      else {
        const ext = extname(loadFile!).toLowerCase();
        const points = curves.parseRecordedCurve(readText(loadFile!), ext === '.json' ? 'json' : 'csv');
        curve = curves.curveFromPoints(points);
      }
    } catch (e) {
      if (e instanceof curves.CurveError) throw new UsageError(`load curve: ${e.message}`);
      throw e;
    }
    const containers: Container[] = deployment?.containers ?? [{ name: 'app', resources: { requests: { [metricResource]: opts.string('request') } } }];
    const replicas = opts.explicit.has('replicas') ? opts.int('replicas') : (deployment?.replicas ?? hpa.spec?.minReplicas ?? 1);
    const steps = await simulate({
      hpa,
      containers,
      initialReplicas: replicas,
      curve,
      durationMs: parseDuration(opts.string('duration'), '--duration'),
      syncPeriodMs: parseDuration(opts.string('sync-period'), '--sync-period'),
      podStartupMs: parseDuration(opts.string('pod-startup'), '--pod-startup'),
      downscaleStabilizationMs: parseDuration(opts.string('downscale-stabilization'), '--downscale-stabilization'),
    });
    if (opts.string('output') === 'json') {
      ctx.stdout.write(`${JSON.stringify(steps.map((s) => ({ t: s.tMs / 1000, load: s.load / 1000, replicas: s.replicas, ready: s.ready, desired: s.desired, metrics: s.status.currentMetrics ?? [], events: s.events })), null, 2)}\n`);
      return 0;
    }
    ctx.stdout.write(renderTable(steps, metricResource));
    if (!opts.bool('no-plot')) ctx.stdout.write(`\n${renderPlot(steps)}`);
    return 0;
  },
};

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** The HPA (defaulted as the API server would) and the Deployment's replicas and containers, if present. */
function readSpec(
  path: string,
  defaults: (o: KubeObject) => void,
  v1ToV2: (o: KubeObject) => KubeObject,
): { hpa: HorizontalPodAutoscaler; deployment?: { replicas?: number; containers: Container[] } } {
  const docs = parseAllDocuments(readText(path)).map((d) => d.toJS() as KubeObject | null).filter((d): d is KubeObject => !!d);
  let hpaObj = docs.find((d) => d.kind === 'HorizontalPodAutoscaler');
  if (!hpaObj) throw new CliError(`${path} has no HorizontalPodAutoscaler`);
  if (hpaObj.apiVersion === 'autoscaling/v1') hpaObj = v1ToV2(structuredClone(hpaObj));
  defaults(hpaObj);
  const hpa = hpaObj as unknown as HorizontalPodAutoscaler;
  if (!hpa.spec?.maxReplicas) throw new CliError(`${path}: the HorizontalPodAutoscaler needs spec.maxReplicas`);
  const target = hpa.spec.scaleTargetRef;
  const dep = docs.find((d) => (d.kind === 'Deployment' || d.kind === 'StatefulSet' || d.kind === 'ReplicaSet') && (!target?.name || d.metadata?.name === target.name)) as
    | { spec?: { replicas?: number; template?: { spec?: { containers?: Container[] } } } }
    | undefined;
  const containers = dep?.spec?.template?.spec?.containers;
  return { hpa, deployment: containers ? { replicas: dep?.spec?.replicas, containers } : undefined };
}

function firstResource(hpa: HorizontalPodAutoscaler): string {
  for (const m of hpa.spec?.metrics ?? []) {
    if (m.type === 'Resource' && m.resource) return m.resource.name;
    if (m.type === 'ContainerResource' && m.containerResource) return m.containerResource.name;
  }
  return 'cpu';
}

const clock = (ms: number) => {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

function metricText(s: SimulationStep): string {
  const m = s.status.currentMetrics?.[0];
  if (!m) return '<unknown>';
  const cur = m.resource?.current ?? m.containerResource?.current ?? m.pods?.current ?? m.object?.current ?? m.external?.current;
  if (cur?.averageUtilization !== undefined) return `${cur.averageUtilization}%`;
  return String(cur?.averageValue ?? cur?.value ?? '<unknown>');
}

export function renderTable(steps: SimulationStep[], resource: string): string {
  const rows = [['TIME', `LOAD(${resource})`, 'REPLICAS', 'READY', 'METRIC', 'DESIRED', 'EVENT']];
  for (const s of steps) {
    const rescale = s.events.find((e) => e.startsWith('SuccessfulRescale'));
    const warning = s.events.find((e) => !e.startsWith('SuccessfulRescale'));
    const limited = s.status.conditions?.find((c) => c.type === 'ScalingLimited' && c.status === 'True');
    const stabilized = s.status.conditions?.find((c) => c.type === 'AbleToScale' && /Stabilized$/.test(c.reason ?? ''));
    const note = rescale?.replace(/^SuccessfulRescale: /, '') ?? warning ?? (stabilized ? stabilized.reason : limited ? limited.reason : '');
    rows.push([clock(s.tMs), `${Math.round(s.load)}m`, String(s.replicas), String(s.ready), metricText(s), String(s.desired), note ?? '']);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('   ').trimEnd()).join('\n') + '\n';
}

/** Replicas (#) and load (*, scaled to the plot's height) over time, one column per sync. */
export function renderPlot(steps: SimulationStep[], height = 12): string {
  if (steps.length === 0) return '';
  const maxReplicas = Math.max(1, ...steps.map((s) => Math.max(s.replicas, s.desired)));
  const maxLoad = Math.max(1, ...steps.map((s) => s.load));
  const width = Math.min(steps.length, 120);
  const stride = steps.length / width;
  const cols = Array.from({ length: width }, (_, i) => steps[Math.floor(i * stride)]!);
  const lines: string[] = [];
  for (let row = height; row >= 1; row--) {
    const level = (row / height) * maxReplicas;
    const label = row === height || row === 1 || row === Math.round(height / 2) ? String(Math.round(level)).padStart(4) : '    ';
    let line = `${label} |`;
    for (const s of cols) {
      const r = Math.ceil((s.replicas / maxReplicas) * height) >= row;
      const l = Math.round((s.load / maxLoad) * height) === row;
      line += l ? '*' : r ? '#' : ' ';
    }
    lines.push(line);
  }
  lines.push(`     +${'-'.repeat(width)}`);
  const end = clock(steps[steps.length - 1]!.tMs);
  lines.push(`      0:00${' '.repeat(Math.max(1, width - 4 - end.length))}${end}`);
  lines.push(`      # replicas (max ${maxReplicas})   * load (peak ${Math.round(maxLoad)}m)`);
  return lines.join('\n') + '\n';
}
