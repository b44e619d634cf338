'use strict';
// The workers-mode API of the binding in one process: options, argument
// checks and errors. Worker processes (Node's cluster) are tested in
// tests/workers/node/.
//   node --test bindings/node/test/

const test = require('node:test');
const assert = require('node:assert/strict');
const hams = require('../hams');
const { Hams, HamsError } = hams;

test('aggregation constants and names', () => {
  assert.deepEqual([hams.AGG_PER_WORKER, hams.AGG_SUM, hams.AGG_MAX, hams.AGG_MIN], [0, 1, 2, 3]);
  assert.equal(Hams.AGG_SUM, hams.AGG_SUM);
  assert.equal(typeof hams.attach, 'function');
  assert.equal(hams.attach, require('../hams').attach);
});

test('setAggregation: gauges and gauge vecs only, by name or constant', () => {
  const h = new Hams('node-agg', '1', { address: '127.0.0.1:0' });
  try {
    // Without workers mode accepted, and changes nothing.
    assert.equal(h.gauge('level', 'A gauge.').setAggregation('sum').set(1).kind, 'gauge');
    h.gauge({ name: 'depth', help: 'Per queue.', labelNames: ['queue'] }).setAggregation(hams.AGG_MAX);
    h.gauge('low', 'A gauge.').setAggregation('perWorker');
    for (const bad of ['average', '', null, 4, -1, 1.5]) {
      assert.throws(
        () => h.gauge(`bad_${String(bad).replace(/\W/g, '')}_${Math.random().toString(36).slice(2)}`, 'x').setAggregation(bad),
        (e) => e instanceof HamsError && e.code === -2 && /aggregation/.test(e.message),
        String(bad),
      );
    }
    assert.equal(h.counter('jobs_total', 'Jobs.').setAggregation, undefined);
    assert.equal(h.counter({ name: 'reqs_total', help: 'R.', labelNames: ['a'] }).setAggregation, undefined);
  } finally {
    h.close();
  }
});

test('workers: true sets HAMS_WORKERS; setWorkers too late throws', () => {
  delete process.env.HAMS_WORKERS;
  const h = new Hams('node-workers', '1', { address: '127.0.0.1:0', workers: true });
  try {
    assert.ok(process.env.HAMS_WORKERS, 'HAMS_WORKERS is set for the children');
    assert.equal(h.setWorkers(true), h, 'on again is harmless');
    h.counter('done_total', 'Done.');
    h.start();
    assert.throws(() => h.setWorkers(false), (e) => e instanceof HamsError && e.codeName === 'HAMS_ERR_STATE');
  } finally {
    h.close();
  }
  const late = new Hams('node-late', '1');
  try {
    late.gauge('early', 'Made before workers mode.');
    assert.throws(() => late.setWorkers(true), (e) => e.codeName === 'HAMS_ERR_STATE' && e.call === 'hams_set_workers');
  } finally {
    late.close();
  }
});
