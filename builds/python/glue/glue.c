// Embeds libpython and exports the vial:transform `environment` world through
// hand-written canonical-ABI functions (the world is three functions, so a
// bindings generator is not worth the extra toolchain).
//
// Lifecycle: `wizer.initialize` runs once at build time under wizer: it starts
// an isolated interpreter, imports the generated `_vial_boot` module (which
// imports the user module and its dependencies) and keeps references to the
// dispatcher. The snapshot of that state is what every instance starts from.
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static PyObject *fn_describe, *fn_reseed, *fn_call;

// WASI has no process clocks: libc emulates them (clock, and through __clock
// times and getrusage, hence time.process_time and os.times) from the
// monotonic clock, counted from the interpreter's start, which the build's
// snapshot took on the build machine's clock. A guest's clock is the fixed
// one (runtime/capabilities/clocks.ts), where a process has used no time.
// Defining both names keeps libc's own out of the link.
clock_t clock(void) { return 0; }
clock_t __clock(void) { return 0; }

// Generated per environment (inittab.ts): registers the extension modules of
// native packages linked into this interpreter, before it starts.
void vial_extend_inittab(void);

// The canonical ABI allocates incoming strings/lists with this. The preview1
// adapter also relies on it: without a working export its state gets corrupted.
// A zero-size request gets the alignment back, not heap memory: see release().
__attribute__((export_name("cabi_realloc")))
void *cabi_realloc(void *ptr, size_t old_size, size_t align, size_t new_size) {
  if (new_size == 0) return (void *)align;
  void *p = realloc(old_size ? ptr : NULL, new_size);
  if (!p) abort();
  return p;
}

// Frees an argument the host allocated via cabi_realloc; empty ones were never
// allocated (cabi_realloc returned the alignment as a dummy pointer).
static void release(void *ptr, size_t len) {
  if (len) free(ptr);
}

static void fail(const char *what) {
  if (PyErr_Occurred()) PyErr_Print();
  fprintf(stderr, "vial: %s\n", what);
  fflush(stderr);
  abort();
}

static PyObject *attr(PyObject *mod, const char *name) {
  PyObject *f = PyObject_GetAttrString(mod, name);
  if (!f) fail(name);
  return f;
}

__attribute__((export_name("wizer.initialize")))
void vial_initialize(void) {
  vial_extend_inittab();
  PyConfig config;
  PyConfig_InitIsolatedConfig(&config);
  config.install_signal_handlers = 0;
  config.write_bytecode = 0;
  config.site_import = 0;
  config.module_search_paths_set = 1;
  // Guest paths mapped by wizer (see componentize.ts). The SDK comes before
  // user code and dependencies so nothing can shadow `vial`.
  const wchar_t *paths[] = {L"/vial/boot", L"/vial/sdk", L"/vial/app", L"/vial/site",
                            L"/vial/lib/python3.11"};
  for (size_t i = 0; i < sizeof paths / sizeof *paths; i++)
    if (PyStatus_Exception(PyWideStringList_Append(&config.module_search_paths, paths[i])))
      fail("search path");
  PyConfig_SetString(&config, &config.home, L"/vial");
  PyStatus st = Py_InitializeFromConfig(&config);
  PyConfig_Clear(&config);
  if (PyStatus_Exception(st)) fail(st.err_msg ? st.err_msg : "init");

  if (!PyImport_ImportModule("_vial_boot")) fail("importing the user module failed");
  PyObject *rt = PyImport_ImportModule("vial._runtime");
  if (!rt) fail("vial._runtime");
  fn_describe = attr(rt, "describe");
  fn_reseed = attr(rt, "reseed");
  fn_call = attr(rt, "call");
}

// A result string handed to the host: freed by the matching cabi_post_*.
static uint32_t ret_area[3];

static char *dup_utf8(PyObject *s, size_t *len) {
  Py_ssize_t n = 0;
  const char *u = PyUnicode_AsUTF8AndSize(s, &n);
  if (!u) return NULL;
  char *out = malloc(n ? n : 1);
  if (!out) return NULL;
  memcpy(out, u, n);
  *len = (size_t)n;
  return out;
}

// Describes the pending Python exception; used when the dispatcher itself fails.
static char *exception_text(size_t *len) {
  PyObject *type, *value, *tb;
  PyErr_Fetch(&type, &value, &tb);
  PyErr_NormalizeException(&type, &value, &tb);
  PyObject *s = value ? PyObject_Str(value) : NULL;
  const char *tname = type ? ((PyTypeObject *)type)->tp_name : "Error";
  const char *msg = s ? PyUnicode_AsUTF8(s) : NULL;
  if (!msg) { PyErr_Clear(); msg = ""; }
  size_t n = strlen(tname) + strlen(msg) + 3;
  char *out = malloc(n);
  snprintf(out, n, "%s: %s", tname, msg);
  *len = strlen(out);
  Py_XDECREF(s); Py_XDECREF(type); Py_XDECREF(value); Py_XDECREF(tb);
  return out;
}

__attribute__((export_name("describe")))
uint32_t *vial_describe(void) {
  size_t len = 0;
  char *out = NULL;
  PyObject *r = PyObject_CallNoArgs(fn_describe);
  if (r) out = dup_utf8(r, &len);
  if (!out) out = exception_text(&len);
  Py_XDECREF(r);
  ret_area[0] = (uint32_t)(uintptr_t)out;
  ret_area[1] = (uint32_t)len;
  return ret_area;
}

__attribute__((export_name("cabi_post_describe")))
void vial_post_describe(uint32_t *ret) { free((void *)(uintptr_t)ret[0]); }

__attribute__((export_name("reseed")))
void vial_reseed(uint8_t *ptr, size_t len) {
  PyObject *b = PyBytes_FromStringAndSize((const char *)ptr, (Py_ssize_t)len);
  release(ptr, len);
  PyObject *r = b ? PyObject_CallOneArg(fn_reseed, b) : NULL;
  if (!r) PyErr_Print();
  Py_XDECREF(r);
  Py_XDECREF(b);
}

// result<string, string>: byte 0 is the case, then (ptr, len) at offsets 4, 8.
__attribute__((export_name("call")))
uint32_t *vial_call(char *fn_ptr, size_t fn_len, char *batch_ptr, size_t batch_len) {
  PyObject *r = PyObject_CallFunction(fn_call, "s#s#", fn_ptr, (Py_ssize_t)fn_len,
                                      batch_ptr, (Py_ssize_t)batch_len);
  release(fn_ptr, fn_len);
  release(batch_ptr, batch_len);
  int ok = 0;
  size_t len = 0;
  char *out = NULL;
  if (r && PyTuple_Check(r) && PyTuple_GET_SIZE(r) == 2) {
    ok = PyObject_IsTrue(PyTuple_GET_ITEM(r, 0)) == 1;
    out = dup_utf8(PyTuple_GET_ITEM(r, 1), &len);
  }
  if (!out) { ok = 0; out = exception_text(&len); }
  Py_XDECREF(r);
  ret_area[0] = ok ? 0 : 1;
  ret_area[1] = (uint32_t)(uintptr_t)out;
  ret_area[2] = (uint32_t)len;
  return ret_area;
}

__attribute__((export_name("cabi_post_call")))
void vial_post_call(uint32_t *ret) { free((void *)(uintptr_t)ret[1]); }
