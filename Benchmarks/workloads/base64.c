/* base64: encoding/decoding — RFC 4648 base64 encode and validating decode round trips over a
   generated buffer of varying lengths (all three padding cases). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF_SIZE (3u << 20)
#define ROUNDS 45

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static int8_t reverse[256];

static size_t encode(const uint8_t *in, size_t n, char *out) {
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = alphabet[(v >> 6) & 63];
        out[o++] = alphabet[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = '=';
        out[o++] = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = alphabet[(v >> 6) & 63];
        out[o++] = '=';
    }
    return o;
}

/* returns the decoded length, or (size_t)-1 on invalid input */
static size_t decode(const char *in, size_t n, uint8_t *out) {
    if (n % 4) return (size_t)-1;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        int pad = 0;
        uint32_t v = 0;
        for (int k = 0; k < 4; k++) {
            unsigned char c = (unsigned char)in[i + k];
            if (c == '=' && i + 4 == n && k >= 2) { pad++; v <<= 6; continue; }
            if (pad || reverse[c] < 0) return (size_t)-1;
            v = v << 6 | (uint32_t)reverse[c];
        }
        out[o++] = (uint8_t)(v >> 16);
        if (pad < 2) out[o++] = (uint8_t)(v >> 8);
        if (pad < 1) out[o++] = (uint8_t)v;
    }
    return o;
}

int main(void) {
    memset(reverse, -1, sizeof reverse);
    for (int i = 0; i < 64; i++) reverse[(unsigned char)alphabet[i]] = (int8_t)i;
    uint8_t *buf = malloc(BUF_SIZE), *back = malloc(BUF_SIZE);
    char *text = malloc(BUF_SIZE / 3 * 4 + 8);
    if (!buf || !back || !text) return 1;
    uint32_t x = 1u;
    for (uint32_t i = 0; i < BUF_SIZE; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
    char small[16];
    size_t sl = encode((const uint8_t *)"hello", 5, small);
    small[sl] = 0;
    printf("base64(hello)=%s\n", small);
    uint32_t h = 2166136261u;
    uint64_t total = 0;
    for (int r = 0; r < ROUNDS; r++) {
        size_t n = BUF_SIZE - (size_t)r; /* r = 0,1,2 ... covers every padding case */
        size_t tl = encode(buf, n, text);
        size_t bl = decode(text, tl, back);
        if (bl != n || memcmp(back, buf, n) != 0) {
            printf("round %d: roundtrip FAILED\n", r);
            return 2;
        }
        for (size_t i = 0; i < tl; i += 97) h = (h ^ (unsigned char)text[i]) * 16777619u;
        total += tl;
        buf[(size_t)r * 4099u] ^= (uint8_t)h;
    }
    text[5] = '*';
    printf("rounds=%d encoded=%llu hash=%08x invalid-detected=%d\n", ROUNDS,
           (unsigned long long)total, h, decode(text, 8, back) == (size_t)-1);
    free(buf); free(back); free(text);
    return 0;
}
