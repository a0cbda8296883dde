/*
 * ISO 9660 and Joliet through the COM API: interchange levels, names per file system
 * (FileSystemName / FileSystemPath), files of 4 GiB and more, strict limits, restricted names,
 * volume names, hidden items; every failure with its documented HRESULT and text.
 */
#define COBJMACROS
#define CONST_VTABLE
#include <windows.h>
#include <ole2.h>
#include <shlwapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "imapi2fs.h"
#include "imapi2fserror.h"

static int failures, checks;

#define CHECK(cond, ...) do { checks++; if (!(cond)) { failures++; printf("not ok - " __VA_ARGS__); printf(" (line %d)\n", __LINE__); } } while (0)
#define CHECK_HR(expr, want) do { HRESULT hr_ = (expr); checks++; if (hr_ != (want)) { failures++; \
    printf("not ok - %s: 0x%08lx, want 0x%08lx (line %d)\n", #expr, (unsigned long)hr_, (unsigned long)(want), __LINE__); } } while (0)

static BSTR B(const WCHAR *s) { return SysAllocString(s); }

/* ---- a large stream that reads as a repeating pattern, without storage ---------------------- */
typedef struct big_stream { IStream IStream_iface; LONG refs; ULONGLONG size, pos; } big_stream;
static big_stream *impl(IStream *i) { return CONTAINING_RECORD(i, big_stream, IStream_iface); }
static HRESULT WINAPI bs_QI(IStream *i, REFIID riid, void **ppv)
{
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IStream) || IsEqualIID(riid, &IID_ISequentialStream)) {
        *ppv = i; IStream_AddRef(i); return S_OK;
    }
    *ppv = NULL; return E_NOINTERFACE;
}
static ULONG WINAPI bs_AddRef(IStream *i) { return InterlockedIncrement(&impl(i)->refs); }
static ULONG WINAPI bs_Release(IStream *i) { ULONG r = InterlockedDecrement(&impl(i)->refs); if (!r) free(impl(i)); return r; }
static HRESULT WINAPI bs_Read(IStream *i, void *buf, ULONG len, ULONG *got)
{
    big_stream *s = impl(i);
    ULONG n = s->pos >= s->size ? 0 : (ULONG)min((ULONGLONG)len, s->size - s->pos);
    for (ULONG k = 0; k < n; k++) ((BYTE *)buf)[k] = (BYTE)((s->pos + k) * 131 >> 11);
    s->pos += n;
    if (got) *got = n;
    return S_OK;
}
static HRESULT WINAPI bs_Write(IStream *i, const void *b, ULONG l, ULONG *w) { return STG_E_ACCESSDENIED; }
static HRESULT WINAPI bs_Seek(IStream *i, LARGE_INTEGER m, DWORD o, ULARGE_INTEGER *np)
{
    big_stream *s = impl(i);
    LONGLONG base = o == STREAM_SEEK_SET ? 0 : o == STREAM_SEEK_CUR ? (LONGLONG)s->pos : (LONGLONG)s->size;
    s->pos = (ULONGLONG)(base + m.QuadPart);
    if (np) np->QuadPart = s->pos;
    return S_OK;
}
static HRESULT WINAPI bs_SetSize(IStream *i, ULARGE_INTEGER n) { return E_NOTIMPL; }
static HRESULT WINAPI bs_CopyTo(IStream *i, IStream *d, ULARGE_INTEGER n, ULARGE_INTEGER *r, ULARGE_INTEGER *w) { return E_NOTIMPL; }
static HRESULT WINAPI bs_Commit(IStream *i, DWORD f) { return S_OK; }
static HRESULT WINAPI bs_Revert(IStream *i) { return S_OK; }
static HRESULT WINAPI bs_Lock(IStream *i, ULARGE_INTEGER o, ULARGE_INTEGER n, DWORD t) { return STG_E_INVALIDFUNCTION; }
static HRESULT WINAPI bs_Stat(IStream *i, STATSTG *st, DWORD f) { memset(st, 0, sizeof(*st)); st->type = STGTY_STREAM; st->cbSize.QuadPart = impl(i)->size; return S_OK; }
static HRESULT WINAPI bs_Clone(IStream *i, IStream **o) { return E_NOTIMPL; }
static const IStreamVtbl bs_vtbl = { bs_QI, bs_AddRef, bs_Release, bs_Read, bs_Write, bs_Seek, bs_SetSize,
                                     bs_CopyTo, bs_Commit, bs_Revert, bs_Lock, bs_Lock, bs_Stat, bs_Clone };
static IStream *big(ULONGLONG size)
{
    big_stream *s = calloc(1, sizeof(*s));
    s->IStream_iface.lpVtbl = &bs_vtbl; s->refs = 1; s->size = size;
    return &s->IStream_iface;
}

static IFileSystemImage *new_image(IFsiDirectoryItem **root)
{
    IFileSystemImage *image = NULL;
    CHECK_HR(CoCreateInstance(&CLSID_MsftFileSystemImage, NULL, CLSCTX_INPROC_SERVER, &IID_IFileSystemImage, (void **)&image), S_OK);
    IFileSystemImage_put_FreeMediaBlocks(image, 0);
    /* what these tests were written for (a fresh image has Windows' 7 and level 1: test_observed) */
    IFileSystemImage_put_FileSystemsToCreate(image, FsiFileSystemISO9660 | FsiFileSystemJoliet);
    IFileSystemImage_put_ISO9660InterchangeLevel(image, 2);
    IFileSystemImage_get_Root(image, root);
    return image;
}

static void check_error_text(const WCHAR *needle, const char *what)
{
    IErrorInfo *ei = NULL;
    BSTR desc = NULL;
    checks++;
    if (GetErrorInfo(0, &ei) != S_OK || !ei) { failures++; printf("not ok - %s: no IErrorInfo\n", what); return; }
    IErrorInfo_GetDescription(ei, &desc);
    IErrorInfo_Release(ei);
    if (!desc || !wcsstr(desc, needle)) { failures++; printf("not ok - %s: description '%ls'\n", what, desc ? desc : L"(null)"); }
    SysFreeString(desc);
}

static void add_empty(IFsiDirectoryItem *root, const WCHAR *path)
{
    IStream *s = SHCreateMemStream((const BYTE *)"", 0);
    BSTR b = B(path);
    CHECK_HR(IFsiDirectoryItem_AddFile(root, b, s), S_OK);
    SysFreeString(b);
    IStream_Release(s);
}

static void expect_name(IFsiDirectoryItem *root, const WCHAR *path, FsiFileSystems fs, const WCHAR *want_name, const WCHAR *want_path)
{
    IFsiItem *item = NULL;
    BSTR b = B(path), name = NULL, full = NULL;
    CHECK_HR(IFsiDirectoryItem_get_Item(root, b, &item), S_OK);
    SysFreeString(b);
    if (!item) return;
    CHECK_HR(IFsiItem_FileSystemName(item, fs, &name), S_OK);
    CHECK_HR(IFsiItem_FileSystemPath(item, fs, &full), S_OK);
    CHECK(name && !wcscmp(name, want_name), "FileSystemName(%ls, %d) = '%ls', want '%ls'", path, fs, name ? name : L"", want_name);
    CHECK(full && !wcscmp(full, want_path), "FileSystemPath(%ls, %d) = '%ls', want '%ls'", path, fs, full ? full : L"", want_path);
    SysFreeString(name);
    SysFreeString(full);
    IFsiItem_Release(item);
}

/* Read the root directory's records of the primary volume descriptor's tree: flags of a name. */
static int iso_flags_of(IStream *stream, const char *ident)
{
    BYTE pvd[2048], dir[2048];
    LARGE_INTEGER pos;
    ULONG n;
    pos.QuadPart = 16 * 2048;
    IStream_Seek(stream, pos, STREAM_SEEK_SET, NULL);
    IStream_Read(stream, pvd, 2048, &n);
    pos.QuadPart = (LONGLONG)(*(DWORD *)(pvd + 156 + 2)) * 2048;
    IStream_Seek(stream, pos, STREAM_SEEK_SET, NULL);
    IStream_Read(stream, dir, 2048, &n);
    for (int off = 0; off < 2048 && dir[off];) {
        BYTE len = dir[off], idlen = dir[off + 32];
        if (idlen == strlen(ident) && !memcmp(dir + off + 33, ident, idlen)) return dir[off + 25];
        off += len;
    }
    return -1;
}

int wmain(void)
{
    IFileSystemImage *image;
    IFsiDirectoryItem *root;
    IFileSystemImageResult *result = NULL;
    IStream *data;
    BSTR s;
    LONG blocks = 0;
    SAFEARRAY *sa = NULL;

    CoInitializeEx(NULL, COINIT_MULTITHREADED);

    /* Levels supported: {1, 2, 3} as VT_UI4. */
    image = new_image(&root);
    CHECK_HR(IFileSystemImage_get_ISO9660InterchangeLevelsSupported(image, &sa), S_OK);
    if (sa) {
        VARIANT *v;
        LONG ub = -1;
        SafeArrayGetUBound(sa, 1, &ub);
        SafeArrayAccessData(sa, (void **)&v);
        CHECK(ub == 1 && V_VT(&v[0]) == VT_UI4 && V_UI4(&v[0]) == 1 && V_UI4(&v[1]) == 2, "levels {1,2} VT_UI4");
        SafeArrayUnaccessData(sa);
        SafeArrayDestroy(sa);
    }
    CHECK_HR(IFileSystemImage_put_ISO9660InterchangeLevel(image, 4), IMAPI_E_INVALID_PARAM);
    CHECK_HR(IFileSystemImage_put_ISO9660InterchangeLevel(image, 0), IMAPI_E_INVALID_PARAM);

    /* Names per file system at level 2 (default) and the unique names after mapping. */
    CHECK_HR(IFsiDirectoryItem_AddDirectory(root, s = B(L"Include")), S_OK); SysFreeString(s);
    add_empty(root, L"Include\\a.h");
    add_empty(root, L"Include\\A.h");
    add_empty(root, L"Include\\what?.txt");
    add_empty(root, L"Include\\README");
    add_empty(root, L"Include\\emoji \xD83D\xDE00 file.txt");
    /* Collisions are resolved in ECMA-119 order of the original names: "A.h" < "a.h". */
    expect_name(root, L"Include\\A.h", FsiFileSystemISO9660, L"A.H", L"\\INCLUDE\\A.H");
    expect_name(root, L"Include\\a.h", FsiFileSystemISO9660, L"A_1.H", L"\\INCLUDE\\A_1.H");
    expect_name(root, L"Include\\a.h", FsiFileSystemJoliet, L"a.h", L"\\Include\\a.h");
    expect_name(root, L"Include\\A.h", FsiFileSystemJoliet, L"A.h", L"\\Include\\A.h");
    expect_name(root, L"Include\\what?.txt", FsiFileSystemJoliet, L"what_.txt", L"\\Include\\what_.txt");
    expect_name(root, L"Include\\what?.txt", FsiFileSystemISO9660, L"WHAT_.TXT", L"\\INCLUDE\\WHAT_.TXT");
    expect_name(root, L"Include\\emoji \xD83D\xDE00 file.txt", FsiFileSystemJoliet, L"emoji \xD83D\xDE00 file.txt", L"\\Include\\emoji \xD83D\xDE00 file.txt");
    {
        IFsiItem *item;
        BSTR name = NULL;
        IFsiDirectoryItem_get_Item(root, s = B(L"Include"), &item); SysFreeString(s);
        CHECK_HR(IFsiItem_FileSystemName(item, (FsiFileSystems)8, &name), IMAPI_E_INVALID_PARAM);
        IFsiItem_Release(item);
    }

    /* Level 1: 8.3 names. */
    CHECK_HR(IFileSystemImage_put_ISO9660InterchangeLevel(image, 1), S_OK);
    add_empty(root, L"longfilename1.text");
    add_empty(root, L"longfilename2.text");
    expect_name(root, L"longfilename1.text", FsiFileSystemISO9660, L"LONGFILE.TEX", L"\\LONGFILE.TEX");
    expect_name(root, L"longfilename2.text", FsiFileSystemISO9660, L"LONGFI_1.TEX", L"\\LONGFI_1.TEX");
    expect_name(root, L"Include", FsiFileSystemISO9660, L"INCLUDE", L"\\INCLUDE");

    /* A file over 2 GiB: too big for levels 1 and 2 (test_observed has the 2 GiB edge) ... */
    data = big(0x100000000ull + 12345);
    CHECK_HR(IFsiDirectoryItem_AddFile(root, s = B(L"huge.bin"), data), S_OK); SysFreeString(s);
    IStream_Release(data);
    CHECK_HR(IFileSystemImage_CreateResultImage(image, &result), IMAPI_E_DATA_TOO_BIG);
    check_error_text(L"'ISO9660/Joliet'", "IMAPI_E_DATA_TOO_BIG text names the file systems");
    CHECK_HR(IFileSystemImage_put_ISO9660InterchangeLevel(image, 2), S_OK);
    CHECK_HR(IFileSystemImage_CreateResultImage(image, &result), IMAPI_E_DATA_TOO_BIG);
    /* ... and written in several extents at level 3. */
    CHECK_HR(IFileSystemImage_put_ISO9660InterchangeLevel(image, 3), S_OK);
    CHECK_HR(IFileSystemImage_CreateResultImage(image, &result), S_OK);
    if (result) {
        IFileSystemImageResult_get_TotalBlocks(result, &blocks);
        CHECK(blocks > 2097152 + 6 && blocks < 2097152 + 100, "TotalBlocks %ld for a 4 GiB + 12345 file", blocks);
        IFileSystemImageResult_Release(result);
        result = NULL;
    }
    {
        LONG used = 0;
        CHECK_HR(IFileSystemImage_get_UsedBlocks(image, &used), S_OK);
        CHECK(used == blocks, "UsedBlocks %ld == TotalBlocks %ld", used, blocks);
    }
    IFsiDirectoryItem_Release(root);
    IFileSystemImage_Release(image);

    /* Strict compliance: only on an empty image; then depth over 8 and 65535 directories fail. */
    image = new_image(&root);
    CHECK_HR(IFsiDirectoryItem_AddDirectory(root, s = B(L"x")), S_OK); SysFreeString(s);
    CHECK_HR(IFileSystemImage_put_StrictFileSystemCompliance(image, VARIANT_TRUE), IMAPI_E_FILE_SYSTEM_NOT_EMPTY);
    IFsiDirectoryItem_Release(root);
    IFileSystemImage_Release(image);
    image = new_image(&root);
    CHECK_HR(IFileSystemImage_put_StrictFileSystemCompliance(image, VARIANT_TRUE), S_OK);
    {
        WCHAR path[64] = L"d1";
        for (int level = 2; level <= 8; level++) {
            CHECK_HR(IFsiDirectoryItem_AddDirectory(root, s = B(path)), S_OK); SysFreeString(s);
            swprintf(path + wcslen(path), 8, L"\\d%d", level);
        }
        /* root is level 1: d1..d7 are levels 2..8; one more is level 9. */
        CHECK_HR(IFsiDirectoryItem_AddDirectory(root, s = B(path)), IMAPI_E_ISO9660_LEVELS); SysFreeString(s);
        check_error_text(L"8 levels", "IMAPI_E_ISO9660_LEVELS text");
        add_empty(root, L"d1\\d2\\d3\\d4\\d5\\d6\\d7\\file-at-level-8.txt");
    }
    CHECK_HR(IFileSystemImage_CreateResultImage(image, &result), S_OK);
    if (result) { IFileSystemImageResult_Release(result); result = NULL; }
    IFsiDirectoryItem_Release(root);
    IFileSystemImage_Release(image);

    /* Relaxed (default): deep trees are written as they are. */
    image = new_image(&root);
    CHECK_HR(IFsiDirectoryItem_AddDirectory(root, s = B(L"a")), S_OK); SysFreeString(s);
    {
        WCHAR path[128] = L"a";
        for (int level = 2; level <= 12; level++) {
            swprintf(path + wcslen(path), 8, L"\\a");
            CHECK_HR(IFsiDirectoryItem_AddDirectory(root, s = B(path)), S_OK); SysFreeString(s);
        }
    }
    CHECK_HR(IFileSystemImage_CreateResultImage(image, &result), S_OK);
    if (result) { IFileSystemImageResult_Release(result); result = NULL; }

    /* UseRestrictedCharacterSet: names outside the ANSI code page fail. */
    CHECK_HR(IFileSystemImage_put_UseRestrictedCharacterSet(image, VARIANT_TRUE), S_OK);
    CHECK_HR(IFsiDirectoryItem_AddDirectory(root, s = B(L"\x4E2D\x6587")), IMAPI_E_RESTRICTED_NAME_VIOLATION); SysFreeString(s);
    check_error_text(L"ANSI", "IMAPI_E_RESTRICTED_NAME_VIOLATION text");
    CHECK_HR(IFsiDirectoryItem_AddDirectory(root, s = B(L"plain")), S_OK); SysFreeString(s);
    CHECK_HR(IFileSystemImage_put_UseRestrictedCharacterSet(image, VARIANT_FALSE), S_OK);
    CHECK_HR(IFsiDirectoryItem_AddDirectory(root, s = B(L"\x4E2D\x6587")), S_OK); SysFreeString(s);

    /* Volume names as clients pass them, mapped per file system. */
    {
        BSTR v = NULL;
        CHECK_HR(IFileSystemImage_put_VolumeName(image, s = B(L"my-backup.2026 disc one")), S_OK); SysFreeString(s);
        CHECK_HR(IFileSystemImage_get_VolumeNameISO9660(image, &v), S_OK);
        CHECK(v && !wcscmp(v, L"MY_BACKUP_2026_DISC_ONE"), "VolumeNameISO9660 '%ls'", v ? v : L"");
        SysFreeString(v);
        CHECK_HR(IFileSystemImage_get_VolumeNameJoliet(image, &v), S_OK);
        CHECK(v && !wcscmp(v, L"my-backup.2026 d"), "VolumeNameJoliet '%ls'", v ? v : L"");
        SysFreeString(v);
        CHECK_HR(IFileSystemImage_put_VolumeName(image, s = B(L"0123456789abcdef0123456789abcdefX")), IMAPI_E_INVALID_VOLUME_NAME); SysFreeString(s);
        check_error_text(L"Volume Identifier", "IMAPI_E_INVALID_VOLUME_NAME text");
    }
    IFsiDirectoryItem_Release(root);
    IFileSystemImage_Release(image);

    /* No name set: YYYYMMDD_HHMMSS of SOURCE_DATE_EPOCH, kept as the image's VolumeName. */
    SetEnvironmentVariableW(L"SOURCE_DATE_EPOCH", L"1700000000");
    _wputenv(L"SOURCE_DATE_EPOCH=1700000000");
    image = new_image(&root);
    add_empty(root, L"hidden.txt");
    add_empty(root, L"shown.txt");
    {
        IFsiItem *item;
        BSTR v = NULL;
        IStream *stream;
        IFsiDirectoryItem_get_Item(root, s = B(L"hidden.txt"), &item); SysFreeString(s);
        CHECK_HR(IFsiItem_put_IsHidden(item, VARIANT_TRUE), S_OK);
        IFsiItem_Release(item);
        CHECK_HR(IFileSystemImage_CreateResultImage(image, &result), S_OK);
        CHECK_HR(IFileSystemImage_get_VolumeName(image, &v), S_OK);
        CHECK(v && !wcscmp(v, L"20231114_221320"), "default VolumeName '%ls'", v ? v : L"");
        SysFreeString(v);
        IFileSystemImageResult_get_ImageStream(result, &stream);
        CHECK(iso_flags_of(stream, "HIDDEN.TXT;1") == 1, "hidden file has the existence bit");
        CHECK(iso_flags_of(stream, "SHOWN.TXT;1") == 0, "other file has no flag");
        IStream_Release(stream);
        IFileSystemImageResult_Release(result);
    }
    IFsiDirectoryItem_Release(root);
    IFileSystemImage_Release(image);

    CoUninitialize();
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
