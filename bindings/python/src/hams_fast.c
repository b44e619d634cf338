/* hams._fast: the compiled fast path of the Python binding.
 *
 * The ctypes layer (hams.metrics, hams.metric_vecs) stays the implementation
 * of everything; this module only gives its hot methods a C body: inc, set,
 * add, observe call libhams directly (inc and observe with an exemplar too,
 * when it is a plain dict of str), and a vector's labels(...) finds a
 * made child with one dict lookup. Anything unusual (a closed metric, an
 * error code, a first labels(...) call) goes back to the Python methods, so
 * both paths raise the same errors.
 *
 * It links libhams.so.0 (pkg-config hams); hams/_fast_select.py checks that
 * the library it resolved is the one ctypes loaded before using it. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#include <string.h>

#include <hams.h>

#if PY_VERSION_HEX < 0x03090000
#define PyObject_Vectorcall _PyObject_Vectorcall
#endif

static PyObject *str_handle;      /* "_handle" */
static PyObject *str_live_ptr;    /* "_live_ptr" */
static PyObject *str_labels_slow; /* "_labels_slow" */
static PyObject *check_fn;        /* hams.errors._check */

/* ---- metrics ---------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    PyObject *hams;    /* the Hams: its _handle is None once it is closed */
    PyObject *ptr_obj; /* the hams_metric_t * as a Python int, or None */
    hams_metric_t *ptr;
} MetricBase;

static int metric_traverse(MetricBase *self, visitproc visit, void *arg) {
    Py_VISIT(self->hams);
    Py_VISIT(self->ptr_obj);
    return 0;
}

static int metric_clear(MetricBase *self) {
    Py_CLEAR(self->hams);
    Py_CLEAR(self->ptr_obj);
    self->ptr = NULL;
    return 0;
}

static void metric_dealloc(MetricBase *self) {
    PyObject_GC_UnTrack(self);
    metric_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *metric_get_ptr(MetricBase *self, void *closure) {
    (void)closure;
    PyObject *v = self->ptr_obj ? self->ptr_obj : Py_None;
    Py_INCREF(v);
    return v;
}

static int metric_set_ptr(MetricBase *self, PyObject *value, void *closure) {
    (void)closure;
    void *p = NULL;
    if (value != NULL && value != Py_None) {
        p = PyLong_AsVoidPtr(value);
        if (p == NULL && PyErr_Occurred())
            return -1;
    }
    PyObject *old = self->ptr_obj;
    self->ptr_obj = (value == NULL || value == Py_None) ? NULL : value;
    Py_XINCREF(self->ptr_obj);
    self->ptr = p;
    Py_XDECREF(old);
    return 0;
}

static PyGetSetDef metric_getset[] = {
    {"_ptr", (getter)metric_get_ptr, (setter)metric_set_ptr, "the hams_metric_t *, None once closed", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMemberDef metric_members[] = {
    {"_hams", T_OBJECT, offsetof(MetricBase, hams), 0, "the Hams this metric belongs to"},
    {NULL, 0, 0, 0, NULL},
};

/* The live pointer, or NULL with the Python layer's exception (_live_ptr
 * raises "closed"). */
static hams_metric_t *live(MetricBase *self) {
    if (self->ptr != NULL && self->hams != NULL) {
        PyObject *h = PyObject_GetAttr(self->hams, str_handle);
        if (h == NULL)
            return NULL;
        int open = h != Py_None;
        Py_DECREF(h);
        if (open)
            return self->ptr;
    }
    PyObject *r = PyObject_CallMethodObjArgs((PyObject *)self, str_live_ptr, NULL);
    Py_XDECREF(r);
    if (r != NULL) /* _live_ptr found it open after all (a race with close) */
        PyErr_SetString(PyExc_RuntimeError, "hams: metric state changed during the call");
    return NULL;
}

/* float(x) as the Python layer does, without a call for floats and ints. */
static int as_double(PyObject *o, double *out) {
    if (PyFloat_CheckExact(o)) {
        *out = PyFloat_AS_DOUBLE(o);
        return 0;
    }
    if (PyLong_CheckExact(o)) {
        *out = PyLong_AsDouble(o);
        return (*out == -1.0 && PyErr_Occurred()) ? -1 : 0;
    }
    PyObject *f = PyNumber_Float(o);
    if (f == NULL)
        return -1;
    *out = PyFloat_AS_DOUBLE(f);
    Py_DECREF(f);
    return 0;
}

static PyObject *checked(int rc, const char *what) {
    if (rc == 0)
        Py_RETURN_NONE;
    if (check_fn == NULL) {
        PyErr_Format(PyExc_RuntimeError, "%s failed (%d)", what, rc);
        return NULL;
    }
    PyObject *r = PyObject_CallFunction(check_fn, "is", rc, what);
    if (r == NULL)
        return NULL;
    Py_DECREF(r);
    Py_RETURN_NONE;
}

typedef int (*metric_op)(hams_metric_t *, double);
typedef int (*exemplar_op)(hams_metric_t *, double, const char *const *);

/* The most exemplar labels taken here (OpenMetrics' 128 characters make
 * more than a few unlikely); more go to the Python method. */
#define FAST_EXEMPLAR_LABELS 8

/* (value, exemplar) in C when the exemplar is a dict of str to str without
 * NUL characters (value NULL: 1); *handled = 0 (no exception) for anything
 * else, which the Python method checks and reports. */
static PyObject *apply_exemplar(MetricBase *self, PyObject *value, PyObject *exemplar, metric_op plain,
                                exemplar_op op, const char *what, int *handled) {
    *handled = 1;
    if (exemplar == Py_None) {
        double v = 1.0;
        if (value != NULL && as_double(value, &v) < 0)
            return NULL;
        hams_metric_t *m = live(self);
        return m == NULL ? NULL : checked(plain(m, v), what);
    }
    const char *arr[2 * FAST_EXEMPLAR_LABELS + 1];
    Py_ssize_t pos = 0, i = 0;
    PyObject *k, *v;
    if (!PyDict_CheckExact(exemplar) || PyDict_GET_SIZE(exemplar) > FAST_EXEMPLAR_LABELS)
        goto slow;
    while (PyDict_Next(exemplar, &pos, &k, &v)) {
        if (!PyUnicode_CheckExact(k) || !PyUnicode_CheckExact(v))
            goto slow;
        Py_ssize_t kn, vn;
        const char *ks = PyUnicode_AsUTF8AndSize(k, &kn);
        const char *vs = ks ? PyUnicode_AsUTF8AndSize(v, &vn) : NULL;
        if (vs == NULL) {
            PyErr_Clear(); /* e.g. a lone surrogate: the Python method says so */
            goto slow;
        }
        if (strlen(ks) != (size_t)kn || strlen(vs) != (size_t)vn)
            goto slow;
        arr[i++] = ks;
        arr[i++] = vs;
    }
    arr[i] = NULL;
    double d = 1.0;
    if (value != NULL && as_double(value, &d) < 0)
        return NULL;
    hams_metric_t *m = live(self);
    if (m == NULL)
        return NULL;
    return checked(op(m, d, arr), what);
slow:
    *handled = 0;
    return NULL;
}

static int is_kw(PyObject *kwnames, Py_ssize_t i, const char *arg) {
    PyObject *k = PyTuple_GET_ITEM(kwnames, i);
    return PyUnicode_Check(k) && PyUnicode_CompareWithASCIIString(k, arg) == 0;
}

/* One call of a hot method: (arg) or (arg=...) as the Python signature.
 * With `slow` (a method with more arguments, e.g. an exemplar), any other
 * call goes to the Python method of that name. */
static PyObject *apply(MetricBase *self, PyObject *const *args, size_t nargsf, PyObject *kwnames, const char *name,
                       const char *arg, metric_op op, const char *what, int has_default, double sign,
                       const char *slow, exemplar_op with_exemplar) {
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    /* (value, exemplar), (value, exemplar=...) or, with a default value, (exemplar=...) */
    if (with_exemplar != NULL && nkw <= 1 && (nkw == 0 || is_kw(kwnames, nkw - 1, "exemplar")) &&
        ((nargs + nkw == 2 && nargs >= 1) || (has_default && nargs == 0 && nkw == 1))) {
        int handled;
        PyObject *value = nargs >= 1 ? args[0] : NULL;
        PyObject *r = apply_exemplar(self, value, args[nargs + nkw - 1], op, with_exemplar, what, &handled);
        if (handled)
            return r;
    }
    if (slow != NULL && (nargs + nkw > 1 || (nkw == 1 && !is_kw(kwnames, 0, arg)))) {
        PyObject *f = PyObject_GetAttrString((PyObject *)self, slow);
        if (f == NULL)
            return NULL;
        PyObject *r = PyObject_Vectorcall(f, args, nargs, kwnames);
        Py_DECREF(f);
        return r;
    }
    if (nkw == 1 && (nargs != 0 || !PyUnicode_Check(PyTuple_GET_ITEM(kwnames, 0)) ||
                     PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, 0), arg) != 0))
        return PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument %R", name,
                            PyTuple_GET_ITEM(kwnames, 0));
    Py_ssize_t given = nargs + nkw;
    if (nkw > 1 || given > 1 || (given == 0 && !has_default))
        return PyErr_Format(PyExc_TypeError, "%s() takes %s1 argument (%zd given)", name,
                            has_default ? "at most " : "exactly ", given);
    double v = 1.0;
    if (given == 1 && as_double(args[0], &v) < 0)
        return NULL;
    hams_metric_t *m = live(self);
    if (m == NULL)
        return NULL;
    return checked(op(m, sign * v), what);
}

#define HOT(fn, name, arg, op, has_default, sign, slow, with_exemplar)                                \
    static PyObject *fn(MetricBase *self, PyObject *const *args, size_t n, PyObject *kw) {            \
        return apply(self, args, n, kw, name, arg, op, #op, has_default, sign, slow, with_exemplar); \
    }
/* inc and observe with an exemplar in another shape: the Python methods (ctypes). */
HOT(counter_inc, "inc", "amount", hams_counter_add, 1, 1.0, "_inc_py", hams_counter_add_exemplar)
HOT(gauge_set, "set", "value", hams_gauge_set, 0, 1.0, NULL, NULL)
HOT(gauge_add, "add", "amount", hams_gauge_add, 0, 1.0, NULL, NULL)
HOT(gauge_inc, "inc", "amount", hams_gauge_add, 1, 1.0, NULL, NULL)
HOT(gauge_dec, "dec", "amount", hams_gauge_add, 1, -1.0, NULL, NULL)
HOT(histogram_observe, "observe", "value", hams_histogram_observe, 0, 1.0, "_observe_py",
    hams_histogram_observe_exemplar)

static PyMethodDef metric_methods[] = {
    /* The signatures (for inspect) are those of the Python methods. */
    {"_counter_inc", (PyCFunction)(void (*)(void))counter_inc, METH_FASTCALL | METH_KEYWORDS,
     "_counter_inc($self, amount=1.0, exemplar=None)\n--\n\nAdds amount (finite, >= 0), with an optional exemplar."},
    {"_gauge_set", (PyCFunction)(void (*)(void))gauge_set, METH_FASTCALL | METH_KEYWORDS, NULL},
    {"_gauge_add", (PyCFunction)(void (*)(void))gauge_add, METH_FASTCALL | METH_KEYWORDS, NULL},
    {"_gauge_inc", (PyCFunction)(void (*)(void))gauge_inc, METH_FASTCALL | METH_KEYWORDS, NULL},
    {"_gauge_dec", (PyCFunction)(void (*)(void))gauge_dec, METH_FASTCALL | METH_KEYWORDS, NULL},
    {"_histogram_observe", (PyCFunction)(void (*)(void))histogram_observe, METH_FASTCALL | METH_KEYWORDS,
     "_histogram_observe($self, value, exemplar=None)\n--\n\nRecords one finite observation, with an optional "
     "exemplar."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject MetricBaseType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "hams._fast.MetricBase",
    .tp_basicsize = sizeof(MetricBase),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "The C part of hams.Metric: its handle and hot methods.",
    .tp_new = PyType_GenericNew,
    .tp_dealloc = (destructor)metric_dealloc,
    .tp_traverse = (traverseproc)metric_traverse,
    .tp_clear = (inquiry)metric_clear,
    .tp_methods = metric_methods,
    .tp_members = metric_members,
    .tp_getset = metric_getset,
};

/* ---- vectors ---------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    PyObject *children;   /* dict: tuple of label values -> child */
    PyObject *labelnames; /* tuple of str, for labels(name=value, ...) */
} VecBase;

static int vec_traverse(VecBase *self, visitproc visit, void *arg) {
    Py_VISIT(self->children);
    Py_VISIT(self->labelnames);
    return 0;
}

static int vec_clear(VecBase *self) {
    Py_CLEAR(self->children);
    Py_CLEAR(self->labelnames);
    return 0;
}

/* The key of labels(name=value, ...): the values in labelnames' order, or
 * NULL (no error set) when the names do not match them one to one. */
static PyObject *keyword_key(VecBase *self, PyObject *const *args, PyObject *kwnames) {
    PyObject *names = self->labelnames;
    if (names == NULL || !PyTuple_CheckExact(names))
        return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(names);
    if (PyTuple_GET_SIZE(kwnames) != n)
        return NULL;
    PyObject *key = PyTuple_New(n);
    if (key == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *want = PyTuple_GET_ITEM(names, i);
        Py_ssize_t j = 0;
        /* Keyword names are interned, as are identifiers in the label names
         * mostly: identity first, then equality. */
        while (j < n && PyTuple_GET_ITEM(kwnames, j) != want)
            j++;
        if (j == n) {
            for (j = 0; j < n; j++) {
                PyObject *got = PyTuple_GET_ITEM(kwnames, j);
                if (PyUnicode_Check(got) && PyUnicode_Check(want) && PyUnicode_Compare(got, want) == 0)
                    break;
            }
            if (PyErr_Occurred())
                PyErr_Clear();
        }
        if (j == n) {
            Py_DECREF(key);
            return NULL;
        }
        Py_INCREF(args[j]);
        PyTuple_SET_ITEM(key, i, args[j]);
    }
    return key;
}

static void vec_dealloc(VecBase *self) {
    PyObject_GC_UnTrack(self);
    vec_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* labels(*values): the cached child, else the Python layer's _labels_slow
 * (keywords, first use, unhashable values, errors). */
static PyObject *vec_labels(VecBase *self, PyObject *const *args, size_t nargsf, PyObject *kwnames) {
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    PyObject *key = NULL;
    if (self->children != NULL && PyDict_CheckExact(self->children)) {
        if (kwnames == NULL) {
            key = PyTuple_New(nargs);
            if (key == NULL)
                return NULL;
            for (Py_ssize_t i = 0; i < nargs; i++) {
                Py_INCREF(args[i]);
                PyTuple_SET_ITEM(key, i, args[i]);
            }
        } else if (nargs == 0) {
            key = keyword_key(self, args, kwnames);
            if (key == NULL && PyErr_Occurred())
                return NULL;
        }
    }
    if (key != NULL) {
        PyObject *child = PyDict_GetItemWithError(self->children, key);
        Py_DECREF(key);
        if (child != NULL) {
            Py_INCREF(child);
            return child;
        }
        PyErr_Clear(); /* e.g. unhashable: the slow path knows what to do */
    }
    PyObject *slow = PyObject_GetAttr((PyObject *)self, str_labels_slow);
    if (slow == NULL)
        return NULL;
    PyObject *r = PyObject_Vectorcall(slow, args, nargs, kwnames);
    Py_DECREF(slow);
    return r;
}

static PyObject *vec_get_children(VecBase *self, void *closure) {
    (void)closure;
    PyObject *v = self->children ? self->children : Py_None;
    Py_INCREF(v);
    return v;
}

static int vec_set_children(VecBase *self, PyObject *value, void *closure) {
    (void)closure;
    PyObject *old = self->children;
    Py_XINCREF(value);
    self->children = value;
    Py_XDECREF(old);
    return 0;
}

static PyMemberDef vec_members[] = {
    {"_labelnames", T_OBJECT, offsetof(VecBase, labelnames), 0, "the label names, in order"},
    {NULL, 0, 0, 0, NULL},
};

static PyGetSetDef vec_getset[] = {
    {"_children", (getter)vec_get_children, (setter)vec_set_children, "the made children by label values", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMethodDef vec_methods[] = {
    {"labels", (PyCFunction)(void (*)(void))vec_labels, METH_FASTCALL | METH_KEYWORDS,
     "The child for these label values, positionally in labelnames' order or by name; made on first use, the "
     "same object afterwards."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject VecBaseType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "hams._fast.VecBase",
    .tp_basicsize = sizeof(VecBase),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "The C part of hams.MetricVec: the children cache and labels().",
    .tp_new = PyType_GenericNew,
    .tp_dealloc = (destructor)vec_dealloc,
    .tp_traverse = (traverseproc)vec_traverse,
    .tp_clear = (inquiry)vec_clear,
    .tp_methods = vec_methods,
    .tp_members = vec_members,
    .tp_getset = vec_getset,
};

/* ---- module ----------------------------------------------------------- */

static PyObject *fast_bind(PyObject *mod, PyObject *fn) {
    (void)mod;
    Py_INCREF(fn);
    Py_XSETREF(check_fn, fn);
    Py_RETURN_NONE;
}

static PyObject *fast_counter_add_address(PyObject *mod, PyObject *unused) {
    (void)mod;
    (void)unused;
    return PyLong_FromVoidPtr((void *)hams_counter_add);
}

static PyMethodDef fast_functions[] = {
    {"_bind", fast_bind, METH_O, "Sets the function that turns an error code into HamsError."},
    {"counter_add_address", fast_counter_add_address, METH_NOARGS,
     "The address of the hams_counter_add this module calls (to check it is ctypes' library)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef fast_module = {
    PyModuleDef_HEAD_INIT, "hams._fast", "The compiled fast path of hams' metrics.", -1, fast_functions,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__fast(void) {
    if (PyType_Ready(&MetricBaseType) < 0 || PyType_Ready(&VecBaseType) < 0)
        return NULL;
    str_handle = PyUnicode_InternFromString("_handle");
    str_live_ptr = PyUnicode_InternFromString("_live_ptr");
    str_labels_slow = PyUnicode_InternFromString("_labels_slow");
    if (str_handle == NULL || str_live_ptr == NULL || str_labels_slow == NULL)
        return NULL;
    PyObject *m = PyModule_Create(&fast_module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&MetricBaseType);
    Py_INCREF(&VecBaseType);
    if (PyModule_AddObject(m, "MetricBase", (PyObject *)&MetricBaseType) < 0 ||
        PyModule_AddObject(m, "VecBase", (PyObject *)&VecBaseType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
