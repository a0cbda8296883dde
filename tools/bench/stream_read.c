/*
 * stream-read.exe SOURCE PIECE...: how fast a client gets the image stream, by the size of its
 * reads. Builds an ISO 9660 + Joliet image of the folder SOURCE through the DLL (CoCreateInstance,
 * AddTree, CreateResultImage), then for each PIECE (bytes) reads the result's ImageStream from its
 * start to its end with IStream::Read(PIECE) into one buffer and prints
 *   "PIECE<TAB>seconds<TAB>MiB/s"
 * (only the reads are timed; the data is not written anywhere). PIECE 2048 is the loop most clients
 * run (Read(buf, 2048) TotalBlocks times; ../shared/reference/clients.md). Exit 1 on any failure.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define COBJMACROS
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include "imapi2fs.h"

static int fail(const char *what, HRESULT hr)
{
    fprintf(stderr, "stream-read: %s: 0x%08lX\n", what, (unsigned long)hr);
    return 1;
}

int wmain(int argc, wchar_t **argv)
{
    IFileSystemImage *image;
    IFsiDirectoryItem *root;
    IFileSystemImageResult *result;
    LONG blocks;
    BSTR source;
    HRESULT hr;
    char *buf;

    if (argc < 3) {
        fprintf(stderr, "usage: stream-read.exe SOURCE PIECE...\n");
        return 2;
    }
    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    if (FAILED(hr = CoCreateInstance(&CLSID_MsftFileSystemImage, NULL, CLSCTX_INPROC_SERVER, &IID_IFileSystemImage,
                                     (void **)&image)))
        return fail("CoCreateInstance", hr);
    IFileSystemImage_put_FileSystemsToCreate(image, FsiFileSystemISO9660 | FsiFileSystemJoliet);
    IFileSystemImage_put_FreeMediaBlocks(image, 0);     /* no size limit (the default is a CD) */
    if (FAILED(hr = IFileSystemImage_get_Root(image, &root))) return fail("Root", hr);
    source = SysAllocString(argv[1]);
    if (FAILED(hr = IFsiDirectoryItem_AddTree(root, source, VARIANT_FALSE))) return fail("AddTree", hr);
    SysFreeString(source);
    if (FAILED(hr = IFileSystemImage_CreateResultImage(image, &result))) return fail("CreateResultImage", hr);
    if (FAILED(hr = IFileSystemImageResult_get_TotalBlocks(result, &blocks))) return fail("TotalBlocks", hr);
    for (int i = 2; i < argc; i++) {
        ULONG piece = (ULONG)_wtol(argv[i]), got;
        ULONGLONG total = 0;
        LARGE_INTEGER freq, t0, t1;
        IStream *stream;
        if (!piece || !(buf = VirtualAlloc(NULL, piece, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE)))
            return fail("PIECE", E_INVALIDARG);
        LARGE_INTEGER zero = { 0 };
        if (FAILED(hr = IFileSystemImageResult_get_ImageStream(result, &stream))) return fail("ImageStream", hr);
        if (FAILED(hr = IStream_Seek(stream, zero, STREAM_SEEK_SET, NULL))) return fail("Seek", hr);
        QueryPerformanceFrequency(&freq);
        QueryPerformanceCounter(&t0);
        do {
            if (FAILED(hr = IStream_Read(stream, buf, piece, &got))) return fail("Read", hr);
            total += got;
        } while (got);
        QueryPerformanceCounter(&t1);
        IStream_Release(stream);
        VirtualFree(buf, 0, MEM_RELEASE);
        if (total != (ULONGLONG)blocks * 2048) return fail("Read (not TotalBlocks * 2048 bytes)", E_FAIL);
        double s = (double)(t1.QuadPart - t0.QuadPart) / freq.QuadPart;
        printf("%lu\t%.3f\t%.0f\n", piece, s, total / 1048576.0 / (s > 0 ? s : 1e-9));
    }
    IFileSystemImageResult_Release(result);
    IFsiDirectoryItem_Release(root);
    IFileSystemImage_Release(image);
    CoUninitialize();
    return 0;
}
