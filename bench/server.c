/*
 * bench/server.c: the smallest hams service, for benchmarks.
 *
 * One manual probe ("ok", alive|ready|startup, healthy), nothing else: no
 * kick probe, no callback probe, no signal handling by hams. The main
 * thread blocks SIGTERM/SIGINT before hams_start (so the hams threads
 * inherit the mask) and waits for one of them with sigwait(), then stops
 * and frees the server and exits 0 (so that valgrind/perf see a clean end).
 *
 *   server [--address 127.0.0.1:0]
 * prints "bench server: serving on http://127.0.0.1:PORT/hams/alive".
 */
#define _POSIX_C_SOURCE 200809L

#include "hams.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    const char *address = "127.0.0.1:0";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--address") == 0 && i + 1 < argc) {
            address = argv[++i];
        } else {
            fprintf(stderr, "usage: %s [--address HOST:PORT]\n", argv[0]);
            return 2;
        }
    }

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) {
        fprintf(stderr, "bench server: cannot block signals\n");
        return 1;
    }

    hams_t *h = hams_new("hams-bench", "1.0.0");
    if (h == NULL || hams_set_address(h, address) != HAMS_OK ||
        hams_probe_new_manual(h, "ok", HAMS_ALIVE | HAMS_READY | HAMS_STARTUP,
                              true) == NULL ||
        hams_start(h) != HAMS_OK) {
        fprintf(stderr, "bench server: %s\n", hams_last_error());
        return 1;
    }
    printf("bench server: serving on http://127.0.0.1:%d/hams/alive\n",
           hams_port(h));
    fflush(stdout);

    int sig = 0;
    sigwait(&set, &sig);
    hams_free(h);
    return 0;
}
