/*
 * Data sources: reference counting, memory sources and file (path) sources.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#if !defined(_WIN32) && !defined(_FILE_OFFSET_BITS)
#define _FILE_OFFSET_BITS 64
#endif
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include "fsi_internal.h"

#include <stdio.h>
#ifdef _WIN32
#include <wchar.h>
#else
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

void fsi_source_ref(fsi_source *src)
{
    if (src)
        __atomic_add_fetch(&src->refs, 1, __ATOMIC_RELAXED);
}

void fsi_source_unref(fsi_source *src)
{
    if (src && __atomic_sub_fetch(&src->refs, 1, __ATOMIC_ACQ_REL) == 0)
        src->ops->destroy(src);
}

/* ---- memory ---------------------------------------------------------------------------------- */

typedef struct mem_source {
    fsi_source base;
    const uint8_t *data;
    size_t size;
    void *owned;                            /* freed with the source (fsi_source_new_memory_owned) */
} mem_source;

static fsi_status mem_open(fsi_source *src, void **handle)
{
    (void)src;
    *handle = NULL;
    return FSI_OK;
}

static fsi_status mem_read(fsi_source *src, void *handle, uint64_t off, void *buf, size_t len, size_t *got)
{
    (void)handle;
    mem_source *m = (mem_source *)src;
    if (off >= m->size) {
        *got = 0;
        return FSI_OK;
    }
    size_t n = m->size - (size_t)off;
    if (n > len)
        n = len;
    memcpy(buf, m->data + off, n);
    *got = n;
    return FSI_OK;
}

static void mem_close(fsi_source *src, void *handle) { (void)src; (void)handle; }
static void mem_destroy(fsi_source *src)
{
    free(((mem_source *)src)->owned);
    free(src);
}

static const fsi_source_ops mem_ops = { mem_open, mem_read, mem_close, mem_destroy };

fsi_source *fsi_source_new_memory(const void *data, size_t size)
{
    mem_source *m = calloc(1, sizeof *m);         /* owned: NULL */
    if (!m)
        return NULL;
    m->base.ops = &mem_ops;
    m->base.refs = 1;
    m->data = data;
    m->size = size;
    return &m->base;
}

fsi_source *fsi_source_new_memory_owned(void *data, size_t size)
{
    fsi_source *src = fsi_source_new_memory(data, size);
    if (src)
        ((mem_source *)src)->owned = data;
    return src;
}

/* ---- path ------------------------------------------------------------------------------------ */

typedef struct path_source {
    fsi_source base;
    char path[];
} path_source;

#ifdef _WIN32
/* MinGW: stdio with 64-bit seeks, UTF-8 path converted for _wfopen. */
typedef struct path_handle {
    FILE *f;
    uint64_t pos;
} path_handle;

static fsi_status path_open(fsi_source *src, void **handle)
{
    path_source *ps = (path_source *)src;
    size_t n = strlen(ps->path);
    wchar_t *w = malloc((n + 1) * sizeof *w);
    if (!w)
        return FSI_E_NOMEM;
    if (fsi_utf8_to_utf16(ps->path, n, (uint16_t *)w, n + 1) == (size_t)-1) {
        free(w);
        return FSI_E_READ;
    }
    FILE *f = _wfopen(w, L"rb");
    free(w);
    if (!f)
        return FSI_E_READ;
    path_handle *h = malloc(sizeof *h);
    if (!h) {
        fclose(f);
        return FSI_E_NOMEM;
    }
    h->f = f;
    h->pos = 0;
    *handle = h;
    return FSI_OK;
}

static fsi_status path_read(fsi_source *src, void *handle, uint64_t off, void *buf, size_t len, size_t *got)
{
    (void)src;
    path_handle *h = handle;
    *got = 0;
    if (h->pos != off) {
        if (_fseeki64(h->f, (long long)off, SEEK_SET) != 0)
            return FSI_E_READ;
        h->pos = off;
    }
    size_t n = fread(buf, 1, len, h->f);
    h->pos += n;
    *got = n;
    if (n < len && ferror(h->f))
        return FSI_E_READ;
    return FSI_OK;
}

static void path_close(fsi_source *src, void *handle)
{
    (void)src;
    path_handle *h = handle;
    fclose(h->f);
    free(h);
}
#else
static fsi_status path_open(fsi_source *src, void **handle)
{
    path_source *ps = (path_source *)src;
    int fd;
    struct stat sb;
    /* O_NONBLOCK: a FIFO put where the file was must fail, not wait for a writer */
    do
        fd = open(ps->path, O_RDONLY | O_NONBLOCK);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return FSI_E_READ;
    if (fstat(fd, &sb) != 0 || S_ISFIFO(sb.st_mode) || S_ISSOCK(sb.st_mode) ||
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0) {
        close(fd);
        return FSI_E_READ;
    }
    *handle = (void *)(intptr_t)(fd + 1);
    return FSI_OK;
}

static fsi_status path_read(fsi_source *src, void *handle, uint64_t off, void *buf, size_t len, size_t *got)
{
    (void)src;
    int fd = (int)((intptr_t)handle - 1);
    size_t done = 0;
    while (done < len) {
        size_t chunk = len - done;
        if (chunk > ((size_t)1 << 30))
            chunk = (size_t)1 << 30;
        ssize_t r = pread(fd, (char *)buf + done, chunk, (off_t)(off + done));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            *got = done;
            return FSI_E_READ;
        }
        if (r == 0)
            break;
        done += (size_t)r;
    }
    *got = done;
    return FSI_OK;
}

static void path_close(fsi_source *src, void *handle)
{
    (void)src;
    close((int)((intptr_t)handle - 1));
}
#endif

static void path_destroy(fsi_source *src) { free(src); }

static const fsi_source_ops path_ops = { path_open, path_read, path_close, path_destroy };

fsi_source *fsi_source_new_path(const char *path)
{
    if (!path)
        return NULL;
    size_t n = strlen(path);
    path_source *ps = malloc(sizeof *ps + n + 1);
    if (!ps)
        return NULL;
    ps->base.ops = &path_ops;
    ps->base.refs = 1;
    memcpy(ps->path, path, n + 1);
    return &ps->base;
}
