'use strict';
// Exemplars: inc(n, exemplar) and observe(v, exemplar), on plain metrics and
// on a vector's children, seen in an OpenMetrics scrape of a real server on
// 127.0.0.1:0; a bad exemplar throws and counts nothing:
//   node --test bindings/node/test/

const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { Hams, HamsError } = require('../hams');

const OPENMETRICS = { Accept: 'application/openmetrics-text; version=1.0.0' };
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

function get(port, urlPath, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error(`timeout on ${urlPath}`)));
  });
}

async function withServer(fn) {
  const h = new Hams('node-exemplars', '1', { address: '127.0.0.1:0' });
  try {
    h.start();
    await fn(h, async (headers) => (await get(h.port, '/hams/metrics', headers)).body);
  } finally {
    h.close();
  }
}

const invalid = (re) => (e) => e instanceof HamsError && e.code === -2 && e.codeName === 'HAMS_ERR_INVALID' && re.test(e.message);
// The exemplar after a sample: # {labels} value timestamp (seconds, wall clock).
const exemplar = (labels, value) => `# \\{${labels}\\} ${value} \\d+(\\.\\d+)?$`;

test('a counter exemplar is shown in OpenMetrics, not in the text format', () =>
  withServer(async (h, metrics) => {
    const c = h.counter('jobs_total', 'Jobs.');
    c.inc(1, { trace_id: TRACE });
    c.inc(2);
    const om = await metrics(OPENMETRICS);
    assert.match(om, new RegExp(`^jobs_total 3 ${exemplar(`trace_id="${TRACE}"`, 1)}`, 'm'));
    const text = await metrics();
    assert.match(text, /^jobs_total 3$/m);
    assert.doesNotMatch(text, /#.*trace_id/);
  }));

test('a histogram exemplar goes on the bucket its value falls in', () =>
  withServer(async (h, metrics) => {
    const lat = h.histogram('work_seconds', 'Work.');
    lat.observe(0.3, new Map([['trace_id', TRACE]]));
    lat.observe(20, ['trace_id', 'inf']);
    const om = await metrics(OPENMETRICS);
    assert.match(om, new RegExp(`^work_seconds_bucket\\{le="0.5"\\} 1 ${exemplar(`trace_id="${TRACE}"`, 0.3)}`, 'm'));
    assert.match(om, new RegExp(`^work_seconds_bucket\\{le="\\+Inf"\\} 2 ${exemplar('trace_id="inf"', 20)}`, 'm'));
    assert.match(om, /^work_seconds_bucket\{le="0.25"\} 0$/m);
  }));

test('vector children and the vector shorthands take exemplars; {} is an exemplar without labels', () =>
  withServer(async (h, metrics) => {
    const req = h.counter({ name: 'requests_total', help: 'Requests.', labelNames: ['path', 'code'] });
    req.labels({ path: '/a', code: 200 }).inc(1, { trace_id: 'a1' });
    req.inc({ path: '/b', code: 500 }, 1, { trace_id: 'b7ad6b7169203331' });
    const lat = h.histogram({ name: 'rpc_seconds', help: 'RPCs.', buckets: [1], labelNames: ['method'] });
    lat.observe({ method: 'get' }, 0.5, {});
    const om = await metrics(OPENMETRICS);
    assert.match(om, new RegExp(`^requests_total\\{path="/a",code="200"\\} 1 ${exemplar('trace_id="a1"', 1)}`, 'm'));
    assert.match(om, new RegExp(`^requests_total\\{path="/b",code="500"\\} 1 ${exemplar('trace_id="b7ad6b7169203331"', 1)}`, 'm'));
    assert.match(om, new RegExp(`^rpc_seconds_bucket\\{method="get",le="1.0"\\} 1 ${exemplar('', 0.5)}`, 'm'));
  }));

test('a bad exemplar throws HamsError and counts nothing', () =>
  withServer(async (h, metrics) => {
    const c = h.counter('bad_total', 'Bad.');
    const lat = h.histogram('bad_seconds', 'Bad.');
    const ok = 'x'.repeat(128 - 'trace_id'.length);
    c.inc(1, { trace_id: ok }); // 128 characters: the limit
    lat.observe(0.1, { trace_id: ok });
    for (const [bad, re] of [
      [{ trace_id: ok + 'x' }, /128/], // 129 characters
      [{ 'bad name': 'v' }, /bad name/],
      [{ '1st': 'v' }, /1st/],
      [['trace_id'], /./], // odd: a name without its value
    ]) {
      assert.throws(() => c.inc(1, bad), invalid(re));
      assert.throws(() => lat.observe(0.1, bad), invalid(re));
    }
    assert.throws(() => c.inc(1, 'trace'), TypeError);
    const om = await metrics(OPENMETRICS);
    assert.match(om, new RegExp(`^bad_total 1 ${exemplar(`trace_id="${ok}"`, 1)}`, 'm'));
    assert.match(om, /^bad_seconds_count 1$/m);
  }));
