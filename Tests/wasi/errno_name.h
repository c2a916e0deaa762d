// Symbolic errno names for the WASI test programs, so that output never
// depends on strerror() texts or on numeric errno values.
#ifndef WASI_TEST_ERRNO_NAME_H
#define WASI_TEST_ERRNO_NAME_H
#include <errno.h>
#include <stdio.h>

static const char *errno_name(int e) {
    switch (e) {
    case 0: return "0";
#ifdef ENOTCAPABLE
    case ENOTCAPABLE: return "ENOTCAPABLE";
#endif
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EEXIST: return "EEXIST";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case ENOTEMPTY: return "ENOTEMPTY";
    case EBADF: return "EBADF";
    case ELOOP: return "ELOOP";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case EXDEV: return "EXDEV";
    case EIO: return "EIO";
    case ENOSYS: return "ENOSYS";
    case ENOTSUP: return "ENOTSUP";
    case ESPIPE: return "ESPIPE";
    case EROFS: return "EROFS";
    case EBUSY: return "EBUSY";
    case EFBIG: return "EFBIG";
    case ENOSPC: return "ENOSPC";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case EFAULT: return "EFAULT";
    case EAGAIN: return "EAGAIN";
    case EINTR: return "EINTR";
    case ENOMEM: return "ENOMEM";
    case EOVERFLOW: return "EOVERFLOW";
    case ERANGE: return "ERANGE";
    default: {
        static char unknown[24];
        snprintf(unknown, sizeof unknown, "E%d", e);
        return unknown;
    }
    }
}
#endif
