// WASI test program: a trap. Prints a line, flushes, then executes a wasm
// `unreachable` inside main. The run must end in a trap, with the line printed.
#include <stdio.h>

int main(void) {
    puts("before trap");
    fflush(stdout);
    fputs("trapping now\n", stderr);
    __builtin_trap();
    puts("after trap (must not be printed)");
    return 0;
}
