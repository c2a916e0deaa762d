/* fsm: a branchy switch — a hand-written tokenizer state machine (identifiers, integers,
   decimals, strings with escapes, comments, operators) run over generated source text. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_BYTES (3u << 20)
#define PASSES 16

enum state { S_START, S_IDENT, S_INT, S_FRAC, S_STRING, S_ESCAPE, S_SLASH, S_LINE_COMMENT,
             S_BLOCK_COMMENT, S_BLOCK_STAR, S_OPERATOR };
enum kind { K_IDENT, K_INT, K_DECIMAL, K_STRING, K_COMMENT, K_OP, K_KEYWORD, K_NEWLINE, K_COUNT };

static uint32_t seed = 0xBADC0DEu;
static uint32_t next_u32(void) {
    seed ^= seed << 13;
    seed ^= seed >> 17;
    seed ^= seed << 5;
    return seed;
}

static size_t put(char *t, size_t n, const char *s) {
    size_t len = strlen(s);
    memcpy(t + n, s, len);
    return n + len;
}

static size_t generate(char *t, size_t cap) {
    static const char *idents[] = {"alpha", "beta", "x", "y1", "count", "_tmp", "value", "i",
                                   "while", "if", "return", "node_next", "buf", "len"};
    static const char *ops[] = {"+", "-", "*", "==", "!=", "<=", ">=", "&&", "||", "=", "(", ")",
                                "{", "}", ";", ",", "->", "<<", ">>"};
    size_t n = 0;
    while (n + 128 < cap) {
        uint32_t r = next_u32();
        switch (r % 10u) {
        case 0: case 1: case 2: n = put(t, n, idents[(r >> 4) % 14u]); break;
        case 3: case 4: n = put(t, n, ops[(r >> 4) % 19u]); break;
        case 5: { /* integer or decimal */
            uint32_t v = (r >> 4) % 100000u;
            char num[24];
            int len = 0;
            do { num[len++] = (char)('0' + v % 10u); v /= 10u; } while (v);
            while (len) t[n++] = num[--len];
            if ((r >> 24) & 1) { t[n++] = '.'; t[n++] = (char)('0' + (r >> 25) % 10u); t[n++] = '5'; }
            break;
        }
        case 6: { /* string with escapes */
            t[n++] = '"';
            uint32_t len = (r >> 4) % 20u;
            for (uint32_t i = 0; i < len; i++) {
                uint32_t q = next_u32();
                if (q % 13u == 0) { t[n++] = '\\'; t[n++] = "n\"t\\"[(q >> 8) % 4u]; }
                else t[n++] = (char)('a' + q % 26u);
            }
            t[n++] = '"';
            break;
        }
        case 7:
            if ((r >> 4) % 4u == 0) n = put(t, n, "/* block * comment */");
            else if ((r >> 4) % 4u == 1) n = put(t, n, "// line comment\n");
            else n = put(t, n, "/");
            break;
        case 8: t[n++] = '\n'; break;
        default: t[n++] = ' '; break;
        }
        if (r & (1u << 31)) t[n++] = ' ';
    }
    t[n] = 0;
    return n;
}

static inline int is_alpha(unsigned char c) { return (c | 32) >= 'a' && (c | 32) <= 'z'; }
static inline int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

static int is_keyword(const char *s, size_t len) {
    switch (len) {
    case 2: return s[0] == 'i' && s[1] == 'f';
    case 5: return memcmp(s, "while", 5) == 0;
    case 6: return memcmp(s, "return", 6) == 0;
    default: return 0;
    }
}

static void tokenize(const char *t, size_t n, uint64_t counts[K_COUNT], uint64_t *intsum,
                     uint32_t *identhash) {
    enum state st = S_START;
    size_t start = 0;
    uint64_t cur = 0;
    uint32_t h = *identhash;
    for (size_t i = 0; i <= n; i++) {
        unsigned char c = (unsigned char)t[i]; /* t[n] == 0 terminates the last token */
        switch (st) {
        case S_START:
        start:
            start = i;
            if (is_alpha(c) || c == '_') st = S_IDENT;
            else if (is_digit(c)) { st = S_INT; cur = c - '0'; }
            else if (c == '"') st = S_STRING;
            else if (c == '/') st = S_SLASH;
            else if (c == '\n') counts[K_NEWLINE]++;
            else if (c == ' ' || c == 0) {}
            else st = S_OPERATOR;
            break;
        case S_IDENT:
            if (is_alpha(c) || is_digit(c) || c == '_') break;
            if (is_keyword(t + start, i - start)) counts[K_KEYWORD]++;
            else {
                counts[K_IDENT]++;
                for (size_t k = start; k < i; k++) h = (h ^ (unsigned char)t[k]) * 16777619u;
            }
            st = S_START;
            goto start;
        case S_INT:
            if (is_digit(c)) { cur = cur * 10 + (c - '0'); break; }
            if (c == '.') { st = S_FRAC; break; }
            counts[K_INT]++;
            *intsum += cur;
            st = S_START;
            goto start;
        case S_FRAC:
            if (is_digit(c)) break;
            counts[K_DECIMAL]++;
            *intsum += cur;
            st = S_START;
            goto start;
        case S_STRING:
            if (c == '\\') st = S_ESCAPE;
            else if (c == '"') { counts[K_STRING]++; st = S_START; }
            break;
        case S_ESCAPE: st = S_STRING; break;
        case S_SLASH:
            if (c == '/') { st = S_LINE_COMMENT; break; }
            if (c == '*') { st = S_BLOCK_COMMENT; break; }
            counts[K_OP]++;
            st = S_START;
            goto start;
        case S_LINE_COMMENT:
            if (c == '\n' || c == 0) { counts[K_COMMENT]++; counts[K_NEWLINE]++; st = S_START; }
            break;
        case S_BLOCK_COMMENT:
            if (c == '*') st = S_BLOCK_STAR;
            break;
        case S_BLOCK_STAR:
            if (c == '/') { counts[K_COMMENT]++; st = S_START; }
            else if (c != '*') st = S_BLOCK_COMMENT;
            break;
        case S_OPERATOR:
            /* two-character operators */
            switch (t[start]) {
            case '=': case '!': case '<': case '>':
                if (c == '=' || (c == t[start] && (c == '<' || c == '>'))) { counts[K_OP]++; st = S_START; continue; }
                break;
            case '&': case '|':
                if (c == t[start]) { counts[K_OP]++; st = S_START; continue; }
                break;
            case '-':
                if (c == '>') { counts[K_OP]++; st = S_START; continue; }
                break;
            default: break;
            }
            counts[K_OP]++;
            st = S_START;
            goto start;
        }
    }
    *identhash = h;
}

int main(void) {
    char *text = malloc(TEXT_BYTES + 1);
    if (!text) return 1;
    size_t n = generate(text, TEXT_BYTES);
    uint64_t counts[K_COUNT] = {0};
    uint64_t intsum = 0;
    uint32_t h = 2166136261u;
    for (int p = 0; p < PASSES; p++) tokenize(text, n - (size_t)p * 101u, counts, &intsum, &h);
    static const char *names[K_COUNT] = {"ident", "int", "decimal", "string", "comment", "op",
                                         "keyword", "newline"};
    printf("bytes=%zu passes=%d\n", n, PASSES);
    for (int k = 0; k < K_COUNT; k++) printf("%s=%llu\n", names[k], (unsigned long long)counts[k]);
    printf("intsum=%llu identhash=%08x\n", (unsigned long long)intsum, h);
    free(text);
    return 0;
}
