/*
 * The harness of the C clients of tests/com (every test_*.c): checks, named cases, and the helpers
 * several clients share (images, error texts, streams, a source folder with files of awkward
 * sizes, the ways clients copy the image stream). Written against include/ and the widl header, as
 * an SDK client is.
 *
 * A client lists its cases and hands them to run_cases() from wmain:
 *
 *     static const test_case cases[] = { { "levels", levels }, { "names", names } };
 *     int wmain(int argc, WCHAR **argv) { ...setup...; rc = RUN_CASES(argc, argv, cases); ...; return rc; }
 *
 * `wine test_x.exe` runs every case in order, `wine test_x.exe CASE...` the ones named (an unknown
 * name runs nothing and fails), `--list` lists them. Each case ends with "ok - CASE (N checks)" or
 * "not ok - CASE (F of N checks failed)"; a failed check prints "not ok - WHAT (line N)" where it
 * fails. The last line counts checks, "N passed, N failed", and the exit status is 1 when a check
 * failed (what CTest and tools/test read).
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef CLIENT_UTIL_H
#define CLIENT_UTIL_H

#ifndef COBJMACROS
#define COBJMACROS
#endif
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

/* ---- checks ----------------------------------------------------------------------------------- */

static LONG failures, checks;       /* of the whole run; any thread may count */

#define CHECK(cond, ...) do { InterlockedIncrement(&checks); if (!(cond)) { InterlockedIncrement(&failures); \
    printf("not ok - " __VA_ARGS__); printf(" (line %d)\n", __LINE__); fflush(stdout); } } while (0)
#define CHECK_HR(expr, want) do { HRESULT hr_ = (expr); InterlockedIncrement(&checks); if (hr_ != (HRESULT)(want)) { \
    InterlockedIncrement(&failures); printf("not ok - %s: 0x%08lx, want 0x%08lx (line %d)\n", #expr, \
    (unsigned long)hr_, (unsigned long)(want), __LINE__); fflush(stdout); } } while (0)

/* The closing line; returns the exit status. */
static inline int report(void)
{
    printf("%ld passed, %ld failed\n", checks - failures, failures);
    fflush(stdout);
    return failures != 0;
}

/* ---- named cases ------------------------------------------------------------------------------ */

typedef struct test_case {
    const char *name;               /* what `test_x.exe NAME` selects */
    void (*run)(void);
} test_case;

static const char *current_case;    /* the case running, for messages */
static void (*before_report)(void); /* when set, prints notes ("# ...") before the closing line */

static inline int case_is(const test_case *c, const WCHAR *arg)
{
    WCHAR name[64];
    swprintf(name, ARRAYSIZE(name), L"%hs", c->name);
    return !wcscmp(name, arg);
}

/* Run the cases argv names (all of them when it names none); print each case's verdict and the
 * closing line; return the exit status (2 for a name that is no case, nothing run then). */
static inline int run_cases(int argc, WCHAR **argv, const test_case *cases, size_t n)
{
    int all = argc < 2;
    if (argc == 2 && !wcscmp(argv[1], L"--list")) {
        for (size_t i = 0; i < n; i++) printf("%s\n", cases[i].name);
        return 0;
    }
    for (int a = 1; a < argc; a++) {
        size_t i = 0;
        while (i < n && !case_is(&cases[i], argv[a])) i++;
        if (i == n) {
            printf("not ok - no case '%ls'; the cases:", argv[a]);
            for (i = 0; i < n; i++) printf(" %s", cases[i].name);
            printf("\n0 passed, 1 failed\n");
            return 2;
        }
    }
    for (size_t i = 0; i < n; i++) {
        LONG c0 = checks, f0 = failures;
        int chosen = all;
        for (int a = 1; a < argc && !chosen; a++) chosen = case_is(&cases[i], argv[a]);
        if (!chosen) continue;
        current_case = cases[i].name;
        cases[i].run();
        if (failures == f0) printf("ok - %s (%ld checks)\n", cases[i].name, checks - c0);
        else printf("not ok - %s (%ld of %ld checks failed)\n", cases[i].name, failures - f0, checks - c0);
        fflush(stdout);
    }
    current_case = NULL;
    if (before_report) before_report();
    return report();
}
#define RUN_CASES(argc, argv, cases) run_cases(argc, argv, cases, ARRAYSIZE(cases))

/* ---- small helpers ---------------------------------------------------------------------------- */

static inline BSTR B(const WCHAR *s) { return SysAllocString(s); }

/* An IStream over a copy of len bytes (shlwapi's memory stream). */
static inline IStream *mem_stream(const void *data, size_t len)
{
    return SHCreateMemStream((const BYTE *)data, (UINT)len);
}

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

static inline unsigned char content_byte(size_t file, size_t i)
{
    unsigned x = (unsigned)(file * 2654435761u) ^ (unsigned)(i * 40503u) ^ (unsigned)(i >> 11);
    return (unsigned char)(x ^ (x >> 7) ^ (x >> 15));
}

static inline void write_file(const WCHAR *path, const char *data, size_t len)
{
    HANDLE h = CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    DWORD w = 0;
    if (h == INVALID_HANDLE_VALUE) { printf("not ok - cannot create %ls\n", path); InterlockedIncrement(&failures); return; }
    if (len) WriteFile(h, data, (DWORD)len, &w, NULL);
    CloseHandle(h);
}

static inline void write_text(const WCHAR *path, const char *text) { write_file(path, text, strlen(text)); }

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

/* ---- images ----------------------------------------------------------------------------------- */

/* A new MsftFileSystemImage as Windows makes it (file systems 7, level 1), asked for interface iid
 * (IID_IFileSystemImage or a later one); its root in *root when root is not NULL. Exits when COM
 * cannot make one: no case could go on. */
static inline void *windows_image(REFIID iid, IFsiDirectoryItem **root)
{
    IFileSystemImage *image = NULL;
    CHECK_HR(CoCreateInstance(&CLSID_MsftFileSystemImage, NULL, CLSCTX_INPROC_SERVER, iid, (void **)&image), S_OK);
    if (!image) { report(); exit(1); }
    if (root) IFileSystemImage_get_Root(image, root);
    return image;
}

/* A new image with fsimage's defaults, what most clients were written for: ISO 9660 + Joliet,
 * level 2, no size bound (a fresh image has Windows' 7 and level 1: test_observed). */
static inline IFileSystemImage *new_image(void)
{
    IFileSystemImage *image = windows_image(&IID_IFileSystemImage, NULL);
    IFileSystemImage_put_FreeMediaBlocks(image, 0);
    IFileSystemImage_put_FileSystemsToCreate(image, FsiFileSystemISO9660 | FsiFileSystemJoliet);
    IFileSystemImage_put_ISO9660InterchangeLevel(image, 2);
    return image;
}

/* new_image() and its root. */
static inline IFileSystemImage *new_image_root(IFsiDirectoryItem **root)
{
    IFileSystemImage *image = new_image();
    IFileSystemImage_get_Root(image, root);
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

/* The calling thread's IErrorInfo names needle (one check). */
static inline void check_error_text(const WCHAR *needle, const char *what)
{
    IErrorInfo *ei = NULL;
    BSTR desc = NULL;
    InterlockedIncrement(&checks);
    if (GetErrorInfo(0, &ei) != S_OK || !ei) { InterlockedIncrement(&failures); printf("not ok - %s: no IErrorInfo\n", what); return; }
    IErrorInfo_GetDescription(ei, &desc);
    IErrorInfo_Release(ei);
    if (!desc || !wcsstr(desc, needle)) { InterlockedIncrement(&failures); printf("not ok - %s: description '%ls'\n", what, desc ? desc : L"(null)"); }
    SysFreeString(desc);
}

/* AddFile(path) of len bytes from memory into dir, answering want (one check). */
static inline void add_bytes(IFsiDirectoryItem *dir, const WCHAR *path, const char *data, size_t len, HRESULT want)
{
    IStream *s = mem_stream(data, len);
    BSTR p = B(path);
    CHECK_HR(IFsiDirectoryItem_AddFile(dir, p, s), want);
    SysFreeString(p);
    IStream_Release(s);
}

/* ---- a large stream that reads as a repeating pattern, without storage ------------------------ */

typedef struct big_stream { IStream IStream_iface; LONG refs; ULONGLONG size, pos; } big_stream;
static inline big_stream *big_impl(IStream *i) { return CONTAINING_RECORD(i, big_stream, IStream_iface); }
static inline HRESULT WINAPI bs_QueryInterface(IStream *i, REFIID riid, void **ppv)
{
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IStream) || IsEqualIID(riid, &IID_ISequentialStream)) {
        *ppv = i; IStream_AddRef(i); return S_OK;
    }
    *ppv = NULL; return E_NOINTERFACE;
}
static inline ULONG WINAPI bs_AddRef(IStream *i) { return InterlockedIncrement(&big_impl(i)->refs); }
static inline ULONG WINAPI bs_Release(IStream *i) { ULONG r = InterlockedDecrement(&big_impl(i)->refs); if (!r) free(big_impl(i)); return r; }
static inline HRESULT WINAPI bs_Read(IStream *i, void *buf, ULONG len, ULONG *got)
{
    big_stream *s = big_impl(i);
    ULONG n = s->pos >= s->size ? 0 : (ULONG)min((ULONGLONG)len, s->size - s->pos);
    for (ULONG k = 0; k < n; k++) ((BYTE *)buf)[k] = (BYTE)((s->pos + k) * 131 >> 11);
    s->pos += n;
    if (got) *got = n;
    return S_OK;
}
static inline HRESULT WINAPI bs_Write(IStream *i, const void *b, ULONG l, ULONG *w) { return STG_E_ACCESSDENIED; }
static inline HRESULT WINAPI bs_Seek(IStream *i, LARGE_INTEGER m, DWORD o, ULARGE_INTEGER *np)
{
    big_stream *s = big_impl(i);
    LONGLONG base = o == STREAM_SEEK_SET ? 0 : o == STREAM_SEEK_CUR ? (LONGLONG)s->pos : (LONGLONG)s->size;
    s->pos = (ULONGLONG)(base + m.QuadPart);
    if (np) np->QuadPart = s->pos;
    return S_OK;
}
static inline HRESULT WINAPI bs_SetSize(IStream *i, ULARGE_INTEGER n) { return E_NOTIMPL; }
static inline HRESULT WINAPI bs_CopyTo(IStream *i, IStream *d, ULARGE_INTEGER n, ULARGE_INTEGER *r, ULARGE_INTEGER *w) { return E_NOTIMPL; }
static inline HRESULT WINAPI bs_Commit(IStream *i, DWORD f) { return S_OK; }
static inline HRESULT WINAPI bs_Revert(IStream *i) { return S_OK; }
static inline HRESULT WINAPI bs_Lock(IStream *i, ULARGE_INTEGER o, ULARGE_INTEGER n, DWORD t) { return STG_E_INVALIDFUNCTION; }
static inline HRESULT WINAPI bs_Stat(IStream *i, STATSTG *st, DWORD f)
{
    memset(st, 0, sizeof(*st));
    st->type = STGTY_STREAM;
    st->cbSize.QuadPart = big_impl(i)->size;
    return S_OK;
}
static inline HRESULT WINAPI bs_Clone(IStream *i, IStream **o) { return E_NOTIMPL; }

/* A read-only IStream of size bytes (byte k is (k * 131) >> 11), e.g. 5 GiB, in a few bytes of memory. */
static inline IStream *big(ULONGLONG size)
{
    static IStreamVtbl vtbl = { bs_QueryInterface, bs_AddRef, bs_Release, bs_Read, bs_Write, bs_Seek, bs_SetSize,
                                bs_CopyTo, bs_Commit, bs_Revert, bs_Lock, bs_Lock, bs_Stat, bs_Clone };
    big_stream *s = calloc(1, sizeof(*s));
    s->IStream_iface.lpVtbl = &vtbl;
    s->refs = 1;
    s->size = size;
    return &s->IStream_iface;
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
            InterlockedIncrement(&failures);
            break;
        }
    }
    InterlockedIncrement(&checks);
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
    CHECK(n == *len, "memory copy complete (%lu of %zu bytes)", n, *len);
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
            InterlockedIncrement(&failures);
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
