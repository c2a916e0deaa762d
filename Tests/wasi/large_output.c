// WASI test program: bulk output. Writes exactly 1 MiB to stdout with write(2)
// in 8 KiB chunks (retrying short writes), as 16384 numbered 64-byte lines,
// then a summary (byte count, FNV-1a hash) on stderr.
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define TOTAL (1024 * 1024)
#define LINE 64
#define CHUNK 8192

int main(void) {
    static char chunk[CHUNK];
    uint32_t hash = 2166136261u;
    size_t written = 0, chunks = 0, line = 0;
    while (written < TOTAL) {
        for (size_t off = 0; off < CHUNK; off += LINE, line++) {
            char *p = chunk + off;
            int n = snprintf(p, LINE, "%06zu ", line);
            for (int i = n; i < LINE - 1; i++) p[i] = (char)('a' + (line + (size_t)i) % 26);
            p[LINE - 1] = '\n';
        }
        for (size_t i = 0; i < CHUNK; i++) hash = (hash ^ (unsigned char)chunk[i]) * 16777619u;
        size_t done = 0;
        while (done < CHUNK) {
            ssize_t n = write(1, chunk + done, CHUNK - done);
            if (n <= 0) {
                fprintf(stderr, "write failed after %zu bytes\n", written + done);
                return 1;
            }
            done += (size_t)n;
        }
        written += CHUNK;
        chunks++;
    }
    fprintf(stderr, "large_output: wrote %zu bytes in %zu chunks, %zu lines, fnv1a %08x\n",
            written, chunks, line, (unsigned)hash);
    return 0;
}
