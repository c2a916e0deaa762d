/* fib: recursion and call overhead — naive Fibonacci, Ackermann and Takeuchi functions. */
#include <stdint.h>
#include <stdio.h>

/* volatile so that no compiler can evaluate the calls at compile time */
static volatile uint32_t fib_n = 39;
static volatile uint32_t ack_m = 3, ack_n = 9;
static volatile int tak_x = 26, tak_y = 18, tak_z = 9;

static uint32_t fib(uint32_t n) {
    if (n < 2) return n;
    return fib(n - 1) + fib(n - 2);
}

static uint32_t ack(uint32_t m, uint32_t n) {
    if (m == 0) return n + 1;
    if (n == 0) return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

static uint64_t tak_calls;
static int tak(int x, int y, int z) {
    tak_calls++;
    if (y < x) return tak(tak(x - 1, y, z), tak(y - 1, z, x), tak(z - 1, x, y));
    return z;
}

int main(void) {
    uint32_t f = fib(fib_n);
    uint32_t a = 0;
    for (uint32_t i = 0; i < 4; i++) a += ack(ack_m, ack_n - (i & 1));
    int t = tak(tak_x, tak_y, tak_z);
    printf("fib(%u)=%u ack-sum=%u tak=%d tak-calls=%llu\n", (unsigned)fib_n, f, a, t,
           (unsigned long long)tak_calls);
    return 0;
}
