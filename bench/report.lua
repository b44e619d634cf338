-- bench/report.lua: wrk prints one machine-readable line at the end:
-- BENCH requests=N duration_us=N rps=N p50_us=N p90_us=N p99_us=N max_us=N
--       mean_us=N connect_errors=N read_errors=N write_errors=N
--       timeouts=N status_errors=N
done = function(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "BENCH requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d mean_us=%.1f connect_errors=%d read_errors=%d write_errors=%d timeouts=%d status_errors=%d\n",
      summary.requests, summary.duration,
      summary.requests / (summary.duration / 1e6),
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.max, latency.mean,
      e.connect, e.read, e.write, e.timeout, e.status))
end
