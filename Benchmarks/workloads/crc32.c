/* crc32: checksums — CRC-32 (reflected 0xEDB88320) bytewise with one table and slicing-by-4
   with four tables (both generated at start-up), Adler-32 and FNV-1a/64 over a generated buffer. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF_SIZE (4u << 20)
#define ROUNDS 12

static uint32_t tables[4][256];

static void make_tables(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        tables[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 4; t++)
            tables[t][i] = (tables[t - 1][i] >> 8) ^ tables[0][tables[t - 1][i] & 0xff];
}

static uint32_t crc_bytewise(uint32_t crc, const uint8_t *p, size_t n) {
    crc = ~crc;
    for (size_t i = 0; i < n; i++) crc = tables[0][(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static uint32_t crc_slice4(uint32_t crc, const uint8_t *p, size_t n) {
    crc = ~crc;
    while (n >= 4) {
        uint32_t w = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        w ^= crc;
        crc = tables[3][w & 0xff] ^ tables[2][(w >> 8) & 0xff] ^ tables[1][(w >> 16) & 0xff] ^
              tables[0][w >> 24];
        p += 4;
        n -= 4;
    }
    while (n--) crc = tables[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static uint32_t adler32(const uint8_t *p, size_t n) {
    uint32_t a = 1, b = 0;
    while (n) {
        size_t chunk = n < 5552 ? n : 5552;
        n -= chunk;
        while (chunk--) {
            a += *p++;
            b += a;
        }
        a %= 65521u;
        b %= 65521u;
    }
    return b << 16 | a;
}

static uint64_t fnv1a64(const uint8_t *p, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

int main(void) {
    make_tables();
    printf("crc32(\"123456789\")=%08x\n", crc_bytewise(0, (const uint8_t *)"123456789", 9));
    uint8_t *buf = malloc(BUF_SIZE);
    if (!buf) return 1;
    uint32_t x = 88172645u;
    for (uint32_t i = 0; i < BUF_SIZE; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf[i] = (uint8_t)x;
    }
    uint32_t acc = 0;
    for (int r = 0; r < ROUNDS; r++) {
        size_t n = BUF_SIZE - (size_t)r * 3u;
        uint32_t c1 = crc_bytewise(acc, buf + r, n);
        uint32_t c2 = crc_slice4(acc, buf + r, n);
        uint32_t a = adler32(buf + r, n);
        uint64_t f = fnv1a64(buf + r, n);
        printf("round %d: crc=%08x %s adler=%08x fnv=%016llx\n", r, c1, c1 == c2 ? "agree" : "DISAGREE",
               a, (unsigned long long)f);
        if (c1 != c2) return 2;
        acc = c1;
        buf[(size_t)r * 65537u % BUF_SIZE] ^= (uint8_t)a;
    }
    free(buf);
    return 0;
}
