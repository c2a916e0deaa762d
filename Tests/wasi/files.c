// WASI test program: files and directories inside the preopened directory
// /sandbox (a fresh, empty directory). Every step prints one line; the first
// failing step prints "FAIL: ..." and the program exits 1. Exit 0 when all pass.
// Nothing host-specific is printed: no inode numbers, timestamps the program did
// not set itself, directory sizes or link counts; listings are sorted.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errno_name.h"

#define SB "/sandbox"

static int steps = 0;

static void ok(const char *what, const char *detail) {
    steps++;
    printf("ok: %s%s%s\n", what, detail ? " -> " : "", detail ? detail : "");
    errno = 0;  // so that a later failure never reports a stale errno
}

static void fail(const char *what, int err) {
    printf("FAIL: %s (errno=%s)\n", what, errno_name(err));
    fflush(stdout);
    exit(1);
}

// Check a condition; on failure report the step and the errno left by the
// last call (made inside `cond` or just before the CHECK).
#define CHECK(what, cond)                          \
    do {                                           \
        if (cond) ok(what, NULL);                  \
        else fail(what, errno);                    \
    } while (0)

// A call that must fail (return -1 / NULL): print the errno it failed with.
#define EXPECT_FAIL(what, failed)                              \
    do {                                                       \
        errno = 0;                                             \
        if (failed) ok(what, errno_name(errno));               \
        else fail(what " unexpectedly succeeded", 0);          \
    } while (0)

static int compare(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

// Print a sorted listing of a directory ("." and ".." left out). Returns the
// number of entries.
static int list(const char *path) {
    DIR *d = opendir(path);
    if (d == NULL) fail("opendir", errno);
    char *names[512];
    int n = 0;
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if (n == 512) fail("listing: too many entries", 0);
        char *s = malloc(strlen(e->d_name) + 8);
        const char *kind = e->d_type == DT_DIR ? "dir" : e->d_type == DT_REG ? "file"
                         : e->d_type == DT_LNK ? "symlink" : "other";
        sprintf(s, "%s %s", e->d_name, kind);
        names[n++] = s;
    }
    if (errno != 0) fail("readdir", errno);
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], compare);
    printf("listing %s: %d entries\n", path, n);
    for (int i = 0; i < n; i++) {
        if (n <= 8 || i < 2 || i >= n - 2) printf("  %s\n", names[i]);
        else if (i == 2) printf("  ...\n");
        free(names[i]);
    }
    return n;
}

static long long size_of(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) fail("stat", errno);
    return (long long)st.st_size;
}

static void write_all(int fd, const char *data, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n <= 0) fail("write", errno);
        data += n;
        len -= (size_t)n;
    }
}

static void read_file(const char *path, char *buf, size_t cap, size_t *len) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) fail("open for reading", errno);
    *len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + *len, cap - *len);
        if (n < 0) fail("read", errno);
        if (n == 0) break;
        *len += (size_t)n;
        if (*len == cap) break;
    }
    close(fd);
}

int main(void) {
    char buf[4096];
    size_t len;
    struct stat st;
    int fd;

    CHECK("sandbox starts empty", list(SB) == 0);

    // create, write, close
    fd = open(SB "/a.txt", O_CREAT | O_WRONLY | O_EXCL, 0644);
    CHECK("create a.txt (O_CREAT|O_EXCL)", fd >= 0);
    CHECK("write 12 bytes", write(fd, "hello\nworld\n", 12) == 12);
    CHECK("fstat: regular file of 12 bytes", fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 12);
    CHECK("close", close(fd) == 0);
    EXPECT_FAIL("create a.txt again with O_EXCL", open(SB "/a.txt", O_CREAT | O_WRONLY | O_EXCL, 0644) < 0);
    EXPECT_FAIL("close a closed fd", close(fd) != 0);

    // reopen with stdio, read back, fseek/ftell
    FILE *f = fopen(SB "/a.txt", "r");
    CHECK("fopen a.txt for reading", f != NULL);
    len = fread(buf, 1, sizeof buf, f);
    CHECK("fread returns the 12 bytes written", len == 12 && memcmp(buf, "hello\nworld\n", 12) == 0);
    CHECK("feof after reading everything", feof(f));
    CHECK("fseek(6, SEEK_SET); ftell == 6", fseek(f, 6, SEEK_SET) == 0 && ftell(f) == 6);
    CHECK("fgets reads the second line", fgets(buf, sizeof buf, f) != NULL && strcmp(buf, "world\n") == 0);
    CHECK("ftell == 12 at the end", ftell(f) == 12);
    CHECK("fgetc at the end returns EOF", fgetc(f) == EOF);
    CHECK("fseek(-6, SEEK_END); ftell == 6", fseek(f, -6, SEEK_END) == 0 && ftell(f) == 6);
    rewind(f);
    CHECK("rewind; ftell == 0", ftell(f) == 0);
    CHECK("fclose", fclose(f) == 0);

    // lseek on a raw descriptor
    fd = open(SB "/a.txt", O_RDONLY);
    CHECK("open a.txt O_RDONLY", fd >= 0);
    CHECK("lseek(0, SEEK_END) == 12", lseek(fd, 0, SEEK_END) == 12);
    CHECK("lseek(0, SEEK_CUR) == 12", lseek(fd, 0, SEEK_CUR) == 12);
    CHECK("lseek(-3, SEEK_CUR) == 9", lseek(fd, -3, SEEK_CUR) == 9);
    CHECK("read 3 bytes at 9 == \"ld\\n\"", read(fd, buf, 3) == 3 && memcmp(buf, "ld\n", 3) == 0);
    CHECK("read at EOF returns 0", read(fd, buf, sizeof buf) == 0);
    EXPECT_FAIL("lseek to a negative offset", lseek(fd, -100, SEEK_SET) < 0);
    EXPECT_FAIL("write to an O_RDONLY descriptor", write(fd, "x", 1) >= 0 ? 0 : 1);
    CHECK("close", close(fd) == 0);

    // append
    fd = open(SB "/a.txt", O_WRONLY | O_APPEND);
    CHECK("open a.txt O_WRONLY|O_APPEND", fd >= 0);
    CHECK("lseek(0, SEEK_SET) on the append descriptor", lseek(fd, 0, SEEK_SET) == 0);
    CHECK("write 5 bytes (appended regardless of offset)", write(fd, "more\n", 5) == 5);
    CHECK("close", close(fd) == 0);
    f = fopen(SB "/a.txt", "a");
    CHECK("fopen(\"a\") and fprintf", f != NULL && fprintf(f, "tail\n") == 5 && fclose(f) == 0);
    CHECK("stat: size 22", size_of(SB "/a.txt") == 22);
    read_file(SB "/a.txt", buf, sizeof buf, &len);
    CHECK("contents after appending", len == 22 && memcmp(buf, "hello\nworld\nmore\ntail\n", 22) == 0);

    // rename
    CHECK("rename a.txt -> b.txt", rename(SB "/a.txt", SB "/b.txt") == 0);
    EXPECT_FAIL("stat a.txt after rename", stat(SB "/a.txt", &st) != 0);
    CHECK("stat b.txt: size 22", size_of(SB "/b.txt") == 22);
    EXPECT_FAIL("rename a missing file", rename(SB "/missing", SB "/other") != 0);

    // directories
    CHECK("mkdir sub", mkdir(SB "/sub", 0755) == 0);
    EXPECT_FAIL("mkdir sub again", mkdir(SB "/sub", 0755) != 0);
    CHECK("stat sub: a directory", stat(SB "/sub", &st) == 0 && S_ISDIR(st.st_mode));
    fd = open(SB "/sub/c.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK("create sub/c.txt", fd >= 0);
    CHECK("write 3 bytes", write(fd, "ccc", 3) == 3 && close(fd) == 0);
    CHECK("stat sub/c.txt: size 3", size_of(SB "/sub/c.txt") == 3);
    CHECK("mkdir sub/deep", mkdir(SB "/sub/deep", 0755) == 0);
    CHECK("open sub/deep/../c.txt (.. inside the sandbox)", (fd = open(SB "/sub/deep/../c.txt", O_RDONLY)) >= 0 && close(fd) == 0);
    CHECK("rmdir sub/deep", rmdir(SB "/sub/deep") == 0);
    CHECK("listing of / has 2 entries", list(SB) == 2);
    CHECK("listing of sub has 1 entry", list(SB "/sub") == 1);
    EXPECT_FAIL("rmdir a non-empty directory", rmdir(SB "/sub") != 0);
    EXPECT_FAIL("open a directory for writing", open(SB "/sub", O_WRONLY) >= 0 ? 0 : 1);
    EXPECT_FAIL("open a missing file", open(SB "/nope.txt", O_RDONLY) >= 0 ? 0 : 1);
    EXPECT_FAIL("open a path through a file", open(SB "/b.txt/x", O_RDONLY) >= 0 ? 0 : 1);
    EXPECT_FAIL("O_DIRECTORY on a file", open(SB "/b.txt", O_RDONLY | O_DIRECTORY) >= 0 ? 0 : 1);

    // ftruncate, pread, pwrite
    fd = open(SB "/b.txt", O_RDWR);
    CHECK("open b.txt O_RDWR", fd >= 0);
    CHECK("ftruncate to 5", ftruncate(fd, 5) == 0);
    CHECK("fstat: size 5", fstat(fd, &st) == 0 && st.st_size == 5);
    CHECK("pread 100 at 0 returns \"hello\"", pread(fd, buf, 100, 0) == 5 && memcmp(buf, "hello", 5) == 0);
    CHECK("ftruncate to 10 (grows)", ftruncate(fd, 10) == 0);
    CHECK("pread: grown part is zeros", pread(fd, buf, 100, 0) == 10 && memcmp(buf, "hello\0\0\0\0\0", 10) == 0);
    CHECK("pwrite \"XY\" at 2", pwrite(fd, "XY", 2, 2) == 2);
    CHECK("pread 4 at 1 == \"eXYo\"", pread(fd, buf, 4, 1) == 4 && memcmp(buf, "eXYo", 4) == 0);
    CHECK("pread/pwrite leave the offset at 0", lseek(fd, 0, SEEK_CUR) == 0);
    CHECK("pwrite past the end (offset 20)", pwrite(fd, "Z", 1, 20) == 1);
    CHECK("fstat: size 21", fstat(fd, &st) == 0 && st.st_size == 21);
    CHECK("read from offset 0 sees pwrite's bytes", read(fd, buf, 4) == 4 && memcmp(buf, "heXY", 4) == 0);
    CHECK("fsync", fsync(fd) == 0);
    CHECK("close", close(fd) == 0);

    // timestamps that we set ourselves
    struct timespec times[2] = {{1234567890, 0}, {1000000000, 0}};
    CHECK("utimensat sets atime/mtime", utimensat(AT_FDCWD, SB "/b.txt", times, 0) == 0);
    CHECK("stat reads back the mtime", stat(SB "/b.txt", &st) == 0 && st.st_mtim.tv_sec == 1000000000);
    CHECK("stat reads back the atime", st.st_atim.tv_sec == 1234567890);

    // relative paths through chdir
    CHECK("chdir /sandbox/sub", chdir(SB "/sub") == 0);
    CHECK("getcwd == /sandbox/sub", getcwd(buf, sizeof buf) != NULL && strcmp(buf, SB "/sub") == 0);
    CHECK("stat c.txt relative to the cwd", size_of("c.txt") == 3);
    CHECK("stat ../b.txt relative to the cwd", size_of("../b.txt") == 21);
    CHECK("chdir back to /sandbox", chdir("..") == 0);

    // a larger file, written and read in pieces
    static char big[200000], back[200000];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (char)((i * 7 + i / 251) & 0xff);
    fd = open(SB "/big.bin", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK("create big.bin", fd >= 0);
    write_all(fd, big, sizeof big);
    CHECK("close big.bin", close(fd) == 0);
    CHECK("stat big.bin: 200000 bytes", size_of(SB "/big.bin") == 200000);
    read_file(SB "/big.bin", back, sizeof back, &len);
    CHECK("read back big.bin identical", len == sizeof big && memcmp(big, back, sizeof big) == 0);
    CHECK("unlink big.bin", unlink(SB "/big.bin") == 0);

    // many entries: fd_readdir must continue from its cookie
    CHECK("mkdir many", mkdir(SB "/many", 0755) == 0);
    for (int i = 0; i < 150; i++) {
        char name[128];
        snprintf(name, sizeof name, SB "/many/entry-%03d-with-a-rather-long-name-to-fill-the-buffer", i);
        fd = open(name, O_CREAT | O_WRONLY, 0644);
        if (fd < 0 || close(fd) != 0) fail("create many/entry", errno);
    }
    ok("create 150 files in many/", NULL);
    CHECK("listing of many has 150 entries", list(SB "/many") == 150);
    for (int i = 0; i < 150; i++) {
        char name[128];
        snprintf(name, sizeof name, SB "/many/entry-%03d-with-a-rather-long-name-to-fill-the-buffer", i);
        if (unlink(name) != 0) fail("unlink many/entry", errno);
    }
    ok("unlink 150 files", NULL);
    CHECK("rmdir many", rmdir(SB "/many") == 0);

    // cleanup
    EXPECT_FAIL("rmdir a file", rmdir(SB "/b.txt") != 0);
    EXPECT_FAIL("unlink a directory", unlink(SB "/sub") != 0);
    CHECK("unlink sub/c.txt", unlink(SB "/sub/c.txt") == 0);
    CHECK("rmdir sub", rmdir(SB "/sub") == 0);
    CHECK("unlink b.txt", unlink(SB "/b.txt") == 0);
    EXPECT_FAIL("unlink b.txt again", unlink(SB "/b.txt") != 0);
    CHECK("sandbox is empty again", list(SB) == 0);

    printf("all %d steps passed\n", steps);
    return 0;
}
