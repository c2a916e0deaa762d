/* lz77: a compression kernel — an LZSS-style compressor with hash chains (32 KiB window) and its
   decompressor, round-tripping generated semi-redundant data and checking the result. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DATA_BYTES (6u << 20)
#define WINDOW (1u << 15)
#define HASH_BITS 15
#define MIN_MATCH 3
#define MAX_MATCH 258
#define MAX_CHAIN 24

static uint32_t seed = 0x5EED5u;
static uint32_t next_u32(void) {
    seed ^= seed << 13;
    seed ^= seed >> 17;
    seed ^= seed << 5;
    return seed;
}

static void generate(uint8_t *d, size_t n, uint32_t flavour) {
    static const char *phrases[] = {"the quick ", "compiler ", "lowers ", "webassembly ", "to C ",
                                    "and then ", "clang ", "builds ", "a shared object ", "\n"};
    size_t i = 0;
    while (i < n) {
        uint32_t r = next_u32();
        if ((r & 7) < 5 - flavour) { /* phrase */
            const char *p = phrases[(r >> 3) % 10u];
            while (*p && i < n) d[i++] = (uint8_t)*p++;
        } else if ((r & 7) == 5 && i > 1000) { /* copy an earlier run (long-distance repeat) */
            size_t from = i - 1 - (r >> 8) % (i < 60000 ? i - 1 : 60000);
            size_t len = 8 + (r >> 3) % 64u;
            for (size_t k = 0; k < len && i < n; k++) d[i++] = d[from + k];
        } else { /* noise */
            size_t len = 1 + (r >> 3) % 6u;
            for (size_t k = 0; k < len && i < n; k++) d[i++] = (uint8_t)(next_u32() >> 24);
        }
    }
}

static inline uint32_t hash3(const uint8_t *p) {
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
    return (v * 2654435761u) >> (32 - HASH_BITS);
}

/* format: a flag byte for each group of 8 items; bit set = match (2-byte offset, 1-byte
   length-3), bit clear = literal byte */
static size_t compress(const uint8_t *in, size_t n, uint8_t *out, int32_t *head, int32_t *prev) {
    for (uint32_t i = 0; i < (1u << HASH_BITS); i++) head[i] = -1;
    size_t o = 0, flag_pos = 0, i = 0;
    int items = 8;
    while (i < n) {
        if (items == 8) {
            flag_pos = o++;
            out[flag_pos] = 0;
            items = 0;
        }
        size_t best_len = 0, best_off = 0;
        if (i + MIN_MATCH <= n) {
            uint32_t h = hash3(in + i);
            int32_t cand = head[h];
            int chain = 0;
            size_t limit = n - i < MAX_MATCH ? n - i : MAX_MATCH;
            while (cand >= 0 && i - (size_t)cand <= WINDOW - 1 && chain++ < MAX_CHAIN) {
                const uint8_t *a = in + cand, *b = in + i;
                if (a[best_len] == b[best_len]) {
                    size_t len = 0;
                    while (len < limit && a[len] == b[len]) len++;
                    if (len > best_len) {
                        best_len = len;
                        best_off = i - (size_t)cand;
                        if (len == limit) break;
                    }
                }
                cand = prev[cand & (WINDOW - 1)];
            }
        }
        size_t advance;
        if (best_len >= MIN_MATCH) {
            out[flag_pos] |= (uint8_t)(1u << items);
            out[o++] = (uint8_t)best_off;
            out[o++] = (uint8_t)(best_off >> 8);
            out[o++] = (uint8_t)(best_len - MIN_MATCH);
            advance = best_len;
        } else {
            out[o++] = in[i];
            advance = 1;
        }
        items++;
        for (size_t k = 0; k < advance; k++, i++) {
            if (i + MIN_MATCH <= n) {
                uint32_t h = hash3(in + i);
                prev[i & (WINDOW - 1)] = head[h];
                head[h] = (int32_t)i;
            }
        }
    }
    return o;
}

static size_t decompress(const uint8_t *in, size_t n, uint8_t *out, size_t cap) {
    size_t i = 0, o = 0;
    while (i < n) {
        uint8_t flags = in[i++];
        for (int b = 0; b < 8 && i < n; b++) {
            if (flags & (1u << b)) {
                size_t off = (size_t)in[i] | (size_t)in[i + 1] << 8;
                size_t len = (size_t)in[i + 2] + MIN_MATCH;
                i += 3;
                if (off == 0 || off > o || o + len > cap) return (size_t)-1;
                for (size_t k = 0; k < len; k++, o++) out[o] = out[o - off];
            } else {
                if (o >= cap) return (size_t)-1;
                out[o++] = in[i++];
            }
        }
    }
    return o;
}

int main(void) {
    uint8_t *data = malloc(DATA_BYTES), *packed = malloc(DATA_BYTES + DATA_BYTES / 8 + 16);
    uint8_t *back = malloc(DATA_BYTES);
    int32_t *head = malloc(sizeof(int32_t) << HASH_BITS), *prev = malloc(sizeof(int32_t) * WINDOW);
    if (!data || !packed || !back || !head || !prev) return 1;
    uint64_t total_in = 0, total_out = 0;
    for (uint32_t flavour = 0; flavour < 3; flavour++) {
        generate(data, DATA_BYTES, flavour);
        size_t clen = compress(data, DATA_BYTES, packed, head, prev);
        size_t dlen = decompress(packed, clen, back, DATA_BYTES);
        int ok = dlen == DATA_BYTES && memcmp(back, data, DATA_BYTES) == 0;
        uint32_t h = 2166136261u;
        for (size_t i = 0; i < clen; i++) h = (h ^ packed[i]) * 16777619u;
        printf("flavour %u: %u -> %zu bytes (%.1f%%) roundtrip=%s hash=%08x\n", flavour,
               DATA_BYTES, clen, 100.0 * (double)clen / DATA_BYTES, ok ? "ok" : "FAILED", h);
        if (!ok) return 2;
        total_in += DATA_BYTES;
        total_out += clen;
    }
    printf("total %llu -> %llu\n", (unsigned long long)total_in, (unsigned long long)total_out);
    return 0;
}
