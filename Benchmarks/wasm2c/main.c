/* Runs a WASI command translated by wasm2c with module name "app" (`wasm2c -n app`):
   instantiate, call `_start`, exit with 0, with the guest's proc_exit code, or 134 on a trap. */
#include <stdio.h>

#include "app.h"
#include "wasi_shim.h"
#include "wasm-rt-exceptions.h" /* wasm_rt_impl_try() uses wasm_rt_set_unwind_target */
#include "wasm-rt-impl.h"

int main(void) {
    static w2c_app instance;
    static struct w2c_wasi__snapshot__preview1 wasi;
    wasm_rt_init();
    wasm_rt_trap_t trap = wasm_rt_impl_try();
    if (trap != WASM_RT_TRAP_NONE) {
        fprintf(stderr, "error: wasm trap: %s\n", wasm_rt_strerror(trap));
        return 134;
    }
    wasm2c_app_instantiate(&instance, &wasi);
    wasi.memory = w2c_app_memory(&instance);
    w2c_app_0x5Fstart(&instance);
    wasm2c_app_free(&instance);
    wasm_rt_free();
    return 0;
}
