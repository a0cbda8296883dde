/*
 * FileSystemImageResult and its FsiStream, as clients use them (shared/reference/clients.md):
 * every copy pattern gives the same bytes (Read of 2048 x TotalBlocks, CopyTo in 2 MiB chunks with
 * NULL out-pointers, Stat + one CopyTo, random Seek + Read, Clone read on other threads), the
 * IStream members Windows answers, several results alive at once and after the image changes or
 * goes, ModifiedBlocks and DiscId (zeros for a new image).
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "client_util.h"

/* ---- an IStream destination that takes only part of each Write, or fails ---------------------- */

typedef struct short_dest {
    IStream IStream_iface;
    LONG refs;
    ULONG accept;                   /* bytes taken per Write */
    HRESULT result;                 /* what Write returns */
    ULONGLONG got;
} short_dest;

static short_dest *sd_impl(IStream *iface) { return CONTAINING_RECORD(iface, short_dest, IStream_iface); }
static HRESULT WINAPI sd_QueryInterface(IStream *iface, REFIID riid, void **ppv)
{
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_ISequentialStream) || IsEqualIID(riid, &IID_IStream)) {
        *ppv = iface;
        IStream_AddRef(iface);
        return S_OK;
    }
    *ppv = NULL;
    return E_NOINTERFACE;
}
static ULONG WINAPI sd_AddRef(IStream *iface) { return InterlockedIncrement(&sd_impl(iface)->refs); }
static ULONG WINAPI sd_Release(IStream *iface) { return InterlockedDecrement(&sd_impl(iface)->refs); }
static HRESULT WINAPI sd_Read(IStream *iface, void *b, ULONG n, ULONG *r) { return E_NOTIMPL; }
static HRESULT WINAPI sd_Write(IStream *iface, const void *b, ULONG n, ULONG *w)
{
    short_dest *d = sd_impl(iface);
    ULONG take = n < d->accept ? n : d->accept;
    d->got += take;
    if (w) *w = take;
    return d->result;
}
static HRESULT WINAPI sd_Seek(IStream *iface, LARGE_INTEGER m, DWORD o, ULARGE_INTEGER *p) { return E_NOTIMPL; }
static HRESULT WINAPI sd_SetSize(IStream *iface, ULARGE_INTEGER s) { return E_NOTIMPL; }
static HRESULT WINAPI sd_CopyTo(IStream *iface, IStream *d, ULARGE_INTEGER c, ULARGE_INTEGER *r, ULARGE_INTEGER *w) { return E_NOTIMPL; }
static HRESULT WINAPI sd_Commit(IStream *iface, DWORD f) { return S_OK; }
static HRESULT WINAPI sd_Revert(IStream *iface) { return S_OK; }
static HRESULT WINAPI sd_Lock(IStream *iface, ULARGE_INTEGER o, ULARGE_INTEGER c, DWORD t) { return E_NOTIMPL; }
static HRESULT WINAPI sd_Stat(IStream *iface, STATSTG *s, DWORD f) { return E_NOTIMPL; }
static HRESULT WINAPI sd_Clone(IStream *iface, IStream **o) { return E_NOTIMPL; }
static const IStreamVtbl sd_vtbl = {
    sd_QueryInterface, sd_AddRef, sd_Release, sd_Read, sd_Write, sd_Seek, sd_SetSize, sd_CopyTo,
    sd_Commit, sd_Revert, sd_Lock, sd_Lock, sd_Stat, sd_Clone,
};

/* ---- readers on other threads ------------------------------------------------------------------ */

typedef struct reader {
    IStream *stream;
    const char *ref;
    size_t len;
    ULONG piece;
    int ok;
} reader;

static DWORD WINAPI reader_thread(void *arg)
{
    reader *r = arg;
    char *buf = malloc(r->len + 1);
    size_t done = 0;
    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    seek_to(r->stream, 0);
    while (done < r->len) {
        ULONG n = 0;
        if (FAILED(IStream_Read(r->stream, buf + done, r->piece, &n)) || !n) break;
        done += n;
    }
    r->ok = done == r->len && !memcmp(buf, r->ref, r->len);
    free(buf);
    CoUninitialize();
    return 0;
}

/* ---- the IStream members ------------------------------------------------------------------------- */

static void test_stream_members(IStream *s, const char *ref, size_t len)
{
    LARGE_INTEGER move;
    ULARGE_INTEGER pos, cb;
    STATSTG st;
    char buf[8192];
    ULONG n;
    IUnknown *unk;
    ISupportErrorInfo *sei;

    /* Stat: the name case, the sizes, type and class. */
    memset(&st, 0xcc, sizeof(st));
    CHECK_HR(IStream_Stat(s, &st, STATFLAG_DEFAULT), S_OK);
    CHECK(st.pwcsName && st.pwcsName[0], "Stat(STATFLAG_DEFAULT) names the stream");
    CoTaskMemFree(st.pwcsName);
    CHECK(st.type == STGTY_STREAM, "Stat type %lu", st.type);
    CHECK(st.cbSize.QuadPart == len, "Stat cbSize %llu", (unsigned long long)st.cbSize.QuadPart);
    CHECK(IsEqualCLSID(&st.clsid, &CLSID_FsiStream), "Stat clsid is CLSID_FsiStream");
    CHECK_HR(IStream_Stat(s, NULL, STATFLAG_NONAME), STG_E_INVALIDPOINTER);

    /* Seek: every origin, new position reported, past the end allowed, before the start refused. */
    move.QuadPart = 5000;
    CHECK_HR(IStream_Seek(s, move, STREAM_SEEK_SET, &pos), S_OK);
    CHECK(pos.QuadPart == 5000, "SEEK_SET");
    move.QuadPart = -1000;
    CHECK_HR(IStream_Seek(s, move, STREAM_SEEK_CUR, &pos), S_OK);
    CHECK(pos.QuadPart == 4000, "SEEK_CUR back");
    move.QuadPart = -10;
    CHECK_HR(IStream_Seek(s, move, STREAM_SEEK_END, &pos), S_OK);
    CHECK(pos.QuadPart == len - 10, "SEEK_END");
    n = 0;
    CHECK_HR(IStream_Read(s, buf, sizeof(buf), &n), S_OK);
    CHECK(n == 10 && !memcmp(buf, ref + len - 10, 10), "a read over the end gives what is left (%lu)", n);
    CHECK_HR(IStream_Read(s, buf, sizeof(buf), &n), S_OK);
    CHECK(n == 0, "a read at the end gives 0 bytes");
    move.QuadPart = 100000;
    CHECK_HR(IStream_Seek(s, move, STREAM_SEEK_END, &pos), S_OK);
    CHECK(pos.QuadPart == len + 100000, "past the end");
    n = 1;
    CHECK_HR(IStream_Read(s, buf, 100, &n), S_OK);
    CHECK(n == 0, "a read past the end gives 0 bytes");
    move.QuadPart = -1;
    CHECK_HR(IStream_Seek(s, move, STREAM_SEEK_SET, &pos), STG_E_INVALIDFUNCTION);
    CHECK(pos.QuadPart == len + 100000, "a refused seek leaves the position");
    move.QuadPart = 0;
    CHECK_HR(IStream_Seek(s, move, 3, NULL), STG_E_INVALIDFUNCTION);
    CHECK_HR(IStream_Seek(s, move, STREAM_SEEK_SET, NULL), S_OK);
    CHECK_HR(IStream_Read(s, NULL, 10, &n), STG_E_INVALIDPOINTER);
    CHECK_HR(IStream_Read(s, buf, 0, &n), S_OK);
    CHECK_HR(IStream_Read(s, buf, 7, NULL), S_OK);         /* NULL count allowed */
    CHECK(!memcmp(buf, ref, 7), "read with a NULL count");

    /* Read-only, no locking, Commit/Revert do nothing. */
    CHECK_HR(IStream_Write(s, "x", 1, &n), STG_E_ACCESSDENIED);
    cb.QuadPart = 10;
    CHECK_HR(IStream_SetSize(s, cb), STG_E_ACCESSDENIED);
    CHECK_HR(IStream_LockRegion(s, pos, cb, LOCK_WRITE), STG_E_INVALIDFUNCTION);
    CHECK_HR(IStream_UnlockRegion(s, pos, cb, LOCK_WRITE), STG_E_INVALIDFUNCTION);
    CHECK_HR(IStream_Commit(s, STGC_DEFAULT), S_OK);
    CHECK_HR(IStream_Revert(s), S_OK);

    /* Interfaces. */
    CHECK_HR(IStream_QueryInterface(s, &IID_ISequentialStream, (void **)&unk), S_OK);
    if (unk) IUnknown_Release(unk);
    CHECK_HR(IStream_QueryInterface(s, &IID_IDispatch, (void **)&unk), E_NOINTERFACE);
    CHECK_HR(IStream_QueryInterface(s, &IID_ISupportErrorInfo, (void **)&sei), S_OK);
    if (sei) {
        CHECK_HR(ISupportErrorInfo_InterfaceSupportsErrorInfo(sei, &IID_IStream), S_OK);
        ISupportErrorInfo_Release(sei);
    }

    /* CopyTo: counts, a short write reported, a failing destination, bad arguments. */
    {
        short_dest d = { { (IStreamVtbl *)&sd_vtbl }, 1, 1000, S_OK, 0 };
        ULARGE_INTEGER r = {{0}}, w = {{0}};
        cb.QuadPart = 5000;
        seek_to(s, 0);
        CHECK_HR(IStream_CopyTo(s, &d.IStream_iface, cb, &r, &w), STG_E_MEDIUMFULL);
        CHECK(w.QuadPart == 1000 && r.QuadPart >= w.QuadPart && r.QuadPart <= 5000, "short write: read %llu written %llu",
              (unsigned long long)r.QuadPart, (unsigned long long)w.QuadPart);
        move.QuadPart = 0;
        IStream_Seek(s, move, STREAM_SEEK_CUR, &pos);
        CHECK(pos.QuadPart == r.QuadPart, "after a short write the position is what was read");
        d.accept = 1u << 30;
        d.result = STG_E_WRITEFAULT;
        CHECK_HR(IStream_CopyTo(s, &d.IStream_iface, cb, &r, &w), STG_E_WRITEFAULT);
        CHECK_HR(IStream_CopyTo(s, NULL, cb, &r, &w), STG_E_INVALIDPOINTER);
        /* A copy that asks for more than is left stops at the end. */
        d.result = S_OK;
        d.got = 0;
        move.QuadPart = -3000;
        IStream_Seek(s, move, STREAM_SEEK_END, NULL);
        CHECK_HR(IStream_CopyTo(s, &d.IStream_iface, cb, &r, &w), S_OK);
        CHECK(r.QuadPart == 3000 && w.QuadPart == 3000 && d.got == 3000, "CopyTo at the end copies what is left");
        CHECK(d.refs == 1, "the destination is not kept");
    }
}

/* Random Seek (all origins) + Read, checked against the straight copy. */
static void test_random_reads(IStream *s, const char *ref, size_t len)
{
    unsigned x = 12345;
    LONGLONG cur = 0;
    char *buf = malloc(3 << 20);
    seek_to(s, 0);
    for (int i = 0; i < 3000; i++) {
        LARGE_INTEGER move;
        ULARGE_INTEGER pos;
        DWORD origin;
        LONGLONG target;
        size_t want;
        ULONG n = 0;
        x = x * 1103515245u + 12345u;
        target = (LONGLONG)((x >> 3) % (len + 4096));
        origin = (x >> 28) % 3;
        move.QuadPart = origin == STREAM_SEEK_SET ? target : origin == STREAM_SEEK_CUR ? target - cur : target - (LONGLONG)len;
        x = x * 1103515245u + 12345u;
        want = (x >> 8) % 9 == 0 ? (x >> 4) % (3 << 20) : (x >> 4) % 10000;
        if (FAILED(IStream_Seek(s, move, origin, &pos)) || (LONGLONG)pos.QuadPart != target) {
            CHECK(0, "seek %d to %lld", i, (long long)target);
            break;
        }
        IStream_Read(s, buf, (ULONG)want, &n);
        {
            size_t expect = (size_t)target >= len ? 0 : len - (size_t)target < want ? len - (size_t)target : want;
            if (n != expect || (n && memcmp(buf, ref + target, n))) {
                CHECK(0, "random read %d at %lld of %zu: %lu bytes", i, (long long)target, want, n);
                break;
            }
        }
        cur = target + n;
    }
    checks++;
    free(buf);
}

static void test_modified_blocks(IFileSystemImageResult *result, LONG start, LONG blocks)
{
    IFileSystemImageResult2 *r2 = NULL;
    IBlockRangeList *list = NULL;
    SAFEARRAY *sa = NULL;
    LONG lb = -1, ub = -2;
    VARTYPE vt = 0;

    CHECK_HR(IFileSystemImageResult_QueryInterface(result, &IID_IFileSystemImageResult2, (void **)&r2), S_OK);
    if (!r2) return;
    CHECK_HR(IFileSystemImageResult2_get_ModifiedBlocks(r2, &list), S_OK);
    if (list) {
        CHECK_HR(IBlockRangeList_get_BlockRanges(list, &sa), S_OK);
        if (sa) {
            SafeArrayGetVartype(sa, &vt);
            SafeArrayGetLBound(sa, 1, &lb);
            SafeArrayGetUBound(sa, 1, &ub);
            CHECK(vt == VT_VARIANT && SafeArrayGetDim(sa) == 1 && lb == 0 && ub == 0, "one range (vt %u, %ld..%ld)", vt, lb, ub);
            if (vt == VT_VARIANT && ub == 0) {
                VARIANT v;
                LONG i = 0, s = -1, e = -1;
                IBlockRange *range = NULL;
                VariantInit(&v);
                SafeArrayGetElement(sa, &i, &v);
                CHECK(V_VT(&v) == VT_DISPATCH, "the range is VT_DISPATCH (%u)", V_VT(&v));
                if (V_VT(&v) == VT_DISPATCH &&
                    SUCCEEDED(IDispatch_QueryInterface(V_DISPATCH(&v), &IID_IBlockRange, (void **)&range))) {
                    IBlockRange_get_StartLba(range, &s);
                    IBlockRange_get_EndLba(range, &e);
                    CHECK(s == start && e == start + blocks - 1, "ModifiedBlocks %ld..%ld, want %ld..%ld", s, e, start,
                          start + blocks - 1);
                    IBlockRange_Release(range);
                }
                VariantClear(&v);
            }
            SafeArrayDestroy(sa);
        }
        /* Late bound, as a script reads it: list.BlockRanges(0).EndLba. */
        {
            DISPID id = 0;
            LPOLESTR name = (LPOLESTR)L"BlockRanges";
            DISPPARAMS none = { NULL, NULL, 0, 0 };
            VARIANT v;
            VariantInit(&v);
            CHECK_HR(IBlockRangeList_GetIDsOfNames(list, &IID_NULL, &name, 1, 0, &id), S_OK);
            CHECK(id == 0x100, "DISPID of BlockRanges 0x%lx", id);
            CHECK_HR(IBlockRangeList_Invoke(list, id, &IID_NULL, 0, DISPATCH_PROPERTYGET, &none, &v, NULL, NULL), S_OK);
            CHECK(V_VT(&v) == (VT_ARRAY | VT_VARIANT), "BlockRanges is an array of VARIANT (vt 0x%x)", V_VT(&v));
            VariantClear(&v);
        }
        IBlockRangeList_Release(list);
    }
    CHECK_HR(IFileSystemImageResult2_get_ModifiedBlocks(r2, NULL), E_POINTER);
    IFileSystemImageResult2_Release(r2);
}

static char *whole_image(IFileSystemImageResult *result, LONG *blocks)
{
    IStream *s = NULL;
    char *ref;
    IFileSystemImageResult_get_TotalBlocks(result, blocks);
    IFileSystemImageResult_get_ImageStream(result, &s);
    ref = copy_by_blocks(s, *blocks);
    IStream_Release(s);
    return ref;
}

static WCHAR dir[MAX_PATH];              /* the source folder (make_tree) */

/* One result read by every client pattern, cloned, read on threads; several results at once, each
 * as it was; DiscId; ModifiedBlocks of a new image. */
static void streams(void)
{
    IFileSystemImage *image;
    IFileSystemImageResult *result, *result2, *result3;
    IFsiDirectoryItem *root;
    IStream *stream, *again, *clone;
    LONG blocks = 0, size = 0, used = 0;
    size_t len, len2;
    char *ref, *copy;
    BSTR s, id;

    image = image_of_tree(dir);
    CHECK_HR(IFileSystemImage_put_VolumeName(image, s = B(L"My Disc-1")), S_OK); SysFreeString(s);
    CHECK_HR(IFileSystemImage_get_UsedBlocks(image, &used), S_OK);
    CHECK_HR(IFileSystemImage_CreateResultImage(image, &result), S_OK);
    if (!result) return;

    CHECK_HR(IFileSystemImageResult_get_TotalBlocks(result, &blocks), S_OK);
    CHECK(blocks == used, "TotalBlocks %ld == UsedBlocks %ld", blocks, used);
    CHECK_HR(IFileSystemImageResult_get_BlockSize(result, &size), S_OK);
    CHECK(size == 2048, "BlockSize %ld", size);
    CHECK_HR(IFileSystemImageResult_get_ImageStream(result, &stream), S_OK);
    CHECK_HR(IFileSystemImageResult_get_ImageStream(result, &again), S_OK);
    CHECK(stream == again, "ImageStream gives the same stream each time");
    IStream_Release(again);
    len = (size_t)blocks * 2048;

    /* Every client pattern, each compared with the Read-by-block copy; twice over. */
    ref = copy_by_blocks(stream, blocks);
    CHECK(!memcmp(ref + 16 * 2048, "\1CD001", 6), "PVD at block 16");
    copy = copy_by_blocks(stream, blocks);
    CHECK(!memcmp(ref, copy, len), "reading the stream twice gives the same bytes");
    free(copy);
    copy = copy_chunks(stream, blocks, &len2);
    CHECK(len2 == len && !memcmp(ref, copy, len), "CopyTo in 2 MiB chunks with NULL out-pointers (%zu bytes)", len2);
    free(copy);
    copy = copy_whole(stream, &len2);
    CHECK(len2 == len && !memcmp(ref, copy, len), "Stat + one CopyTo (%zu bytes)", len2);
    free(copy);
    test_random_reads(stream, ref, len);
    test_stream_members(stream, ref, len);

    /* Clone: an independent position over the same image; read on other threads at once. */
    {
        LARGE_INTEGER move;
        ULARGE_INTEGER pos;
        reader r[3];
        HANDLE th[3];
        IStream *clone2;
        move.QuadPart = 12345;
        IStream_Seek(stream, move, STREAM_SEEK_SET, NULL);
        CHECK_HR(IStream_Clone(stream, &clone), S_OK);
        CHECK_HR(IStream_Clone(stream, NULL), STG_E_INVALIDPOINTER);
        move.QuadPart = 0;
        IStream_Seek(clone, move, STREAM_SEEK_CUR, &pos);
        CHECK(pos.QuadPart == 12345, "a clone starts at the position of its original");
        IStream_Seek(clone, move, STREAM_SEEK_SET, NULL);
        IStream_Seek(stream, move, STREAM_SEEK_CUR, &pos);
        CHECK(pos.QuadPart == 12345, "seeking a clone leaves the original");
        CHECK_HR(IStream_Clone(clone, &clone2), S_OK);
        r[0] = (reader){ clone, ref, len, 65536, 0 };
        r[1] = (reader){ clone2, ref, len, 2048, 0 };
        r[2] = (reader){ stream, ref, len, 1000000, 0 };
        for (int i = 0; i < 3; i++) th[i] = CreateThread(NULL, 0, reader_thread, &r[i], 0, NULL);
        WaitForMultipleObjects(3, th, TRUE, INFINITE);
        for (int i = 0; i < 3; i++) {
            CloseHandle(th[i]);
            CHECK(r[i].ok, "reader thread %d (a clone or the original) got the same bytes", i);
        }
        IStream_Release(clone2);
    }

    /* Several results at once; each stays as it was after the image changes or goes. */
    CHECK_HR(IFileSystemImage_get_Root(image, &root), S_OK);
    CHECK_HR(IFsiDirectoryItem_AddDirectory(root, s = B(L"later")), S_OK); SysFreeString(s);
    CHECK_HR(IFileSystemImage_CreateResultImage(image, &result2), S_OK);
    {
        IStream *data = SHCreateMemStream((const BYTE *)ref, 300000);
        CHECK_HR(IFsiDirectoryItem_AddFile(root, s = B(L"later\\more.bin"), data), S_OK); SysFreeString(s);
        IStream_Release(data);
    }
    CHECK_HR(IFileSystemImage_CreateResultImage(image, &result3), S_OK);
    IFsiDirectoryItem_Release(root);
    IFileSystemImage_Release(image);
    {
        LONG b2 = 0, b3 = 0;
        char *i2 = whole_image(result2, &b2), *i3 = whole_image(result3, &b3);
        copy = copy_whole(clone, &len2);
        CHECK(len2 == len && !memcmp(ref, copy, len), "the first result is unchanged after the image changed and went");
        CHECK(b3 >= b2 + 300000 / 2048, "the third result has the added file (%ld, %ld blocks)", b2, b3);
        CHECK(b2 >= blocks, "the second result has the added folder (%ld, %ld blocks)", blocks, b2);
        free(copy);
        free(i2);
        free(i3);
    }
    IStream_Release(clone);

    /* DiscId of a new image: zeros, as on Windows (not the volume name the PVD holds) */
    CHECK_HR(IFileSystemImageResult_get_DiscId(result, &id), S_OK);
    CHECK(id && !wcscmp(id, L"0000000000000000"), "DiscId '%ls'", id ? id : L"(null)");
    CHECK(!memcmp(ref + 16 * 2048 + 40, "MY_DISC_1 ", 10), "the PVD holds the volume name");
    SysFreeString(id);
    CHECK_HR(IFileSystemImageResult_get_DiscId(result, NULL), E_POINTER);

    test_modified_blocks(result, 0, blocks);

    IStream_Release(stream);
    IFileSystemImageResult_Release(result);
    IFileSystemImageResult_Release(result2);
    IFileSystemImageResult_Release(result3);
    free(ref);
}

/* A session that starts later: ModifiedBlocks is the session's blocks. */
static void later_session(void)
{
    IFileSystemImage *image;
    IFileSystemImageResult *result;
    LONG blocks = 0;

    image = image_of_tree(dir);
    CHECK_HR(IFileSystemImage_put_SessionStartBlock(image, 30000), S_OK);
    CHECK_HR(IFileSystemImage_CreateResultImage(image, &result), S_OK);
    if (result) {
        IFileSystemImageResult_get_TotalBlocks(result, &blocks);
        test_modified_blocks(result, 30000, blocks);
        IFileSystemImageResult_Release(result);
    }
    IFileSystemImage_Release(image);
}

/* Late bound: the result's properties through IDispatch. */
static void late_bound(void)
{
    IFileSystemImage *image;
    IFileSystemImageResult *result;

    image = image_of_tree(dir);
    if (SUCCEEDED(IFileSystemImage_CreateResultImage(image, &result))) {
        DISPID ids[2];
        LPOLESTR names[2] = { (LPOLESTR)L"DiscId", (LPOLESTR)L"ModifiedBlocks" };
        DISPPARAMS none = { NULL, NULL, 0, 0 };
        VARIANT v;
        CHECK_HR(IFileSystemImageResult_GetIDsOfNames(result, &IID_NULL, names, 1, 0, &ids[0]), S_OK);
        CHECK_HR(IFileSystemImageResult_GetIDsOfNames(result, &IID_NULL, names + 1, 1, 0, &ids[1]), S_OK);
        CHECK(ids[0] == 5 && ids[1] == 6, "DISPIDs DiscId %ld ModifiedBlocks %ld", ids[0], ids[1]);
        VariantInit(&v);
        CHECK_HR(IFileSystemImageResult_Invoke(result, ids[0], &IID_NULL, 0, DISPATCH_PROPERTYGET, &none, &v, NULL, NULL), S_OK);
        CHECK(V_VT(&v) == VT_BSTR && !wcscmp(V_BSTR(&v), L"0000000000000000"), "DiscId late bound");
        VariantClear(&v);
        CHECK_HR(IFileSystemImageResult_Invoke(result, ids[1], &IID_NULL, 0, DISPATCH_PROPERTYGET, &none, &v, NULL, NULL), S_OK);
        CHECK(V_VT(&v) == VT_DISPATCH, "ModifiedBlocks is an object");
        VariantClear(&v);
        IFileSystemImageResult_Release(result);
    }
    IFileSystemImage_Release(image);
}

static const test_case cases[] = {
    { "streams", streams },
    { "later_session", later_session },
    { "late_bound", late_bound },
};

int wmain(int argc, WCHAR **argv)
{
    int rc;
    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    make_tree(dir, L"result");
    rc = RUN_CASES(argc, argv, cases);
    remove_tree(dir);
    CoUninitialize();
    return rc;
}
