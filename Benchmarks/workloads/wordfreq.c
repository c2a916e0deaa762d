/* wordfreq: string processing — generates text from a syllable vocabulary, then tokenises it,
   lower-cases words, counts them in an open-addressing hash table (memcmp on collisions),
   and reports line/word statistics and the most frequent words. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_BYTES (16u << 20)
#define TABLE_BITS 18
#define TABLE_SIZE (1u << TABLE_BITS)

static const char *syllables[] = {"ka", "lo", "mi", "ren", "to", "sa", "vu", "ne", "ri", "po",
                                  "del", "an", "qu", "ex", "zo", "im", "ba", "tor", "el", "fi"};

static uint32_t seed = 0xC0FFEEu;
static uint32_t next_u32(void) {
    seed ^= seed << 13;
    seed ^= seed >> 17;
    seed ^= seed << 5;
    return seed;
}

typedef struct {
    uint32_t hash;
    uint32_t offset; /* into the word pool */
    uint32_t length;
    uint32_t count;
} entry;

static entry table[TABLE_SIZE];
static char *pool;
static uint32_t pool_used, distinct;

static size_t generate(char *text, size_t cap) {
    size_t n = 0;
    uint32_t words_on_line = 0;
    while (n + 64 < cap) {
        uint32_t r = next_u32();
        /* skewed syllable count and choice so that some words are very common */
        uint32_t nsyl = 1 + (r & 3) * ((r >> 2) & 1);
        for (uint32_t s = 0; s < nsyl; s++) {
            uint32_t q = next_u32();
            uint32_t idx = (q % 20u) * ((q >> 8) % 3u == 0) + ((q >> 12) % 5u);
            const char *syl = syllables[idx % 20u];
            size_t len = strlen(syl);
            memcpy(text + n, syl, len);
            if (s == 0 && (q >> 20) % 11u == 0) text[n] = (char)(text[n] - 'a' + 'A');
            n += len;
        }
        uint32_t p = (r >> 8) % 29u;
        if (p == 0) text[n++] = '.';
        else if (p == 1) text[n++] = ',';
        else if (p == 2) text[n++] = ';';
        else if (p == 3) { text[n++] = '!'; }
        if (++words_on_line > 9 + (r >> 24) % 6u) {
            text[n++] = '\n';
            words_on_line = 0;
        } else {
            text[n++] = ' ';
            if ((r >> 16) % 17u == 0) text[n++] = ' ';
        }
    }
    text[n] = 0;
    return n;
}

static inline int is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

static void add_word(const char *w, uint32_t len) {
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < len; i++) h = (h ^ (uint8_t)w[i]) * 16777619u;
    uint32_t slot = h & (TABLE_SIZE - 1);
    for (;;) {
        entry *e = &table[slot];
        if (e->count == 0) {
            e->hash = h;
            e->offset = pool_used;
            e->length = len;
            e->count = 1;
            memcpy(pool + pool_used, w, len);
            pool[pool_used + len] = 0;
            pool_used += len + 1;
            distinct++;
            return;
        }
        if (e->hash == h && e->length == len && memcmp(pool + e->offset, w, len) == 0) {
            e->count++;
            return;
        }
        slot = (slot + 1) & (TABLE_SIZE - 1);
    }
}

int main(void) {
    char *text = malloc(TEXT_BYTES + 1);
    pool = malloc(4u << 20);
    if (!text || !pool) return 1;
    size_t n = generate(text, TEXT_BYTES);

    uint32_t lines = 0, words = 0, longest = 0, punct = 0;
    char word[64];
    const char *p = text;
    while (*p) {
        /* tokenise: skip separators, then copy a lower-cased word */
        while (*p && !is_letter(*p)) {
            if (*p == '\n') lines++;
            else if (strchr(".,;!", *p)) punct++;
            p++;
        }
        if (!*p) break;
        uint32_t len = 0;
        while (is_letter(*p)) {
            char c = *p++;
            if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
            if (len < sizeof word - 1) word[len++] = c;
        }
        word[len] = 0;
        if (len > longest) longest = len;
        words++;
        add_word(word, len);
    }

    /* top 5 by count, ties broken alphabetically */
    printf("bytes=%zu lines=%u words=%u distinct=%u longest=%u punct=%u\n", n, lines, words,
           distinct, longest, punct);
    int taken[5] = {-1, -1, -1, -1, -1};
    for (int k = 0; k < 5; k++) {
        int best = -1;
        for (uint32_t i = 0; i < TABLE_SIZE; i++) {
            if (table[i].count == 0) continue;
            int used = 0;
            for (int t = 0; t < k; t++) used |= taken[t] == (int)i;
            if (used) continue;
            if (best < 0 || table[i].count > table[best].count ||
                (table[i].count == table[best].count &&
                 strcmp(pool + table[i].offset, pool + table[best].offset) < 0))
                best = (int)i;
        }
        taken[k] = best;
        printf("#%d %s %u\n", k + 1, pool + table[best].offset, table[best].count);
    }
    /* a substring search pass (memchr for the first byte, then memcmp; not strstr, whose
       cost differs wildly between libcs: some take strlen of the whole haystack per call) */
    uint32_t hits = 0;
    const char *q = text, *end = text + n;
    while (q + 6 <= end && (q = memchr(q, 'd', (size_t)(end - q) - 5)) != NULL) {
        if (memcmp(q, "delren", 6) == 0) {
            hits++;
            q += 6;
        } else {
            q++;
        }
    }
    printf("delren occurrences=%u\n", hits);
    free(text);
    free(pool);
    return 0;
}
