#!/usr/bin/env node
'use strict';
/**
 * A @grpc/grpc-js server whose health service (grpc.health.v1.Health) hams/grpc
 * keeps in sync with hams, for tests/grpc/node/check.py:
 *
 *   node tests/grpc/node/server.js
 *
 * Prints "ports GRPC_PORT HTTP_PORT" once both serve (127.0.0.1). Probe `db`
 * (manual, ready, healthy). Commands on stdin: fail-db, heal-db, shutdown.
 * SIGTERM is handled by hams. After the shutdown sequence (drain 1500 ms,
 * /hams/alive answering 200 meanwhile) the server stops and exits 0.
 */

const path = require('node:path');
const readline = require('node:readline');
const { createRequire } = require('node:module');

// The binding of this source tree, and its modules (after its `npm install`).
const binding = path.join(__dirname, '..', '..', '..', 'bindings', 'node');
const grpc = createRequire(path.join(binding, 'package.json'))('@grpc/grpc-js');
const { Hams } = require(path.join(binding, 'hams.js'));
const { bridgeHealth } = require(path.join(binding, 'grpc.js'));

const h = Hams.fromYaml(
  'service:\n  name: grpc-node-test\n  version: "1.0.0"\nserver:\n  address: 127.0.0.1:0\nshutdown:\n  drain_ms: 1500\n',
);
h.handleSignals(true);
const db = h.probeManual('db', { checks: ['ready'], healthy: true });

const server = new grpc.Server();
bridgeHealth(h).addToServer(server);

server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) {
    process.stderr.write(`grpc server: ${err.message}\n`);
    process.exit(1);
  }
  h.start();
  process.stdout.write(`ports ${port} ${h.port}\n`);
});

readline.createInterface({ input: process.stdin, terminal: false }).on('line', (line) => {
  const cmd = line.trim();
  if (cmd === 'fail-db') db.set(false, 'db down');
  else if (cmd === 'heal-db') db.set(true);
  else if (cmd === 'shutdown') h.shutdown();
  else if (cmd !== '') process.stderr.write(`grpc server: unknown command: ${cmd}\n`);
});

h.onShutdown(() => {
  server.forceShutdown();
  h.close();
  process.stdout.write('stopped\n');
  process.exit(0);
});
// Keeps the process alive until the sequence is done (the poll of onShutdown does not).
setInterval(() => {}, 1000);
