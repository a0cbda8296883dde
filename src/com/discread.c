/*
 * Reading the medium behind an IDiscRecorder2 (IdentifyFileSystemsOnDisc, and import).
 * A recorder object that also answers QueryInterface for IStream is read through that stream:
 * this is how tools and tests present an image file as a disc. Otherwise the recorder's volume
 * (VolumePathNames, e.g. "D:\") is opened as a raw device (\\.\D:), as on Windows.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "private.h"
#include <stdlib.h>
#include <winioctl.h>

struct fsi_disc {
    CRITICAL_SECTION cs;            /* reads come from several cursors (threads) at once */
    IStream *stream;                /* either this ... */
    HANDLE device;                  /* ... or this */
    uint64_t blocks;
};

static HRESULT open_device(IDiscRecorder2 *recorder, fsi_disc *d)
{
    SAFEARRAY *sa = NULL;
    VARIANT v;
    LONG i = 0;
    WCHAR path[MAX_PATH];
    HRESULT hr;
    GET_LENGTH_INFORMATION len;
    DWORD got;

    if (FAILED(hr = IDiscRecorder2_get_VolumePathNames(recorder, &sa)) || !sa) return E_IMAPI_RECORDER_MEDIA_INCOMPATIBLE;
    VariantInit(&v);
    hr = SafeArrayGetElement(sa, &i, &v);
    SafeArrayDestroy(sa);
    if (FAILED(hr) || V_VT(&v) != VT_BSTR || !V_BSTR(&v) || !V_BSTR(&v)[0]) {
        VariantClear(&v);
        return E_IMAPI_RECORDER_MEDIA_INCOMPATIBLE;
    }
    swprintf(path, MAX_PATH, L"\\\\.\\%c:", V_BSTR(&v)[0]);
    VariantClear(&v);
    d->device = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, 0, NULL);
    if (d->device == INVALID_HANDLE_VALUE) return IMAPI_E_IMPORT_READ_FAILURE;
    if (!DeviceIoControl(d->device, IOCTL_DISK_GET_LENGTH_INFO, NULL, 0, &len, sizeof(len), &got, NULL)) {
        CloseHandle(d->device);
        d->device = INVALID_HANDLE_VALUE;
        return IMAPI_E_EMPTY_DISC;
    }
    d->blocks = (uint64_t)len.Length.QuadPart / 2048;
    return S_OK;
}

HRESULT fsi_disc_open(IDiscRecorder2 *recorder, fsi_disc **out)
{
    fsi_disc *d = calloc(1, sizeof(*d));
    STATSTG stat;
    HRESULT hr = S_OK;

    *out = NULL;
    if (!d) return E_OUTOFMEMORY;
    InitializeCriticalSection(&d->cs);
    d->device = INVALID_HANDLE_VALUE;
    if (SUCCEEDED(IDiscRecorder2_QueryInterface(recorder, &IID_IStream, (void **)&d->stream))) {
        if (FAILED(IStream_Stat(d->stream, &stat, STATFLAG_NONAME))) hr = IMAPI_E_IMPORT_READ_FAILURE;
        else d->blocks = stat.cbSize.QuadPart / 2048;
    } else
        hr = open_device(recorder, d);
    if (FAILED(hr)) {
        fsi_disc_close(d);
        return hr;
    }
    *out = d;
    return S_OK;
}

void fsi_disc_close(fsi_disc *d)
{
    if (!d) return;
    if (d->stream) IStream_Release(d->stream);
    if (d->device != INVALID_HANDLE_VALUE) CloseHandle(d->device);
    DeleteCriticalSection(&d->cs);
    free(d);
}

uint64_t fsi_disc_blocks(const fsi_disc *d) { return d->blocks; }

static int disc_read(fsi_disc *d, uint64_t lba, uint32_t count, void *buf);

/* fsi_read_blocks_fn over a disc: 0 on success. Serialised: a seek and a read go together. */
int fsi_disc_read(void *ctx, uint64_t lba, uint32_t count, void *buf)
{
    fsi_disc *d = ctx;
    int r;
    EnterCriticalSection(&d->cs);
    r = disc_read(d, lba, count, buf);
    LeaveCriticalSection(&d->cs);
    return r;
}

void fsi_disc_release(void *ctx) { fsi_disc_close(ctx); }

static int disc_read(fsi_disc *d, uint64_t lba, uint32_t count, void *buf)
{
    size_t want = (size_t)count * 2048, done = 0;
    LARGE_INTEGER pos;

    if (lba + count > d->blocks) return -1;
    pos.QuadPart = (LONGLONG)(lba * 2048);
    if (d->stream) {
        if (FAILED(IStream_Seek(d->stream, pos, STREAM_SEEK_SET, NULL))) return -1;
        while (done < want) {
            ULONG n = 0;
            if (FAILED(IStream_Read(d->stream, (char *)buf + done, (ULONG)(want - done), &n)) || !n) return -1;
            done += n;
        }
        return 0;
    }
    if (!SetFilePointerEx(d->device, pos, NULL, FILE_BEGIN)) return -1;
    while (done < want) {
        DWORD n = 0;
        if (!ReadFile(d->device, (char *)buf + done, (DWORD)(want - done), &n, NULL) || !n) return -1;
        done += n;
    }
    return 0;
}
