// WASI test program: command-line arguments and environment.
// Prints argc, every argv[i] (argv[0] included) and the environment sorted by
// strcmp, each value in brackets so empty strings and spaces are visible.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static int compare(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
    printf("argc: %d\n", argc);
    for (int i = 0; i < argc; i++) {
        printf("argv[%d]: [%s] (%zu bytes)\n", i, argv[i], strlen(argv[i]));
    }
    printf("argv[argc] is NULL: %s\n", argv[argc] == NULL ? "yes" : "no");

    size_t count = 0;
    while (environ != NULL && environ[count] != NULL) count++;
    char **sorted = malloc((count + 1) * sizeof *sorted);
    if (sorted == NULL) return 2;
    for (size_t i = 0; i < count; i++) sorted[i] = environ[i];
    qsort(sorted, count, sizeof *sorted, compare);
    printf("environ: %zu entries\n", count);
    for (size_t i = 0; i < count; i++) printf("env: [%s]\n", sorted[i]);
    free(sorted);

    const char *home = getenv("WASI_TEST_VAR");
    printf("getenv(WASI_TEST_VAR): %s%s%s\n", home ? "[" : "", home ? home : "(unset)", home ? "]" : "");
    return 0;
}
