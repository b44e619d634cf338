/*
 * hams embed: one process, two languages, one hams_t.
 *
 * A C program that embeds CPython. It creates the health server in C,
 * registers its own probe `c-side` and starts serving; then it runs a
 * Python plugin, handing it the same hams_t * (as an int), and the plugin
 * registers its probes (`py-side`, `py-check`) through the Python binding
 * (hams.Hams.from_handle). Both sides' probes are served by the one server.
 * The host serves until its stdin closes, then frees the server.
 *
 * Build (from the repository root, after `cargo build --release` and
 * `ln -sf libhams.so target/release/libhams.so.0`; Debian's python3-dev
 * provides Python.h and python3-embed.pc):
 *   cc -std=c11 -Wall -Wextra -o target/embed-host examples/embed/host.c \
 *      $(pkg-config --cflags --libs python3-embed) -Iinclude \
 *      -Ltarget/release -lhams
 * Run:
 *   PYTHONPATH=bindings/python LD_LIBRARY_PATH=target/release \
 *       target/embed-host examples/embed/plugin.py [ADDRESS]
 * ADDRESS defaults to 127.0.0.1:0 (any free port). Then:
 *   curl 'http://127.0.0.1:<port>/hams/ready?verbose'
 *
 * Threads and the GIL: after the plugin has run, the host releases the GIL
 * (PyEval_SaveThread) while it serves, so that hams' threads can call into
 * Python (the plugin's check function, the binding's log bridge). It frees
 * the server before finalizing Python: after hams_free() returns, hams calls
 * none of the plugin's functions again.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "hams.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void die_hams(const char *what) {
    fprintf(stderr, "embed: %s failed: %s\n", what, hams_last_error());
    exit(1);
}

static void die_python(const char *what) {
    fprintf(stderr, "embed: %s failed:\n", what);
    if (PyErr_Occurred()) PyErr_Print();
    exit(1);
}

static void init_python(const char *argv0) {
    PyConfig config;
    PyConfig_InitPythonConfig(&config); /* reads PYTHONPATH and the like */
    config.parse_argv = 0;
    config.install_signal_handlers = 1;
    /* The host's own path, so that Python finds its standard library from
     * where libpython was installed, not from some python3 on PATH. */
    PyStatus st = PyConfig_SetBytesString(&config, &config.program_name, argv0);
    if (!PyStatus_Exception(st)) st = Py_InitializeFromConfig(&config);
    PyConfig_Clear(&config);
    if (PyStatus_Exception(st)) Py_ExitStatusException(st);
}

/* Runs the plugin file and calls its register(handle); returns what that
 * returns (the plugin's state, kept alive until the end). */
static PyObject *run_plugin(const char *path, hams_t *h) {
    PyObject *runpy = PyImport_ImportModule("runpy");
    if (runpy == NULL) die_python("import runpy");
    PyObject *globals = PyObject_CallMethod(runpy, "run_path", "s", path);
    Py_DECREF(runpy);
    if (globals == NULL) die_python("running the plugin");
    PyObject *reg = PyDict_GetItemString(globals, "register"); /* borrowed */
    if (reg == NULL || !PyCallable_Check(reg)) {
        fprintf(stderr, "embed: %s defines no register(handle) function\n", path);
        exit(1);
    }
    PyObject *handle = PyLong_FromVoidPtr(h);
    if (handle == NULL) die_python("PyLong_FromVoidPtr");
    PyObject *state = PyObject_CallFunctionObjArgs(reg, handle, NULL);
    Py_DECREF(handle);
    Py_DECREF(globals);
    if (state == NULL) die_python("plugin register()");
    return state;
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3 || strcmp(argv[1], "--help") == 0) {
        fprintf(stderr, "usage: %s PLUGIN.py [ADDRESS]   (ADDRESS default 127.0.0.1:0)\n", argv[0]);
        return 2;
    }
    const char *plugin = argv[1];
    const char *address = argc == 3 ? argv[2] : "127.0.0.1:0";

    /* The C side. */
    hams_t *h = hams_new("hams-embed", hams_version());
    if (h == NULL) die_hams("hams_new");
    if (hams_set_address(h, address) != HAMS_OK) die_hams("hams_set_address");
    hams_probe_t *c_side = hams_probe_new_manual(h, "c-side", HAMS_READY, true);
    if (c_side == NULL) die_hams("hams_probe_new_manual(c-side)");
    if (hams_start(h) != HAMS_OK) die_hams("hams_start");
    int port = hams_port(h);
    if (port <= 0) die_hams("hams_port");

    /* The Python side, on the same hams_t. */
    init_python(argv[0]);
    PyObject *state = run_plugin(plugin, h);
    PyThreadState *ts = PyEval_SaveThread(); /* let hams' threads into Python */

    printf("embed: port=%d\n", port);
    fflush(stdout);

    /* Serve until stdin closes. */
    char buf[256];
    for (;;) {
        ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
        if (n == 0) break;
        if (n < 0 && errno != EINTR) break;
    }

    /* Free the server (and with it every probe, the plugin's included)
     * while Python can still run its callbacks, then finalize Python. */
    hams_free(h);
    PyEval_RestoreThread(ts);
    Py_DECREF(state);
    if (Py_FinalizeEx() < 0) {
        fprintf(stderr, "embed: Py_FinalizeEx failed\n");
        return 1;
    }
    printf("embed: stopped\n");
    fflush(stdout);
    return 0;
}
