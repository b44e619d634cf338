/*
 * The smallest hams service, to check an installed libhams (.ci/run):
 *
 *   cc prog.c $(pkg-config --cflags --libs hams) -o prog
 *   ./prog [HOST:PORT [SECONDS]]
 *
 * Starts hams (default 127.0.0.1:0, a free port), prints
 * "prog: serving on http://HOST:PORT/hams/ready", serves for SECONDS
 * (default 30), then stops and exits 0.
 */
#include <hams.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
    const char *address = argc > 1 ? argv[1] : "127.0.0.1:0";
    int seconds = argc > 2 ? atoi(argv[2]) : 30;

    hams_t *h = hams_new("prog", "1.0.0");
    if (h == NULL) {
        fprintf(stderr, "prog: hams_new: %s\n", hams_last_error());
        return 1;
    }
    if (hams_set_address(h, address) != HAMS_OK || hams_start(h) != HAMS_OK) {
        fprintf(stderr, "prog: %s\n", hams_last_error());
        hams_free(h);
        return 1;
    }
    printf("prog: hams %s serving on http://127.0.0.1:%d/hams/ready\n",
           hams_version(), hams_port(h));
    fflush(stdout);
    sleep((unsigned)seconds);
    hams_stop(h);
    hams_free(h);
    return 0;
}
