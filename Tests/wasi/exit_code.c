// WASI test program: exit status. Exits via exit() with argv[1] (default 0),
// after printing a line that stdio must flush on exit.
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    int code = argc > 1 ? atoi(argv[1]) : 0;
    printf("exit_code: exiting with %d\n", code);  // not flushed by hand: exit() must do it
    exit(code);
}
