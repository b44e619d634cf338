'use strict';
// Tests of metric vectors (labelNames, labels()), default buckets, native
// histograms and the bucket helpers, over a real server on 127.0.0.1:0:
//   node --test bindings/node/test/

const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const hams = require('../hams');
const { Hams, HamsError, CounterVec, GaugeVec, HistogramVec, Counter, Histogram } = hams;

function get(port, urlPath, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error(`timeout on ${urlPath}`)));
  });
}

async function withServer(fn) {
  const h = new Hams('node-vec', '1', { address: '127.0.0.1:0' });
  try {
    h.start();
    await fn(h, async (headers) => (await get(h.port, '/hams/metrics', headers)).body);
  } finally {
    h.close();
  }
}

const hamsError = (code, re) => (e) =>
  e instanceof HamsError && (code === undefined || e.code === code) && (re === undefined || re.test(e.message));

test('counter vector: labels({..}) and labels(...), the same child, inc shorthand', () =>
  withServer(async (h, metrics) => {
    const req = h.counter({ name: 'requests_total', help: 'Requests.', labelNames: ['path', 'code'] });
    assert.ok(req instanceof CounterVec);
    assert.deepEqual(req.labelNames, ['path', 'code']);
    req.labels({ path: '/', code: '200' }).inc();
    req.labels('/', '200').inc(2);
    req.labels({ code: 500, path: '/x' }).inc();
    req.inc({ path: '/', code: 200 });
    const short = h.counter('short_total', 'Short form.', { labelNames: ['k'] });
    assert.ok(short instanceof CounterVec);
    short.labels('v').inc();
    const hv = h.histogram('short_seconds', 'Short form.', [1], { labelNames: ['k'] });
    assert.ok(hv instanceof HistogramVec);
    const child = req.labels('/', 200);
    assert.ok(child instanceof Counter);
    assert.equal(child, req.labels({ path: '/', code: '200' }));
    const body = await metrics();
    assert.match(body, /^# TYPE requests_total counter$/m);
    assert.match(body, /^requests_total\{path="\/",code="200"\} 4$/m);
    assert.match(body, /^requests_total\{path="\/x",code="500"\} 1$/m);
    assert.match(body, /^short_total\{k="v"\} 1$/m);
  }));

test('gauge and histogram vectors; default buckets', () =>
  withServer(async (h, metrics) => {
    const temp = h.gauge({ name: 'temperature', help: 'T.', labelNames: ['room'] });
    assert.ok(temp instanceof GaugeVec);
    temp.labels('kitchen').set(21.5);
    temp.add({ room: 'hall' }, -2);
    const lat = h.histogram({ name: 'latency_seconds', help: 'L.', buckets: [0.1, 1], labelNames: ['op'] });
    assert.ok(lat instanceof HistogramVec);
    lat.labels({ op: 'get' }).observe(0.5);
    h.histogram({ name: 'dvec_seconds', help: 'D.', labelNames: ['op'] }).observe({ op: 'put' }, 0.3);
    h.histogram('plain_seconds', 'P.').observe(0.3);
    h.histogram({ name: 'config_seconds', help: 'C.' }).observe(0.3);
    const body = await metrics();
    assert.match(body, /^temperature\{room="kitchen"\} 21\.5$/m);
    assert.match(body, /^temperature\{room="hall"\} -2$/m);
    assert.match(body, /^latency_seconds_bucket\{op="get",le="0\.1"\} 0$/m);
    assert.match(body, /^latency_seconds_bucket\{op="get",le="1"\} 1$/m);
    for (const [le, n] of [['0.005', 0], ['0.25', 0], ['0.5', 1], ['10', 1], ['+Inf', 1]]) {
      assert.ok(body.includes(`plain_seconds_bucket{le="${le}"} ${n}\n`), `plain le=${le}`);
      assert.ok(body.includes(`config_seconds_bucket{le="${le}"} ${n}\n`), `config le=${le}`);
      assert.ok(body.includes(`dvec_seconds_bucket{op="put",le="${le}"} ${n}\n`), `vec le=${le}`);
    }
    // No bounds at all is not "the defaults".
    assert.throws(() => h.histogram('empty_seconds', 'E.', []), hamsError(null, /bucket/));
  }));

test('native histograms, single and vector', () =>
  withServer(async (h, metrics) => {
    const one = h.histogram({ name: 'native_seconds', help: 'N.', native: true, bucketFactor: 1.1 });
    assert.ok(one instanceof Histogram);
    one.observe(0.25);
    one.observe(3);
    const vec = h.histogram({
      name: 'native_vec_seconds', help: 'NV.', native: true, bucketFactor: 2, maxBuckets: 10, labelNames: ['op'],
    });
    vec.labels({ op: 'get' }).observe(1.5);
    const body = await metrics();
    assert.match(body, /^native_seconds_count 2$/m);
    assert.match(body, /^native_seconds_sum 3\.25$/m);
    assert.match(body, /^native_vec_seconds_count\{op="get"\} 1$/m);
    const proto = 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited';
    assert.ok((await metrics({ Accept: proto })).includes('native_seconds'));
    for (const bucketFactor of [1, 0.5, NaN, Infinity]) {
      assert.throws(() => h.histogram({ name: 'bad_seconds', help: 'B.', native: true, bucketFactor }),
        hamsError(null, /bucket_factor/));
    }
    assert.throws(() => h.histogram({ name: 'b1', help: 'B.', native: true, buckets: [1] }), hamsError(-2));
    assert.throws(() => h.histogram({ name: 'b2', help: 'B.', native: true, labels: { a: 'b' } }), hamsError(-2));
    assert.throws(() => h.histogram({ name: 'b3', help: 'B.', native: true, maxBuckets: -1 }), hamsError(-2));
  }));

test('remove, child free, reset and free', () =>
  withServer(async (h, metrics) => {
    const req = h.counter({ name: 'removed_total', help: 'R.', labelNames: ['path'] });
    const a = req.labels('/a');
    a.inc();
    req.labels({ path: '/b' }).inc();
    req.remove('/a');
    let body = await metrics();
    assert.doesNotMatch(body, /removed_total\{path="\/a"\}/);
    assert.match(body, /^removed_total\{path="\/b"\} 1$/m);
    assert.throws(() => a.inc(), hamsError(-3));
    assert.throws(() => req.remove({ path: '/a' }), hamsError(-2, /\/a/));
    const again = req.labels('/a');
    assert.notEqual(again, a);
    assert.match(await metrics(), /^removed_total\{path="\/a"\} 0$/m);
    again.free();
    again.free();
    assert.doesNotMatch(await metrics(), /removed_total\{path="\/a"\}/);
    req.labels('/c').inc();
    req.reset();
    assert.doesNotMatch(await metrics(), /removed_total\{/);
    const c = req.labels('/d');
    req.free();
    req.free();
    body = await metrics();
    assert.doesNotMatch(body, /removed_total/);
    assert.throws(() => req.labels('/d'), hamsError(-3));
    assert.throws(() => c.inc(), hamsError(-3));
    h.counter({ name: 'removed_total', help: 'R.', labelNames: ['path'] }).labels('/e').inc();
    assert.match(await metrics(), /^removed_total\{path="\/e"\} 1$/m);
  }));

test('closing the server invalidates vectors and children', () => {
  const h = new Hams('node-vec', '1', { address: '127.0.0.1:0' });
  const v = h.gauge({ name: 'g', help: 'G.', labelNames: ['k'] });
  const c = v.labels('x');
  h.close();
  assert.throws(() => v.labels('y'), hamsError(-3));
  assert.throws(() => c.set(1), hamsError(-3));
  v.free();
});

test('bad label values and names', () =>
  withServer(async (h, metrics) => {
    const req = h.counter({ name: 'bad_total', help: 'B.', labelNames: ['path', 'code'] });
    assert.throws(() => req.labels('/'), hamsError(null, /1 label values for 2 label names/));
    assert.throws(() => req.labels('/', '200', 'x'), hamsError(null, /more label values/));
    assert.throws(() => req.labels({ path: '/', status: '200' }), hamsError(-2, /status/));
    assert.throws(() => req.labels({ path: '/' }), hamsError(-2, /code/));
    assert.throws(() => req.labels(null, '200'), hamsError(-1));
    assert.throws(() => req.labels({ path: '/', code: undefined }), hamsError(-1));
    assert.throws(() => req.labels('/\0', '200'), hamsError(-2, /NUL/));
    assert.throws(() => req.labels(() => 1, '200'), TypeError);
    assert.throws(() => req.remove('/'), HamsError);
    assert.doesNotMatch(await metrics(), /bad_total\{/);
    assert.throws(() => h.histogram({ name: 'le_seconds', help: 'L.', labelNames: ['le'] }), hamsError(null, /le/));
    assert.throws(() => h.counter({ name: 'dash_total', help: 'D.', labelNames: ['bad-name'] }), HamsError);
    assert.throws(() => h.counter({ name: 'dup_total', help: 'D.', labelNames: ['a', 'a'] }), HamsError);
    assert.throws(() => h.counter({ name: 'both_total', help: 'B.', labels: { a: 'b' }, labelNames: ['c'] }), hamsError(-2));
    assert.throws(() => h.counter({ name: 'str_total', help: 'S.', labelNames: 'path' }), TypeError);
    assert.throws(() => h.counter({ name: 'null_total', help: 'N.', labelNames: [null] }), TypeError);
    assert.throws(() => h.counter({ name: 'opt_total', help: 'O.', labelnames: ['a'] }), hamsError(-2, /labelnames/));
    assert.throws(() => h.counter({ name: 'suffix', help: 'S.', labelNames: ['a'] }), hamsError(null, /_total/));
    h.counter({ name: 'taken_total', help: 'T.', labelNames: ['a'] });
    assert.throws(() => h.counter({ name: 'taken_total', help: 'T.', labelNames: ['a'] }), HamsError);
  }));

test('linearBuckets and exponentialBuckets', () => {
  assert.deepEqual(hams.linearBuckets(1, 2, 4), [1, 3, 5, 7]);
  assert.deepEqual(hams.exponentialBuckets(0.5, 2, 4), [0.5, 1, 2, 4]);
  assert.equal(hams.linearBuckets(0, 1, 1024).length, 1024);
  for (const f of [
    () => hams.linearBuckets(1, 0, 3),
    () => hams.linearBuckets(1, 1, 0),
    () => hams.linearBuckets(1, 1, 1025),
    () => hams.linearBuckets(1, 1, -1),
    () => hams.exponentialBuckets(0, 2, 3),
    () => hams.exponentialBuckets(1, 1, 3),
    () => hams.exponentialBuckets(1, 1e300, 3),
  ]) {
    assert.throws(f, hamsError(-2));
  }
  assert.throws(() => hams.linearBuckets(1, 1, 2.5), TypeError);
});
