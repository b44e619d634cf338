'use strict';
// bench/metrics/peers.js: prom-client (npm), the Node peer.
//
//   node peers.js series N [--scrapes R] [--body-dir DIR]
//       creates N series of bench_requests_total{path, code} (labels(...).inc()
//       each) in a fresh Registry, then times `await registry.metrics()` R times
//   node peers.js ops ITERATIONS
//       ns per inc, set, observe and labels(path, code).inc()
// Same JSON line as peers.py, with "impl":"prom-client".

const fs = require('fs');
const path = require('path');
const client = require('prom-client');
const { FAMILY, HELP, LABEL_NAMES, BUCKETS, TRACE_ID, labelValues, rssBytes, now, nsPerOp, emit, parse } = require('./bench_common');

const version = require('prom-client/package.json').version;

async function series(n, scrapes, bodyDir) {
  const registry = new client.Registry();
  const rss0 = rssBytes();
  const t0 = now();
  const c = new client.Counter({ name: FAMILY, help: HELP, labelNames: LABEL_NAMES, registers: [registry] });
  for (let i = 0; i < n; i++) {
    const [p, code] = labelValues(i);
    c.labels(p, code).inc();
  }
  const createS = now() - t0;
  const rss = rssBytes() - rss0;
  const times = [];
  let body = '';
  for (let k = 0; k < scrapes; k++) {
    const s0 = now();
    body = await registry.metrics();
    times.push(now() - s0);
  }
  const bytes = Buffer.from(body, 'utf8');
  if (bodyDir) fs.writeFileSync(path.join(bodyDir, 'prom-client-text.body'), bytes);
  emit({
    impl: 'prom-client',
    version,
    n,
    create_s: createS,
    rss_bytes: rss,
    scrape: { text: { s: times, body_bytes: bytes.length } },
    series_seen: body.split(`\n${FAMILY}{`).length - 1,
  });
}

function ops(iterations) {
  const registry = new client.Registry();
  const c = new client.Counter({ name: 'bench_ops_total', help: 'Operations.', registers: [registry] });
  const g = new client.Gauge({ name: 'bench_level', help: 'A level.', registers: [registry] });
  const h = new client.Histogram({ name: 'bench_seconds', help: 'Durations.', buckets: BUCKETS, registers: [registry] });
  // prom-client keeps exemplars only in a registry of the OpenMetrics type, on metrics made with enableExemplars.
  const omRegistry = new client.Registry(client.Registry.OPENMETRICS_CONTENT_TYPE);
  const he = new client.Histogram({
    name: 'bench_traced_seconds', help: 'Durations.', buckets: BUCKETS, registers: [omRegistry], enableExemplars: true,
  });
  const exemplarLabels = { trace_id: TRACE_ID };
  const lc = new client.Counter({ name: FAMILY, help: HELP, labelNames: LABEL_NAMES, registers: [registry] });
  lc.labels('/api/v1/items', '200').inc();
  emit({
    impl: 'prom-client',
    version,
    ops: {
      inc: nsPerOp((k) => { for (let i = 0; i < k; i++) c.inc(); }, iterations),
      set: nsPerOp((k) => { for (let i = 0; i < k; i++) g.set(i); }, iterations),
      observe: nsPerOp((k) => { for (let i = 0; i < k; i++) h.observe((i & 1023) / 100); }, iterations),
      observe_exemplar: nsPerOp((k) => {
        for (let i = 0; i < k; i++) he.observe({ value: (i & 1023) / 100, exemplarLabels });
      }, iterations),
      labels_inc: nsPerOp((k) => { for (let i = 0; i < k; i++) lc.labels('/api/v1/items', '200').inc(); }, iterations),
    },
  });
}

const args = parse(process.argv.slice(2), 'peers.js');
if (args.mode === 'series') {
  series(args.n, args.scrapes, args.bodyDir).catch((e) => {
    process.stderr.write(`peers.js: ${e.stack || e}\n`);
    process.exit(1);
  });
} else {
  ops(args.n);
}
