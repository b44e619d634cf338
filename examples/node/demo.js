#!/usr/bin/env node
'use strict';
/**
 * The hams demo service in Node.js, following the contract of
 * tests/tck/README.md:
 *
 *   node examples/node/demo.js [--address HOST:PORT] [--warmup-ms N] [--drain-ms N]
 *
 * Probes: `warmup` (manual, ready+startup, healthy after --warmup-ms),
 * `loop` (kick, alive, margin 1000 ms, kicked every 100 ms), `disk` (a check
 * every 200 ms, timeout 1000 ms). Counter `demo_loops_total`; the kit's
 * vector counter `tck_requests_total` {path, code} (/a 200 twice, /b 500 once,
 * with an exemplar) and default-bucket histogram `tck_latency_seconds` (one
 * observation, 0.3, with an exemplar);
 * /hams/version names "Node.js vX.Y.Z", "hams-node" and the package version
 * (the binding sets them). A status listener prints "hams demo: change
 * <name> <healthy|unhealthy>" for each state it is told. Commands on
 * stdin: stop-kicking, start-kicking, fail-disk, heal-disk, invalid-call.
 * SIGTERM/SIGINT are handled by hams (handleSignals(true)): readiness fails
 * at once, after --drain-ms the shutdown callback runs, then the demo exits 0.
 */

const readline = require('node:readline');
// The binding of this source tree (bindings/node, after its `npm install`).
const { Hams } = require('../../bindings/node/hams');

function usage(code) {
  process.stderr.write('usage: node demo.js [--address HOST:PORT] [--warmup-ms N] [--drain-ms N]\n');
  process.exit(code);
}

function parseArgs(argv) {
  const opts = { address: '0.0.0.0:8079', warmupMs: 2000, drainMs: 5000 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const val = argv[i + 1];
    if (arg === '--help' || arg === '-h') usage(0);
    if (val === undefined) {
      process.stderr.write(`hams demo: unknown or incomplete option: ${arg}\n`);
      usage(2);
    }
    if (arg === '--address') {
      opts.address = val;
    } else if (arg === '--warmup-ms' || arg === '--drain-ms') {
      if (!/^\d+$/.test(val)) {
        process.stderr.write(`hams demo: bad ${arg}: ${val}\n`);
        process.exit(2);
      }
      opts[arg === '--warmup-ms' ? 'warmupMs' : 'drainMs'] = Number(val);
    } else {
      process.stderr.write(`hams demo: unknown option: ${arg}\n`);
      usage(2);
    }
    i++;
  }
  return opts;
}

function say(line) {
  process.stdout.write(`hams demo: ${line}\n`);
}

/** The conformance kit's vector counter and default-bucket histogram, with the values its README asks for. */
function tckMetrics(hams) {
  const requests = hams.counter({ name: 'tck_requests_total', help: 'Requests by path and code (tck).', labelNames: ['path', 'code'] });
  requests.labels({ path: '/a', code: 200 }).inc();
  requests.labels('/a', '200').inc();
  requests.inc({ path: '/b', code: 500 }, 1, { trace_id: 'b7ad6b7169203331' });
  hams
    .histogram({ name: 'tck_latency_seconds', help: 'Latency (tck), default buckets.' })
    .observe(0.3, { trace_id: '0af7651916cd43dd8448eb211c80319c' });
}

function main() {
  const opts = parseArgs(process.argv.slice(2));

  // The drain time is configuration: build the server from YAML (JSON
  // strings are valid YAML double-quoted scalars).
  const hams = Hams.fromYaml(
    [
      'service:',
      '  name: hams-demo',
      `  version: ${JSON.stringify(Hams.libraryVersion)}`,
      'server:',
      `  address: ${JSON.stringify(opts.address)}`,
      'shutdown:',
      `  drain_ms: ${opts.drainMs}`,
      '',
    ].join('\n'),
  );
  hams.handleSignals(true);

  const warmup = hams.probeManual('warmup', { checks: ['ready', 'startup'], healthy: false });
  warmup.set(false, 'warming up');
  const loop = hams.probeKick('loop', { checks: ['alive'], marginMs: 1000 });
  let diskFull = false;
  hams.check('disk', () => (diskFull ? [false, 'disk full (tck)'] : true), {
    checks: ['ready'],
    intervalMs: 200,
    timeoutMs: 1000,
  });
  // The kit's status listener: one line per call (every state first, then each change).
  hams.on('change', (name, healthy) => say(`change ${name} ${healthy ? 'healthy' : 'unhealthy'}`));
  const loops = hams.counter('demo_loops_total', 'Main-loop iterations of the hams demo.');
  tckMetrics(hams);
  hams.onShutdown(() => say('shutdown callback ran'));

  hams.start();
  say(`serving on http://127.0.0.1:${hams.port}/hams/ready`);

  let kicking = true;
  const rl = readline.createInterface({ input: process.stdin, terminal: false });
  rl.on('line', (line) => {
    const cmd = line.trim();
    if (cmd === 'stop-kicking') kicking = false;
    else if (cmd === 'start-kicking') kicking = true;
    else if (cmd === 'fail-disk') diskFull = true;
    else if (cmd === 'heal-disk') diskFull = false;
    else if (cmd === 'invalid-call') {
      try {
        hams.probeManual('bad name', { checks: ['ready'] });
        say('error: none (the invalid call succeeded)');
      } catch (e) {
        say(`error: ${e.message}`);
      }
    } else if (cmd !== '') {
      process.stderr.write(`hams demo: unknown command: ${cmd}\n`);
    }
  });
  // End of stdin is not a command: the main loop below keeps running.

  const started = Date.now();
  let warmed = false;
  setInterval(() => {
    if (kicking) loop.kick();
    loops.inc();
    if (!warmed && Date.now() - started >= opts.warmupMs) {
      warmup.set(true);
      warmed = true;
    }
    if (hams.wait(0)) {
      say('stopped');
      hams.close();
      process.exit(0);
    }
  }, 100);
}

try {
  main();
} catch (e) {
  process.stderr.write(`hams demo: ${e.message}\n`);
  process.exit(1);
}
