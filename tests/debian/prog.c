/*
 * A small hams service, to check the installed Debian packages
 * (tests/debian/install-test.sh):
 *
 *   cc prog.c $(pkg-config --cflags --libs hams) -o prog
 *   ./prog ADDRESS SECONDS
 *
 * Starts hams on ADDRESS (127.0.0.1:0: a free port) with a manual readiness
 * probe "db" that passes and a counter "prog_requests_total", prints
 * "prog: hams VERSION serving on http://127.0.0.1:PORT/hams/ready", serves
 * for SECONDS, then stops and exits 0.
 */
#include <hams.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: prog ADDRESS SECONDS\n");
        return 2;
    }
    const char *address = argv[1];
    int seconds = atoi(argv[2]);

    hams_t *h = hams_new("debian-prog", "1.0.0");
    if (h == NULL) {
        fprintf(stderr, "prog: hams_new: %s\n", hams_last_error());
        return 1;
    }
    hams_probe_t *db = hams_probe_new_manual(h, "db", HAMS_READY, true);
    hams_metric_t *requests =
        hams_counter_new(h, "prog_requests_total", "Requests the program handled.");
    if (db == NULL || requests == NULL || hams_counter_add(requests, 3) != HAMS_OK ||
        hams_set_address(h, address) != HAMS_OK || hams_start(h) != HAMS_OK) {
        fprintf(stderr, "prog: %s\n", hams_last_error());
        hams_free(h);
        return 1;
    }
    printf("prog: hams %s serving on http://127.0.0.1:%d/hams/ready\n",
           hams_version(), hams_port(h));
    fflush(stdout);
    sleep((unsigned)seconds);
    hams_stop(h);
    hams_metric_free(requests);
    hams_probe_free(db);
    hams_free(h);
    return 0;
}
