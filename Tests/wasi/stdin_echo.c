// WASI test program: standard input. Reads all of stdin, prints the number of
// bytes and of lines, then echoes the input with ASCII letters uppercased.
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void) {
    size_t cap = 4096, len = 0;
    unsigned char *buf = malloc(cap);
    if (buf == NULL) return 2;
    for (;;) {
        if (len == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            if (buf == NULL) return 2;
        }
        ssize_t n = read(0, buf + len, cap - len);
        if (n < 0) {
            perror("read");
            return 1;
        }
        if (n == 0) break;
        len += (size_t)n;
    }
    size_t lines = 0;
    for (size_t i = 0; i < len; i++) {
        if (buf[i] == '\n') lines++;
        if (buf[i] >= 'a' && buf[i] <= 'z') buf[i] = (unsigned char)(buf[i] - 'a' + 'A');
    }
    int unterminated = len > 0 && buf[len - 1] != '\n';
    printf("bytes: %zu\n", len);
    printf("lines: %zu%s\n", lines, unterminated ? " (+1 unterminated)" : "");
    printf("--- uppercased ---\n");
    fwrite(buf, 1, len, stdout);
    if (unterminated) putchar('\n');
    printf("--- end ---\n");
    free(buf);
    return 0;
}
