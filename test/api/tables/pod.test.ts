// Pod table rows: the READY / STATUS / RESTARTS state machine and wide columns, with cases adapted from
// upstream's printers_test.go (TestPrintPod, TestPrintPodWithRestartableInitContainer, TestPrintPodwide).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, PodSpec, PodStatus } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../../src/api/types.js';
import { tableFor } from '../../../src/api/tables/index.js';
import { podTable } from '../../../src/api/tables/pod.js';

const NOW = new Date('2024-06-01T12:00:00Z');
const ago = (ms: number): string => new Date(NOW.getTime() - ms).toISOString();
const S = 1000;
const M = 60 * S;
const D = 24 * 60 * M;

function pod(name: string, spec: Partial<PodSpec>, status: PodStatus, meta: Record<string, unknown> = {}): KubeObject {
  const p: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, ...meta },
    spec: { containers: [], ...spec } as PodSpec,
    status,
  };
  return p as unknown as KubeObject;
}

const containers = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `c${i}`, image: `img${i}` }));
const running = { running: {} };
const terminatedAt = (ms: number) => ({ terminated: { exitCode: 0, finishedAt: ago(ms) } });

test('pod columns match upstream (names, types, priorities)', () => {
  assert.equal(tableFor('', 'Pod'), podTable);
  assert.deepEqual(
    podTable.columns.map((c) => [c.name, c.type, c.priority, c.format ?? '']),
    [
      ['Name', 'string', 0, 'name'],
      ['Ready', 'string', 0, ''],
      ['Status', 'string', 0, ''],
      ['Restarts', 'string', 0, ''],
      ['Age', 'string', 0, ''],
      ['IP', 'string', 1, ''],
      ['Node', 'string', 1, ''],
      ['Nominated Node', 'string', 1, ''],
      ['Readiness Gates', 'string', 1, ''],
    ],
  );
  assert.match(podTable.columns[0].description, /^Name must be unique within a namespace/);
  assert.match(podTable.columns[4].description, /^CreationTimestamp is a timestamp/);
});

test('pod READY / STATUS / RESTARTS (upstream TestPrintPod cases)', () => {
  const deleting = { deletionTimestamp: ago(10 * S) };
  const cases: [string, KubeObject, [string, string, string]][] = [
    ['ready count and restarts', pod('test1', { containers: containers(2) }, {
      phase: 'podPhase',
      containerStatuses: [
        { name: 'c0', image: '', imageID: '', ready: true, restartCount: 3, state: running },
        { name: 'c1', image: '', imageID: '', ready: false, restartCount: 3 },
      ],
    }), ['1/2', 'podPhase', '6']],
    ['waiting reason overrides phase', pod('test2', { containers: containers(2) }, {
      phase: 'podPhase',
      containerStatuses: [
        { name: 'c0', image: '', imageID: '', ready: true, restartCount: 3, state: running },
        { name: 'c1', image: '', imageID: '', ready: false, restartCount: 3, state: { waiting: { reason: 'ContainerWaitingReason' } } },
      ],
    }), ['1/2', 'ContainerWaitingReason', '6']],
    ['first container wins (statuses walked backwards)', pod('test3', { containers: containers(2) }, {
      phase: 'podPhase',
      containerStatuses: [
        { name: 'c0', image: '', imageID: '', ready: false, restartCount: 3, state: { waiting: { reason: 'ContainerWaitingReason' } } },
        { name: 'c1', image: '', imageID: '', ready: false, restartCount: 3, state: { terminated: { exitCode: 0, reason: 'ContainerTerminatedReason' } } },
      ],
    }), ['0/2', 'ContainerWaitingReason', '6']],
    ['ready without running is not counted', pod('test4', { containers: containers(2) }, {
      phase: 'podPhase',
      containerStatuses: [
        { name: 'c0', image: '', imageID: '', ready: true, restartCount: 3, state: running },
        { name: 'c1', image: '', imageID: '', ready: true, restartCount: 3 },
      ],
    }), ['1/2', 'podPhase', '6']],
    ['status.reason beats phase', pod('test5', { containers: containers(2) }, {
      reason: 'podReason',
      phase: 'podPhase',
      containerStatuses: [
        { name: 'c0', image: '', imageID: '', ready: true, restartCount: 3, state: running },
        { name: 'c1', image: '', imageID: '', ready: true, restartCount: 3 },
      ],
    }), ['1/2', 'podReason', '6']],
    ['completed + running without Ready condition is NotReady', pod('test6', { containers: containers(2) }, {
      phase: 'Running',
      containerStatuses: [
        { name: 'c0', image: '', imageID: '', ready: true, restartCount: 3, state: { terminated: { reason: 'Completed', exitCode: 0 } } },
        { name: 'c1', image: '', imageID: '', ready: true, restartCount: 3, state: running },
      ],
    }), ['1/2', 'NotReady', '6']],
    ['completed + running with Ready condition is Running', pod('test6', { containers: containers(2) }, {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [
        { name: 'c0', image: '', imageID: '', ready: true, restartCount: 3, state: { terminated: { reason: 'Completed', exitCode: 0 } } },
        { name: 'c1', image: '', imageID: '', ready: true, restartCount: 3, state: running },
      ],
    }), ['1/2', 'Running', '6']],
    ['init container restarting', pod('test7', { initContainers: containers(1), containers: containers(1) }, {
      phase: 'podPhase',
      initContainerStatuses: [
        { name: 'c0', image: '', imageID: '', ready: false, restartCount: 3, state: running, lastState: terminatedAt(10 * S) },
      ],
      containerStatuses: [{ name: 'c0', image: '', imageID: '', ready: false, restartCount: 0, state: { waiting: {} } }],
    }), ['0/1', 'Init:0/1', '3 (10s ago)']],
    ['two init containers, first restarting', pod('test8', { initContainers: containers(2), containers: containers(1) }, {
      phase: 'podPhase',
      initContainerStatuses: [
        { name: 'c0', image: '', imageID: '', ready: false, restartCount: 3, state: running, lastState: terminatedAt(10 * S) },
        { name: 'c1', image: '', imageID: '', ready: false, restartCount: 0, state: { waiting: {} } },
      ],
      containerStatuses: [{ name: 'c0', image: '', imageID: '', ready: false, restartCount: 0, state: { waiting: {} } }],
    }), ['0/1', 'Init:0/2', '3 (10s ago)']],
    ['first init done, second restarting', pod('test9', { initContainers: containers(2), containers: containers(1) }, {
      phase: 'podPhase',
      initContainerStatuses: [
        { name: 'c0', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0 } } },
        { name: 'c1', image: '', imageID: '', ready: false, restartCount: 3, state: running, lastState: terminatedAt(10 * S) },
      ],
      containerStatuses: [{ name: 'c0', image: '', imageID: '', ready: false, restartCount: 0, state: { waiting: {} } }],
    }), ['0/1', 'Init:1/2', '3 (10s ago)']],
    ['restarts summed over init containers, latest restart shown', pod('test10', { initContainers: containers(2), containers: containers(1) }, {
      phase: 'podPhase',
      initContainerStatuses: [
        { name: 'c0', image: '', imageID: '', ready: false, restartCount: 2, state: { terminated: { exitCode: 0 } }, lastState: terminatedAt(2 * M) },
        { name: 'c1', image: '', imageID: '', ready: false, restartCount: 3, state: running, lastState: terminatedAt(10 * S) },
      ],
      containerStatuses: [{ name: 'c0', image: '', imageID: '', ready: false, restartCount: 0, state: { waiting: {} } }],
    }), ['0/1', 'Init:1/2', '5 (10s ago)']],
    ['initialized pod counts only app container restarts', pod('test11', { initContainers: containers(1), containers: containers(1) }, {
      phase: 'Running',
      initContainerStatuses: [
        { name: 'c0', image: '', imageID: '', ready: false, restartCount: 2, state: { terminated: { exitCode: 0 } }, lastState: terminatedAt(2 * M) },
      ],
      containerStatuses: [
        { name: 'c0', image: '', imageID: '', ready: false, restartCount: 4, state: running, lastState: terminatedAt(20 * S) },
      ],
    }), ['0/1', 'Running', '4 (20s ago)']],
    ['restart 5 days ago', pod('test12', { containers: containers(1) }, {
      phase: 'Running',
      containerStatuses: [
        { name: 'c0', image: '', imageID: '', ready: true, restartCount: 3, state: running, lastState: terminatedAt(5 * D) },
      ],
    }), ['1/1', 'Running', '3 (5d ago)']],
    ['restart 10 days ago, other never restarted', pod('test13', { containers: containers(2) }, {
      phase: 'Running',
      containerStatuses: [
        { name: 'c0', image: '', imageID: '', ready: true, restartCount: 0, state: running },
        { name: 'c1', image: '', imageID: '', ready: true, restartCount: 3, state: running, lastState: terminatedAt(10 * D) },
      ],
    }), ['2/2', 'Running', '3 (10d ago)']],
    ['most recent of several restarts', pod('test14', { containers: containers(2) }, {
      phase: 'Running',
      containerStatuses: [
        { name: 'c0', image: '', imageID: '', ready: true, restartCount: 6, state: running, lastState: terminatedAt(5 * D) },
        { name: 'c1', image: '', imageID: '', ready: true, restartCount: 3, state: running, lastState: terminatedAt(20 * D) },
      ],
    }), ['2/2', 'Running', '9 (5d ago)']],
    ['scheduling gated', pod('test15', { containers: containers(2) }, {
      phase: 'podPhase',
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }],
    }), ['0/2', 'SchedulingGated', '0']],
    ['succeeded', pod('test16', { containers: containers(1) }, {
      phase: 'Succeeded',
      containerStatuses: [{ name: 'c0', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { reason: 'Completed', exitCode: 0 } } }],
    }), ['0/1', 'Completed', '0']],
    ['failed', pod('test17', { containers: containers(1) }, {
      phase: 'Failed',
      containerStatuses: [{ name: 'c0', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { reason: 'Error', exitCode: 1 } } }],
    }), ['0/1', 'Error', '0']],
    ['succeeded pod being deleted stays Completed', pod('test18', { containers: containers(1) }, {
      phase: 'Succeeded',
      containerStatuses: [{ name: 'c0', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { reason: 'Completed', exitCode: 0 } } }],
    }, deleting), ['0/1', 'Completed', '0']],
    ['running pod being deleted is Terminating', pod('test19', { containers: containers(1) }, {
      phase: 'Running',
      containerStatuses: [{ name: 'c0', image: '', imageID: '', ready: false, restartCount: 0, state: running }],
    }, deleting), ['0/1', 'Terminating', '0']],
    ['pending pod being deleted is Terminating', pod('test20', { containers: containers(1) }, { phase: 'Pending' }, deleting), ['0/1', 'Terminating', '0']],
    ['pod on a lost node being deleted is Unknown', pod('lost', { containers: containers(1) }, { phase: 'Running', reason: 'NodeLost' }, deleting), ['0/1', 'Unknown', '0']],
    ['crash loop', pod('crash', { containers: containers(1) }, {
      phase: 'Running',
      containerStatuses: [
        { name: 'c0', image: '', imageID: '', ready: false, restartCount: 7, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: terminatedAt(30 * S) },
      ],
    }), ['0/1', 'CrashLoopBackOff', '7 (30s ago)']],
    ['creating', pod('new', { containers: containers(1) }, {
      phase: 'Pending',
      containerStatuses: [{ name: 'c0', image: '', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }],
    }), ['0/1', 'ContainerCreating', '0']],
    ['init container failed without reason shows exit code', pod('initfail', { initContainers: containers(1), containers: containers(1) }, {
      phase: 'Pending',
      initContainerStatuses: [{ name: 'c0', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 2 } } }],
    }), ['0/1', 'Init:ExitCode:2', '0']],
    ['init container killed by signal', pod('initsig', { initContainers: containers(1), containers: containers(1) }, {
      phase: 'Pending',
      initContainerStatuses: [{ name: 'c0', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 137, signal: 9 } } }],
    }), ['0/1', 'Init:Signal:9', '0']],
    ['init container error reason', pod('initerr', { initContainers: containers(1), containers: containers(1) }, {
      phase: 'Pending',
      initContainerStatuses: [{ name: 'c0', image: '', imageID: '', ready: false, restartCount: 1, state: { terminated: { exitCode: 1, reason: 'Error' } } }],
    }), ['0/1', 'Init:Error', '1']],
    ['init container waiting with PodInitializing counts position', pod('initwait', { initContainers: containers(1), containers: containers(1) }, {
      phase: 'Pending',
      initContainerStatuses: [{ name: 'c0', image: '', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
    }), ['0/1', 'Init:0/1', '0']],
    ['app container exited without reason', pod('exit', { containers: containers(1) }, {
      phase: 'Running',
      containerStatuses: [{ name: 'c0', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 3 } } }],
    }), ['0/1', 'ExitCode:3', '0']],
  ];
  for (const [what, obj, [ready, status, restarts]] of cases) {
    const cells = podTable.row(obj, NOW);
    assert.deepEqual(cells.slice(0, 5), [obj.metadata.name, ready, status, restarts, '<unknown>'], what);
  }
});

test('pod with restartable (sidecar) init containers (upstream TestPrintPodWithRestartableInitContainer)', () => {
  const sidecars = [
    { name: 'restartable-init-1', image: 'a', restartPolicy: 'Always' },
    { name: 'restartable-init-2', image: 'b', restartPolicy: 'Always' },
  ];
  const cases: [string, KubeObject, [string, string, string]][] = [
    ['first sidecar running but not started', pod('test1', { initContainers: sidecars, containers: containers(1) }, {
      phase: 'Pending',
      initContainerStatuses: [
        { name: 'restartable-init-1', image: '', imageID: '', ready: false, restartCount: 3, state: running, started: false, lastState: terminatedAt(10 * S) },
        { name: 'restartable-init-2', image: '', imageID: '', ready: false, restartCount: 0, state: { waiting: {} }, started: false },
      ],
      containerStatuses: [{ name: 'c0', image: '', imageID: '', ready: false, restartCount: 0, state: { waiting: {} } }],
      conditions: [{ type: 'Initialized', status: 'False' }],
    }), ['0/3', 'Init:0/2', '3 (10s ago)']],
    ['first started, second not', pod('test1', { initContainers: sidecars, containers: containers(1) }, {
      phase: 'Pending',
      initContainerStatuses: [
        { name: 'restartable-init-1', image: '', imageID: '', ready: false, restartCount: 3, state: running, started: true, lastState: terminatedAt(10 * S) },
        { name: 'restartable-init-2', image: '', imageID: '', ready: false, restartCount: 0, state: running, started: false },
      ],
      containerStatuses: [{ name: 'c0', image: '', imageID: '', ready: false, restartCount: 0, state: { waiting: {} } }],
      conditions: [{ type: 'Initialized', status: 'False' }],
    }), ['0/3', 'Init:1/2', '3 (10s ago)']],
    ['both sidecars started, app running', pod('test2', { initContainers: sidecars, containers: containers(1) }, {
      phase: 'Running',
      initContainerStatuses: [
        { name: 'restartable-init-1', image: '', imageID: '', ready: false, restartCount: 3, state: running, started: true, lastState: terminatedAt(10 * S) },
        { name: 'restartable-init-2', image: '', imageID: '', ready: false, restartCount: 0, state: running, started: true },
      ],
      containerStatuses: [
        { name: 'c0', image: '', imageID: '', ready: true, restartCount: 4, state: running, lastState: terminatedAt(20 * S) },
      ],
      conditions: [{ type: 'Initialized', status: 'True' }],
    }), ['1/3', 'Running', '7 (10s ago)']],
    ['sidecars failed, app completed', pod('test3', { initContainers: sidecars, containers: containers(1) }, {
      phase: 'Succeeded',
      initContainerStatuses: [
        { name: 'restartable-init-1', image: '', imageID: '', ready: false, restartCount: 3, state: { terminated: { reason: 'Error', exitCode: 137 } }, started: false, lastState: terminatedAt(10 * S) },
        { name: 'restartable-init-2', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { reason: 'Error', exitCode: 137 } }, started: false },
      ],
      containerStatuses: [
        { name: 'c0', image: '', imageID: '', ready: false, restartCount: 4, state: { terminated: { reason: 'Completed', exitCode: 0 } }, lastState: terminatedAt(20 * S) },
      ],
      conditions: [{ type: 'Initialized', status: 'True' }],
    }), ['0/3', 'Completed', '7 (10s ago)']],
    ['statuses for unknown containers', pod('test4', {
      initContainers: [{ name: 'init1', image: 'initimage' }, { name: 'sidecar1', image: 'sidecarimage', restartPolicy: 'Always' }],
      containers: [{ name: 'container1', image: 'containerimage' }],
    }, {
      phase: 'Running',
      initContainerStatuses: [
        { name: 'initinvalid', image: '', imageID: '', ready: false, restartCount: 0 },
        { name: 'init1', image: '', imageID: '', ready: false, restartCount: 0 },
        { name: 'sidecar1', image: '', imageID: '', ready: false, restartCount: 0 },
      ],
      containerStatuses: [
        { name: 'containerinvalid', image: '', imageID: '', ready: false, restartCount: 0 },
        { name: 'container1', image: '', imageID: '', ready: false, restartCount: 0 },
      ],
    }), ['0/2', 'Init:0/2', '0']],
  ];
  for (const [what, obj, [ready, status, restarts]] of cases) {
    assert.deepEqual(podTable.row(obj, NOW).slice(1, 4), [ready, status, restarts], what);
  }
});

test('pod wide columns (upstream TestPrintPodwide) and age', () => {
  const withGates = pod('test1', {
    containers: containers(2),
    nodeName: 'test1',
    readinessGates: [{ conditionType: 'condition1' }, { conditionType: 'condition2' }, { conditionType: 'condition3' }],
  }, {
    phase: 'podPhase',
    conditions: [{ type: 'condition1', status: 'False' }, { type: 'condition2', status: 'True' }],
    podIPs: [{ ip: '1.1.1.1' }, { ip: '2001:db8::' }],
    nominatedNodeName: 'node1',
    containerStatuses: [
      { name: 'c0', image: '', imageID: '', ready: true, restartCount: 3, state: running },
      { name: 'c1', image: '', imageID: '', ready: false, restartCount: 3 },
    ],
  }, { creationTimestamp: ago(3 * M + 2 * S) });
  assert.deepEqual(podTable.row(withGates, NOW), ['test1', '1/2', 'podPhase', '6', '3m2s', '1.1.1.1', 'test1', 'node1', '1/3']);

  const bare = pod('test2', { containers: containers(2) }, {
    phase: 'podPhase',
    containerStatuses: [
      { name: 'c0', image: '', imageID: '', ready: true, restartCount: 3, state: running },
      { name: 'c1', image: '', imageID: '', ready: false, restartCount: 3, state: { waiting: { reason: 'ContainerWaitingReason' } } },
    ],
  });
  assert.deepEqual(podTable.row(bare, NOW), ['test2', '1/2', 'ContainerWaitingReason', '6', '<unknown>', '<none>', '<none>', '<none>', '<none>']);
});

test('pod row conditions mark finished pods Completed (upstream TestPrintPodConditions)', () => {
  const mk = (phase: string) => pod('p', { containers: containers(1) }, { phase });
  assert.equal(podTable.conditions?.(mk('Running')), undefined);
  assert.deepEqual(podTable.conditions?.(mk('Succeeded')), [
    { type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' },
  ]);
  assert.deepEqual(podTable.conditions?.(mk('Failed')), [
    { type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' },
  ]);
});
