/* Entering wasm and leaving it by trap.
 *
 * wasmaot_call and wasmaot_invoke are the only places a trap can land (wasm
 * exceptions land in the handlers of generated code, or here when no handler of
 * this call is left: see exceptions.c): they __builtin_setjmp() (two words saved,
 * no signal mask) and call the wasm function through a module's entry or libffi. A trap —
 * raised by generated code through the service table, by a failed host
 * function, or by the signal handler for a fault in a guard region — records
 * its kind and backtrace in thread-local state and __builtin_longjmp()s back. Only C
 * and generated frames lie between: host callbacks (Swift) have returned
 * before their failure is turned into a trap. The signal handler runs on an
 * alternate stack with SA_NODEFER, so jumping out of it leaves the signal
 * mask as it was, and chains to the previous handler for faults not ours.
 *
 * Stack exhaustion: generated code has no stack checks (see wasmaot_abi.h).
 * Its frames run into the thread's guard region, and a fault there — or next
 * to the stack pointer of the interrupted wasm code — is a trap. Host
 * functions and the runtime services check the reserve first
 * (wa_require_stack), so that non-wasm code is never abandoned half-way.
 */
#include "internal.h"
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unwind.h>

typedef struct wa_entry {
  void *jump[5]; /* __builtin_setjmp buffer */
  struct wa_entry *previous;
  uintptr_t frame; /* frame address of wasmaot_invoke: backtraces stop here */
} wa_entry;

typedef struct wa_thread_state {
  wa_entry *entry; /* innermost active wasmaot_invoke */
  int in_wasm;     /* 1 while generated code (not a host callback) runs */
  int prepared;
  uintptr_t stack_low, stack_high;
  uintptr_t stack_limit; /* below it only wasm frames: the rest is the reserve for other code */
  void *alt_stack;
  wasmaot_trap_info trap;
} wa_thread_state;

static __thread wa_thread_state tls;
const wasmaot_trap_info *wasmaot_last_trap(void) { return &tls.trap; }

/* ---- guard regions -------------------------------------------------------------- */
#define WA_GUARD_SLOTS 65536
static _Atomic uintptr_t guard_start[WA_GUARD_SLOTS];
static _Atomic uintptr_t guard_length[WA_GUARD_SLOTS];
static _Atomic uint32_t guard_high_water;
static pthread_mutex_t guard_lock = PTHREAD_MUTEX_INITIALIZER;

void wa_register_guard(uintptr_t start, uintptr_t length) {
  pthread_mutex_lock(&guard_lock);
  uint32_t n = atomic_load(&guard_high_water);
  for (uint32_t i = 0; i < WA_GUARD_SLOTS; i++) {
    if (atomic_load(&guard_start[i]) == 0) {
      atomic_store(&guard_length[i], length);
      atomic_store(&guard_start[i], start);
      if (i >= n) atomic_store(&guard_high_water, i + 1);
      break;
    }
  }
  pthread_mutex_unlock(&guard_lock);
}

void wa_unregister_guard(uintptr_t start) {
  pthread_mutex_lock(&guard_lock);
  uint32_t n = atomic_load(&guard_high_water);
  for (uint32_t i = 0; i < n; i++) {
    if (atomic_load(&guard_start[i]) == start) {
      atomic_store(&guard_start[i], 0);
      break;
    }
  }
  pthread_mutex_unlock(&guard_lock);
}

static int is_guarded(uintptr_t address) {
  uint32_t n = atomic_load(&guard_high_water);
  for (uint32_t i = 0; i < n; i++) {
    uintptr_t s = atomic_load(&guard_start[i]);
    if (s && address >= s && address - s < atomic_load(&guard_length[i])) return 1;
  }
  return 0;
}

/* ---- backtraces: the unwinder over the unwind tables (generated code omits
 * frame pointers: they cost a register in every hot loop). The walk starts in
 * the trap path (or the signal frame, which the unwinder steps through into
 * the faulting instruction) and stops at the frame of the innermost
 * wasmaot_invoke. Addresses are recorded as "inside the call": a return
 * address minus one, the faulting instruction itself. */
typedef struct wa_walk {
  uintptr_t stop;
  uint32_t count;
} wa_walk;

static _Unwind_Reason_Code walk_frame(struct _Unwind_Context *context, void *arg) {
  wa_walk *walk = arg;
  int before_instruction = 0;
  uintptr_t ip = (uintptr_t)_Unwind_GetIPInfo(context, &before_instruction);
  if (!ip) return _URC_END_OF_STACK;
  if (walk->stop && (uintptr_t)_Unwind_GetCFA(context) > walk->stop) return _URC_END_OF_STACK;
  tls.trap.frames[walk->count++] = before_instruction ? ip : ip - 1;
  return walk->count < WASMAOT_MAX_BACKTRACE ? _URC_NO_REASON : _URC_END_OF_STACK;
}

static void record_backtrace(void) {
  wa_walk walk = {tls.entry ? tls.entry->frame : 0, 0};
  _Unwind_Backtrace(walk_frame, &walk);
  tls.trap.frame_count = walk.count;
}

static __attribute__((noreturn)) void jump_to_entry(void) {
  tls.in_wasm = 0;
  __builtin_longjmp(tls.entry->jump, 1);
}

/* Jumps back to the innermost wasmaot_invoke. A trap raised deep in the
 * reserve (wasm frames may reach the guard region) jumps from the top of the
 * alternate signal stack instead, where longjmp's own frames surely fit. Until
 * then `in_wasm` stays set: should even these few frames not fit, the fault
 * handler reports the trap as stack exhaustion instead of the process dying. */
static __attribute__((noreturn)) void leave_to_entry(void) {
#if defined(__x86_64__) || defined(__aarch64__)
  stack_t alt;
  if ((uintptr_t)__builtin_frame_address(0) < tls.stack_limit && sigaltstack(NULL, &alt) == 0 &&
      !(alt.ss_flags & (SS_DISABLE | SS_ONSTACK)) && alt.ss_size >= 16384) {
    uintptr_t top = ((uintptr_t)alt.ss_sp + alt.ss_size) & ~(uintptr_t)15;
#if defined(__x86_64__)
    __asm__ volatile("mov %0, %%rsp\n\tcall *%1" ::"r"(top), "r"(jump_to_entry) : "memory");
#else
    __asm__ volatile("mov sp, %0\n\tblr %1" ::"r"(top), "r"(jump_to_entry) : "memory");
#endif
    __builtin_unreachable();
  }
#endif
  jump_to_entry();
}

static __attribute__((noreturn)) void raise_trap(uint32_t kind, uintptr_t fault_address, uint32_t function,
                                                 wasmaot_instance *instance) {
  if (!tls.entry) {
    fprintf(stderr, "wasmaot: trap %u raised outside of any wasm call\n", kind);
    abort();
  }
  tls.trap.kind = kind;
  tls.trap.fault_address = fault_address;
  tls.trap.function = function;
  tls.trap.instance = instance;
  /* Wasm frames may have used the thread's reserve: the unwinder (which takes
   * the loader's lock) runs only where the reserve is intact, so that it never
   * faults half-way. Below it the trap keeps its kind and function, without frames. */
  if ((uintptr_t)__builtin_frame_address(0) >= tls.stack_limit) {
    record_backtrace();
  } else {
    tls.trap.frame_count = 0;
  }
  leave_to_entry();
}

__attribute__((noreturn)) void wa_raise_trap(uint32_t kind, uintptr_t fault_address) {
  raise_trap(kind, fault_address, 0, NULL);
}

__attribute__((noreturn)) void wa_raise_trap_at(uint32_t kind, uint32_t function, wasmaot_instance *instance) {
  raise_trap(kind, 0, function, instance);
}

/* ---- signals ----------------------------------------------------------------------- */
static struct sigaction previous_segv, previous_bus;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;

static void chain(int sig, siginfo_t *info, void *context) {
  struct sigaction *prev = sig == SIGBUS ? &previous_bus : &previous_segv;
  if (prev->sa_flags & SA_SIGINFO) {
    prev->sa_sigaction(sig, info, context);
  } else if (prev->sa_handler != SIG_DFL && prev->sa_handler != SIG_IGN) {
    prev->sa_handler(sig);
  } else {
    /* Default action: uninstall and return, so the faulting access repeats
     * and the process dies of the original signal. */
    signal(sig, SIG_DFL);
  }
}

/* The stack pointer of the interrupted code, 0 where unknown. */
static uintptr_t interrupted_sp(void *context) {
  const ucontext_t *uc = context;
#if defined(__x86_64__)
  return (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
#elif defined(__aarch64__)
  return (uintptr_t)uc->uc_mcontext.sp;
#else
  (void)uc;
  return 0;
#endif
}

static void fault_handler(int sig, siginfo_t *info, void *context) {
  if (tls.in_wasm && tls.entry) {
    uintptr_t address = (uintptr_t)info->si_addr, sp = interrupted_sp(context);
    uint32_t kind = 0;
    if (is_guarded(address)) {
      kind = WASMAOT_TRAP_MEMORY_OUT_OF_BOUNDS;
    } else if ((address < tls.stack_low + 65536 && address + (1u << 20) >= tls.stack_low) ||
               (sp && address + 65536 >= sp && address < sp + 65536)) {
      /* The thread's guard region, or a push/probe next to the stack pointer
       * (a stack without a known lower end, as under `ulimit -s unlimited`). */
      kind = WASMAOT_TRAP_STACK_EXHAUSTED;
    }
    if (kind) {
      tls.trap.kind = kind;
      tls.trap.fault_address = address;
      tls.trap.function = 0;
      tls.trap.instance = NULL;
      record_backtrace();
      tls.in_wasm = 0;
      __builtin_longjmp(tls.entry->jump, 1);
    }
  }
  chain(sig, info, context);
}

static void install(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = fault_handler;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, &previous_segv);
  sigaction(SIGBUS, &sa, &previous_bus);
}

void wasmaot_install_signal_handlers(void) { pthread_once(&install_once, install); }

/* ---- per-thread preparation ------------------------------------------------------------ */
static pthread_key_t alt_stack_key;
static pthread_once_t alt_stack_key_once = PTHREAD_ONCE_INIT;

static void free_alt_stack(void *stack) {
  stack_t disable;
  memset(&disable, 0, sizeof disable);
  disable.ss_flags = SS_DISABLE;
  stack_t current;
  if (sigaltstack(NULL, &current) == 0 && current.ss_sp == stack) sigaltstack(&disable, NULL);
  free(stack);
}
static void make_alt_stack_key(void) { pthread_key_create(&alt_stack_key, free_alt_stack); }

static void prepare_thread(void) {
  wasmaot_install_signal_handlers();
  pthread_attr_t attr;
  void *low = NULL;
  size_t size = 0;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    pthread_attr_getstack(&attr, &low, &size);
    pthread_attr_destroy(&attr);
  }
  tls.stack_low = (uintptr_t)low;
  tls.stack_high = (uintptr_t)low + size;
  /* Keep a reserve for host functions, libffi and the runtime's services. */
  size_t reserve = size / 8;
  if (reserve < 128 * 1024) reserve = 128 * 1024;
  if (reserve > 1024 * 1024) reserve = 1024 * 1024;
  tls.stack_limit = size > reserve ? tls.stack_low + reserve : tls.stack_high;
  /* An alternate signal stack so that a fault on an exhausted stack is still handled. */
  stack_t current;
  if (sigaltstack(NULL, &current) == 0 && (current.ss_flags & SS_DISABLE)) {
    size_t alt_size = 64 * 1024;
    void *alt = malloc(alt_size);
    if (alt) {
      stack_t ss;
      memset(&ss, 0, sizeof ss);
      ss.ss_sp = alt;
      ss.ss_size = alt_size;
      if (sigaltstack(&ss, NULL) == 0) {
        pthread_once(&alt_stack_key_once, make_alt_stack_key);
        pthread_setspecific(alt_stack_key, alt);
        tls.alt_stack = alt;
      } else {
        free(alt);
      }
    }
  }
  tls.prepared = 1;
}

void wa_thread_prepare(void) {
  if (!tls.prepared) prepare_thread();
}

void wa_set_in_wasm(int in_wasm, int *previous) {
  if (previous) *previous = tls.in_wasm;
  tls.in_wasm = in_wasm;
}

void wa_require_stack(void) {
  if ((uintptr_t)__builtin_frame_address(0) < tls.stack_limit) wa_raise_trap(WASMAOT_TRAP_STACK_EXHAUSTED, 0);
}

/* ---- host functions called by wasm ------------------------------------------------------ */
/* The callback has returned before a failure becomes a trap or a throw, so that no host
 * frame is skipped. */
void wa_call_host(const wasmaot_host_func *h, wasmaot_instance *caller, wasmaot_value *cells) {
  if (WA_UNLIKELY((uintptr_t)__builtin_frame_address(0) < tls.stack_limit))
    wa_raise_trap(WASMAOT_TRAP_STACK_EXHAUSTED, 0);
  int previous = tls.in_wasm;
  tls.in_wasm = 0;
  uint32_t status = h->callback(h->host_context, caller, cells);
  tls.in_wasm = previous;
  if (WA_UNLIKELY(status != WASMAOT_TRAP_NONE)) {
    if (status == WASMAOT_TRAP_EXCEPTION) wa_throw_pending();
    wa_raise_trap(status, 0);
  }
}

void wa_svc_call_host(wasmaot_instance *ctx, uint32_t import, wasmaot_value *cells) {
  wa_call_host(ctx->host_funcs[import], ctx, cells);
}

/* ---- invoke ------------------------------------------------------------------------------ */
/* What every entry into wasm does around the call itself, which must be made in the
 * entering function's own frame (it __builtin_setjmp()s): link an entry record and an exception
 * frame, and unlink both after. Returns 0 when the stack is too deep to enter. */
static int begin_call(wa_entry *entry, wa_exception_frame *exceptions, uintptr_t here, int *saved_in_wasm) {
  if (WA_UNLIKELY(!tls.prepared)) prepare_thread();
  if (here <= tls.stack_limit + 16 * 1024) {
    tls.trap.kind = WASMAOT_TRAP_STACK_EXHAUSTED;
    tls.trap.frame_count = 0;
    return 0;
  }
  wa_exceptions_enter(exceptions);
  entry->previous = tls.entry;
  entry->frame = here;
  *saved_in_wasm = tls.in_wasm;
  tls.entry = entry;
  return 1;
}

static void end_call(const wa_entry *entry, const wa_exception_frame *exceptions, int saved_in_wasm) {
  tls.entry = entry->previous;
  tls.in_wasm = saved_in_wasm;
  wa_exceptions_exit(exceptions);
}

uint32_t wasmaot_call(wasmaot_instance *ctx, const void *fn, wasmaot_entry call, wasmaot_value *cells,
                      const uint32_t *exnrefs, uint32_t exnref_count) {
  wa_entry entry;
  wa_exception_frame exceptions;
  int saved_in_wasm;
  if (!begin_call(&entry, &exceptions, (uintptr_t)__builtin_frame_address(0), &saved_in_wasm))
    return WASMAOT_TRAP_STACK_EXHAUSTED;
  uint32_t kind;
  if (__builtin_setjmp(entry.jump) == 0) {
    tls.in_wasm = 1;
    call(fn, ctx, cells);
    kind = WASMAOT_TRAP_NONE;
    /* An exnref the host receives outlives the call. */
    for (uint32_t i = 0; i < exnref_count; i++) wasmaot_exception_pin(cells[exnrefs[i]].ref);
  } else {
    kind = tls.trap.kind;
  }
  end_call(&entry, &exceptions, saved_in_wasm);
  return kind;
}

uint32_t wasmaot_invoke(wasmaot_instance *ctx, const void *fn, const wasmaot_signature *sig, const wasmaot_value *args,
                        wasmaot_value *results) {
  void *argv[1 + WASMAOT_MAX_ARITY];
  wasmaot_instance *ctx_arg = ctx;
  argv[0] = &ctx_arg;
  for (uint32_t i = 0; i < sig->param_count; i++) argv[1 + i] = (void *)&args[i];
  /* libffi widens small integer results to ffi_arg; a struct holds several. */
  union {
    ffi_arg word;
    wasmaot_value cell;
    uint8_t bytes[WASMAOT_MAX_ARITY * sizeof(wasmaot_value)];
  } ret;

  wa_entry entry;
  wa_exception_frame exceptions;
  int saved_in_wasm;
  if (!begin_call(&entry, &exceptions, (uintptr_t)__builtin_frame_address(0), &saved_in_wasm))
    return WASMAOT_TRAP_STACK_EXHAUSTED;
  uint32_t kind;
  if (__builtin_setjmp(entry.jump) == 0) {
    tls.in_wasm = 1;
    ffi_call((ffi_cif *)&sig->cif, FFI_FN(fn), &ret, argv);
    kind = WASMAOT_TRAP_NONE;
  } else {
    kind = tls.trap.kind;
  }
  if (kind == WASMAOT_TRAP_NONE) {
    if (sig->result_count == 1) {
      memset(&results[0], 0, sizeof results[0]);
      memcpy(&results[0], &ret, wa_value_size(sig->results[0]));
    } else {
      for (uint32_t i = 0; i < sig->result_count; i++) {
        memset(&results[i], 0, sizeof results[i]);
        memcpy(&results[i], ret.bytes + sig->result_offsets[i], wa_value_size(sig->results[i]));
      }
    }
    /* An exnref the host receives outlives the call. */
    for (uint32_t i = 0; i < sig->result_count; i++)
      if (sig->results[i] == WASMAOT_EXNREF) wasmaot_exception_pin(results[i].ref);
  }
  end_call(&entry, &exceptions, saved_in_wasm);
  return kind;
}
