// A typed hams program: `tsc --noEmit -p examples/node` checks it against the
// package's hand-written hams.d.ts (tests/bindings/node-package.sh checks it
// once more against the packed and installed package).
import {
  AGG_MAX,
  Hams,
  HamsError,
  attach,
  linearBuckets,
  setLogger,
  type CounterVec,
  type Exemplar,
  type Histogram,
} from 'hams';
import { bridgeHealth, type HealthStatusSink } from 'hams/grpc';

setLogger('console', 'info');

const hams = new Hams('orders', '1.4.2', { address: '127.0.0.1:0' });
const db = hams.probeManual('db', { checks: ['ready'] });
const loop = hams.probeKick('main-loop', { checks: 'alive', marginMs: 5000 });
hams.check('disk', async () => [true, 'plenty of space'], { intervalMs: 5000, timeoutMs: 1000 });

const requests: CounterVec<'path' | 'code'> = hams.counter({
  name: 'requests_total',
  help: 'Requests served.',
  labelNames: ['path', 'code'],
});
requests.labels({ path: '/', code: 200 }).inc();
requests.labels('/orders', '500').inc(2);
requests.inc({ path: '/', code: 404 });
const trace: Exemplar = { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' }; // OpenMetrics exemplars
requests.inc({ path: '/', code: 200 }, 1, trace);

const latency: Histogram = hams.histogram({ name: 'request_seconds', help: 'Request latency.' });
latency.observe(0.042);
latency.observe(0.042, trace);
const sizes = hams.histogram('response_bytes', 'Response sizes.', linearBuckets(100, 100, 10), { route: 'api' });
sizes.observe(512);
const native = hams.histogram({ name: 'queue_wait_seconds', help: 'Queue wait.', native: true, bucketFactor: 1.1 });
native.observe(0.3);
const inflight = hams.gauge({ name: 'inflight', help: 'Requests in flight.', labelNames: ['pool'] });
inflight.labels({ pool: 'main' }).set(3).add(-1);

db.setThresholds(3, 1); // one failed ping is a blip
hams.on('change', (name, healthy, reason) => console.log(`${name} ${healthy ? 'healthy' : `unhealthy: ${reason}`}`));
hams.on('shuttingDown', () => console.log(`draining (alive passes: ${hams.checkState('alive')})`));
hams.onShutdown(() => console.log('drained'));
hams.on('shutdown', () => hams.close());
hams.handleSignals(true);
hams.start();
db.set(true);
loop.kick();
console.log(`serving on port ${hams.port} (libhams ${Hams.libraryVersion})`);

try {
  hams.probeManual('bad name');
} catch (e) {
  if (e instanceof HamsError) console.log(e.codeName, e.call, e.message);
}

const timer = setInterval(() => {
  loop.kick();
  if (hams.wait(0)) clearInterval(timer);
}, 1000);

// The gRPC health service (with @grpc/grpc-js: bridgeHealth(hams).addToServer(server)).
export function grpcHealth(sink: HealthStatusSink): HealthStatusSink {
  return bridgeHealth(hams, sink);
}

// Workers mode (see examples/node/cluster.js): the primary, or a worker joining it.
export function clusterHams(primary: boolean): Hams {
  if (primary) return new Hams('orders', '1.4.2', { address: '127.0.0.1:0', workers: true });
  const worker = attach();
  worker.gauge({ name: 'queue_depth', help: 'Queued jobs.' }).setAggregation('sum');
  worker.gauge({ name: 'pool_size', help: 'Pool sizes.', labelNames: ['pool'] }).setAggregation(AGG_MAX);
  return worker;
}
