'use strict';
// bench/metrics/bench_common.js: what the Node sides of the metrics
// benchmarks share (the same series and output as bench_common.py).

const fs = require('fs');

const FAMILY = 'bench_requests_total';
const HELP = 'Requests served.';
const LABEL_NAMES = ['path', 'code'];
const CODES = ['200', '201', '204', '404', '500'];
// The exemplar of the "observe with an exemplar" row: a W3C trace id.
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
// Linux pages are 4 KiB on the machines this runs on (x86_64, aarch64 default)
const PAGE = 4096;

function labelValues(i) {
  return [`/api/v1/items/${Math.floor(i / 5)}`, CODES[i % 5]];
}

function rssBytes() {
  return Number(fs.readFileSync('/proc/self/statm', 'utf8').split(' ')[1]) * PAGE;
}

function now() {
  return Number(process.hrtime.bigint()) / 1e9;
}

// fn(iterations) runs the loop itself; one warm-up pass lets V8 optimize it
function nsPerOp(fn, iterations) {
  fn(Math.min(iterations, 10000));
  const t0 = process.hrtime.bigint();
  fn(iterations);
  return Number(process.hrtime.bigint() - t0) / iterations;
}

function emit(record) {
  process.stdout.write(JSON.stringify(record) + '\n');
}

function parse(argv, prog) {
  const usage = () => {
    process.stderr.write(`usage: ${prog} series N [--scrapes R] [--body-dir DIR] | ops ITERATIONS\n`);
    process.exit(2);
  };
  const [mode, count, ...rest] = argv;
  if (mode !== 'series' && mode !== 'ops') usage();
  const n = Number(count);
  let scrapes = 3;
  let bodyDir = null;
  for (let i = 0; i < rest.length; i += 2) {
    if (rest[i] === '--scrapes' && i + 1 < rest.length) scrapes = Number(rest[i + 1]);
    else if (rest[i] === '--body-dir' && i + 1 < rest.length) bodyDir = rest[i + 1];
    else usage();
  }
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(scrapes) || scrapes < 1) usage();
  return { mode, n, scrapes, bodyDir };
}

module.exports = { FAMILY, HELP, LABEL_NAMES, BUCKETS, TRACE_ID, labelValues, rssBytes, now, nsPerOp, emit, parse };
