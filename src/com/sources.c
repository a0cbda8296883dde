/*
 * Engine data sources over Win32: a file by path (AddTree) and a caller's IStream (AddFile).
 * The file is opened only when the image stream reaches its data and closed right after.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "private.h"
#include <stdlib.h>

/* ---- file by path ------------------------------------------------------------------------- */

typedef struct path_source {
    fsi_source base;
    WCHAR path[1];                      /* NUL-terminated, allocated with the struct */
} path_source;

/* An open file and where its file pointer is: reads are sequential in practice, and a plain
 * ReadFile is much cheaper than one with an OVERLAPPED offset (under Wine, about half the cost). */
typedef struct path_handle {
    HANDLE h;
    uint64_t pos;
} path_handle;

static fsi_status path_open(fsi_source *src, void **handle)
{
    path_source *s = (path_source *)src;
    path_handle *ph = malloc(sizeof(*ph));
    if (!ph) return FSI_E_NOMEM;
    ph->h = CreateFileW(s->path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                        NULL, OPEN_EXISTING, FILE_FLAG_SEQUENTIAL_SCAN, NULL);
    if (ph->h == INVALID_HANDLE_VALUE) {
        free(ph);
        return FSI_E_READ;
    }
    ph->pos = 0;
    *handle = ph;
    return FSI_OK;
}

static fsi_status path_read(fsi_source *src, void *handle, uint64_t off, void *buf, size_t len, size_t *got)
{
    path_handle *ph = handle;
    size_t total = 0;

    *got = 0;
    if (off != ph->pos) {
        LARGE_INTEGER to;
        to.QuadPart = (LONGLONG)off;
        if (!SetFilePointerEx(ph->h, to, NULL, FILE_BEGIN)) return FSI_E_READ;
        ph->pos = off;
    }
    while (total < len) {
        DWORD chunk = len - total > 0x40000000 ? 0x40000000 : (DWORD)(len - total), n = 0;
        if (!ReadFile(ph->h, (char *)buf + total, chunk, &n, NULL)) {
            ph->pos = (uint64_t)-1;             /* unknown: seek before the next read */
            *got = total;
            return FSI_E_READ;
        }
        if (!n) break;
        total += n;
        ph->pos += n;
    }
    *got = total;
    return FSI_OK;
}

static void path_close(fsi_source *src, void *handle)
{
    path_handle *ph = handle;
    CloseHandle(ph->h);
    free(ph);
}

static void path_destroy(fsi_source *src)
{
    free(src);
}

static const fsi_source_ops path_ops = { path_open, path_read, path_close, path_destroy };

fsi_source *fsi_source_new_win32_path(const WCHAR *path)
{
    size_t len = lstrlenW(path);
    path_source *s = malloc(sizeof(*s) + len * sizeof(WCHAR));
    if (!s) return NULL;
    s->base.ops = &path_ops;
    s->base.refs = 1;
    memcpy(s->path, path, (len + 1) * sizeof(WCHAR));
    return &s->base;
}

/* ---- caller's IStream ----------------------------------------------------------------------- */
/* One IStream has one seek pointer: reads are serialised and always seek first. */

typedef struct stream_source {
    fsi_source base;
    IStream *stream;
    CRITICAL_SECTION cs;
} stream_source;

static fsi_status stream_open(fsi_source *src, void **handle)
{
    *handle = src;
    return FSI_OK;
}

static fsi_status stream_read(fsi_source *src, void *handle, uint64_t off, void *buf, size_t len, size_t *got)
{
    stream_source *s = (stream_source *)src;
    fsi_status st = FSI_OK;
    LARGE_INTEGER pos;
    size_t total = 0;

    EnterCriticalSection(&s->cs);
    pos.QuadPart = (LONGLONG)off;
    if (FAILED(IStream_Seek(s->stream, pos, STREAM_SEEK_SET, NULL))) st = FSI_E_READ;
    while (st == FSI_OK && total < len) {
        ULONG chunk = len - total > 0x10000000 ? 0x10000000 : (ULONG)(len - total), n = 0;
        HRESULT hr = IStream_Read(s->stream, (char *)buf + total, chunk, &n);
        if (FAILED(hr)) { st = FSI_E_READ; break; }
        total += n;
        if (!n) break;                  /* end of stream */
    }
    LeaveCriticalSection(&s->cs);
    *got = total;
    return st;
}

static void stream_close(fsi_source *src, void *handle)
{
}

static void stream_destroy(fsi_source *src)
{
    stream_source *s = (stream_source *)src;
    IStream_Release(s->stream);
    DeleteCriticalSection(&s->cs);
    free(s);
}

static const fsi_source_ops stream_ops = { stream_open, stream_read, stream_close, stream_destroy };

fsi_source *fsi_source_new_istream(IStream *stream)
{
    stream_source *s = malloc(sizeof(*s));
    if (!s) return NULL;
    s->base.ops = &stream_ops;
    s->base.refs = 1;
    s->stream = stream;
    IStream_AddRef(stream);
    InitializeCriticalSection(&s->cs);
    return &s->base;
}
