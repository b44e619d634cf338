'use strict';
// Workers mode under Node's cluster: the primary's Hams (workers: true)
// serves the metrics and probes of 3 cluster workers, each of which attach()es
// and serves an Express app counting its requests. After N requests the
// primary shows exactly N, also after a worker is killed with SIGKILL and
// another forked; the workers' probes show as app@<pid> and leave with them.
// Run by tests/workers/node/run.sh (node --test).
const test = require('node:test');
const assert = require('node:assert/strict');
const cluster = require('node:cluster');
const http = require('node:http');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const nodeDir = path.join(__dirname, '..', '..', '..', 'bindings', 'node');
const { Hams, HamsError } = require(nodeDir);

const WORKERS = 3;
const N = 300;

function get(port, target) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: target, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error(`GET ${target}: timed out`)));
  });
}

/** The value of the sample `name{labels}` (labels: the text inside the braces, or '' for none). */
function sample(text, name, labels = '') {
  const head = labels === '' ? `${name} ` : `${name}{${labels}} `;
  const line = text.split('\n').find((l) => l.startsWith(head));
  return line === undefined ? undefined : Number(line.slice(head.length).split(' ')[0]);
}

const requestsLabels = 'path="/hello",code="200"';

async function requests(port) {
  return sample((await get(port, '/hams/metrics')).body, 'app_requests_total', requestsLabels);
}

/** The pids of the app@<pid> probes in the primary's verbose readiness. */
async function probePids(port) {
  const body = (await get(port, '/hams/ready?verbose')).body;
  return [...body.matchAll(/app@(\d+) ok/g)].map((m) => Number(m[1])).sort();
}

async function until(what, cond, ms = 5000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function fork() {
  return new Promise((resolve, reject) => {
    const w = cluster.fork();
    w.once('listening', (address) => resolve({ worker: w, port: address.port }));
    w.once('exit', (code, signal) => reject(new Error(`worker exited (${code}, ${signal}) before listening`)));
  });
}

/** count GET /hello through the cluster, 10 at a time; every one must be answered. */
async function hello(port, count) {
  let answered = 0;
  for (let i = 0; i < count; i += 10) {
    const batch = Array.from({ length: Math.min(10, count - i) }, () => get(port, '/hello'));
    for (const r of await Promise.all(batch)) {
      assert.equal(r.status, 200);
      answered++;
    }
  }
  return answered;
}

test('attach() outside workers mode throws with the C message', () => {
  const env = { ...process.env };
  delete env.HAMS_WORKERS;
  const script = `try { require(${JSON.stringify(nodeDir)}).attach(); console.log('attached'); }
    catch (e) { console.log(e.name + ' ' + e.codeName + ': ' + e.message); }`;
  const r = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^HamsError HAMS_ERR_STATE: .*HAMS_WORKERS/);
});

test('setWorkers after a metric is registered throws HAMS_ERR_STATE', () => {
  const h = new Hams('late', '1', { address: '127.0.0.1:0' });
  try {
    h.counter('early_total', 'Registered first.');
    assert.throws(() => h.setWorkers(true), (e) => e instanceof HamsError && e.codeName === 'HAMS_ERR_STATE');
  } finally {
    h.close();
  }
});

test('cluster workers: exact counts across SIGKILL and restart, probes name@pid', async (t) => {
  const h = new Hams('node-cluster', '1.0', { address: '127.0.0.1:0', workers: true });
  t.after(() => h.close());
  assert.ok(process.env.HAMS_WORKERS, 'setWorkers sets HAMS_WORKERS for the workers');
  h.start();
  const hp = h.port;

  cluster.setupPrimary({ exec: path.join(__dirname, 'cluster-worker.js'), silent: false });
  t.after(() => {
    for (const w of Object.values(cluster.workers)) w.process.kill('SIGKILL');
  });
  const started = await Promise.all(Array.from({ length: WORKERS }, fork));
  const app = started[0].port;
  assert.ok(started.every((s) => s.port === app), 'the workers share one port');
  const pids = started.map((s) => s.worker.process.pid).sort();

  // Each worker's probe shows in the primary's checks as app@<pid>.
  await until('3 worker probes', async () => (await probePids(hp)).join() === pids.join());
  const metrics = (await get(hp, '/hams/metrics')).body;
  assert.equal(sample(metrics, 'hams_workers'), WORKERS);
  // The gauge with aggregation 'sum' is one series; the default is one per worker (label pid).
  await until('app_workers_up 3', async () => sample((await get(hp, '/hams/metrics')).body, 'app_workers_up') === 3);
  for (const pid of pids) assert.equal(sample(metrics, 'app_worker_pid', `pid="${pid}"`), pid);

  assert.equal(await hello(app, N), N);
  // Counted before the answer: exact at once, without waiting.
  assert.equal(await requests(hp), N);

  // SIGKILL one worker: its count stays; it never goes below N.
  const victim = started[1].worker;
  const gone = new Promise((r) => victim.once('exit', r));
  victim.process.kill('SIGKILL');
  const watch = (async () => {
    const seen = [];
    for (let i = 0; i < 30; i++) {
      seen.push(await requests(hp));
      await new Promise((r) => setTimeout(r, 20));
    }
    return seen;
  })();
  await gone;
  assert.deepEqual([...new Set(await watch)], [N], 'the count never goes below N');
  await until('the dead worker to leave', async () => !(await probePids(hp)).includes(victim.process.pid), 3000);
  await until('hams_workers 2', async () => sample((await get(hp, '/hams/metrics')).body, 'hams_workers') === 2, 3000);
  assert.equal(await requests(hp), N);

  // A new worker takes its place; counts go on from N.
  const { worker: fresh } = await fork();
  const now = pids.filter((p) => p !== victim.process.pid).concat(fresh.process.pid).sort();
  await until('the new worker probe', async () => (await probePids(hp)).join() === now.join());
  assert.equal(await hello(app, N), N);
  assert.equal(await requests(hp), 2 * N);
  assert.equal(sample((await get(hp, '/hams/metrics')).body, 'hams_workers'), WORKERS);

  // Workers that end normally leave too; their counts stay.
  await Promise.all(
    Object.values(cluster.workers).map(
      (w) =>
        new Promise((r) => {
          w.once('exit', r);
          w.process.kill('SIGTERM');
        }),
    ),
  );
  await until('no worker probe left', async () => (await probePids(hp)).length === 0, 3000);
  assert.equal(await requests(hp), 2 * N);
});
