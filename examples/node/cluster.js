#!/usr/bin/env node
'use strict';
/**
 * An Express application served by Node's cluster, with one hams for all
 * its processes (workers mode): the primary serves /hams/... and restarts
 * workers that die; each worker attach()es, so its requests count in the
 * primary's /hams/metrics and its probe shows there as http@<pid>.
 *
 *   node examples/node/cluster.js [--port N] [--hams-address HOST:PORT] [--workers N] [--drain-ms N]
 *
 * Prints "hams on PORT", then "worker PID on PORT" for each worker. On
 * SIGTERM readiness fails at once while the workers keep answering for the
 * drain time, then the workers are disconnected and the primary ends.
 * Needs express (`npm install` in bindings/node installs it as a dev dependency).
 */

const cluster = require('node:cluster');
const os = require('node:os');
const path = require('node:path');
// The binding of this source tree; an application installs the package and writes require('hams').
const { Hams, attach } = require('../../bindings/node/hams');

function option(name, fallback) {
  const at = process.argv.indexOf(name);
  return at > 0 && at + 1 < process.argv.length ? process.argv[at + 1] : fallback;
}

function primary() {
  const workers = Number(option('--workers', Math.min(4, os.availableParallelism())));
  const hams = Hams.fromYaml(
    [
      'service:',
      '  name: cluster-app',
      '  version: "1.0.0"',
      'server:',
      `  address: ${JSON.stringify(option('--hams-address', '0.0.0.0:8079'))}`,
      'shutdown:',
      `  drain_ms: ${Number(option('--drain-ms', 5000))}`,
      // Ready once every worker is attached.
      'workers:',
      '  enabled: true',
      `  min_ready: ${workers}`,
      '',
    ].join('\n'),
  );
  hams.handleSignals(true);
  hams.start();
  console.log(`hams on ${hams.port}`);

  let stopping = false;
  cluster.on('listening', (w, address) => console.log(`worker ${w.process.pid} on ${address.port}`));
  // A worker that dies is replaced; what it counted stays in the primary's totals.
  cluster.on('exit', (w, code, signal) => {
    if (stopping) return;
    console.log(`worker ${w.process.pid} ended (${signal || code}), forking another`);
    cluster.fork();
  });
  for (let i = 0; i < workers; i++) cluster.fork();

  // After the drain (the workers answered all along): stop them, then the primary.
  hams.onShutdown(() => {
    stopping = true;
    cluster.disconnect(() => hams.close());
  });
}

function worker() {
  const express = require(require.resolve('express', { paths: [__dirname, path.join(__dirname, '../../bindings/node')] }));
  const hams = attach();
  const requests = hams.counter({ name: 'http_requests_total', help: 'Requests answered.', labelNames: ['route', 'code'] });
  const busy = hams.gauge({ name: 'http_requests_in_flight', help: 'Requests being answered.' }).setAggregation('sum');
  const listening = hams.probeManual('http', { checks: ['ready'] });

  const app = express();
  app.use((req, res, next) => {
    busy.add(1);
    res.on('finish', () => busy.add(-1));
    next();
  });
  app.get('/', (req, res) => {
    requests.labels({ route: '/', code: 200 }).inc();
    res.send(`hello from ${process.pid}\n`);
  });
  app.listen(Number(option('--port', 3000)), () => listening.set(true));
}

if (cluster.isPrimary) primary();
else worker();
