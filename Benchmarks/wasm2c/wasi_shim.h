/* A minimal WASI (wasi_snapshot_preview1) host for modules translated by wasm2c.
 *
 * wasm2c turns each imported module into an opaque struct that the embedder defines; for the
 * import module "wasi_snapshot_preview1" that is `struct w2c_wasi__snapshot__preview1`, passed as
 * the first argument of every imported function. Ours only points at the guest's linear memory,
 * which every pointer argument is checked against.
 */
#ifndef WASMAOT_BENCH_WASI_SHIM_H
#define WASMAOT_BENCH_WASI_SHIM_H

#include "wasm-rt.h"

struct w2c_wasi__snapshot__preview1 {
    wasm_rt_memory_t *memory; /* the instance's exported "memory"; set before calling _start */
};

#endif
