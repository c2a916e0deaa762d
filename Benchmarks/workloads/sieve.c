/* sieve: integer loops over byte and bit arrays — Eratosthenes sieve (byte flags) and an
   odd-only bitset sieve, repeated over several limits. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIMIT 4000000u
#define ROUNDS 18

static uint32_t sieve_bytes(uint8_t *flags, uint32_t n, uint64_t *sum) {
    memset(flags, 1, n + 1);
    flags[0] = 0;
    flags[1] = 0;
    for (uint32_t i = 2; (uint64_t)i * i <= n; i++)
        if (flags[i])
            for (uint32_t j = i * i; j <= n; j += i) flags[j] = 0;
    uint32_t count = 0;
    uint64_t s = 0;
    for (uint32_t i = 0; i <= n; i++)
        if (flags[i]) {
            count++;
            s += i;
        }
    *sum = s;
    return count;
}

/* bit i represents the odd number 2*i+1 */
static uint32_t sieve_bits(uint32_t *bits, uint32_t n) {
    uint32_t m = n / 2 + 1;
    uint32_t words = (m + 31) / 32;
    memset(bits, 0, words * sizeof(uint32_t));
    for (uint32_t i = 1; (uint64_t)(2 * i + 1) * (2 * i + 1) <= n; i++) {
        if (bits[i >> 5] & (1u << (i & 31))) continue;
        uint32_t p = 2 * i + 1;
        for (uint32_t j = (p * p) / 2; j < m; j += p) bits[j >> 5] |= 1u << (j & 31);
    }
    uint32_t count = n >= 2 ? 1 : 0; /* the prime 2 */
    for (uint32_t i = 1; i < m; i++)
        if (2 * i + 1 <= n && !(bits[i >> 5] & (1u << (i & 31)))) count++;
    return count;
}

int main(void) {
    uint8_t *flags = malloc(LIMIT + 1);
    uint32_t *bits = malloc((LIMIT / 2 + 64) / 8 + 64);
    if (!flags || !bits) return 1;
    uint64_t total = 0, sums = 0;
    for (uint32_t r = 0; r < ROUNDS; r++) {
        uint32_t n = LIMIT - r * 7919u;
        uint64_t s;
        uint32_t c1 = sieve_bytes(flags, n, &s);
        uint32_t c2 = sieve_bits(bits, n);
        if (c1 != c2) {
            printf("MISMATCH n=%u %u %u\n", n, c1, c2);
            return 2;
        }
        printf("pi(%u)=%u\n", n, c1);
        total += c1;
        sums ^= s + r;
    }
    printf("total=%llu sums=%llu\n", (unsigned long long)total, (unsigned long long)sums);
    free(flags);
    free(bits);
    return 0;
}
