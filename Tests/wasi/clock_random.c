// WASI test program: clocks, sleeping and randomness. Prints only properties
// (yes/no), never the values themselves, so the output is deterministic.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int failures = 0;

static void check(const char *what, int ok) {
    printf("%s: %s\n", what, ok ? "yes" : "no");
    if (!ok) failures++;
}

static int64_t ns(const struct timespec *t) {
    return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

static int all_zero(const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0) return 0;
    return 1;
}

int main(void) {
    struct timespec m1, m2, m3, r, res;
    check("clock_gettime(CLOCK_MONOTONIC) succeeds", clock_gettime(CLOCK_MONOTONIC, &m1) == 0);
    volatile unsigned spin = 0;
    for (int i = 0; i < 100000; i++) spin += (unsigned)i;
    check("clock_gettime(CLOCK_MONOTONIC) again succeeds", clock_gettime(CLOCK_MONOTONIC, &m2) == 0);
    check("clock monotonic does not go back", ns(&m2) >= ns(&m1));
    check("clock monotonic tv_nsec in range", m1.tv_nsec >= 0 && m1.tv_nsec < 1000000000);

    check("clock_getres(CLOCK_MONOTONIC) succeeds", clock_getres(CLOCK_MONOTONIC, &res) == 0);
    check("clock monotonic resolution positive and <= 1s", ns(&res) > 0 && ns(&res) <= 1000000000);

    check("clock_gettime(CLOCK_REALTIME) succeeds", clock_gettime(CLOCK_REALTIME, &r) == 0);
    // 2020-01-01T00:00:00Z = 1577836800, 2200-01-01 = 7258118400
    check("clock realtime after 2020", r.tv_sec > 1577836800);
    check("clock realtime before 2200", r.tv_sec < 7258118400LL);
    time_t t = time(NULL);
    check("time() after 2020", t > 1577836800);
    struct timeval tv;
    check("gettimeofday agrees with clock_gettime (within 60 s)",
          gettimeofday(&tv, NULL) == 0 && tv.tv_sec - r.tv_sec >= 0 && tv.tv_sec - r.tv_sec < 60);

    struct timespec sleep_for = {0, 1000000};  // 1 ms
    clock_gettime(CLOCK_MONOTONIC, &m2);
    check("nanosleep(1 ms) succeeds", nanosleep(&sleep_for, NULL) == 0);
    clock_gettime(CLOCK_MONOTONIC, &m3);
    check("nanosleep(1 ms) slept at least 1 ms", ns(&m3) - ns(&m2) >= 1000000);
    check("nanosleep(1 ms) slept less than 5 s", ns(&m3) - ns(&m2) < 5000000000LL);
    clock_gettime(CLOCK_MONOTONIC, &m2);
    check("usleep(2000) succeeds", usleep(2000) == 0);
    clock_gettime(CLOCK_MONOTONIC, &m3);
    check("usleep(2000) slept at least 2 ms", ns(&m3) - ns(&m2) >= 2000000);

    unsigned char a[32], b[32], c[32], d[32];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    check("getentropy 32 bytes succeeds", getentropy(a, sizeof a) == 0);
    check("getentropy again succeeds", getentropy(b, sizeof b) == 0);
    check("random: 32 bytes, not all zero", !all_zero(a, sizeof a));
    check("random: two reads differ", memcmp(a, b, sizeof a) != 0);
    memset(c, 0, sizeof c);
    memset(d, 0, sizeof d);
    arc4random_buf(c, sizeof c);
    arc4random_buf(d, sizeof d);
    check("arc4random_buf: 32 bytes, not all zero", !all_zero(c, sizeof c));
    check("arc4random_buf: two reads differ", memcmp(c, d, sizeof c) != 0);
    uint32_t u = arc4random_uniform(10);
    check("arc4random_uniform(10) < 10", u < 10);

    // A large request (getentropy allows at most 256 bytes; wasi-libc's
    // arc4random_buf has no limit).
    static unsigned char big[65536];
    arc4random_buf(big, sizeof big);
    size_t zeros = 0;
    for (size_t i = 0; i < sizeof big; i++) zeros += big[i] == 0;
    check("arc4random_buf 64 KiB: fewer than 1% zero bytes", zeros < sizeof big / 100);
    check("getentropy(257 bytes) is refused", getentropy(big, 257) != 0);

    printf("failures: %d\n", failures);
    return failures == 0 ? 0 : 1;
}
