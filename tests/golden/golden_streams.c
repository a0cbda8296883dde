/*
 * golden_streams.exe: the images of tests/golden/golden.sh that only the DLL can make. It adds a
 * folder with AddTree (so that every time in the image comes from the files, not from the clock),
 * then named streams (IFsiFileItem2::AddStream), real-time and hidden flags on files of it, and
 * writes the result's image stream to a file or to standard output (a pipe to a hash, for the 5 GiB
 * image).
 * Written against the IDL and include/ only, as an SDK client is, so that it outlives changes to
 * the DLL's insides.
 *
 *   golden_streams.exe [OPTIONS] SOURCE OUT|-
 *     -f MASK              FileSystemsToCreate, a number (1 ISO 9660, 2 Joliet, 4 UDF; default 7)
 *     -u REV               UDFRevision, hexadecimal (102 ... 260; default the DLL's)
 *     -l LEVEL             ISO9660InterchangeLevel (default 2) when ISO 9660 or Joliet is written
 *     --no-mirror          CreateRedundantUdfMetadataFiles false
 *     -V NAME              VolumeName (default: from SOURCE_DATE_EPOCH)
 *     --stream PATH NAME FILE   a named stream NAME on the image's file PATH (e.g. dir\a.txt),
 *                          its bytes those of FILE (repeatable, in this order)
 *     --realtime PATH      IsRealTime on the image's file PATH (repeatable)
 *     --hidden PATH        IsHidden on the image's file PATH (repeatable)
 *     --map FILE           the progress items, one line each as fsimage --map prints them (UTF-8)
 * AddStream and put_IsRealTime may answer IMAPI_S_IMAGE_FEATURE_NOT_SUPPORTED (a revision or file
 * system that does not write them): the image is still written. Any failure: a line on stderr and
 * exit status 1.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define COBJMACROS
#include <windows.h>
#include <ole2.h>
#include <shlwapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>
#include "imapi2fs.h"
#include "imapi2fserror.h"

#define MAX_ITEMS 64
#define CHUNK (1 << 20)

static void fail(const wchar_t *what, HRESULT hr)
{
    fwprintf(stderr, L"golden_streams: %ls: 0x%08lX\n", what, (unsigned long)hr);
    exit(1);
}

static void check(HRESULT hr, const wchar_t *what)
{
    if (FAILED(hr)) fail(what, hr);
}

static IFsiFileItem2 *file_item(IFsiDirectoryItem *root, const wchar_t *path)
{
    IFsiItem *item = NULL;
    IFsiFileItem2 *f = NULL;
    BSTR s = SysAllocString(path);
    HRESULT hr = IFsiDirectoryItem_get_Item(root, s, &item);
    SysFreeString(s);
    if (FAILED(hr)) fail(path, hr);
    hr = IFsiItem_QueryInterface(item, &IID_IFsiFileItem2, (void **)&f);
    IFsiItem_Release(item);
    if (FAILED(hr)) fail(path, hr);
    return f;
}

static void write_map(IFileSystemImageResult *result, const wchar_t *path)
{
    IProgressItems *items;
    IEnumProgressItems *e;
    IProgressItem *item;
    HANDLE h;
    check(IFileSystemImageResult_get_ProgressItems(result, &items), L"ProgressItems");
    check(IProgressItems_get_EnumProgressItems(items, &e), L"EnumProgressItems");
    h = CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    if (h == INVALID_HANDLE_VALUE) fail(L"create the map file", HRESULT_FROM_WIN32(GetLastError()));
    while (IEnumProgressItems_Next(e, 1, &item, NULL) == S_OK) {
        ULONG first = 0, last = 0, count = 0;
        BSTR desc = NULL;
        size_t n = 0;
        wchar_t *line;
        char *u;
        int len;
        DWORD w;
        IProgressItem_get_FirstBlock(item, &first);
        IProgressItem_get_LastBlock(item, &last);
        IProgressItem_get_BlockCount(item, &count);
        IProgressItem_get_Description(item, &desc);
        n = SysStringLen(desc) + 64;
        if (!(line = malloc(n * sizeof(*line)))) fail(L"memory", E_OUTOFMEMORY);
        swprintf(line, n, L"%10lu %10lu %10lu %ls\n", first, last, count, desc ? desc : L"");
        len = WideCharToMultiByte(CP_UTF8, 0, line, -1, NULL, 0, NULL, NULL);
        if (!(u = malloc(len))) fail(L"memory", E_OUTOFMEMORY);
        WideCharToMultiByte(CP_UTF8, 0, line, -1, u, len, NULL, NULL);
        if (!WriteFile(h, u, (DWORD)len - 1, &w, NULL)) fail(L"write the map", HRESULT_FROM_WIN32(GetLastError()));
        free(u);
        free(line);
        SysFreeString(desc);
        IProgressItem_Release(item);
    }
    CloseHandle(h);
    IEnumProgressItems_Release(e);
    IProgressItems_Release(items);
}

int wmain(int argc, wchar_t **argv)
{
    const wchar_t *stream_path[MAX_ITEMS], *stream_name[MAX_ITEMS], *stream_file[MAX_ITEMS];
    const wchar_t *realtime[MAX_ITEMS], *hidden[MAX_ITEMS];
    const wchar_t *source = NULL, *output = NULL, *volume = NULL, *map = NULL;
    int nstreams = 0, nrealtime = 0, nhidden = 0, no_mirror = 0;
    LONG fs = FsiFileSystemISO9660 | FsiFileSystemJoliet | FsiFileSystemUDF, rev = 0, level = 2, blocks = 0;
    IFileSystemImage *image;
    IFsiDirectoryItem *root;
    IFileSystemImageResult *result;
    IStream *stream;
    HANDLE out;
    HRESULT hr;
    BSTR s;
    char *buf;
    ULONGLONG done = 0;

    for (int i = 1; i < argc; i++) {
        const wchar_t *a = argv[i];
        int left = argc - i - 1;
        if (!wcscmp(a, L"-f") && left >= 1) fs = wcstol(argv[++i], NULL, 0);
        else if (!wcscmp(a, L"-u") && left >= 1) rev = wcstol(argv[++i], NULL, 16);
        else if (!wcscmp(a, L"-l") && left >= 1) level = wcstol(argv[++i], NULL, 10);
        else if (!wcscmp(a, L"-V") && left >= 1) volume = argv[++i];
        else if (!wcscmp(a, L"--map") && left >= 1) map = argv[++i];
        else if (!wcscmp(a, L"--no-mirror")) no_mirror = 1;
        else if (!wcscmp(a, L"--stream") && left >= 3 && nstreams < MAX_ITEMS) {
            stream_path[nstreams] = argv[++i];
            stream_name[nstreams] = argv[++i];
            stream_file[nstreams++] = argv[++i];
        }
        else if (!wcscmp(a, L"--realtime") && left >= 1 && nrealtime < MAX_ITEMS) realtime[nrealtime++] = argv[++i];
        else if (!wcscmp(a, L"--hidden") && left >= 1 && nhidden < MAX_ITEMS) hidden[nhidden++] = argv[++i];
        else if (a[0] == '-' && a[1]) { fwprintf(stderr, L"golden_streams: bad option '%ls'\n", a); return 2; }
        else if (!source) source = a;
        else if (!output) output = a;
        else { fwprintf(stderr, L"golden_streams: too many arguments\n"); return 2; }
    }
    if (!source || !output) { fwprintf(stderr, L"usage: golden_streams.exe [OPTIONS] SOURCE OUT|-\n"); return 2; }

    check(CoInitializeEx(NULL, COINIT_MULTITHREADED), L"CoInitializeEx");
    check(CoCreateInstance(&CLSID_MsftFileSystemImage, NULL, CLSCTX_INPROC_SERVER, &IID_IFileSystemImage,
                           (void **)&image), L"CoCreateInstance(MsftFileSystemImage)");
    check(IFileSystemImage_put_FileSystemsToCreate(image, (FsiFileSystems)fs), L"FileSystemsToCreate");
    if (rev) check(IFileSystemImage_put_UDFRevision(image, rev), L"UDFRevision");
    if (no_mirror)
        check(IFileSystemImage3_put_CreateRedundantUdfMetadataFiles((IFileSystemImage3 *)image, VARIANT_FALSE),
              L"CreateRedundantUdfMetadataFiles");
    if (fs & (FsiFileSystemISO9660 | FsiFileSystemJoliet))
        check(IFileSystemImage_put_ISO9660InterchangeLevel(image, level), L"ISO9660InterchangeLevel");
    check(IFileSystemImage_put_FreeMediaBlocks(image, 0), L"FreeMediaBlocks");
    if (volume) {
        s = SysAllocString(volume);
        check(IFileSystemImage_put_VolumeName(image, s), L"VolumeName");
        SysFreeString(s);
    }
    check(IFileSystemImage_get_Root(image, &root), L"Root");
    s = SysAllocString(source);
    check(IFsiDirectoryItem_AddTree(root, s, VARIANT_FALSE), L"AddTree");
    SysFreeString(s);

    for (int i = 0; i < nstreams; i++) {
        IFsiFileItem2 *f = file_item(root, stream_path[i]);
        IStream *data;
        check(SHCreateStreamOnFileEx(stream_file[i], STGM_READ | STGM_SHARE_DENY_NONE, FILE_ATTRIBUTE_NORMAL,
                                     FALSE, NULL, &data), stream_file[i]);
        s = SysAllocString(stream_name[i]);
        hr = IFsiFileItem2_AddStream(f, s, data);
        SysFreeString(s);
        if (hr != S_OK && hr != IMAPI_S_IMAGE_FEATURE_NOT_SUPPORTED) fail(L"AddStream", hr);
        IStream_Release(data);
        IFsiFileItem2_Release(f);
    }
    for (int i = 0; i < nrealtime; i++) {
        IFsiFileItem2 *f = file_item(root, realtime[i]);
        hr = IFsiFileItem2_put_IsRealTime(f, VARIANT_TRUE);
        if (hr != S_OK && hr != IMAPI_S_IMAGE_FEATURE_NOT_SUPPORTED) fail(L"IsRealTime", hr);
        IFsiFileItem2_Release(f);
    }
    for (int i = 0; i < nhidden; i++) {
        IFsiFileItem2 *f = file_item(root, hidden[i]);
        check(IFsiFileItem2_put_IsHidden(f, VARIANT_TRUE), L"IsHidden");
        IFsiFileItem2_Release(f);
    }

    check(IFileSystemImage_CreateResultImage(image, &result), L"CreateResultImage");
    check(IFileSystemImageResult_get_TotalBlocks(result, &blocks), L"TotalBlocks");
    if (map) write_map(result, map);
    check(IFileSystemImageResult_get_ImageStream(result, &stream), L"ImageStream");
    if (!wcscmp(output, L"-")) out = GetStdHandle(STD_OUTPUT_HANDLE);
    else out = CreateFileW(output, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    if (out == INVALID_HANDLE_VALUE) fail(L"create the output", HRESULT_FROM_WIN32(GetLastError()));
    if (!(buf = malloc(CHUNK))) fail(L"memory", E_OUTOFMEMORY);
    for (;;) {
        ULONG got = 0;
        DWORD w = 0;
        check(IStream_Read(stream, buf, CHUNK, &got), L"reading the image stream");
        if (!got) break;
        if (!WriteFile(out, buf, got, &w, NULL) || w != got)
            fail(L"writing the output", HRESULT_FROM_WIN32(GetLastError()));
        done += got;
    }
    if (done != (ULONGLONG)blocks * 2048) fail(L"the image stream's length is not TotalBlocks", E_FAIL);
    if (wcscmp(output, L"-")) CloseHandle(out);
    free(buf);
    IStream_Release(stream);
    IFileSystemImageResult_Release(result);
    IFsiDirectoryItem_Release(root);
    IFileSystemImage_Release(image);
    CoUninitialize();
    return 0;
}
