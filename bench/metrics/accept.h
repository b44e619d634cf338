/*
 * bench/metrics/accept.h: the scrape variants the metrics benchmarks ask
 * for: name, Accept header, Accept-Encoding header (NULL: none sent).
 * "prom2" is the Accept header of Prometheus 2.x's default scrape, "proto"
 * the one it sends with native histograms on (protobuf first).
 */
#ifndef BENCH_ACCEPT_H
#define BENCH_ACCEPT_H

#define ACCEPT_TEXT "text/plain;version=0.0.4"
#define ACCEPT_PROM2                                                                  \
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;" \
    "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
#define ACCEPT_PROTO                                                                                     \
    "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,"        \
    "application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75," \
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"

struct scrape_variant {
    const char *name;
    const char *accept;
    const char *encoding;
};

static const struct scrape_variant SCRAPE_VARIANTS[] = {
    {"text", ACCEPT_TEXT, NULL},
    {"text_gzip", ACCEPT_TEXT, "gzip"},
    {"prom2_gzip", ACCEPT_PROM2, "gzip"},
    {"proto", ACCEPT_PROTO, NULL},
    {"proto_gzip", ACCEPT_PROTO, "gzip"},
};
#define N_SCRAPE_VARIANTS (sizeof(SCRAPE_VARIANTS) / sizeof(SCRAPE_VARIANTS[0]))

#endif /* BENCH_ACCEPT_H */
