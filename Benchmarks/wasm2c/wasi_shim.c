/* The wasi_snapshot_preview1 functions that the benchmark workloads import (as compiled by
 * `zig cc --target=wasm32-wasi`): fd_write, fd_seek, fd_fdstat_get, fd_close, proc_exit.
 *
 * Only the standard streams exist (fds 0, 1, 2, mapped to the host's); any other fd is EBADF.
 * Every guest pointer/length is bounds-checked against the current size of linear memory before
 * it is touched (EFAULT otherwise), and all guest values are read and written little-endian
 * byte by byte, so the shim never reads or writes outside the guest memory whatever the guest
 * passes.
 */
#include "wasi_shim.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct w2c_wasi__snapshot__preview1 wasi_ctx;

/* WASI errno values (wasi_snapshot_preview1) */
enum {
    WASI_ESUCCESS = 0,
    WASI_EBADF = 8,
    WASI_EFAULT = 21,
    WASI_EINVAL = 28,
    WASI_EIO = 29,
    WASI_ENOSPC = 51,
    WASI_ESPIPE = 70,
};

/* WASI filetype values */
enum {
    WASI_FILETYPE_UNKNOWN = 0,
    WASI_FILETYPE_BLOCK_DEVICE = 1,
    WASI_FILETYPE_CHARACTER_DEVICE = 2,
    WASI_FILETYPE_DIRECTORY = 3,
    WASI_FILETYPE_REGULAR_FILE = 4,
    WASI_FILETYPE_SOCKET_STREAM = 6,
};

/* WASI rights bits */
#define WASI_RIGHT_FD_DATASYNC (1ull << 0)
#define WASI_RIGHT_FD_READ (1ull << 1)
#define WASI_RIGHT_FD_SEEK (1ull << 2)
#define WASI_RIGHT_FD_FDSTAT_SET_FLAGS (1ull << 3)
#define WASI_RIGHT_FD_SYNC (1ull << 4)
#define WASI_RIGHT_FD_TELL (1ull << 5)
#define WASI_RIGHT_FD_WRITE (1ull << 6)
#define WASI_RIGHT_FD_FILESTAT_GET (1ull << 21)
#define WASI_RIGHT_POLL_FD_READWRITE (1ull << 27)

#define NUM_STDIO 3
static int stdio_closed[NUM_STDIO];

static int fd_is_open(uint32_t fd) { return fd < NUM_STDIO && !stdio_closed[fd]; }

/* true if [ptr, ptr+len) lies inside the guest memory */
static int in_bounds(const wasi_ctx *ctx, uint64_t ptr, uint64_t len) {
    const wasm_rt_memory_t *m = ctx->memory;
    return m != NULL && ptr <= m->size && len <= m->size - ptr;
}

static uint32_t load_u32(const wasi_ctx *ctx, uint32_t ptr) { /* caller checked bounds */
    const uint8_t *p = ctx->memory->data + ptr;
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void store_bytes_le(wasi_ctx *ctx, uint32_t ptr, uint64_t value, int n) {
    uint8_t *p = ctx->memory->data + ptr;
    for (int i = 0; i < n; i++) p[i] = (uint8_t)(value >> (8 * i));
}

static uint32_t errno_to_wasi(int e) {
    switch (e) {
    case EBADF: return WASI_EBADF;
    case EINVAL: return WASI_EINVAL;
    case ESPIPE: return WASI_ESPIPE;
    case ENOSPC: return WASI_ENOSPC;
    default: return WASI_EIO;
    }
}

/* fd_write(fd, iovs: *ciovec, iovs_len, nwritten: *size) -> errno */
uint32_t w2c_wasi__snapshot__preview1_fd_write(wasi_ctx *ctx, uint32_t fd, uint32_t iovs,
                                               uint32_t iovs_len, uint32_t nwritten_ptr) {
    if (fd == 0 || !fd_is_open(fd)) return WASI_EBADF;
    if (!in_bounds(ctx, iovs, (uint64_t)iovs_len * 8) || !in_bounds(ctx, nwritten_ptr, 4))
        return WASI_EFAULT;
    /* validate every iovec before writing anything */
    uint64_t total = 0;
    for (uint32_t i = 0; i < iovs_len; i++) {
        uint32_t buf = load_u32(ctx, iovs + 8 * i), len = load_u32(ctx, iovs + 8 * i + 4);
        if (!in_bounds(ctx, buf, len)) return WASI_EFAULT;
        total += len;
    }
    if (total > UINT32_MAX) return WASI_EINVAL;
    uint64_t written = 0;
    for (uint32_t i = 0; i < iovs_len; i++) {
        uint32_t buf = load_u32(ctx, iovs + 8 * i), len = load_u32(ctx, iovs + 8 * i + 4);
        const uint8_t *p = ctx->memory->data + buf;
        while (len > 0) {
            ssize_t n = write((int)fd, p, len);
            if (n < 0) {
                if (errno == EINTR) continue;
                if (written > 0) goto done; /* report the partial write */
                return errno_to_wasi(errno);
            }
            p += n;
            len -= (uint32_t)n;
            written += (uint64_t)n;
        }
    }
done:
    store_bytes_le(ctx, nwritten_ptr, written, 4);
    return WASI_ESUCCESS;
}

/* fd_seek(fd, offset: s64, whence: u8, newoffset: *u64) -> errno; whence: 0 set, 1 cur, 2 end */
uint32_t w2c_wasi__snapshot__preview1_fd_seek(wasi_ctx *ctx, uint32_t fd, uint64_t offset,
                                              uint32_t whence, uint32_t newoffset_ptr) {
    if (!fd_is_open(fd)) return WASI_EBADF;
    if (!in_bounds(ctx, newoffset_ptr, 8)) return WASI_EFAULT;
    int how;
    switch (whence) {
    case 0: how = SEEK_SET; break;
    case 1: how = SEEK_CUR; break;
    case 2: how = SEEK_END; break;
    default: return WASI_EINVAL;
    }
    off_t r = lseek((int)fd, (off_t)(int64_t)offset, how); /* ESPIPE for ttys and pipes */
    if (r < 0) return errno_to_wasi(errno);
    store_bytes_le(ctx, newoffset_ptr, (uint64_t)r, 8);
    return WASI_ESUCCESS;
}

/* fd_fdstat_get(fd, buf: *fdstat) -> errno. fdstat (24 bytes): u8 filetype @0, u16 flags @2,
   u64 rights_base @8, u64 rights_inheriting @16. wasi-libc's isatty() wants a character device
   without the seek/tell rights. */
uint32_t w2c_wasi__snapshot__preview1_fd_fdstat_get(wasi_ctx *ctx, uint32_t fd, uint32_t buf) {
    if (!fd_is_open(fd)) return WASI_EBADF;
    if (!in_bounds(ctx, buf, 24)) return WASI_EFAULT;
    struct stat st;
    if (fstat((int)fd, &st) != 0) return errno_to_wasi(errno);
    uint8_t type = WASI_FILETYPE_UNKNOWN;
    uint64_t rights = (fd == 0 ? WASI_RIGHT_FD_READ : WASI_RIGHT_FD_WRITE) |
                      WASI_RIGHT_FD_FDSTAT_SET_FLAGS | WASI_RIGHT_FD_FILESTAT_GET |
                      WASI_RIGHT_POLL_FD_READWRITE;
    if (S_ISCHR(st.st_mode)) type = WASI_FILETYPE_CHARACTER_DEVICE;
    else if (S_ISBLK(st.st_mode)) type = WASI_FILETYPE_BLOCK_DEVICE;
    else if (S_ISDIR(st.st_mode)) type = WASI_FILETYPE_DIRECTORY;
    else if (S_ISSOCK(st.st_mode)) type = WASI_FILETYPE_SOCKET_STREAM;
    else if (S_ISREG(st.st_mode)) {
        type = WASI_FILETYPE_REGULAR_FILE;
        rights |= WASI_RIGHT_FD_SEEK | WASI_RIGHT_FD_TELL | WASI_RIGHT_FD_DATASYNC | WASI_RIGHT_FD_SYNC;
    }
    memset(ctx->memory->data + buf, 0, 24);
    store_bytes_le(ctx, buf, type, 1);
    store_bytes_le(ctx, buf + 2, 0, 2); /* fdflags: none */
    store_bytes_le(ctx, buf + 8, rights, 8);
    store_bytes_le(ctx, buf + 16, 0, 8);
    return WASI_ESUCCESS;
}

/* fd_close(fd) -> errno. The host's descriptor stays open (the harness owns it); the guest's
   fd becomes invalid. */
uint32_t w2c_wasi__snapshot__preview1_fd_close(wasi_ctx *ctx, uint32_t fd) {
    (void)ctx;
    if (!fd_is_open(fd)) return WASI_EBADF;
    stdio_closed[fd] = 1;
    return WASI_ESUCCESS;
}

/* proc_exit(code): ends the process with that status; nothing is buffered on our side */
void w2c_wasi__snapshot__preview1_proc_exit(wasi_ctx *ctx, uint32_t code) {
    (void)ctx;
    exit((int)code);
}
