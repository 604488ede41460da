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
