"""Loading libhams and the prototypes of its C functions (ctypes)."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from typing import Any, List, Tuple

def _load_library() -> Tuple[ctypes.CDLL, str]:
    override = os.environ.get("HAMS_LIBRARY")
    if override:
        try:
            return ctypes.CDLL(override), override
        except OSError as e:
            raise ImportError(f"hams: cannot load HAMS_LIBRARY={override!r}: {e}") from e
    names: List[str] = []
    found = ctypes.util.find_library("hams")
    if found:
        names.append(found)
    if "libhams.so.0" not in names:
        names.append("libhams.so.0")
    tried: List[str] = []
    for name in names:
        try:
            return ctypes.CDLL(name), name
        except OSError as e:
            tried.append(str(e))
    raise ImportError(
        "hams: cannot load libhams.so.0, the hams C library (" + "; ".join(tried) + "). Install it: "
        "`./configure && make && sudo make install` in the hams sources (then `sudo ldconfig`), or your "
        "distribution's libhams0 package; or add its directory to LD_LIBRARY_PATH, or set HAMS_LIBRARY "
        "to its path"
    )


_lib, _lib_name = _load_library()

_vp = ctypes.c_void_p
_cs = ctypes.c_char_p
_int = ctypes.c_int

_SHUTDOWN_FN = ctypes.CFUNCTYPE(None, _vp)
_LOG_FN = ctypes.CFUNCTYPE(None, _vp, _int, _cs, _cs)
_METRICS_FN = ctypes.CFUNCTYPE(None, _vp, _vp)
_CHECK_FN = ctypes.CFUNCTYPE(ctypes.c_bool, _vp, _vp, ctypes.c_size_t)
_CHANGE_FN = ctypes.CFUNCTYPE(None, _vp, _cs, ctypes.c_bool, _cs)


def _proto(name: str, restype: Any, *argtypes: Any, optional: bool = False) -> Any:
    """The C function with its prototype; with ``optional``, None when the
    library is older than the function (the package then says so on use)."""
    try:
        f = getattr(_lib, name)
    except AttributeError:
        if optional:
            return None
        raise
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


class _C:
    """The C functions, with their prototypes."""

    version = _proto("hams_version", _cs)
    last_error = _proto("hams_last_error", _cs)
    new = _proto("hams_new", _vp, _cs, _cs)
    set_address = _proto("hams_set_address", _int, _vp, _cs)
    start = _proto("hams_start", _int, _vp)
    port = _proto("hams_port", _int, _vp)
    stop = _proto("hams_stop", _int, _vp)
    free = _proto("hams_free", None, _vp)
    new_from_file = _proto("hams_new_from_file", _vp, _cs)
    new_from_yaml = _proto("hams_new_from_yaml", _vp, _cs)
    on_shutdown = _proto("hams_on_shutdown", _int, _vp, _SHUTDOWN_FN, _vp)
    shutdown = _proto("hams_shutdown", _int, _vp)
    wait = _proto("hams_wait", _int, _vp, ctypes.c_int64)
    handle_signals = _proto("hams_handle_signals", _int, _vp, ctypes.c_bool)
    set_logger = _proto("hams_set_logger", _int, _LOG_FN, _vp, _int)
    counter_new = _proto("hams_counter_new", _vp, _vp, _cs, _cs)
    counter_new_labeled = _proto("hams_counter_new_labeled", _vp, _vp, _cs, _cs, _vp)
    gauge_new = _proto("hams_gauge_new", _vp, _vp, _cs, _cs)
    gauge_new_labeled = _proto("hams_gauge_new_labeled", _vp, _vp, _cs, _cs, _vp)
    histogram_new = _proto(
        "hams_histogram_new", _vp, _vp, _cs, _cs, ctypes.POINTER(ctypes.c_double), ctypes.c_size_t
    )
    histogram_new_labeled = _proto(
        "hams_histogram_new_labeled",
        _vp,
        _vp,
        _cs,
        _cs,
        ctypes.POINTER(ctypes.c_double),
        ctypes.c_size_t,
        _vp,
    )
    counter_add = _proto("hams_counter_add", _int, _vp, ctypes.c_double)
    gauge_set = _proto("hams_gauge_set", _int, _vp, ctypes.c_double)
    gauge_add = _proto("hams_gauge_add", _int, _vp, ctypes.c_double)
    histogram_observe = _proto("hams_histogram_observe", _int, _vp, ctypes.c_double)
    metric_free = _proto("hams_metric_free", _int, _vp)
    metrics_append = _proto("hams_metrics_append", _int, _vp, _cs)
    set_metrics_callback = _proto("hams_set_metrics_callback", _int, _vp, _METRICS_FN, _vp)
    histogram_native_new = _proto(
        "hams_histogram_native_new", _vp, _vp, _cs, _cs, ctypes.c_double, ctypes.c_uint32
    )
    buckets_linear = _proto(
        "hams_buckets_linear", _int, ctypes.c_double, ctypes.c_double, ctypes.c_size_t, ctypes.POINTER(ctypes.c_double)
    )
    buckets_exponential = _proto(
        "hams_buckets_exponential",
        _int,
        ctypes.c_double,
        ctypes.c_double,
        ctypes.c_size_t,
        ctypes.POINTER(ctypes.c_double),
    )
    counter_vec_new = _proto("hams_counter_vec_new", _vp, _vp, _cs, _cs, _vp)
    gauge_vec_new = _proto("hams_gauge_vec_new", _vp, _vp, _cs, _cs, _vp)
    histogram_vec_new = _proto(
        "hams_histogram_vec_new", _vp, _vp, _cs, _cs, ctypes.POINTER(ctypes.c_double), ctypes.c_size_t, _vp
    )
    histogram_native_vec_new = _proto(
        "hams_histogram_native_vec_new", _vp, _vp, _cs, _cs, ctypes.c_double, ctypes.c_uint32, _vp
    )
    vec_with = _proto("hams_vec_with", _vp, _vp, _vp)
    vec_remove = _proto("hams_vec_remove", _int, _vp, _vp)
    vec_free = _proto("hams_vec_free", _int, _vp)
    probe_new_manual = _proto("hams_probe_new_manual", _vp, _vp, _cs, ctypes.c_uint, ctypes.c_bool)
    probe_new_kick = _proto("hams_probe_new_kick", _vp, _vp, _cs, ctypes.c_uint, ctypes.c_uint64)
    probe_new_callback = _proto(
        "hams_probe_new_callback",
        _vp,
        _vp,
        _cs,
        ctypes.c_uint,
        _CHECK_FN,
        _vp,
        ctypes.c_uint64,
        ctypes.c_uint64,
    )
    probe_set = _proto("hams_probe_set", _int, _vp, ctypes.c_bool, _cs)
    probe_kick = _proto("hams_probe_kick", _int, _vp)
    probe_get = _proto("hams_probe_get", _vp, _vp, _cs)
    probe_free = _proto("hams_probe_free", _int, _vp)
    set_runtime = _proto("hams_set_runtime", _int, _vp, _cs, _cs, _cs)
    last_error_code = _proto("hams_last_error_code", _int)
    # Workers mode (libhams 0.2): optional, so that the rest works on 0.1.
    set_workers = _proto("hams_set_workers", _int, _vp, ctypes.c_bool, optional=True)
    attach = _proto("hams_attach", _vp, optional=True)
    gauge_set_aggregation = _proto("hams_gauge_set_aggregation", _int, _vp, _int, optional=True)
    vec_set_aggregation = _proto("hams_vec_set_aggregation", _int, _vp, _int, optional=True)
    # Status listeners and thresholds (libhams 0.3): optional as well.
    on_change = _proto("hams_on_change", _int, _vp, _CHANGE_FN, _vp, optional=True)
    check_state = _proto("hams_check_state", _int, _vp, ctypes.c_uint, optional=True)
    probe_set_thresholds = _proto(
        "hams_probe_set_thresholds", _int, _vp, ctypes.c_uint32, ctypes.c_uint32, optional=True
    )
    # Exemplars: optional, for libraries older than them.
    counter_add_exemplar = _proto("hams_counter_add_exemplar", _int, _vp, ctypes.c_double, _vp, optional=True)
    histogram_observe_exemplar = _proto(
        "hams_histogram_observe_exemplar", _int, _vp, ctypes.c_double, _vp, optional=True
    )


def version() -> str:
    """libhams' version, e.g. ``"0.1.0"``."""
    v: bytes = _C.version()
    return v.decode("utf-8", "replace")


def library_path() -> str:
    """The name or path the library was loaded from."""
    return _lib_name
