/*
 * StageFiles and WorkingDirectory: staged files keep the data they had when added; unstaged files
 * that change size fail the stream read with IMAPI_E_DATA_STREAM_INCONSISTENCY naming the file;
 * the stash file lives in the working directory, moves with it and is gone with its last user.
 */
#define CONST_VTABLE
#include "client_util.h"

/* A DFileSystemImageEvents sink recording Update's (copiedSectors, totalSectors). */
static LONG events[64][2];
static int nevents;
static HRESULT WINAPI sink_QI(IDispatch *d, REFIID riid, void **ppv)
{
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch) || IsEqualIID(riid, &IID_DFileSystemImageEvents)) {
        *ppv = d;
        return S_OK;
    }
    *ppv = NULL;
    return E_NOINTERFACE;
}
static ULONG WINAPI sink_AddRef(IDispatch *d) { return 2; }
static ULONG WINAPI sink_Release(IDispatch *d) { return 1; }
static HRESULT WINAPI sink_Count(IDispatch *d, UINT *n) { *n = 0; return S_OK; }
static HRESULT WINAPI sink_Info(IDispatch *d, UINT i, LCID l, ITypeInfo **t) { return E_NOTIMPL; }
static HRESULT WINAPI sink_Ids(IDispatch *d, REFIID r, LPOLESTR *n, UINT c, LCID l, DISPID *id) { return E_NOTIMPL; }
static HRESULT WINAPI sink_Invoke(IDispatch *d, DISPID id, REFIID r, LCID l, WORD f, DISPPARAMS *p, VARIANT *res, EXCEPINFO *e, UINT *a)
{
    /* Update(object, currentFile, copiedSectors, totalSectors): arguments reversed. */
    if (id == 0x100 && p->cArgs == 4 && nevents < 64) {
        events[nevents][0] = V_I4(&p->rgvarg[1]);
        events[nevents][1] = V_I4(&p->rgvarg[0]);
        nevents++;
    }
    return S_OK;
}
static const IDispatchVtbl sink_vtbl = { sink_QI, sink_AddRef, sink_Release, sink_Count, sink_Info, sink_Ids, sink_Invoke };
static IDispatch sink = { &sink_vtbl };

static int count_files(const WCHAR *dir)
{
    WCHAR pattern[MAX_PATH];
    WIN32_FIND_DATAW fd;
    HANDLE h;
    int n = 0;
    swprintf(pattern, MAX_PATH, L"%ls\\*", dir);
    if ((h = FindFirstFileW(pattern, &fd)) == INVALID_HANDLE_VALUE) return 0;
    do if (!(fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)) n++; while (FindNextFileW(h, &fd));
    FindClose(h);
    return n;
}

/* The whole image in memory (NULL and *hr set when the stream fails). */
static char *read_image(IFileSystemImageResult *result, size_t *len, HRESULT *hr)
{
    IStream *s;
    LONG blocks = 0;
    ULONG n = 0;
    char *buf;
    IFileSystemImageResult_get_TotalBlocks(result, &blocks);
    IFileSystemImageResult_get_ImageStream(result, &s);
    {
        LARGE_INTEGER zero = {{0}};
        IStream_Seek(s, zero, STREAM_SEEK_SET, NULL);   /* ImageStream is one object: rewind */
    }
    *len = (size_t)blocks * 2048;
    buf = malloc(*len);
    *hr = IStream_Read(s, buf, (ULONG)*len, &n);
    IStream_Release(s);
    if (FAILED(*hr) || n != *len) { free(buf); return NULL; }
    return buf;
}

static int contains(const char *hay, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (!memcmp(hay + i, needle, n)) return 1;
    return 0;
}

static WCHAR src[MAX_PATH], work[MAX_PATH], work2[MAX_PATH], file[MAX_PATH];

/* Staged: the image holds the data as it was when added; the stash moves with the working
 * directory and goes with its last user. */
static void staged(void)
{
    IFileSystemImage *image;
    IFsiDirectoryItem *root;
    IFileSystemImageResult *result = NULL;
    size_t len;
    HRESULT hr;
    char *img;
    BSTR s;
    VARIANT_BOOL stage;

    write_text(file, "ORIGINAL-CONTENT-1234");
    CoCreateInstance(&CLSID_MsftFileSystemImage, NULL, CLSCTX_INPROC_SERVER, &IID_IFileSystemImage, (void **)&image);
    IFileSystemImage_get_Root(image, &root);
    CHECK_HR(IFileSystemImage_get_StageFiles(image, &stage), S_OK);
    CHECK(stage == VARIANT_FALSE, "StageFiles defaults to FALSE");
    CHECK_HR(IFileSystemImage_put_WorkingDirectory(image, s = B(L"Z:\\no\\such\\dir")), IMAPI_E_INVALID_WORKING_DIRECTORY); SysFreeString(s);
    CHECK_HR(IFileSystemImage_put_WorkingDirectory(image, s = B(work)), S_OK); SysFreeString(s);
    CHECK_HR(IFileSystemImage_put_StageFiles(image, VARIANT_TRUE), S_OK);
    {
        /* Staging a 3 MiB file fires Update at 0, every megabyte and at the end. */
        IConnectionPointContainer *cpc = NULL;
        IConnectionPoint *cp = NULL;
        IStream *big = SHCreateMemStream(NULL, 0);
        ULARGE_INTEGER sz;
        DWORD cookie = 0;
        sz.QuadPart = 3 * 1024 * 1024 + 100;
        IStream_SetSize(big, sz);
        IFileSystemImage_QueryInterface(image, &IID_IConnectionPointContainer, (void **)&cpc);
        if (cpc && SUCCEEDED(IConnectionPointContainer_FindConnectionPoint(cpc, &IID_DFileSystemImageEvents, &cp))) {
            CHECK_HR(IConnectionPoint_Advise(cp, (IUnknown *)&sink, &cookie), S_OK);
            CHECK_HR(IFsiDirectoryItem_AddFile(root, s = B(L"big.bin"), big), S_OK); SysFreeString(s);
            CHECK(nevents == 5 && events[0][0] == 0 && events[1][0] == 512 && events[2][0] == 1024 &&
                  events[3][0] == 1536 && events[4][0] == 1537 && events[4][1] == 1537,
                  "staging events: %d (%ld/%ld first, %ld/%ld last)", nevents, events[0][0], events[0][1],
                  events[nevents ? nevents - 1 : 0][0], events[nevents ? nevents - 1 : 0][1]);
            IConnectionPoint_Unadvise(cp, cookie);
            IConnectionPoint_Release(cp);
        } else CHECK(0, "connection point for DFileSystemImageEvents");
        if (cpc) IConnectionPointContainer_Release(cpc);
        IStream_Release(big);
    }
    CHECK_HR(IFsiDirectoryItem_AddTree(root, s = B(src), VARIANT_FALSE), S_OK); SysFreeString(s);
    {
        /* A caller's stream, changed after AddFile. */
        IStream *mem = SHCreateMemStream((const BYTE *)"STREAM-BEFORE-xyz", 17);
        LARGE_INTEGER zero = {{0}};
        CHECK_HR(IFsiDirectoryItem_AddFile(root, s = B(L"stream.txt"), mem), S_OK); SysFreeString(s);
        IStream_Seek(mem, zero, STREAM_SEEK_SET, NULL);
        IStream_Write(mem, "STREAM-AFTER--xyz", 17, NULL);
        IStream_Release(mem);
    }
    CHECK(count_files(work) == 1, "one stash file in the working directory (%d)", count_files(work));
    write_text(file, "CHANGED-CONTENT-9876 and longer");
    CHECK_HR(IFileSystemImage_CreateResultImage(image, &result), S_OK);
    img = read_image(result, &len, &hr);
    CHECK(img != NULL, "staged image reads (0x%08lx)", (unsigned long)hr);
    if (img) {
        CHECK(contains(img, len, "ORIGINAL-CONTENT-1234"), "staged file has its data of add time");
        CHECK(!contains(img, len, "CHANGED-CONTENT"), "not the changed data");
        CHECK(contains(img, len, "STREAM-BEFORE-xyz"), "staged stream has its data of add time");
        free(img);
    }
    /* The stash moves with the working directory. */
    CHECK_HR(IFileSystemImage_put_WorkingDirectory(image, s = B(work2)), S_OK); SysFreeString(s);
    CHECK(count_files(work) == 0 && count_files(work2) == 1, "stash moved (%d, %d)", count_files(work), count_files(work2));
    img = read_image(result, &len, &hr);
    CHECK(img && contains(img, len, "ORIGINAL-CONTENT-1234"), "result still reads after the move");
    free(img);
    /* Gone with its last user: the image and the result. */
    IFsiDirectoryItem_Release(root);
    IFileSystemImage_Release(image);
    CHECK(count_files(work2) == 1, "stash kept while a result uses it");
    IFileSystemImageResult_Release(result);
    CHECK(count_files(work2) == 0, "stash deleted with its last user (%d)", count_files(work2));
}

/* Not staged: a source that changed size fails the read, naming the file. */
static void not_staged(void)
{
    IFileSystemImage *image;
    IFsiDirectoryItem *root;
    IFileSystemImageResult *result = NULL;
    size_t len;
    HRESULT hr;
    char *img;
    BSTR s;

    write_text(file, "SHORT");
    CoCreateInstance(&CLSID_MsftFileSystemImage, NULL, CLSCTX_INPROC_SERVER, &IID_IFileSystemImage, (void **)&image);
    IFileSystemImage_get_Root(image, &root);
    CHECK_HR(IFsiDirectoryItem_AddTree(root, s = B(src), VARIANT_FALSE), S_OK); SysFreeString(s);
    write_text(file, "MUCH LONGER THAN BEFORE");
    CHECK_HR(IFileSystemImage_CreateResultImage(image, &result), S_OK);
    img = read_image(result, &len, &hr);
    CHECK(!img && hr == IMAPI_E_DATA_STREAM_INCONSISTENCY, "changed source: 0x%08lx", (unsigned long)hr);
    {
        IErrorInfo *ei = NULL;
        BSTR desc = NULL;
        if (GetErrorInfo(0, &ei) == S_OK && ei) { IErrorInfo_GetDescription(ei, &desc); IErrorInfo_Release(ei); }
        CHECK(desc && wcsstr(desc, L"data.txt") && wcsstr(desc, L"expected 5 bytes"), "text '%ls'", desc ? desc : L"(null)");
        SysFreeString(desc);
    }
    free(img);
    IFileSystemImageResult_Release(result);
    /* The image stays usable: the source fixed, a new result reads. */
    write_text(file, "FIXED");
    CHECK_HR(IFileSystemImage_CreateResultImage(image, &result), S_OK);
    img = read_image(result, &len, &hr);
    CHECK(img && contains(img, len, "FIXED"), "a new result after the source is right again");
    free(img);
    IFileSystemImageResult_Release(result);
    IFsiDirectoryItem_Release(root);
    IFileSystemImage_Release(image);
}

static const test_case cases[] = {
    { "staged", staged },
    { "not_staged", not_staged },
};

int wmain(int argc, WCHAR **argv)
{
    WCHAR tmp[MAX_PATH];
    int rc;

    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    GetTempPathW(MAX_PATH, tmp);
    swprintf(src, MAX_PATH, L"%lsfsi-stage-src-%lu", tmp, GetCurrentProcessId());
    swprintf(work, MAX_PATH, L"%lsfsi-stage-work-%lu", tmp, GetCurrentProcessId());
    swprintf(work2, MAX_PATH, L"%lsfsi-stage-work2-%lu", tmp, GetCurrentProcessId());
    swprintf(file, MAX_PATH, L"%ls\\data.txt", src);
    CreateDirectoryW(src, NULL);
    CreateDirectoryW(work, NULL);
    CreateDirectoryW(work2, NULL);
    rc = RUN_CASES(argc, argv, cases);
    DeleteFileW(file);
    RemoveDirectoryW(src);
    RemoveDirectoryW(work);
    RemoveDirectoryW(work2);
    CoUninitialize();
    return rc;
}
