/*
 * Faults through COM (docs/behaviour.md, "Faults"):
 *  - a source file of AddTree that disappears, shrinks, grows, is locked by another handle or
 *    becomes a folder before its data is streamed: the stream's Read and CopyTo fail with
 *    IMAPI_E_DATA_STREAM_READ_FAILURE or IMAPI_E_DATA_STREAM_INCONSISTENCY, IErrorInfo naming the
 *    file (and the sizes); nothing is consumed by the failed call, the same stream reads on once
 *    the file is back, and a new CreateResultImage gives the image byte for byte;
 *  - a caller's IStream given to AddFile that fails Stat, Seek or Read, returns short reads or
 *    ends early or late;
 *  - a destination that fails writes in CopyTo: its error comes back, the counts say what was
 *    taken and what was written, and the copy can be resumed.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "client_util.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#define VICTIM_SIZE 10000
#define BIG_SIZE (3 * 1048576 + 5)

static WCHAR g_dir[MAX_PATH], g_victim[MAX_PATH];

static unsigned char pattern(unsigned file, size_t i) { return (unsigned char)(i * 131 + file * 17 + (i >> 9)); }

static void write_pattern(const WCHAR *path, unsigned file, size_t size)
{
    char *b = malloc(size + 1);
    for (size_t i = 0; i < size; i++) b[i] = (char)pattern(file, i);
    write_file(path, b, size);
    free(b);
}

static void restore_victim(void)
{
    SetFileAttributesW(g_victim, FILE_ATTRIBUTE_NORMAL);
    RemoveDirectoryW(g_victim);
    write_pattern(g_victim, 1, VICTIM_SIZE);
}

/* The folder: a.bin, big.bin (over 1 MiB: CopyTo has copied something when it reaches the victim),
 * dir\victim.bin, z.bin. */
static void make_folder(void)
{
    WCHAR tmp[MAX_PATH], p[MAX_PATH];
    GetTempPathW(MAX_PATH, tmp);
    swprintf(g_dir, MAX_PATH, L"%lsfsi-faults-%lu", tmp, GetCurrentProcessId());
    CreateDirectoryW(g_dir, NULL);
    swprintf(p, MAX_PATH, L"%ls\\a.bin", g_dir);
    write_pattern(p, 0, 5000);
    swprintf(p, MAX_PATH, L"%ls\\big.bin", g_dir);
    write_pattern(p, 3, BIG_SIZE);
    swprintf(p, MAX_PATH, L"%ls\\dir", g_dir);
    CreateDirectoryW(p, NULL);
    swprintf(g_victim, MAX_PATH, L"%ls\\dir\\victim.bin", g_dir);
    restore_victim();
    swprintf(p, MAX_PATH, L"%ls\\z.bin", g_dir);
    write_pattern(p, 2, 3000);
}

/* ---- reading a result ---------------------------------------------------------------------------- */

static ULONGLONG position(IStream *s)
{
    LARGE_INTEGER zero = {{0}};
    ULARGE_INTEGER pos = {{0}};
    IStream_Seek(s, zero, STREAM_SEEK_CUR, &pos);
    return pos.QuadPart;
}

static char *result_bytes(IFileSystemImage *image, size_t *len)
{
    IFileSystemImageResult *res = NULL;
    IStream *s = NULL;
    LONG blocks = 0;
    char *b;
    CHECK_HR(IFileSystemImage_CreateResultImage(image, &res), S_OK);
    if (!res) { report(); exit(1); }
    IFileSystemImageResult_get_TotalBlocks(res, &blocks);
    IFileSystemImageResult_get_ImageStream(res, &s);
    b = copy_by_blocks(s, blocks);
    *len = (size_t)blocks * 2048;
    IStream_Release(s);
    IFileSystemImageResult_Release(res);
    return b;
}

enum { BY_BLOCKS, ONE_READ, COPY_TO, MODES };
static const char *mode_name[] = { "Read x 2048", "one Read", "CopyTo" };

/* Read s from 0 to len into out with mode m until the first failure. Returns that HRESULT (S_OK if
 * all was read); *done is what the stream gave (and the position it is at). */
static HRESULT read_until_failure(IStream *s, int m, char *out, size_t len, size_t *done, IStream *dst)
{
    HRESULT hr = S_OK;
    *done = 0;
    seek_to(s, 0);
    if (m == BY_BLOCKS) {
        while (*done < len) {
            ULONG n = 12345;
            ULONGLONG before = position(s);
            hr = IStream_Read(s, out + *done, 2048, &n);
            if (FAILED(hr)) {
                CHECK(n == 0, "%s: a failed Read reports 0 bytes (%lu)", mode_name[m], n);
                CHECK(position(s) == before, "%s: a failed Read leaves the position", mode_name[m]);
                break;
            }
            *done += n;
        }
    } else if (m == ONE_READ) {
        ULONG n = 12345;
        hr = IStream_Read(s, out, (ULONG)len, &n);
        CHECK(SUCCEEDED(hr) ? n == len : n == 0, "%s: %lu bytes with 0x%08lx", mode_name[m], n, (unsigned long)hr);
        *done = n;
    } else {
        ULARGE_INTEGER cb, r = {{0}}, w = {{0}};
        cb.QuadPart = len;
        hr = IStream_CopyTo(s, dst, cb, &r, &w);
        CHECK(r.QuadPart == w.QuadPart, "%s: read %lu, written %lu", mode_name[m], (unsigned long)r.QuadPart, (unsigned long)w.QuadPart);
        CHECK(SUCCEEDED(hr) ? r.QuadPart == len : r.QuadPart < len, "%s: read %lu of %lu", mode_name[m], (unsigned long)r.QuadPart, (unsigned long)len);
        CHECK(position(s) == r.QuadPart, "%s: position %lu after reading %lu", mode_name[m], (unsigned long)position(s), (unsigned long)r.QuadPart);
        *done = (size_t)r.QuadPart;
        /* what dst received is the image so far */
        {
            size_t got;
            char *b = memstream_bytes(dst, &got);
            CHECK(got == (unsigned long)*done, "%s: the destination has %lu bytes, want %lu", mode_name[m], (unsigned long)got, (unsigned long)*done);
            memcpy(out, b, got < len ? got : len);
            free(b);
        }
    }
    return hr;
}

/* ---- source files that change under the image ------------------------------------------------------ */

static HANDLE g_lock;

static void break_delete(void) { CHECK(DeleteFileW(g_victim), "delete the victim"); }
static void break_shrink(void)
{
    HANDLE h = CreateFileW(g_victim, GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    LARGE_INTEGER to;
    to.QuadPart = VICTIM_SIZE - 1000;
    SetFilePointerEx(h, to, NULL, FILE_BEGIN);
    CHECK(SetEndOfFile(h), "shrink the victim");
    CloseHandle(h);
}
static void break_empty(void) { write_file(g_victim, "", 0); }
static void break_grow(void)
{
    HANDLE h = CreateFileW(g_victim, FILE_APPEND_DATA, 0, NULL, OPEN_EXISTING, 0, NULL);
    DWORD w = 0;
    CHECK(WriteFile(h, "+", 1, &w, NULL) && w == 1, "grow the victim");
    CloseHandle(h);
}
static void break_lock(void)
{
    /* another handle that shares nothing: opening it for reading fails (sharing violation) */
    g_lock = CreateFileW(g_victim, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    CHECK(g_lock != INVALID_HANDLE_VALUE, "lock the victim");
}
static void break_folder(void)
{
    DeleteFileW(g_victim);
    CHECK(CreateDirectoryW(g_victim, NULL), "replace the victim by a folder");
}
static void fix(void)
{
    if (g_lock && g_lock != INVALID_HANDLE_VALUE) CloseHandle(g_lock);
    g_lock = NULL;
    restore_victim();
}

static const struct fault {
    const char *name;
    void (*breakit)(void);
    HRESULT want;
    const WCHAR *text;              /* in the IErrorInfo description */
} faults[] = {
    { "deleted", break_delete, IMAPI_E_DATA_STREAM_READ_FAILURE, L"'\\dir\\victim.bin'" },
    { "shrunk", break_shrink, IMAPI_E_DATA_STREAM_INCONSISTENCY, L"'\\dir\\victim.bin' is inconsistent:  expected 10000 bytes, found 9000" },
    { "emptied", break_empty, IMAPI_E_DATA_STREAM_INCONSISTENCY, L"expected 10000 bytes, found 0" },
    { "grown", break_grow, IMAPI_E_DATA_STREAM_INCONSISTENCY, L"expected 10000 bytes, found 10001" },
    { "locked", break_lock, IMAPI_E_DATA_STREAM_READ_FAILURE, L"'\\dir\\victim.bin'" },
    { "a folder", break_folder, IMAPI_E_DATA_STREAM_READ_FAILURE, L"'\\dir\\victim.bin'" },
};

static void test_source_files(void)
{
    IFileSystemImage *image;
    size_t len, done;
    char *ref, *buf;

    make_folder();
    image = image_of_tree(g_dir);
    ref = result_bytes(image, &len);
    buf = malloc(len);
    for (size_t f = 0; f < ARRAY_SIZE(faults); f++) {
        for (int m = 0; m < MODES; m++) {
            IFileSystemImageResult *res = NULL;
            IStream *s = NULL, *dst = SHCreateMemStream(NULL, 0);
            HRESULT hr;
            char what[80];
            snprintf(what, sizeof what, "%s victim, %s", faults[f].name, mode_name[m]);
            CHECK_HR(IFileSystemImage_CreateResultImage(image, &res), S_OK);
            if (!res) break;
            IFileSystemImageResult_get_ImageStream(res, &s);
            faults[f].breakit();
            memset(buf, 0, len);
            hr = read_until_failure(s, m, buf, len, &done, dst);
            CHECK(hr == faults[f].want, "%s: 0x%08lx, want 0x%08lx", what, (unsigned long)hr, (unsigned long)faults[f].want);
            check_error_text(faults[f].text, what);
            CHECK(!memcmp(buf, ref, (unsigned long)done), "%s: the %lu bytes before the failure", what, (unsigned long)done);
            if (m == BY_BLOCKS)
                CHECK(done > BIG_SIZE, "%s: failed at %lu, after big.bin", what, (unsigned long)done);
            /* the same stream again: the same failure, at the same place */
            if (m == BY_BLOCKS) {
                ULONG n = 0;
                seek_to(s, done);
                CHECK_HR(IStream_Read(s, buf + done, 2048, &n), faults[f].want);
            }
            /* fixed: the same stream reads on from where it stopped */
            fix();
            seek_to(s, done);
            if (m == COPY_TO) {
                ULARGE_INTEGER cb, r, w;
                size_t got;
                char *b;
                cb.QuadPart = len - done;
                CHECK_HR(IStream_CopyTo(s, dst, cb, &r, &w), S_OK);
                b = memstream_bytes(dst, &got);
                CHECK(got == len && !memcmp(b, ref, len), "%s: the copy resumed after the fix gives the image", what);
                free(b);
            } else {
                while (done < len) {
                    ULONG n = 0;
                    if (FAILED(hr = IStream_Read(s, buf + done, (ULONG)(len - done), &n)) || !n) break;
                    done += n;
                }
                CHECK(done == len && !memcmp(buf, ref, len), "%s: reading on after the fix gives the image (%lu bytes, 0x%08lx)",
                      what, (unsigned long)done, (unsigned long)hr);
            }
            IStream_Release(dst);
            IStream_Release(s);
            IFileSystemImageResult_Release(res);
            /* and the image object makes a new, complete result */
            {
                size_t l2;
                char *again = result_bytes(image, &l2);
                CHECK(l2 == len && !memcmp(again, ref, len), "%s: a new result after the fix", what);
                free(again);
            }
        }
    }
    free(buf);
    free(ref);
    IFileSystemImage_Release(image);
}

/* ---- a caller's IStream (AddFile) that fails -------------------------------------------------------- */

typedef struct fault_stream {
    IStream IStream_iface;
    LONG refs;
    ULONGLONG pos;
    ULONGLONG stat_size;            /* what Stat says */
    ULONGLONG data_size;            /* bytes it really has */
    HRESULT stat_hr, seek_hr;       /* failures of Stat, Seek (S_OK: none) */
    ULONGLONG fail_at;              /* a Read reaching this offset ... */
    HRESULT read_hr;                /* ... fails with this (S_OK: no failure) */
    ULONG partial;                  /* bytes still given by the failing Read */
    ULONG max_chunk;                /* short reads: at most this many bytes per Read (0: any) */
    ULONGLONG zero_at;              /* a Read at this offset gives S_OK with 0 bytes (~0: never) */
} fault_stream;

static unsigned char fs_byte(ULONGLONG i) { return (unsigned char)(i * 7 + 3); }
static fault_stream *fs_impl(IStream *iface) { return CONTAINING_RECORD(iface, fault_stream, IStream_iface); }
static HRESULT WINAPI fs_QueryInterface(IStream *iface, REFIID riid, void **ppv)
{
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_ISequentialStream) || IsEqualIID(riid, &IID_IStream)) {
        *ppv = iface;
        IStream_AddRef(iface);
        return S_OK;
    }
    *ppv = NULL;
    return E_NOINTERFACE;
}
static ULONG WINAPI fs_AddRef(IStream *iface) { return InterlockedIncrement(&fs_impl(iface)->refs); }
static ULONG WINAPI fs_Release(IStream *iface) { return InterlockedDecrement(&fs_impl(iface)->refs); }
static HRESULT WINAPI fs_Read(IStream *iface, void *b, ULONG n, ULONG *r)
{
    fault_stream *s = fs_impl(iface);
    ULONG k = 0;
    if (r) *r = 0;
    if (s->pos == s->zero_at) return S_OK;
    if (s->pos < s->data_size) k = s->data_size - s->pos < n ? (ULONG)(s->data_size - s->pos) : n;
    if (s->max_chunk && k > s->max_chunk) k = s->max_chunk;
    if (s->read_hr != S_OK && s->pos + k > s->fail_at) {
        ULONG part = s->pos < s->fail_at ? (ULONG)(s->fail_at - s->pos) : 0;
        if (part > s->partial) part = s->partial;
        for (ULONG i = 0; i < part; i++) ((unsigned char *)b)[i] = fs_byte(s->pos + i);
        s->pos += part;
        if (r) *r = part;
        return s->read_hr;
    }
    for (ULONG i = 0; i < k; i++) ((unsigned char *)b)[i] = fs_byte(s->pos + i);
    s->pos += k;
    if (r) *r = k;
    return k < n ? S_FALSE : S_OK;
}
static HRESULT WINAPI fs_Write(IStream *iface, const void *b, ULONG n, ULONG *w) { return STG_E_ACCESSDENIED; }
static HRESULT WINAPI fs_Seek(IStream *iface, LARGE_INTEGER m, DWORD o, ULARGE_INTEGER *p)
{
    fault_stream *s = fs_impl(iface);
    if (s->seek_hr != S_OK) return s->seek_hr;
    if (o == STREAM_SEEK_SET) s->pos = m.QuadPart;
    else if (o == STREAM_SEEK_CUR) s->pos += m.QuadPart;
    else s->pos = s->data_size + m.QuadPart;
    if (p) p->QuadPart = s->pos;
    return S_OK;
}
static HRESULT WINAPI fs_SetSize(IStream *iface, ULARGE_INTEGER sz) { return E_NOTIMPL; }
static HRESULT WINAPI fs_CopyTo(IStream *iface, IStream *d, ULARGE_INTEGER c, ULARGE_INTEGER *r, ULARGE_INTEGER *w) { return E_NOTIMPL; }
static HRESULT WINAPI fs_Commit(IStream *iface, DWORD f) { return S_OK; }
static HRESULT WINAPI fs_Revert(IStream *iface) { return S_OK; }
static HRESULT WINAPI fs_Lock(IStream *iface, ULARGE_INTEGER o, ULARGE_INTEGER c, DWORD t) { return STG_E_INVALIDFUNCTION; }
static HRESULT WINAPI fs_Stat(IStream *iface, STATSTG *st, DWORD f)
{
    fault_stream *s = fs_impl(iface);
    if (s->stat_hr != S_OK) return s->stat_hr;
    memset(st, 0, sizeof(*st));
    st->type = STGTY_STREAM;
    st->cbSize.QuadPart = s->stat_size;
    return S_OK;
}
static HRESULT WINAPI fs_Clone(IStream *iface, IStream **o) { return E_NOTIMPL; }
static const IStreamVtbl fs_vtbl = {
    fs_QueryInterface, fs_AddRef, fs_Release, fs_Read, fs_Write, fs_Seek, fs_SetSize, fs_CopyTo,
    fs_Commit, fs_Revert, fs_Lock, fs_Lock, fs_Stat, fs_Clone,
};

#define STREAM_SIZE 100000

static void fs_init(fault_stream *s)
{
    memset(s, 0, sizeof(*s));
    s->IStream_iface.lpVtbl = (IStreamVtbl *)&fs_vtbl;
    s->refs = 1;
    s->stat_size = s->data_size = STREAM_SIZE;
    s->zero_at = ~0ull;
    s->stat_hr = s->seek_hr = s->read_hr = S_OK;
}

/* An image with "\first.txt" (memory) and "\sub\stream.bin" from stream; NULL if AddFile failed. */
static IFileSystemImage *image_with(IStream *stream, HRESULT want_add)
{
    IFileSystemImage *image = new_image();
    IFsiDirectoryItem *root = NULL;
    IStream *first = SHCreateMemStream((const BYTE *)"first file", 10);
    BSTR p;
    IFileSystemImage_get_Root(image, &root);
    CHECK_HR(IFsiDirectoryItem_AddFile(root, p = B(L"first.txt"), first), S_OK);
    SysFreeString(p);
    CHECK_HR(IFsiDirectoryItem_AddDirectory(root, p = B(L"sub")), S_OK);
    SysFreeString(p);
    CHECK_HR(IFsiDirectoryItem_AddFile(root, p = B(L"sub\\stream.bin"), stream), want_add);
    SysFreeString(p);
    IStream_Release(first);
    IFsiDirectoryItem_Release(root);
    return image;
}

static void test_caller_streams(void)
{
    static fault_stream fsx;
    IFileSystemImage *image;
    size_t len, done;
    char *ref, *buf;
    LONG files = -1;

    /* the reference: the same bytes from a good stream */
    fs_init(&fsx);
    image = image_with(&fsx.IStream_iface, S_OK);
    ref = result_bytes(image, &len);
    IFileSystemImage_Release(image);
    buf = malloc(len);

    /* Stat fails: AddFile fails and adds nothing */
    fs_init(&fsx);
    fsx.stat_hr = E_FAIL;
    image = image_with(&fsx.IStream_iface, IMAPI_E_DATA_STREAM_READ_FAILURE);
    check_error_text(L"'sub\\stream.bin'", "AddFile of a stream whose Stat fails");
    IFileSystemImage_get_FileCount(image, &files);
    CHECK(files == 1, "a failed AddFile adds nothing (%ld files)", files);
    IFileSystemImage_Release(image);
    CHECK(fsx.refs == 1, "a failed AddFile keeps no reference on the stream (%ld)", fsx.refs);

    for (int k = 0; k < 8; k++) {
        static const struct { const char *name; HRESULT want; const WCHAR *text; } cases[] = {
            { "Read fails", IMAPI_E_DATA_STREAM_READ_FAILURE, L"'\\sub\\stream.bin'" },
            { "Read fails with some bytes", IMAPI_E_DATA_STREAM_READ_FAILURE, L"'\\sub\\stream.bin'" },
            { "Read fails with E_OUTOFMEMORY", IMAPI_E_DATA_STREAM_READ_FAILURE, L"'\\sub\\stream.bin'" },
            { "Seek fails", IMAPI_E_DATA_STREAM_READ_FAILURE, L"'\\sub\\stream.bin'" },
            { "ends early", IMAPI_E_DATA_STREAM_INCONSISTENCY, L"expected 100000 bytes, found 60000" },
            { "gives 0 bytes with S_OK", IMAPI_E_DATA_STREAM_INCONSISTENCY, L"expected 100000 bytes, found 4096" },
            { "is longer than Stat said", IMAPI_E_DATA_STREAM_INCONSISTENCY, L"expected 100000 bytes, found 100001" },
            { "short reads", S_OK, NULL },
        };
        IFileSystemImageResult *res = NULL;
        IStream *s = NULL;
        HRESULT hr;
        fs_init(&fsx);
        switch (k) {
        case 0: fsx.read_hr = E_FAIL; fsx.fail_at = 50000; break;
        case 1: fsx.read_hr = STG_E_READFAULT; fsx.fail_at = 50000; fsx.partial = 1000; break;
        case 2: fsx.read_hr = E_OUTOFMEMORY; fsx.fail_at = 0; break;
        case 3: fsx.seek_hr = STG_E_INVALIDFUNCTION; break;
        case 4: fsx.data_size = 60000; break;
        case 5: fsx.zero_at = 4096; fsx.max_chunk = 4096; break;
        case 6: fsx.data_size = STREAM_SIZE + 1000; break;
        case 7: fsx.max_chunk = 777; break;
        }
        image = image_with(&fsx.IStream_iface, S_OK);
        for (int m = 0; m < MODES; m++) {
            IStream *dst = SHCreateMemStream(NULL, 0);
            char what[80];
            snprintf(what, sizeof what, "a stream that %s, %s", cases[k].name, mode_name[m]);
            CHECK_HR(IFileSystemImage_CreateResultImage(image, &res), S_OK);
            if (!res) break;
            IFileSystemImageResult_get_ImageStream(res, &s);
            hr = read_until_failure(s, m, buf, len, &done, dst);
            CHECK(hr == cases[k].want, "%s: 0x%08lx, want 0x%08lx", what, (unsigned long)hr, (unsigned long)cases[k].want);
            if (cases[k].text) check_error_text(cases[k].text, what);
            CHECK(!memcmp(buf, ref, (unsigned long)done), "%s: the %lu bytes before the failure", what, (unsigned long)done);
            if (SUCCEEDED(hr)) CHECK(done == len, "%s: the whole image", what);
            IStream_Release(dst);
            IStream_Release(s);
            IFileSystemImageResult_Release(res);
        }
        /* fixed: a new result of the same image object is complete */
        {
            size_t l2;
            char *again;
            fsx.stat_size = fsx.data_size = STREAM_SIZE;
            fsx.zero_at = ~0ull;
            fsx.seek_hr = fsx.read_hr = S_OK;
            fsx.max_chunk = 0;
            again = result_bytes(image, &l2);
            CHECK(l2 == len && !memcmp(again, ref, len), "a stream that %s: a new result once it is good", cases[k].name);
            free(again);
        }
        IFileSystemImage_Release(image);
        CHECK(fsx.refs == 1, "a stream that %s: released with the image (%ld references left)", cases[k].name, fsx.refs);
    }
    free(buf);
    free(ref);
}

/* StageFiles: the data is copied at AddFile time, so the failures happen there. */
static void test_staged_streams(void)
{
    static fault_stream fsx;
    IFileSystemImage *image = new_image();
    IFsiDirectoryItem *root = NULL;
    IFileSystemImageResult *res = NULL;
    LONG files = -1, blocks = 0;
    BSTR p;

    CHECK_HR(IFileSystemImage_put_StageFiles(image, VARIANT_TRUE), S_OK);
    IFileSystemImage_get_Root(image, &root);
    fs_init(&fsx);
    fsx.read_hr = E_FAIL;
    fsx.fail_at = 50000;
    CHECK_HR(IFsiDirectoryItem_AddFile(root, p = B(L"failing.bin"), &fsx.IStream_iface), IMAPI_E_DATA_STREAM_READ_FAILURE);
    SysFreeString(p);
    check_error_text(L"'failing.bin'", "StageFiles: AddFile of a stream whose Read fails");
    IFileSystemImage_get_FileCount(image, &files);
    CHECK(files == 0, "StageFiles: a failed AddFile adds nothing (%ld files)", files);
    fs_init(&fsx);
    fsx.data_size = 60000;          /* Stat says 100000 */
    CHECK_HR(IFsiDirectoryItem_AddFile(root, p = B(L"short.bin"), &fsx.IStream_iface), S_OK);
    SysFreeString(p);
    fs_init(&fsx);
    fsx.data_size = STREAM_SIZE + 1000;
    CHECK_HR(IFsiDirectoryItem_AddFile(root, p = B(L"long.bin"), &fsx.IStream_iface), S_OK);
    SysFreeString(p);
    {
        IFsiItem *item = NULL;
        IFsiFileItem *file = NULL;
        LONGLONG size = 0;
        CHECK_HR(IFsiDirectoryItem_get_Item(root, p = B(L"short.bin"), &item), S_OK);
        SysFreeString(p);
        if (item) {
            IFsiItem_QueryInterface(item, &IID_IFsiFileItem, (void **)&file);
            if (file) IFsiFileItem_get_DataSize(file, &size);
            CHECK(size == 60000, "StageFiles: a stream that ends early is added with what it gave (%ld)", (long)size);
            if (file) IFsiFileItem_Release(file);
            IFsiItem_Release(item);
        }
    }
    CHECK_HR(IFileSystemImage_CreateResultImage(image, &res), S_OK);
    if (res) {
        IStream *s = NULL;
        char *b;
        IFileSystemImageResult_get_TotalBlocks(res, &blocks);
        IFileSystemImageResult_get_ImageStream(res, &s);
        b = copy_by_blocks(s, blocks);      /* checks every Read */
        free(b);
        IStream_Release(s);
        IFileSystemImageResult_Release(res);
    }
    IFsiDirectoryItem_Release(root);
    IFileSystemImage_Release(image);
    CHECK(fsx.refs == 1, "StageFiles: no reference kept on a staged stream (%ld)", fsx.refs);
}

/* ---- CopyTo into a destination that fails ----------------------------------------------------------- */

typedef struct bad_dest {
    IStream IStream_iface;
    LONG refs;
    IStream *mem;                   /* what was written */
    ULONGLONG room;                 /* bytes it still takes */
    int mode;                       /* when full: 0 STG_E_MEDIUMFULL with a partial count, 1 S_OK with a short count, 2 E_FAIL and 0 */
} bad_dest;

static bad_dest *bd_impl(IStream *iface) { return CONTAINING_RECORD(iface, bad_dest, IStream_iface); }
static HRESULT WINAPI bd_QueryInterface(IStream *iface, REFIID riid, void **ppv) { return fs_QueryInterface(iface, riid, ppv); }
static ULONG WINAPI bd_AddRef(IStream *iface) { return InterlockedIncrement(&bd_impl(iface)->refs); }
static ULONG WINAPI bd_Release(IStream *iface) { return InterlockedDecrement(&bd_impl(iface)->refs); }
static HRESULT WINAPI bd_Read(IStream *iface, void *b, ULONG n, ULONG *r) { return E_NOTIMPL; }
static HRESULT WINAPI bd_Write(IStream *iface, const void *b, ULONG n, ULONG *w)
{
    bad_dest *d = bd_impl(iface);
    ULONG take = n < d->room ? n : (ULONG)d->room, done = 0;
    if (d->mode == 2 && take < n) take = 0;
    if (take) IStream_Write(d->mem, b, take, &done);
    d->room -= take;
    if (w) *w = take;
    if (take == n) return S_OK;
    return d->mode == 0 ? STG_E_MEDIUMFULL : d->mode == 1 ? S_OK : E_FAIL;
}
static HRESULT WINAPI bd_Seek(IStream *iface, LARGE_INTEGER m, DWORD o, ULARGE_INTEGER *p) { return E_NOTIMPL; }
static const IStreamVtbl bd_vtbl = {
    bd_QueryInterface, bd_AddRef, bd_Release, bd_Read, bd_Write, bd_Seek, fs_SetSize, fs_CopyTo,
    fs_Commit, fs_Revert, fs_Lock, fs_Lock, fs_Stat, fs_Clone,
};

static void test_failing_destination(void)
{
    static const HRESULT want[] = { STG_E_MEDIUMFULL, STG_E_MEDIUMFULL, E_FAIL };
    IFileSystemImage *image;
    size_t len;
    char *ref;

    make_folder();
    image = image_of_tree(g_dir);
    ref = result_bytes(image, &len);
    for (int mode = 0; mode < 3; mode++) {
        for (int r = 0; r < 3; r++) {
            static const ULONGLONG rooms[] = { 0, 1048576 + 4097, 3 * 1048576 };
            bad_dest d = { { (IStreamVtbl *)&bd_vtbl }, 1, SHCreateMemStream(NULL, 0), rooms[r], mode };
            IFileSystemImageResult *res = NULL;
            IStream *s = NULL, *rest = SHCreateMemStream(NULL, 0);
            ULARGE_INTEGER cb, rd = {{0}}, wr = {{0}};
            ULONGLONG want_written = mode == 2 ? rooms[r] / 1048576 * 1048576 : rooms[r];
            size_t got;
            char *b;
            CHECK_HR(IFileSystemImage_CreateResultImage(image, &res), S_OK);
            if (!res) break;
            IFileSystemImageResult_get_ImageStream(res, &s);
            cb.QuadPart = len;
            CHECK_HR(IStream_CopyTo(s, &d.IStream_iface, cb, &rd, &wr), want[mode]);
            CHECK(wr.QuadPart == want_written, "CopyTo into a destination with room for %lu (mode %d): %lu written",
                  (unsigned long)rooms[r], mode, (unsigned long)wr.QuadPart);
            /* taken from the image: whole chunks, the last of them only partly written */
            CHECK(rd.QuadPart >= wr.QuadPart && rd.QuadPart - wr.QuadPart <= 1048576 && rd.QuadPart == position(s),
                  "CopyTo counts: read %lu, written %lu, at %lu", (unsigned long)rd.QuadPart, (unsigned long)wr.QuadPart, (unsigned long)position(s));
            b = memstream_bytes(d.mem, &got);
            CHECK(got == wr.QuadPart && !memcmp(b, ref, got), "the destination holds the first %lu bytes", (unsigned long)wr.QuadPart);
            free(b);
            /* resume from what was written into another destination: the rest of the image */
            seek_to(s, wr.QuadPart);
            cb.QuadPart = len - wr.QuadPart;
            CHECK_HR(IStream_CopyTo(s, rest, cb, &rd, NULL), S_OK);
            b = memstream_bytes(rest, &got);
            CHECK(got == len - wr.QuadPart && !memcmp(b, ref + wr.QuadPart, got), "the resumed copy gives the rest");
            free(b);
            IStream_Release(rest);
            IStream_Release(d.mem);
            CHECK(d.refs == 1, "CopyTo keeps no reference on the destination");
            IStream_Release(s);
            IFileSystemImageResult_Release(res);
        }
    }
    free(ref);
    IFileSystemImage_Release(image);
    remove_tree(g_dir);
}

static const test_case cases[] = {
    { "source_files", test_source_files },
    { "caller_streams", test_caller_streams },
    { "staged_streams", test_staged_streams },
    { "failing_destination", test_failing_destination },
};

int wmain(int argc, WCHAR **argv)
{
    int rc;
    _putenv("SOURCE_DATE_EPOCH=1700000000");   /* the same bytes for every result */
    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    rc = RUN_CASES(argc, argv, cases);
    CoUninitialize();
    return rc;
}
