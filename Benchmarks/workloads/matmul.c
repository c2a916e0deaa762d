/* matmul: double-precision matrix multiplication (naive i-k-j and a transposed-B variant)
   plus an LU-style elimination; results printed as exact IEEE bit patterns. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 420

static uint64_t rng = 42;
static double next_unit(void) { /* xorshift64*, mapped to [-1, 1) */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    uint64_t v = rng * 2685821657736338717ull;
    return (double)(v >> 11) * (1.0 / 9007199254740992.0) * 2.0 - 1.0;
}

static uint64_t bits(double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static void matmul_ikj(const double *a, const double *b, double *c, int n) {
    memset(c, 0, sizeof(double) * n * n);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < n; k++) {
            double aik = a[i * n + k];
            for (int j = 0; j < n; j++) c[i * n + j] += aik * b[k * n + j];
        }
}

static void matmul_transposed(const double *a, const double *b, double *c, double *bt, int n) {
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) bt[j * n + i] = b[i * n + j];
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double s = 0.0;
            for (int k = 0; k < n; k++) s += a[i * n + k] * bt[j * n + k];
            c[i * n + j] = s;
        }
}

/* Gaussian elimination with partial pivoting (in place); returns the sum of the pivots. */
static double eliminate(double *m, int n) {
    double pivot_sum = 0.0;
    for (int col = 0; col < n; col++) {
        int best = col;
        double bestabs = m[col * n + col] < 0 ? -m[col * n + col] : m[col * n + col];
        for (int r = col + 1; r < n; r++) {
            double v = m[r * n + col] < 0 ? -m[r * n + col] : m[r * n + col];
            if (v > bestabs) { bestabs = v; best = r; }
        }
        if (best != col)
            for (int j = 0; j < n; j++) {
                double t = m[col * n + j];
                m[col * n + j] = m[best * n + j];
                m[best * n + j] = t;
            }
        double p = m[col * n + col];
        pivot_sum += p;
        if (p == 0.0) continue;
        for (int r = col + 1; r < n; r++) {
            double f = m[r * n + col] / p;
            for (int j = col; j < n; j++) m[r * n + j] -= f * m[col * n + j];
        }
    }
    return pivot_sum;
}

int main(void) {
    size_t sz = sizeof(double) * N * N;
    double *a = malloc(sz), *b = malloc(sz), *c = malloc(sz), *d = malloc(sz), *t = malloc(sz);
    if (!a || !b || !c || !d || !t) return 1;
    for (int i = 0; i < N * N; i++) a[i] = next_unit();
    for (int i = 0; i < N * N; i++) b[i] = next_unit();

    double total = 0.0;
    for (int round = 0; round < 3; round++) {
        matmul_ikj(a, b, c, N);
        matmul_transposed(a, b, d, t, N);
        double s1 = 0.0, s2 = 0.0, maxdiff = 0.0;
        for (int i = 0; i < N * N; i++) {
            s1 += c[i];
            s2 += d[i];
            double diff = c[i] - d[i];
            if (diff < 0) diff = -diff;
            if (diff > maxdiff) maxdiff = diff;
        }
        printf("round %d: sum=%016llx sumT=%016llx maxdiff<1e-9:%d\n", round,
               (unsigned long long)bits(s1), (unsigned long long)bits(s2), maxdiff < 1e-9);
        total += s1;
        /* feed the product back (scaled) so that every round differs */
        for (int i = 0; i < N * N; i++) a[i] = c[i] * (1.0 / 16.0) + b[i];
    }
    memcpy(d, c, sz);
    double piv = eliminate(d, N);
    printf("total=%016llx pivots=%016llx (%.6f)\n", (unsigned long long)bits(total),
           (unsigned long long)bits(piv), piv);
    free(a); free(b); free(c); free(d); free(t);
    return 0;
}
