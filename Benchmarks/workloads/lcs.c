/* lcs: dynamic programming — longest common subsequence and Levenshtein distance of two
   generated related strings (row-based DP tables), plus 0/1 knapsack. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LEN_A 9000
#define LEN_B 8300
#define ITEMS 300
#define CAPACITY 20000

static uint32_t seed = 0xACE1u;
static uint32_t next_u32(void) {
    seed ^= seed << 13;
    seed ^= seed >> 17;
    seed ^= seed << 5;
    return seed;
}

static uint32_t lcs(const char *a, int n, const char *b, int m, uint32_t *row) {
    memset(row, 0, sizeof(uint32_t) * (m + 1));
    for (int i = 1; i <= n; i++) {
        uint32_t diag = 0; /* row[j-1] of the previous row */
        for (int j = 1; j <= m; j++) {
            uint32_t up = row[j];
            uint32_t v;
            if (a[i - 1] == b[j - 1]) v = diag + 1;
            else v = up > row[j - 1] ? up : row[j - 1];
            diag = up;
            row[j] = v;
        }
    }
    return row[m];
}

static uint32_t levenshtein(const char *a, int n, const char *b, int m, uint32_t *row) {
    for (int j = 0; j <= m; j++) row[j] = (uint32_t)j;
    for (int i = 1; i <= n; i++) {
        uint32_t diag = row[0];
        row[0] = (uint32_t)i;
        for (int j = 1; j <= m; j++) {
            uint32_t up = row[j];
            uint32_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            diag = up;
            row[j] = best;
        }
    }
    return row[m];
}

static uint32_t knapsack(const uint32_t *w, const uint32_t *v, int items, uint32_t cap, uint32_t *best) {
    memset(best, 0, sizeof(uint32_t) * (cap + 1));
    for (int i = 0; i < items; i++)
        for (uint32_t c = cap; c >= w[i]; c--) {
            uint32_t with = best[c - w[i]] + v[i];
            if (with > best[c]) best[c] = with;
            if (c == w[i]) break;
        }
    return best[cap];
}

int main(void) {
    char *a = malloc(LEN_A + 1), *b = malloc(LEN_B + 1);
    uint32_t *row = malloc(sizeof(uint32_t) * (LEN_B + 1));
    uint32_t *best = malloc(sizeof(uint32_t) * (CAPACITY + 1));
    uint32_t w[ITEMS], v[ITEMS];
    if (!a || !b || !row || !best) return 1;
    for (int i = 0; i < LEN_A; i++) a[i] = "ACGT"[next_u32() % 4u];
    /* b: a mutated copy of a (substitutions, deletions, insertions) */
    int j = 0;
    for (int i = 0; i < LEN_A && j < LEN_B; i++) {
        uint32_t r = next_u32() % 100u;
        if (r < 8) continue;                                   /* deletion */
        if (r < 16) b[j++] = "ACGT"[next_u32() % 4u];          /* substitution */
        else if (r < 20 && j + 1 < LEN_B) { b[j++] = 'A'; b[j++] = a[i]; } /* insertion */
        else b[j++] = a[i];
    }
    while (j < LEN_B) b[j++] = "ACGT"[next_u32() % 4u];
    a[LEN_A] = 0;
    b[LEN_B] = 0;
    uint32_t l = lcs(a, LEN_A, b, LEN_B, row);
    uint32_t d = levenshtein(a, LEN_A, b, LEN_B, row);
    for (int i = 0; i < ITEMS; i++) {
        w[i] = 1 + next_u32() % 400u;
        v[i] = 1 + next_u32() % 1000u;
    }
    uint32_t k = knapsack(w, v, ITEMS, CAPACITY, best);
    printf("lcs(%d,%d)=%u levenshtein=%u knapsack(%d items, cap %d)=%u\n", LEN_A, LEN_B, l, d,
           ITEMS, CAPACITY, k);
    free(a); free(b); free(row); free(best);
    return 0;
}
