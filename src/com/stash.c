/*
 * Staging (IFileSystemImage::StageFiles, WorkingDirectory): with StageFiles TRUE, a file's data is
 * copied at add time into the image's stash file in the working directory, so the image holds the
 * data as it was then. One stash file per image, appended to; each staged file is an engine
 * source over a range of it. The file is opened with FILE_FLAG_DELETE_ON_CLOSE and reference
 * counted by the image and every staged source: it disappears when the last user goes.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "private.h"
#include <stdlib.h>

struct fsi_stash {
    LONG refs;
    CRITICAL_SECTION cs;            /* one file pointer: reads and appends are serialised */
    HANDLE file;
    uint64_t size;                  /* bytes appended so far */
    WCHAR path[MAX_PATH];
};

void fsi_stash_ref(fsi_stash *s) { InterlockedIncrement(&s->refs); }

void fsi_stash_unref(fsi_stash *s)
{
    if (s && !InterlockedDecrement(&s->refs)) {
        CloseHandle(s->file);                   /* deletes the file (FILE_FLAG_DELETE_ON_CLOSE) */
        DeleteFileW(s->path);                   /* ... which Wine forgets after a move */
        DeleteCriticalSection(&s->cs);
        free(s);
    }
}

HRESULT fsi_stash_create(const WCHAR *dir, fsi_stash **out)
{
    fsi_stash *s = calloc(1, sizeof(*s));
    *out = NULL;
    if (!s) return E_OUTOFMEMORY;
    if (!GetTempFileNameW(dir, L"fsi", 0, s->path)) {
        free(s);
        return fsi_error(IMAPI_E_STASHFILE_OPEN_FAILURE, &IID_IFileSystemImage, dir, NULL);
    }
    s->file = CreateFileW(s->path, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_DELETE, NULL,
                          CREATE_ALWAYS, FILE_ATTRIBUTE_TEMPORARY | FILE_FLAG_DELETE_ON_CLOSE, NULL);
    if (s->file == INVALID_HANDLE_VALUE) {
        DeleteFileW(s->path);
        free(s);
        return fsi_error(IMAPI_E_STASHFILE_OPEN_FAILURE, &IID_IFileSystemImage, dir, NULL);
    }
    InitializeCriticalSection(&s->cs);
    s->refs = 1;
    *out = s;
    return S_OK;
}

const WCHAR *fsi_stash_path(const fsi_stash *s) { return s->path; }

/* ---- a staged file: a range of the stash --------------------------------------------------- */

typedef struct staged_source {
    fsi_source base;
    fsi_stash *stash;
    uint64_t offset, size;
} staged_source;

static fsi_status staged_open(fsi_source *src, void **handle)
{
    *handle = src;
    return FSI_OK;
}

static fsi_status staged_read(fsi_source *src, void *handle, uint64_t off, void *buf, size_t len, size_t *got)
{
    staged_source *st = (staged_source *)src;
    fsi_stash *s = st->stash;
    fsi_status status = FSI_OK;
    LARGE_INTEGER pos;
    size_t total = 0;

    /* The range ends where the next staged file begins. */
    if (off >= st->size) len = 0;
    else if (len > st->size - off) len = (size_t)(st->size - off);
    EnterCriticalSection(&s->cs);
    pos.QuadPart = (LONGLONG)(st->offset + off);
    if (!SetFilePointerEx(s->file, pos, NULL, FILE_BEGIN)) status = FSI_E_READ;
    while (status == FSI_OK && total < len) {
        DWORD chunk = len - total > 0x40000000 ? 0x40000000 : (DWORD)(len - total), n = 0;
        if (!ReadFile(s->file, (char *)buf + total, chunk, &n, NULL)) status = FSI_E_READ;
        else if (!n) break;
        total += n;
    }
    LeaveCriticalSection(&s->cs);
    *got = total;
    return status;
}

static void staged_close(fsi_source *src, void *handle)
{
}

static void staged_destroy(fsi_source *src)
{
    staged_source *st = (staged_source *)src;
    fsi_stash_unref(st->stash);
    free(st);
}

static const fsi_source_ops staged_ops = { staged_open, staged_read, staged_close, staged_destroy };

/* Copy everything src yields (read through its ops, from offset 0) to the end of the stash and
 * return a source over that copy with its size. what: the item's path, for error texts.
 * progress (may be NULL) is called with the bytes copied: at 0 and after each 1 MiB chunk. It is
 * called with the stash lock held; it must not stage. */
HRESULT fsi_stash_add(fsi_stash *s, fsi_source *src, const WCHAR *what, fsi_source **out, uint64_t *size,
                      fsi_stash_progress progress, void *ctx)
{
    static const size_t chunk = 1 << 20;
    staged_source *st;
    void *handle = NULL;
    char *buf;
    uint64_t start, copied = 0;
    HRESULT hr = S_OK;
    LARGE_INTEGER pos;

    *out = NULL;
    if (!(buf = malloc(chunk))) return E_OUTOFMEMORY;
    if (!(st = calloc(1, sizeof(*st)))) {
        free(buf);
        return E_OUTOFMEMORY;
    }
    if (src->ops->open(src, &handle) != FSI_OK) {
        free(buf);
        free(st);
        return fsi_error(IMAPI_E_DATA_STREAM_READ_FAILURE, &IID_IFsiDirectoryItem, what, NULL);
    }
    EnterCriticalSection(&s->cs);
    start = s->size;
    pos.QuadPart = (LONGLONG)start;
    if (!SetFilePointerEx(s->file, pos, NULL, FILE_BEGIN))
        hr = fsi_error(IMAPI_E_STASHFILE_SEEK_FAILURE, &IID_IFsiDirectoryItem, s->path, NULL);
    if (progress) progress(ctx, 0);
    while (SUCCEEDED(hr)) {
        size_t got = 0;
        DWORD written = 0;
        if (src->ops->read(src, handle, copied, buf, chunk, &got) != FSI_OK) {
            hr = fsi_error(IMAPI_E_DATA_STREAM_READ_FAILURE, &IID_IFsiDirectoryItem, what, NULL);
            break;
        }
        if (!got) break;
        if (!WriteFile(s->file, buf, (DWORD)got, &written, NULL) || written != got) {
            hr = fsi_error(IMAPI_E_STASHFILE_WRITE_FAILURE, &IID_IFsiDirectoryItem, s->path, NULL);
            break;
        }
        copied += got;
        if (progress) progress(ctx, copied);
    }
    if (SUCCEEDED(hr)) s->size = start + copied;
    else {
        /* Leave no partial copy behind: the next file starts where this one did. */
        SetFilePointerEx(s->file, pos, NULL, FILE_BEGIN);
        SetEndOfFile(s->file);
    }
    LeaveCriticalSection(&s->cs);
    src->ops->close(src, handle);
    free(buf);
    if (FAILED(hr)) {
        free(st);
        return hr;
    }
    st->base.ops = &staged_ops;
    st->base.refs = 1;
    st->stash = s;
    st->offset = start;
    st->size = copied;
    fsi_stash_ref(s);
    *out = &st->base;
    *size = copied;
    return S_OK;
}

/* WorkingDirectory changed: move the stash file there (IMAPI_E_STASHFILE_MOVE on failure). */
HRESULT fsi_stash_move(fsi_stash *s, const WCHAR *dir)
{
    WCHAR target[MAX_PATH];
    const WCHAR *name = wcsrchr(s->path, '\\');
    HRESULT hr = S_OK;
    name = name ? name + 1 : s->path;
    if (swprintf(target, MAX_PATH, L"%ls%ls%ls", dir, dir[0] && dir[lstrlenW(dir) - 1] == '\\' ? L"" : L"\\", name) < 0)
        return fsi_error(IMAPI_E_STASHFILE_MOVE, &IID_IFileSystemImage, dir, NULL);
    EnterCriticalSection(&s->cs);
    if (MoveFileExW(s->path, target, MOVEFILE_REPLACE_EXISTING)) lstrcpynW(s->path, target, MAX_PATH);
    else hr = fsi_error(IMAPI_E_STASHFILE_MOVE, &IID_IFileSystemImage, dir, NULL);
    LeaveCriticalSection(&s->cs);
    return hr;
}
