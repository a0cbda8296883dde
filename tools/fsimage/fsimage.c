/*
 * fsimage.exe: build a file system image of a folder through the IMAPI2FS COM API.
 *
 *   fsimage [options] SOURCE OUT.iso
 *
 * Uses only what a Windows client of imapi2fs.dll would: CoCreateInstance(MsftFileSystemImage),
 * IFsiDirectoryItem::AddTree, IFileSystemImage::CreateResultImage and the result's IStream.
 * On failure: exit status 1 and "fsimage: <step>: 0xHRESULT <message>" on stderr.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define COBJMACROS
#include <windows.h>
#include <ole2.h>
#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>
#include "imapi2fs.h"
#include "imapi2fserror.h"

static int quiet;

static void usage(FILE *f)
{
    fwprintf(f,
        L"usage: fsimage [options] SOURCE OUT.iso\n"
        L"Build an image of the folder SOURCE with the IMAPI2FS COM API.\n\n"
        L"  -f, --fs LIST         file systems: iso9660,joliet,udf (default iso9660,joliet)\n"
        L"  -l, --level N         ISO 9660 interchange level 1, 2 or 3 (default 2)\n"
        L"  -u, --udf REV         UDF revision: 102, 150, 200, 201, 250 or 260 (or 0x102 ...; default 102)\n"
        L"      --no-mirror       UDF 2.50+: no metadata mirror file (CreateRedundantUdfMetadataFiles)\n"
        L"  -V, --volume NAME     volume name (default: generated from the date and time)\n"
        L"  -b, --base            put SOURCE itself in the image (AddTree includeBaseDirectory)\n"
        L"  -m, --media-blocks N  FreeMediaBlocks: capacity in 2048-byte blocks (default 0: no limit)\n"
        L"  -s, --strict          StrictFileSystemCompliance\n"
        L"  -q, --quiet           no progress on stderr\n"
        L"  -h, --help            this text\n");
}

/* Print the failure with the object's IErrorInfo text and exit. */
static void fail(const wchar_t *step, HRESULT hr)
{
    IErrorInfo *ei = NULL;
    BSTR desc = NULL;
    if (GetErrorInfo(0, &ei) == S_OK && ei) {
        IErrorInfo_GetDescription(ei, &desc);
        IErrorInfo_Release(ei);
    }
    fwprintf(stderr, L"fsimage: %ls: 0x%08lX %ls\n", step, (unsigned long)hr, desc ? desc : L"");
    SysFreeString(desc);
    exit(1);
}

static int parse_fs(const wchar_t *list, FsiFileSystems *out)
{
    wchar_t buf[256], *tok, *ctx;
    unsigned fs = 0;
    wcsncpy(buf, list, 255);
    buf[255] = 0;
    for (tok = wcstok_s(buf, L",+", &ctx); tok; tok = wcstok_s(NULL, L",+", &ctx)) {
        if (!_wcsicmp(tok, L"iso9660") || !_wcsicmp(tok, L"iso")) fs |= FsiFileSystemISO9660;
        else if (!_wcsicmp(tok, L"joliet")) fs |= FsiFileSystemJoliet;
        else if (!_wcsicmp(tok, L"udf")) fs |= FsiFileSystemUDF;
        else return 0;
    }
    *out = (FsiFileSystems)fs;
    return fs != 0;
}

static void progress(ULONGLONG done, ULONGLONG total)
{
    static int last = -1;
    int pct = total ? (int)(done * 100 / total) : 100;
    if (quiet || pct == last) return;
    last = pct;
    fwprintf(stderr, L"\rwriting image: %3d%% (%I64u of %I64u blocks)", pct, done / 2048, total / 2048);
    if (done == total) fwprintf(stderr, L"\n");
}

int wmain(int argc, wchar_t **argv)
{
    FsiFileSystems fs = FsiFileSystemISO9660 | FsiFileSystemJoliet;
    const wchar_t *volume = NULL, *source = NULL, *output = NULL;
    LONG level = 2, media_blocks = 0, total_blocks = 0, files = 0, dirs = 0, udf = 0;
    int no_mirror = 0;
    int base = 0, strict = 0;
    IFileSystemImage *image;
    IFsiDirectoryItem *root;
    IFileSystemImageResult *result;
    IStream *stream;
    HANDLE out;
    HRESULT hr;
    char *buf;
    ULONGLONG done = 0, total;

    for (int i = 1; i < argc; i++) {
        const wchar_t *a = argv[i];
        const wchar_t *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (!wcscmp(a, L"-h") || !wcscmp(a, L"--help")) { usage(stdout); return 0; }
        else if ((!wcscmp(a, L"-f") || !wcscmp(a, L"--fs")) && next) {
            if (!parse_fs(next, &fs)) { fwprintf(stderr, L"fsimage: bad file system list '%ls'\n", next); return 2; }
            i++;
        }
        else if ((!wcscmp(a, L"-l") || !wcscmp(a, L"--level")) && next) { level = _wtoi(next); i++; }
        else if ((!wcscmp(a, L"-u") || !wcscmp(a, L"--udf")) && next) {
            /* "250" and "0x250" both mean UDF 2.50. */
            udf = (LONG)wcstol(next[0] == '0' && (next[1] == 'x' || next[1] == 'X') ? next + 2 : next, NULL, 16);
            i++;
        }
        else if (!wcscmp(a, L"--no-mirror")) no_mirror = 1;
        else if ((!wcscmp(a, L"-V") || !wcscmp(a, L"--volume")) && next) { volume = next; i++; }
        else if ((!wcscmp(a, L"-m") || !wcscmp(a, L"--media-blocks")) && next) { media_blocks = _wtoi(next); i++; }
        else if (!wcscmp(a, L"-b") || !wcscmp(a, L"--base")) base = 1;
        else if (!wcscmp(a, L"-s") || !wcscmp(a, L"--strict")) strict = 1;
        else if (!wcscmp(a, L"-q") || !wcscmp(a, L"--quiet")) quiet = 1;
        else if (a[0] == '-' && a[1]) { fwprintf(stderr, L"fsimage: unknown option '%ls'\n", a); usage(stderr); return 2; }
        else if (!source) source = a;
        else if (!output) output = a;
        else { usage(stderr); return 2; }
    }
    if (!source || !output) { usage(stderr); return 2; }

    if (FAILED(hr = CoInitializeEx(NULL, COINIT_MULTITHREADED))) fail(L"CoInitializeEx", hr);
    hr = CoCreateInstance(&CLSID_MsftFileSystemImage, NULL, CLSCTX_INPROC_SERVER, &IID_IFileSystemImage, (void **)&image);
    if (FAILED(hr)) fail(L"CoCreateInstance(MsftFileSystemImage)", hr);
    if (FAILED(hr = IFileSystemImage_put_FileSystemsToCreate(image, fs))) fail(L"FileSystemsToCreate", hr);
    if (udf && FAILED(hr = IFileSystemImage_put_UDFRevision(image, udf))) fail(L"UDFRevision", hr);
    if (no_mirror && FAILED(hr = IFileSystemImage3_put_CreateRedundantUdfMetadataFiles((IFileSystemImage3 *)image, VARIANT_FALSE)))
        fail(L"CreateRedundantUdfMetadataFiles", hr);
    if ((fs & FsiFileSystemISO9660) && FAILED(hr = IFileSystemImage_put_ISO9660InterchangeLevel(image, level)))
        fail(L"ISO9660InterchangeLevel", hr);
    if (FAILED(hr = IFileSystemImage_put_FreeMediaBlocks(image, media_blocks))) fail(L"FreeMediaBlocks", hr);
    if (strict && FAILED(hr = IFileSystemImage_put_StrictFileSystemCompliance(image, VARIANT_TRUE)))
        fail(L"StrictFileSystemCompliance", hr);
    if (volume) {
        BSTR v = SysAllocString(volume);
        hr = IFileSystemImage_put_VolumeName(image, v);
        SysFreeString(v);
        if (FAILED(hr)) fail(L"VolumeName", hr);
    }
    if (FAILED(hr = IFileSystemImage_get_Root(image, &root))) fail(L"Root", hr);
    if (!quiet) fwprintf(stderr, L"adding %ls\n", source);
    {
        BSTR s = SysAllocString(source);
        hr = IFsiDirectoryItem_AddTree(root, s, base ? VARIANT_TRUE : VARIANT_FALSE);
        SysFreeString(s);
        if (FAILED(hr)) fail(L"AddTree", hr);
    }
    IFileSystemImage_get_FileCount(image, &files);
    IFileSystemImage_get_DirectoryCount(image, &dirs);
    if (FAILED(hr = IFileSystemImage_CreateResultImage(image, &result))) fail(L"CreateResultImage", hr);
    if (FAILED(hr = IFileSystemImageResult_get_TotalBlocks(result, &total_blocks))) fail(L"TotalBlocks", hr);
    if (FAILED(hr = IFileSystemImageResult_get_ImageStream(result, &stream))) fail(L"ImageStream", hr);
    if (!quiet) fwprintf(stderr, L"%ld files, %ld directories, %ld blocks\n", files, dirs, total_blocks);

    out = CreateFileW(output, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    if (out == INVALID_HANDLE_VALUE) fail(L"create output", HRESULT_FROM_WIN32(GetLastError()));
    total = (ULONGLONG)total_blocks * 2048;
    if (!(buf = malloc(4 << 20))) fail(L"memory", E_OUTOFMEMORY);
    while (done < total) {
        ULONG want = total - done < (4u << 20) ? (ULONG)(total - done) : (4u << 20), got = 0;
        DWORD written = 0;
        if (FAILED(hr = IStream_Read(stream, buf, want, &got))) fail(L"reading the image stream", hr);
        if (got != want) fail(L"reading the image stream (short read)", E_FAIL);
        if (!WriteFile(out, buf, got, &written, NULL) || written != got)
            fail(L"writing the output", HRESULT_FROM_WIN32(GetLastError()));
        done += got;
        progress(done, total);
    }
    free(buf);
    CloseHandle(out);
    IStream_Release(stream);
    IFileSystemImageResult_Release(result);
    IFsiDirectoryItem_Release(root);
    IFileSystemImage_Release(image);
    CoUninitialize();
    return 0;
}
