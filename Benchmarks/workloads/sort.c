/* sort: sorting a PRNG array — quicksort (median of three, insertion sort for short runs),
   heapsort, and a generic shell sort over records through a comparator function pointer. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_QUICK 1500000u
#define N_HEAP 600000u
#define N_RECORDS 150000u

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t next_u32(void) { /* splitmix64 */
    uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (uint32_t)((z ^ (z >> 31)) >> 32);
}

static void insertion_sort(uint32_t *a, long lo, long hi) {
    for (long i = lo + 1; i <= hi; i++) {
        uint32_t v = a[i];
        long j = i - 1;
        while (j >= lo && a[j] > v) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }
}

static void swap_u32(uint32_t *a, long i, long j) {
    uint32_t t = a[i];
    a[i] = a[j];
    a[j] = t;
}

static void quick_sort(uint32_t *a, long lo, long hi) {
    while (hi - lo > 16) {
        long mid = lo + (hi - lo) / 2;
        if (a[mid] < a[lo]) swap_u32(a, mid, lo);
        if (a[hi] < a[lo]) swap_u32(a, hi, lo);
        if (a[hi] < a[mid]) swap_u32(a, hi, mid);
        uint32_t pivot = a[mid];
        long i = lo - 1, j = hi + 1;
        for (;;) {
            do i++; while (a[i] < pivot);
            do j--; while (a[j] > pivot);
            if (i >= j) break;
            swap_u32(a, i, j);
        }
        /* recurse into the smaller part, loop on the larger one */
        if (j - lo < hi - j) {
            quick_sort(a, lo, j);
            lo = j + 1;
        } else {
            quick_sort(a, j + 1, hi);
            hi = j;
        }
    }
    insertion_sort(a, lo, hi);
}

static void sift_down(uint32_t *a, size_t root, size_t n) {
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n) return;
        if (child + 1 < n && a[child + 1] > a[child]) child++;
        if (a[root] >= a[child]) return;
        uint32_t t = a[root];
        a[root] = a[child];
        a[child] = t;
        root = child;
    }
}

static void heap_sort(uint32_t *a, size_t n) {
    for (size_t i = n / 2; i-- > 0;) sift_down(a, i, n);
    for (size_t end = n; end-- > 1;) {
        uint32_t t = a[0];
        a[0] = a[end];
        a[end] = t;
        sift_down(a, 0, end);
    }
}

typedef struct {
    uint32_t key;
    uint16_t group;
    uint16_t serial;
    uint32_t payload;
} record;

typedef int (*compare_fn)(const record *, const record *);

static int by_group_then_key(const record *x, const record *y) {
    if (x->group != y->group) return x->group < y->group ? -1 : 1;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return 0;
}

static int by_payload(const record *x, const record *y) {
    return x->payload < y->payload ? -1 : x->payload > y->payload ? 1 : 0;
}

static void shell_sort(record *r, size_t n, compare_fn cmp) {
    static const size_t gaps[] = {86961, 33936, 13776, 4592, 1968, 861, 336, 112, 48, 21, 7, 3, 1};
    for (size_t g = 0; g < sizeof gaps / sizeof gaps[0]; g++) {
        size_t gap = gaps[g];
        for (size_t i = gap; i < n; i++) {
            record v = r[i];
            size_t j = i;
            while (j >= gap && cmp(&r[j - gap], &v) > 0) {
                r[j] = r[j - gap];
                j -= gap;
            }
            r[j] = v;
        }
    }
}

static uint64_t checksum_u32(const uint32_t *a, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ a[i]) * 1099511628211ull;
    return h;
}

int main(void) {
    uint32_t *a = malloc(N_QUICK * sizeof(uint32_t));
    uint32_t *b = malloc(N_HEAP * sizeof(uint32_t));
    record *r = malloc(N_RECORDS * sizeof(record));
    if (!a || !b || !r) return 1;

    for (size_t i = 0; i < N_QUICK; i++) a[i] = next_u32();
    quick_sort(a, 0, (long)N_QUICK - 1);
    for (size_t i = 1; i < N_QUICK; i++)
        if (a[i - 1] > a[i]) { printf("quicksort FAILED at %zu\n", i); return 2; }
    printf("quicksort n=%u min=%u max=%u median=%u hash=%016llx\n", N_QUICK, a[0], a[N_QUICK - 1],
           a[N_QUICK / 2], (unsigned long long)checksum_u32(a, N_QUICK));

    for (size_t i = 0; i < N_HEAP; i++) b[i] = next_u32() % 100000u; /* many duplicates */
    heap_sort(b, N_HEAP);
    for (size_t i = 1; i < N_HEAP; i++)
        if (b[i - 1] > b[i]) { printf("heapsort FAILED at %zu\n", i); return 2; }
    printf("heapsort n=%u hash=%016llx\n", N_HEAP, (unsigned long long)checksum_u32(b, N_HEAP));

    for (size_t i = 0; i < N_RECORDS; i++) {
        r[i].key = next_u32();
        r[i].group = (uint16_t)(next_u32() % 64u);
        r[i].serial = (uint16_t)i;
        r[i].payload = next_u32();
    }
    shell_sort(r, N_RECORDS, by_group_then_key);
    uint64_t h = 0;
    for (size_t i = 1; i < N_RECORDS; i++) {
        if (by_group_then_key(&r[i - 1], &r[i]) > 0) { printf("shellsort FAILED at %zu\n", i); return 2; }
        h = h * 31 + r[i].serial;
    }
    shell_sort(r, N_RECORDS, by_payload);
    for (size_t i = 1; i < N_RECORDS; i++) h = h * 31 + r[i].serial;
    printf("shellsort n=%u hash=%016llx\n", N_RECORDS, (unsigned long long)h);
    free(a);
    free(b);
    free(r);
    return 0;
}
