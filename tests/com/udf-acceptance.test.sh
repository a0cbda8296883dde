#!/usr/bin/env bash
# UDF acceptance (issue 4) through the DLL: tests/iso/udf-acceptance.sh with a maker that drives
# imapi2fs.dll the way a client does. For every UDF revision alone (FileSystemsToCreate 4) and
# bridged (7 = ISO 9660 + Joliet + UDF), images of the prepared tree with 20,000 small files and
# named streams, judged by 7-Zip, udfinfo, udfdump, udfclient (check-udf.sh), udfstreams.py and,
# for the bridges, check-image.sh.
#
#   udf-acceptance.test.sh               the CI run (ctest com.udf-acceptance): the 12 images,
#                                        the 5 GiB sparse file in UDF 2.60 alone only (time)
#   udf-acceptance.test.sh --full        the full run: the 5 GiB sparse file in all 12 images
#   other options go to tests/iso/udf-acceptance.sh (--sparse, --files, --work, --scratch)
# Needs FSI_SRC, FSI_BUILD (the win64 build) and a Wine prefix with the DLL registered (CTest's
# environment; by hand: tools/wine's WINEPREFIX after `tools/wine true`).
#
# The maker, acc_image.exe, is the C client below, compiled here with the build's MinGW compiler
# against the widl header (fsimage.exe has no way to add named streams, and Wine has no alternate
# data streams for AddTreeWithNamedStreams to find: behaviour.md). With one MsftFileSystemImage it
# calls AddTreeWithNamedStreams on the tree, AddStream for each stream of the list (S_OK when the
# first image's selection is UDF 2.00+, IMAPI_S_IMAGE_FEATURE_NOT_SUPPORTED otherwise, checked),
# then for each image puts FileSystemsToCreate, UDFRevision and ISO9660InterchangeLevel, calls
# CreateResultImage and copies the image stream to the file, its all-zero 4 MiB pieces left as
# holes (so a 5 GiB image takes ~150 MB of disk).
set -uo pipefail
: "${FSI_SRC:?FSI_SRC: the source tree}" "${FSI_BUILD:?FSI_BUILD: the win64 build}"

source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"   # w
if [ "${1:-}" = --make ]; then          # the maker: Unix paths to Wine's
    shift
    args=("$(w "$1")" "$(w "$2")" "$3")
    shift 3
    while [ $# -ge 4 ]; do args+=("$1" "$2" "$3" "$(w "$4")"); shift 4; done
    exec wine "$ACC_IMAGE_EXE" "${args[@]}"
fi

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cc=$(sed -n 's/^set(CMAKE_C_COMPILER "\(.*\)")$/\1/p' "$FSI_BUILD"/CMakeFiles/*/CMakeCCompiler.cmake 2>/dev/null | head -n 1)
cc=${cc:-x86_64-w64-mingw32-gcc}
cat >"$tmp/acc_image.c" <<'CSRC'
/* acc_image SRC LIST VOLUME FS REV LEVEL OUT [FS REV LEVEL OUT]...
 * One MsftFileSystemImage: AddTreeWithNamedStreams(SRC), then AddStream for each line of LIST
 * (UTF-8 "file/in/image<TAB>stream name<TAB>source file", a source starting with '/' being a Unix
 * path on drive Z:), then for each (FS, REV, LEVEL, OUT): FileSystemsToCreate, UDFRevision,
 * ISO9660InterchangeLevel, CreateResultImage, and the image stream written to OUT with its
 * all-zero 4 MiB pieces left as holes. Prints "image N: ..." when the Nth image is written. */
#define COBJMACROS
#include <windows.h>
#include <shlwapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include "imapi2fs.h"
#include "imapi2fserror.h"

static void fail(const wchar_t *what, HRESULT hr)
{
    IErrorInfo *ei = NULL;
    BSTR d = NULL;
    if (GetErrorInfo(0, &ei) == S_OK && ei) { IErrorInfo_GetDescription(ei, &d); IErrorInfo_Release(ei); }
    fwprintf(stderr, L"acc_image: %ls: 0x%08lx %ls\n", what, (unsigned long)hr, d ? d : L"");
    exit(1);
}

static void select_fs(IFileSystemImage *image, FsiFileSystems fs, LONG rev, LONG level)
{
    HRESULT hr;
    if (FAILED(hr = IFileSystemImage_put_FileSystemsToCreate(image, fs))) fail(L"FileSystemsToCreate", hr);
    if ((fs & FsiFileSystemUDF) && FAILED(hr = IFileSystemImage_put_UDFRevision(image, rev))) fail(L"UDFRevision", hr);
    if ((fs & FsiFileSystemISO9660) && FAILED(hr = IFileSystemImage_put_ISO9660InterchangeLevel(image, level)))
        fail(L"ISO9660InterchangeLevel", hr);
}

/* AddStream for each line of the list; returns the number added */
static long add_streams(IFsiDirectoryItem *root, const wchar_t *list, HRESULT want)
{
    FILE *f = _wfopen(list, L"rb");
    char line[8192];
    long n = 0;
    if (!f) fail(L"opening the stream list", HRESULT_FROM_WIN32(GetLastError()));
    while (fgets(line, sizeof line, f)) {
        wchar_t w[8192], *path, *name, *src, *ctx;
        IFsiItem *item = NULL;
        IFsiFileItem2 *file = NULL;
        IStream *data = NULL;
        BSTR b;
        HRESULT hr;
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0]) continue;
        if (!MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, line, -1, w, 8192)) fail(L"the list is not UTF-8", E_FAIL);
        path = wcstok_s(w, L"\t", &ctx);
        name = wcstok_s(NULL, L"\t", &ctx);
        src = wcstok_s(NULL, L"\t", &ctx);
        if (!path || !name || !src) fail(L"a list line is not PATH<TAB>NAME<TAB>SOURCE", E_INVALIDARG);
        for (wchar_t *p = path; *p; p++) if (*p == '/') *p = '\\';
        if (src[0] == '/') {                            /* a Unix path: drive Z: under Wine */
            memmove(src + 2, src, (wcslen(src) + 1) * sizeof(wchar_t));
            src[0] = 'Z', src[1] = ':';
            for (wchar_t *p = src; *p; p++) if (*p == '/') *p = '\\';
        }
        hr = IFsiDirectoryItem_get_Item(root, b = SysAllocString(path), &item);
        SysFreeString(b);
        if (FAILED(hr)) fail(path, hr);
        if (FAILED(hr = IFsiItem_QueryInterface(item, &IID_IFsiFileItem2, (void **)&file))) fail(path, hr);
        hr = SHCreateStreamOnFileEx(src, STGM_READ | STGM_SHARE_DENY_NONE, FILE_ATTRIBUTE_NORMAL, FALSE, NULL, &data);
        if (FAILED(hr)) fail(src, hr);
        hr = IFsiFileItem2_AddStream(file, b = SysAllocString(name), data);
        SysFreeString(b);
        if (hr != want) {
            fwprintf(stderr, L"acc_image: AddStream %ls:%ls: 0x%08lx, expected 0x%08lx\n", path, name,
                     (unsigned long)hr, (unsigned long)want);
            exit(1);
        }
        IStream_Release(data);
        IFsiFileItem2_Release(file);
        IFsiItem_Release(item);
        n++;
    }
    fclose(f);
    return n;
}

static void write_image(IFileSystemImage *image, const wchar_t *out, int n)
{
    IFileSystemImageResult *result;
    IStream *stream;
    LONG blocks;
    HANDLE h;
    LARGE_INTEGER zero = { 0 }, end;
    ULONGLONG total, done = 0, holes = 0, t0 = GetTickCount64();
    static unsigned char buf[4 << 20];
    HRESULT hr;
    if (FAILED(hr = IFileSystemImage_CreateResultImage(image, &result))) fail(L"CreateResultImage", hr);
    if (FAILED(hr = IFileSystemImageResult_get_TotalBlocks(result, &blocks))) fail(L"TotalBlocks", hr);
    if (FAILED(hr = IFileSystemImageResult_get_ImageStream(result, &stream))) fail(L"ImageStream", hr);
    h = CreateFileW(out, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    if (h == INVALID_HANDLE_VALUE) fail(out, HRESULT_FROM_WIN32(GetLastError()));
    total = (ULONGLONG)blocks * 2048;
    while (done < total) {
        ULONG want = total - done < sizeof buf ? (ULONG)(total - done) : (ULONG)sizeof buf, got = 0;
        DWORD written = 0;
        size_t i = 0;
        if (FAILED(hr = IStream_Read(stream, buf, want, &got))) fail(L"reading the image stream", hr);
        if (got != want) fail(L"reading the image stream (short read)", E_FAIL);
        while (i < got && !buf[i]) i++;
        if (i == got) {                                 /* all zeros: a hole */
            LARGE_INTEGER by;
            by.QuadPart = got;
            if (!SetFilePointerEx(h, by, NULL, FILE_CURRENT)) fail(L"seeking the output", HRESULT_FROM_WIN32(GetLastError()));
            holes += got;
        } else if (!WriteFile(h, buf, got, &written, NULL) || written != got) {
            fail(L"writing the output", HRESULT_FROM_WIN32(GetLastError()));
        }
        done += got;
    }
    if (!SetFilePointerEx(h, zero, &end, FILE_CURRENT) || !SetEndOfFile(h)) fail(L"ending the output", HRESULT_FROM_WIN32(GetLastError()));
    CloseHandle(h);
    wprintf(L"image %d: %ld blocks, %llu MiB written, %llu MiB left as holes, %.1f s\n", n, blocks,
            (total - holes) >> 20, holes >> 20, (GetTickCount64() - t0) / 1000.0);
    fflush(stdout);
    IStream_Release(stream);
    IFileSystemImageResult_Release(result);
}

int wmain(int argc, wchar_t **argv)
{
    IFileSystemImage *image;
    IFsiDirectoryItem *root;
    LONG files = 0, dirs = 0;
    long streams;
    int first_streams;
    ULONGLONG t0 = GetTickCount64();
    BSTR b;
    HRESULT hr;
    if (argc < 8 || (argc - 4) % 4) {
        fwprintf(stderr, L"usage: acc_image SRC LIST VOLUME FS REV LEVEL OUT [FS REV LEVEL OUT]...\n");
        return 2;
    }
    if (FAILED(hr = CoInitializeEx(NULL, COINIT_MULTITHREADED))) fail(L"CoInitializeEx", hr);
    hr = CoCreateInstance(&CLSID_MsftFileSystemImage, NULL, CLSCTX_INPROC_SERVER, &IID_IFileSystemImage, (void **)&image);
    if (FAILED(hr)) fail(L"CoCreateInstance(MsftFileSystemImage)", hr);
    if (FAILED(hr = IFileSystemImage_put_FreeMediaBlocks(image, 0))) fail(L"FreeMediaBlocks", hr);
    if (FAILED(hr = IFileSystemImage_put_VolumeName(image, b = SysAllocString(argv[3])))) fail(L"VolumeName", hr);
    SysFreeString(b);
    /* the first output's file systems are selected while the tree and the streams are added */
    select_fs(image, wcstol(argv[4], NULL, 0), wcstol(argv[5], NULL, 0), wcstol(argv[6], NULL, 0));
    first_streams = (wcstol(argv[4], NULL, 0) & FsiFileSystemUDF) && wcstol(argv[5], NULL, 0) >= 0x200;
    if (FAILED(hr = IFileSystemImage_get_Root(image, &root))) fail(L"Root", hr);
    hr = IFsiDirectoryItem2_AddTreeWithNamedStreams((IFsiDirectoryItem2 *)root, b = SysAllocString(argv[1]), VARIANT_FALSE);
    SysFreeString(b);
    if (hr != (first_streams ? S_OK : IMAPI_S_IMAGE_FEATURE_NOT_SUPPORTED)) fail(L"AddTreeWithNamedStreams", hr);
    streams = add_streams(root, argv[2], first_streams ? S_OK : IMAPI_S_IMAGE_FEATURE_NOT_SUPPORTED);
    IFileSystemImage_get_FileCount(image, &files);
    IFileSystemImage_get_DirectoryCount(image, &dirs);
    wprintf(L"%ld files, %ld directories, %ld named streams added, %.1f s\n", files, dirs, streams,
            (GetTickCount64() - t0) / 1000.0);
    fflush(stdout);
    for (int i = 4; i < argc; i += 4) {
        select_fs(image, wcstol(argv[i], NULL, 0), wcstol(argv[i + 1], NULL, 0), wcstol(argv[i + 2], NULL, 0));
        write_image(image, argv[i + 3], i / 4);
    }
    IFsiDirectoryItem_Release(root);
    IFileSystemImage_Release(image);
    CoUninitialize();
    return 0;
}
CSRC
if ! "$cc" -O1 -Wall -municode -DUNICODE -D_UNICODE -I"$FSI_BUILD/generated" -I"$FSI_SRC/include" \
        -o "$tmp/acc_image.exe" "$tmp/acc_image.c" "$FSI_BUILD/generated/imapi2fs_i.c" \
        "$FSI_BUILD/generated/imapi2_i.c" -static-libgcc -lole32 -loleaut32 -luuid -lshlwapi 2>"$tmp/cc.log"; then
    echo "not ok - compiling acc_image.exe with $cc"; sed 's/^/#   /' "$tmp/cc.log"; echo "0 passed, 1 failed"; exit 1
fi
export ACC_IMAGE_EXE=$tmp/acc_image.exe
opts=(--sparse 4:0x260)
if [ "${1:-}" = --full ]; then opts=(--sparse all); shift; fi
bash "$FSI_SRC/tests/iso/udf-acceptance.sh" "${opts[@]}" "$@" bash "${BASH_SOURCE[0]}" --make
