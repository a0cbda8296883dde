/*
 * single-adds.exe (tools/bench/single-adds.sh): N items added to a new MsftFileSystemImage one call
 * at a time, as burners that add file by file do, with FreeMediaBlocks as Windows leaves it
 * (332,800) or 0 (no limit). Prints one line: limit, kind, count, seconds of the adds, UsedBlocks.
 * Usage: single-adds.exe default|none file|dir|nested N. Exit 1 on any failure.
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

int wmain(int argc, WCHAR **argv)
{
    IFileSystemImage *image = NULL;
    IFsiDirectoryItem *root = NULL;
    LARGE_INTEGER freq, t0, t1;
    static const char data[1000];
    LONG used = 0, n;
    HRESULT hr = S_OK;
    WCHAR path[64];

    if (argc != 4) {
        fwprintf(stderr, L"usage: single-adds.exe default|none file|dir|nested N\n");
        return 2;
    }
    n = wcstol(argv[3], NULL, 10);
    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    if (FAILED(CoCreateInstance(&CLSID_MsftFileSystemImage, NULL, CLSCTX_INPROC_SERVER, &IID_IFileSystemImage,
                                (void **)&image))) return 1;
    if (!wcscmp(argv[1], L"none")) IFileSystemImage_put_FreeMediaBlocks(image, 0);
    IFileSystemImage_get_Root(image, &root);
    QueryPerformanceFrequency(&freq);
    QueryPerformanceCounter(&t0);
    for (LONG i = 0; i < n && SUCCEEDED(hr); i++) {
        BSTR p;
        if (!wcscmp(argv[2], L"dir")) {
            swprintf(path, 64, L"folder %06ld", i);
            hr = IFsiDirectoryItem_AddDirectory(root, p = SysAllocString(path));
        } else {
            IStream *s = SHCreateMemStream((const BYTE *)data, 1 + (UINT)(i % 1000));
            /* nested: 100 files per folder, the folder added first */
            if (!wcscmp(argv[2], L"nested") && i % 100 == 0) {
                swprintf(path, 64, L"folder %04ld", i / 100);
                hr = IFsiDirectoryItem_AddDirectory(root, p = SysAllocString(path));
                SysFreeString(p);
            }
            if (!wcscmp(argv[2], L"nested")) swprintf(path, 64, L"folder %04ld\\file %06ld.txt", i / 100, i);
            else swprintf(path, 64, L"file %06ld.txt", i);
            if (SUCCEEDED(hr)) hr = IFsiDirectoryItem_AddFile(root, p = SysAllocString(path), s);
            IStream_Release(s);
        }
        SysFreeString(p);
    }
    QueryPerformanceCounter(&t1);
    if (FAILED(hr)) {
        fwprintf(stderr, L"single-adds: add failed: 0x%08lx\n", (unsigned long)hr);
        return 1;
    }
    IFileSystemImage_get_UsedBlocks(image, &used);
    wprintf(L"%ls\t%ls\t%ld\t%.3f\t%ld\n", argv[1], argv[2], n, (double)(t1.QuadPart - t0.QuadPart) / freq.QuadPart, used);
    IFsiDirectoryItem_Release(root);
    IFileSystemImage_Release(image);
    CoUninitialize();
    return 0;
}
