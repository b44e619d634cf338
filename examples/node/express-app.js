#!/usr/bin/env node
'use strict';
/**
 * An Express application with hams: ready only once Express listens; on
 * SIGTERM readiness fails at once while Express keeps answering for the
 * drain time (so the load balancer stops sending traffic first), then
 * server.close() lets the process end.
 *
 *   node examples/node/express-app.js [--port N] [--hams-address HOST:PORT] [--drain-ms N] [--listen-delay-ms N]
 *
 * --listen-delay-ms stands for a slow startup (readiness stays 503 until
 * listen). Prints "hams on PORT" and then "express on PORT".
 * Needs express (`npm install` in bindings/node installs it as a dev dependency).
 */

const path = require('node:path');
// The binding of this source tree; an application installs the package and writes require('hams').
const { Hams } = require('../../bindings/node/hams');
const express = require(require.resolve('express', { paths: [__dirname, path.join(__dirname, '../../bindings/node')] }));

function parseArgs(argv) {
  const opts = { port: 3000, hamsAddress: '0.0.0.0:8079', drainMs: 5000, listenDelayMs: 0 };
  const names = { '--port': 'port', '--hams-address': 'hamsAddress', '--drain-ms': 'drainMs', '--listen-delay-ms': 'listenDelayMs' };
  for (let i = 0; i < argv.length; i += 2) {
    const key = names[argv[i]];
    const val = argv[i + 1];
    if (key === undefined || val === undefined) {
      process.stderr.write(`express-app: unknown or incomplete option: ${argv[i]}\n`);
      process.exit(2);
    }
    if (key !== 'hamsAddress' && !/^\d+$/.test(val)) {
      process.stderr.write(`express-app: bad ${argv[i]}: ${val}\n`);
      process.exit(2);
    }
    opts[key] = key === 'hamsAddress' ? val : Number(val);
  }
  return opts;
}

const opts = parseArgs(process.argv.slice(2));

// The drain time is configuration (JSON strings are valid YAML scalars).
const hams = Hams.fromYaml(
  [
    'service:',
    '  name: express-app',
    '  version: "1.0.0"',
    'server:',
    `  address: ${JSON.stringify(opts.hamsAddress)}`,
    'shutdown:',
    `  drain_ms: ${opts.drainMs}`,
    '',
  ].join('\n'),
);
const listening = hams.probeManual('http', { checks: ['ready', 'startup'], healthy: false });
listening.set(false, 'not listening yet');
const requests = hams.counter({ name: 'http_requests_total', help: 'Requests answered.', labelNames: ['route', 'code'] });
const seconds = hams.histogram({ name: 'http_request_seconds', help: 'Time to answer a request.' });

const app = express();
app.use((req, res, next) => {
  const t0 = process.hrtime.bigint();
  res.on('finish', () => {
    seconds.observe(Number(process.hrtime.bigint() - t0) / 1e9);
    requests.labels({ route: req.route ? req.route.path : 'none', code: res.statusCode }).inc();
  });
  next();
});
app.get('/', (req, res) => res.send('hello from express\n'));
app.get('/orders/:id', (req, res) => res.json({ id: req.params.id }));

hams.handleSignals(true);
hams.start();
process.stdout.write(`hams on ${hams.port}\n`);

let server;
hams.onShutdown(() => {
  // The drain is over: stop accepting, finish what is in flight, then free hams.
  process.stdout.write('drained: closing the server\n');
  server.close(() => {
    hams.close();
    process.stdout.write('closed\n');
  });
});

setTimeout(() => {
  server = app.listen(opts.port, () => {
    listening.set(true);
    process.stdout.write(`express on ${server.address().port}\n`);
  });
}, opts.listenDelayMs);
