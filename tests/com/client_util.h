/*
 * Shared by the C clients of tests/com (test_result.c, test_progress.c, test_events.c): checks,
 * a source folder with files of awkward sizes, and the ways clients copy the image stream.
 * Written against include/ and the widl header, as an SDK client is.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef CLIENT_UTIL_H
#define CLIENT_UTIL_H

#define COBJMACROS
#include <windows.h>
#include <ole2.h>
#include <olectl.h>
#include <shlwapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include "imapi2fs.h"
#include "imapi2fserror.h"

static LONG failures, checks;

#define CHECK(cond, ...) do { InterlockedIncrement(&checks); if (!(cond)) { InterlockedIncrement(&failures); \
    printf("not ok - " __VA_ARGS__); printf(" (line %d)\n", __LINE__); fflush(stdout); } } while (0)
#define CHECK_HR(expr, want) do { HRESULT hr_ = (expr); InterlockedIncrement(&checks); if (hr_ != (HRESULT)(want)) { \
    InterlockedIncrement(&failures); printf("not ok - %s: 0x%08lx, want 0x%08lx (line %d)\n", #expr, \
    (unsigned long)hr_, (unsigned long)(want), __LINE__); fflush(stdout); } } while (0)

static inline int report(void)
{
    printf("%ld passed, %ld failed\n", checks - failures, failures);
    return failures != 0;
}

static BSTR B(const WCHAR *s) { return SysAllocString(s); }

/* ---- the source folder ------------------------------------------------------------------------ */

typedef struct src_file {
    const WCHAR *path;              /* relative to the folder; also the image path after a leading '\' */
    size_t size;
    char *data;
} src_file;

/* Sizes around block boundaries, one file over 3 MiB (several "every megabyte" events), an empty
 * file (no blocks, no events), names outside ASCII, deep folders. */
static src_file tree_files[] = {
    { L"a.txt", 6, NULL },
    { L"b.bin", 70000, NULL },
    { L"empty", 0, NULL },
    { L"sub\\exact.bin", 2048, NULL },
    { L"sub\\odd.bin", 2049, NULL },
    { L"sub\\one.bin", 1, NULL },
    { L"sub\\deep\\x\\y\\big.bin", 3 * 1048576 + 1000, NULL },
    { L"sub\\\x00fcn\x00ef \x00a9.txt", 300, NULL },
    { L"z\\last.bin", 4095, NULL },
};
#define TREE_FILES (sizeof(tree_files) / sizeof(tree_files[0]))

static unsigned char content_byte(size_t file, size_t i)
{
    unsigned x = (unsigned)(file * 2654435761u) ^ (unsigned)(i * 40503u) ^ (unsigned)(i >> 11);
    return (unsigned char)(x ^ (x >> 7) ^ (x >> 15));
}

static void write_file(const WCHAR *path, const char *data, size_t len)
{
    HANDLE h = CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    DWORD w = 0;
    if (h == INVALID_HANDLE_VALUE) { printf("not ok - cannot create %ls\n", path); failures++; return; }
    if (len) WriteFile(h, data, (DWORD)len, &w, NULL);
    CloseHandle(h);
}

/* Make the folder (a fresh temp directory, its path in dir) with tree_files in it. */
static inline void make_tree(WCHAR dir[MAX_PATH], const WCHAR *tag)
{
    WCHAR tmp[MAX_PATH], path[MAX_PATH];
    GetTempPathW(MAX_PATH, tmp);
    swprintf(dir, MAX_PATH, L"%lsfsi-%ls-%lu", tmp, tag, GetCurrentProcessId());
    CreateDirectoryW(dir, NULL);
    for (size_t f = 0; f < TREE_FILES; f++) {
        src_file *s = &tree_files[f];
        if (!s->data) {
            s->data = malloc(s->size ? s->size : 1);
            for (size_t i = 0; i < s->size; i++) s->data[i] = (char)content_byte(f, i);
        }
        /* the folders on the way */
        for (const WCHAR *p = s->path; (p = wcschr(p, '\\')); p++) {
            swprintf(path, MAX_PATH, L"%ls\\%.*ls", dir, (int)(p - s->path), s->path);
            CreateDirectoryW(path, NULL);
        }
        swprintf(path, MAX_PATH, L"%ls\\%ls", dir, s->path);
        write_file(path, s->data, s->size);
    }
}

static inline void remove_tree(const WCHAR *dir)
{
    WCHAR from[MAX_PATH + 2] = { 0 };
    SHFILEOPSTRUCTW op = { 0 };
    wcsncpy(from, dir, MAX_PATH);
    op.wFunc = FO_DELETE;
    op.pFrom = from;                /* double NUL terminated */
    op.fFlags = FOF_NO_UI;
    SHFileOperationW(&op);
}

static inline IFileSystemImage *new_image(void)
{
    IFileSystemImage *image = NULL;
    CHECK_HR(CoCreateInstance(&CLSID_MsftFileSystemImage, NULL, CLSCTX_INPROC_SERVER, &IID_IFileSystemImage,
                              (void **)&image), S_OK);
    if (!image) { report(); exit(1); }
    /* what these tests were written for (a fresh image has Windows' 7 and level 1: test_observed) */
    IFileSystemImage_put_FreeMediaBlocks(image, 0);
    IFileSystemImage_put_FileSystemsToCreate(image, FsiFileSystemISO9660 | FsiFileSystemJoliet);
    IFileSystemImage_put_ISO9660InterchangeLevel(image, 2);
    return image;
}

/* An image of the folder (AddTree without the base folder). */
static inline IFileSystemImage *image_of_tree(const WCHAR *dir)
{
    IFileSystemImage *image = new_image();
    IFsiDirectoryItem *root;
    BSTR s;
    CHECK_HR(IFileSystemImage_get_Root(image, &root), S_OK);
    CHECK_HR(IFsiDirectoryItem_AddTree(root, s = B(dir), VARIANT_FALSE), S_OK);
    SysFreeString(s);
    IFsiDirectoryItem_Release(root);
    return image;
}

static inline void check_error_text(const WCHAR *needle, const char *what)
{
    IErrorInfo *ei = NULL;
    BSTR desc = NULL;
    InterlockedIncrement(&checks);
    if (GetErrorInfo(0, &ei) != S_OK || !ei) { failures++; printf("not ok - %s: no IErrorInfo\n", what); return; }
    IErrorInfo_GetDescription(ei, &desc);
    IErrorInfo_Release(ei);
    if (!desc || !wcsstr(desc, needle)) { failures++; printf("not ok - %s: description '%ls'\n", what, desc ? desc : L"(null)"); }
    SysFreeString(desc);
}

/* ---- the ways clients copy the image ---------------------------------------------------------- */

static inline void seek_to(IStream *s, LONGLONG pos)
{
    LARGE_INTEGER li;
    li.QuadPart = pos;
    IStream_Seek(s, li, STREAM_SEEK_SET, NULL);
}

/* Read(buf, 2048) exactly TotalBlocks times, never retrying (New-IsoFile). */
static inline char *copy_by_blocks(IStream *s, LONG blocks)
{
    char *buf = malloc((size_t)blocks * 2048 + 1);
    seek_to(s, 0);
    for (LONG i = 0; i < blocks; i++) {
        ULONG n = 0;
        HRESULT hr = IStream_Read(s, buf + (size_t)i * 2048, 2048, &n);
        if (FAILED(hr) || n != 2048) {
            printf("not ok - Read of block %ld: hr 0x%08lx, %lu bytes\n", i, (unsigned long)hr, n);
            failures++;
            break;
        }
    }
    checks++;
    return buf;
}

/* Everything a memory stream received. */
static inline char *memstream_bytes(IStream *m, size_t *len)
{
    STATSTG st;
    ULONG n = 0;
    char *buf;
    IStream_Stat(m, &st, STATFLAG_NONAME);
    *len = (size_t)st.cbSize.QuadPart;
    buf = malloc(*len + 1);
    seek_to(m, 0);
    IStream_Read(m, buf, (ULONG)*len, &n);
    return buf;
}

/* Stat(STATFLAG_NONAME) then one CopyTo of cbSize (pyimapi, Dir2Iso, AutoIt). */
static inline char *copy_whole(IStream *s, size_t *len)
{
    STATSTG st;
    IStream *dst = SHCreateMemStream(NULL, 0);
    ULARGE_INTEGER r = {{0}}, w = {{0}};
    char *buf;
    seek_to(s, 0);
    CHECK_HR(IStream_Stat(s, &st, STATFLAG_NONAME), S_OK);
    CHECK(st.pwcsName == NULL, "Stat(STATFLAG_NONAME) gives no name");
    CHECK_HR(IStream_CopyTo(s, dst, st.cbSize, &r, &w), S_OK);
    CHECK(r.QuadPart == st.cbSize.QuadPart && w.QuadPart == st.cbSize.QuadPart, "CopyTo counts %llu/%llu of %llu",
          (unsigned long long)r.QuadPart, (unsigned long long)w.QuadPart, (unsigned long long)st.cbSize.QuadPart);
    buf = memstream_bytes(dst, len);
    IStream_Release(dst);
    return buf;
}

/* CopyTo in 2 MiB chunks with NULL out-pointers, then Commit (MakeISO). */
static inline char *copy_chunks(IStream *s, LONG blocks, size_t *len)
{
    IStream *dst = SHCreateMemStream(NULL, 0);
    ULONGLONG total = (ULONGLONG)blocks * 2048, done = 0;
    ULARGE_INTEGER chunk;
    char *buf;
    seek_to(s, 0);
    while (done < total) {
        HRESULT hr;
        chunk.QuadPart = 2u << 20;
        if (FAILED(hr = IStream_CopyTo(s, dst, chunk, NULL, NULL))) {
            failures++;
            printf("not ok - chunked CopyTo: 0x%08lx\n", (unsigned long)hr);
            break;
        }
        done += total - done < chunk.QuadPart ? total - done : chunk.QuadPart;
    }
    IStream_Commit(dst, STGC_DEFAULT);
    buf = memstream_bytes(dst, len);
    IStream_Release(dst);
    return buf;
}

#endif
