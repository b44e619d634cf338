'use strict';
// A cluster worker of cluster.test.js: joins the primary's hams with
// attach(), registers a probe and metrics of its own, and serves an Express
// app on the port the workers share, counting each request before answering.
const path = require('node:path');

const nodeDir = path.join(__dirname, '..', '..', '..', 'bindings', 'node');
const { attach } = require(nodeDir);
const express = require(path.join(nodeDir, 'node_modules', 'express'));

const h = attach();
// A worker's handle does not serve: the primary does.
for (const call of [() => h.start(), () => h.shutdown()]) {
  try {
    call();
    throw new Error('a worker handle served');
  } catch (e) {
    if (e.codeName !== 'HAMS_ERR_STATE') throw e;
  }
}
const requests = h.counter({ name: 'app_requests_total', help: 'Requests answered.', labelNames: ['path', 'code'] });
const up = h.gauge({ name: 'app_workers_up', help: 'Workers serving.' }).setAggregation('sum');
const pid = h.gauge({ name: 'app_worker_pid', help: 'The worker process id (one series per worker).' });
const probe = h.probeManual('app', { checks: ['ready'] });

const app = express();
app.get('/hello', (req, res) => {
  requests.labels({ path: '/hello', code: 200 }).inc();
  res.set('Connection', 'close').send(`hello from ${process.pid}\n`);
});

const server = app.listen(Number(process.env.APP_PORT || 0), '127.0.0.1', () => {
  up.set(1);
  pid.set(process.pid);
  probe.set(true);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
