// The in-pod load generator of the zero-downtime networking e2e tests (run with `kubectl exec <pod> -- node
// -e <script>`): 4 workers send GETs (a new connection each) until stopFile (default /tmp/stop) exists and at least `min`
// requests were sent, or `maxSeconds` pass; prints {ok, failed, errors}. A non-200 answer or an error fails.
export const loadgen = (url: string, min: number, maxSeconds: number, stopFile = '/tmp/stop') => `
const h=require('http'),fs=require('fs');let ok=0,failed=0;const errors={};const end=Date.now()+${maxSeconds}*1000;
const one=()=>new Promise(r=>{const q=h.get(${JSON.stringify(url)},{agent:false,timeout:5000},s=>{s.resume();s.on('end',()=>{if(s.statusCode===200)ok++;else{failed++;errors['status'+s.statusCode]=(errors['status'+s.statusCode]||0)+1}r()})});q.on('timeout',()=>q.destroy(new Error('timeout')));q.on('error',e=>{failed++;errors[e.code||e.message]=(errors[e.code||e.message]||0)+1;r()})});
const done=()=>Date.now()>end||(ok+failed>=${min}&&fs.existsSync(${JSON.stringify(stopFile)}));
(async()=>{await Promise.all([0,1,2,3].map(async()=>{while(!done())await one()}));console.log(JSON.stringify({ok,failed,errors}))})();`;

export interface PodLoadResult {
  ok: number;
  failed: number;
  errors: Record<string, number>;
}

/**
 * The Deployment `web` the zero-downtime tests move around: HTTP on 8080 (the script `server`, run by this
 * Node binary), a readiness probe every second, a 2 s preStop sleep (proxies drop the endpoint before the
 * pod stops serving), surge 1 and nothing unavailable during rollouts.
 */
export const webDeployment = (replicas: number, server: string, node = process.execPath) => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: ${replicas}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      automountServiceAccountToken: false
      terminationGracePeriodSeconds: 10
      containers:
      - name: app
        image: node:20
        command: [${JSON.stringify(node)}, "-e", ${JSON.stringify(server)}]
        ports: [{containerPort: 8080, name: http}]
        readinessProbe: {httpGet: {port: http, path: /}, periodSeconds: 1}
        lifecycle: {preStop: {exec: {command: ["sleep", "2"]}}}
`;
