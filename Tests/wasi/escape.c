// WASI test program: attempts to leave the preopened directory /sandbox (a
// fresh, empty directory). Every attempt prints "blocked: <what> errno=<name>"
// or "ESCAPED: <what>"; the exit status is 1 if anything escaped, else 0.
// Attempts that would create something use O_CREAT (or mkdir/rename/symlink),
// so that a path that resolves outside the sandbox succeeds instead of failing
// with a harmless ENOENT. Controls (operations that must work inside the
// sandbox) show that the blocks are not just everything failing.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errno_name.h"

static int escaped = 0, control_failures = 0;
// Set while probing through a symlink that the host refused to create: the
// probe is not run (the name would not be a symlink, e.g. O_CREAT would just
// make a file inside the sandbox) and is reported as blocked.
static int link_refused = 0;

static void result(const char *what, int succeeded, int err) {
    if (link_refused) {
        printf("blocked: %s (symlink refused)\n", what);
        return;
    }
    if (succeeded) {
        printf("ESCAPED: %s\n", what);
        escaped++;
    } else {
        printf("blocked: %s errno=%s\n", what, errno_name(err));
    }
}

static void try_open(const char *path, int flags) {
    char what[256];
    snprintf(what, sizeof what, "open(%s%s%s%s)", path,
             (flags & O_ACCMODE) == O_WRONLY ? ", O_WRONLY" : "",
             (flags & O_CREAT) ? ", O_CREAT" : "",
             (flags & O_DIRECTORY) ? ", O_DIRECTORY" : "");
    errno = 0;
    int fd = -1;
    if (!link_refused) fd = open(path, flags, 0644);
    int err = errno;
    result(what, fd >= 0, err);
    if (fd >= 0) {
        close(fd);
        if (flags & O_CREAT) unlink(path);  // do not leave the probe behind
    }
}

static void try_stat(const char *path) {
    char what[256];
    struct stat st;
    snprintf(what, sizeof what, "stat(%s)", path);
    errno = 0;
    int r = -1;
    if (!link_refused) r = stat(path, &st);
    result(what, r == 0, errno);
}

static void try_opendir(const char *path) {
    char what[256];
    snprintf(what, sizeof what, "opendir(%s)", path);
    errno = 0;
    DIR *d = NULL;
    if (!link_refused) d = opendir(path);
    int err = errno;
    result(what, d != NULL, err);
    if (d) closedir(d);
}

static void try_mkdir(const char *path) {
    char what[256];
    snprintf(what, sizeof what, "mkdir(%s)", path);
    errno = 0;
    int r = -1;
    if (!link_refused) r = mkdir(path, 0755);
    int err = errno;
    result(what, r == 0, err);
    if (r == 0) rmdir(path);
}

static void control(const char *what, int ok) {
    printf("control: %s: %s\n", what, ok ? "ok" : "FAILED");
    if (!ok) control_failures++;
}

// Create a symlink inside the sandbox; report whether the host allowed it.
// Probes after it are skipped (reported blocked) if the host refused.
static void make_symlink(const char *target, const char *link) {
    errno = 0;
    int r = symlink(target, link);
    if (r == 0) printf("symlink %s -> %s: created\n", link, target);
    else printf("symlink %s -> %s: refused errno=%s\n", link, target, errno_name(errno));
    link_refused = r != 0;
}

int main(void) {
    int fd;
    // Controls: the sandbox itself works.
    control("mkdir /sandbox/sub", mkdir("/sandbox/sub", 0755) == 0);
    fd = open("/sandbox/sub/inside.txt", O_CREAT | O_WRONLY, 0644);
    control("create /sandbox/sub/inside.txt", fd >= 0 && write(fd, "in\n", 3) == 3 && close(fd) == 0);
    fd = open("/sandbox/sub/../sub/inside.txt", O_RDONLY);
    control("open /sandbox/sub/../sub/inside.txt", fd >= 0 && close(fd) == 0);
    fd = open("/sandbox/outside-probe", O_CREAT | O_WRONLY, 0644);
    control("create /sandbox/outside-probe (for rename)", fd >= 0 && close(fd) == 0);

    // Dot-dot out of the preopen, absolute paths elsewhere, relative paths.
    try_open("/sandbox/../etc/passwd", O_RDONLY);
    try_open("/sandbox/../../../../../../../../etc/passwd", O_RDONLY);
    try_open("/etc/passwd", O_RDONLY);
    try_open("/", O_RDONLY | O_DIRECTORY);
    try_open("/sandbox/..", O_RDONLY | O_DIRECTORY);
    try_open("/sandbox/sub/../..", O_RDONLY | O_DIRECTORY);
    try_open("../x", O_CREAT | O_WRONLY);
    try_open("/sandbox/../wasi-escape-probe-x", O_CREAT | O_WRONLY);
    try_open("/sandbox/sub/../../y", O_CREAT | O_WRONLY);
    try_open("/sandbox/sub/../../wasi-escape-probe-y", O_CREAT | O_WRONLY);
    try_open("/tmp/wasi-escape-probe-z", O_CREAT | O_WRONLY);
    try_stat("/sandbox/..");
    try_stat("/sandbox/../../../../../../../../etc/passwd");
    try_opendir("/sandbox/..");
    try_opendir("/sandbox/sub/../..");
    try_mkdir("/sandbox/../wasi-escape-probe-dir");
    {
        errno = 0;
        int r = rename("/sandbox/outside-probe", "/sandbox/../wasi-escape-probe-renamed");
        result("rename(/sandbox/outside-probe, /sandbox/../wasi-escape-probe-renamed)", r == 0, errno);
        if (r == 0) rename("/sandbox/../wasi-escape-probe-renamed", "/sandbox/outside-probe");
    }

    // Relative paths after chdir into the sandbox.
    control("chdir /sandbox/sub", chdir("/sandbox/sub") == 0);
    try_open("../../etc/passwd", O_RDONLY);
    try_open("../../../../../../../../../etc/passwd", O_RDONLY);
    try_open("../../wasi-escape-probe-w", O_CREAT | O_WRONLY);
    control("chdir /sandbox", chdir("/sandbox") == 0);

    // Symlinks created inside the sandbox that point outside of it. Following
    // them must fail; stat() follows a final symlink too. If the host refuses
    // to create a link, the probes through it are reported as blocked.
    make_symlink("/etc", "/sandbox/etc-link");
    try_open("/sandbox/etc-link/passwd", O_RDONLY);
    try_opendir("/sandbox/etc-link");
    try_stat("/sandbox/etc-link");
    try_stat("/sandbox/etc-link/passwd");
    make_symlink("../..", "/sandbox/up-link");
    try_opendir("/sandbox/up-link");
    try_open("/sandbox/up-link/etc/passwd", O_RDONLY);
    try_open("/sandbox/up-link/wasi-escape-probe-v", O_CREAT | O_WRONLY);
    try_stat("/sandbox/up-link");
    try_stat("/sandbox/up-link/etc/passwd");
    make_symlink("../..", "/sandbox/sub/grand-link");  // sub/../.. = parent of /sandbox
    try_opendir("/sandbox/sub/grand-link");
    try_open("/sandbox/sub/grand-link/wasi-escape-probe-u", O_CREAT | O_WRONLY);
    try_stat("/sandbox/sub/grand-link");
    make_symlink("../../../../../../../etc/passwd", "/sandbox/sub/rel-passwd-link");
    try_open("/sandbox/sub/rel-passwd-link", O_RDONLY);
    try_open("/sandbox/sub/rel-passwd-link", O_WRONLY | O_APPEND);
    try_stat("/sandbox/sub/rel-passwd-link");
    make_symlink("/sandbox/../../../../etc/passwd", "/sandbox/abs-dotdot-link");
    try_open("/sandbox/abs-dotdot-link", O_RDONLY);
    try_stat("/sandbox/abs-dotdot-link");
    // Dangling symlinks: O_CREAT through them would create a file outside.
    make_symlink("../wasi-escape-probe-t", "/sandbox/dangling-rel-link");
    try_open("/sandbox/dangling-rel-link", O_CREAT | O_WRONLY);
    make_symlink("/tmp/wasi-escape-probe-s", "/sandbox/dangling-abs-link");
    try_open("/sandbox/dangling-abs-link", O_CREAT | O_WRONLY);
    link_refused = 0;

    // Symlinks that stay inside must still work (if the host creates symlinks).
    if (symlink("inside.txt", "/sandbox/sub/inside-link") == 0) {
        fd = open("/sandbox/sub/inside-link", O_RDONLY);
        printf("info: open through sub/inside-link -> inside.txt: %s\n", fd >= 0 ? "works" : errno_name(errno));
        if (fd >= 0) close(fd);
    } else {
        printf("info: symlink sub/inside-link -> inside.txt refused errno=%s\n", errno_name(errno));
    }
    if (symlink("..", "/sandbox/sub/parent-link") == 0) {
        fd = open("/sandbox/sub/parent-link/outside-probe", O_RDONLY);
        printf("info: open through sub/parent-link -> ..: %s\n", fd >= 0 ? "works" : errno_name(errno));
        if (fd >= 0) close(fd);
    } else {
        printf("info: symlink sub/parent-link -> .. refused errno=%s\n", errno_name(errno));
    }

    printf("%d escaped, %d control failures\n", escaped, control_failures);
    return escaped == 0 && control_failures == 0 ? 0 : 1;
}
