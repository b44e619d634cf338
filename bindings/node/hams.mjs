// The ESM entry of the package: the CommonJS module's exports, named, so
// `import { Hams } from 'hams'` and `require('hams')` share one loaded library.
import { createRequire } from 'node:module';

const cjs = createRequire(import.meta.url)('./hams.js');

export const {
  Hams,
  HamsError,
  Probe,
  CheckProbe,
  Metric,
  Counter,
  Gauge,
  Histogram,
  MetricVec,
  CounterVec,
  GaugeVec,
  HistogramVec,
  linearBuckets,
  exponentialBuckets,
  ALIVE,
  READY,
  STARTUP,
  AGG_PER_WORKER,
  AGG_SUM,
  AGG_MAX,
  AGG_MIN,
  attach,
  setLogger,
  libraryVersion,
} = cjs;
export default cjs;
