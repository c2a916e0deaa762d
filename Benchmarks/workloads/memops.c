/* memops: memory copying — memcpy, memmove (overlapping both ways), memset and memcmp over a
   large buffer with sizes from a few bytes to 64 KiB and varied alignments, then a hash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF (8u << 20)
#define OPS 800000u

static uint64_t rng = 0x1234abcd5678ef01ull;
static uint32_t next_u32(void) {
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (uint32_t)((rng * 2685821657736338717ull) >> 32);
}

static uint32_t pick_size(uint32_t r) {
    switch (r & 7) {
    case 0: case 1: return 1 + (r >> 3) % 32u;       /* tiny */
    case 2: case 3: return 16 + (r >> 3) % 256u;     /* small */
    case 4: return 256 + (r >> 3) % 4096u;           /* medium */
    case 5: return 4096 + (r >> 3) % 16384u;         /* large */
    case 6: return 32768 + (r >> 3) % 32768u;        /* very large */
    default: return (r >> 3) % 64u;                  /* includes zero */
    }
}

static uint64_t hash_buffer(const uint8_t *p, size_t n) {
    uint64_t h = 0x84222325cbf29ce4ull;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x100000001b3ull;
        h ^= h >> 29;
    }
    for (; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

int main(void) {
    uint8_t *buf = malloc(BUF);
    uint8_t *aux = malloc(1u << 16);
    if (!buf || !aux) return 1;
    for (uint32_t i = 0; i < BUF; i += 4) {
        uint32_t v = next_u32();
        memcpy(buf + i, &v, 4);
    }
    uint64_t copied = 0, equal = 0, diffsum = 0;
    for (uint32_t op = 0; op < OPS; op++) {
        uint32_t r = next_u32();
        uint32_t size = pick_size(r);
        uint32_t src = next_u32() % (BUF - size);
        uint32_t dst = next_u32() % (BUF - size);
        switch ((r >> 28) & 7) {
        case 0: case 1: case 2: /* non-overlapping copy (through a temporary if needed) */
            if (src + size <= dst || dst + size <= src) memcpy(buf + dst, buf + src, size);
            else {
                memcpy(aux, buf + src, size > 65536 ? 65536 : size);
                memcpy(buf + dst, aux, size > 65536 ? 65536 : size);
            }
            break;
        case 3: { /* overlapping move forwards / backwards by a small delta */
            uint32_t delta = 1 + (r >> 3) % 61u;
            if (src + delta + size <= BUF) memmove(buf + src + delta, buf + src, size);
            if (src >= delta) memmove(buf + src - delta, buf + src, size);
            break;
        }
        case 4: /* arbitrary memmove */
            memmove(buf + dst, buf + src, size);
            break;
        case 5: /* fill */
            memset(buf + dst, (int)(r & 0xff), size);
            break;
        case 6: { /* compare: copy then perturb one byte then compare */
            uint32_t s = size > 65536 ? 65536 : size;
            memcpy(aux, buf + src, s);
            if (s) aux[(r >> 5) % s] ^= (uint8_t)(1 + (r & 0x7f));
            int c = memcmp(aux, buf + src, s);
            if (c == 0) equal++;
            else diffsum += c < 0 ? 1 : 2;
            break;
        }
        default: /* copy a record-sized block repeatedly (struct copies) */
            for (uint32_t k = 0; k < 16 && dst + 48 * (k + 1) <= BUF && src + 48 <= BUF; k++)
                memcpy(buf + dst + 48 * k, buf + src, 48);
            break;
        }
        copied += size;
    }
    printf("ops=%u copied=%llu equal=%llu diffsum=%llu\n", OPS, (unsigned long long)copied,
           (unsigned long long)equal, (unsigned long long)diffsum);
    printf("hash=%016llx\n", (unsigned long long)hash_buffer(buf, BUF));
    free(buf);
    free(aux);
    return 0;
}
