// WASI test program: the smallest command. One line on stdout, one on stderr, exit 0.
#include <stdio.h>

int main(void) {
    puts("hello, world");
    fputs("hello, stderr\n", stderr);
    return 0;
}
