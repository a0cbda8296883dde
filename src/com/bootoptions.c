/*
 * BootOptions (IBootOptions): an El Torito boot entry's settings and boot image stream.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "private.h"
#include <stdlib.h>

typedef struct bootoptions {
    IBootOptions IBootOptions_iface;
    fsi_error_support sei;
    LONG refs;
    CRITICAL_SECTION cs;
    IStream *image;
    ULONG image_size;
    BSTR manufacturer;
    PlatformId platform;
    EmulationType emulation;
} bootoptions;

static const IID *const boot_error_iids[] = { &IID_IBootOptions, NULL };

static inline bootoptions *impl_from_IBootOptions(IBootOptions *iface)
{
    return impl_from(iface, bootoptions, IBootOptions_iface);
}

static HRESULT WINAPI boot_QueryInterface(IBootOptions *iface, REFIID riid, void **ppv)
{
    bootoptions *b = impl_from_IBootOptions(iface);
    if (!ppv) return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch) || IsEqualIID(riid, &IID_IBootOptions))
        *ppv = &b->IBootOptions_iface;
    else if (IsEqualIID(riid, &IID_ISupportErrorInfo))
        *ppv = &b->sei.ISupportErrorInfo_iface;
    else {
        *ppv = NULL;
        return E_NOINTERFACE;
    }
    IUnknown_AddRef((IUnknown *)*ppv);
    return S_OK;
}

static ULONG WINAPI boot_AddRef(IBootOptions *iface)
{
    return InterlockedIncrement(&impl_from_IBootOptions(iface)->refs);
}

static ULONG WINAPI boot_Release(IBootOptions *iface)
{
    bootoptions *b = impl_from_IBootOptions(iface);
    ULONG refs = InterlockedDecrement(&b->refs);
    if (!refs) {
        if (b->image) IStream_Release(b->image);
        SysFreeString(b->manufacturer);
        DeleteCriticalSection(&b->cs);
        free(b);
        fsi_unlock_module();
    }
    return refs;
}

FSI_IMPLEMENT_DISPATCH(boot, IBootOptions, IID_IBootOptions)

static HRESULT WINAPI boot_get_BootImage(IBootOptions *iface, IStream **value)
{
    bootoptions *b = impl_from_IBootOptions(iface);
    if (!value) return E_POINTER;
    EnterCriticalSection(&b->cs);
    if ((*value = b->image)) IStream_AddRef(b->image);
    LeaveCriticalSection(&b->cs);
    return S_OK;
}

static HRESULT WINAPI boot_get_Manufacturer(IBootOptions *iface, BSTR *value)
{
    bootoptions *b = impl_from_IBootOptions(iface);
    if (!value) return E_POINTER;
    EnterCriticalSection(&b->cs);
    *value = SysAllocString(b->manufacturer ? b->manufacturer : L"");
    LeaveCriticalSection(&b->cs);
    return *value ? S_OK : E_OUTOFMEMORY;
}

static HRESULT WINAPI boot_put_Manufacturer(IBootOptions *iface, BSTR value)
{
    bootoptions *b = impl_from_IBootOptions(iface);
    BSTR copy;
    /* The El Torito ID string: up to 24 ANSI bytes. */
    int bytes = WideCharToMultiByte(CP_ACP, WC_NO_BEST_FIT_CHARS, value ? value : L"", -1, NULL, 0, NULL, NULL);
    if (bytes <= 0 || bytes - 1 > 24)
        return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IBootOptions, L"newVal", NULL);
    if (!(copy = SysAllocString(value ? value : L""))) return E_OUTOFMEMORY;
    EnterCriticalSection(&b->cs);
    SysFreeString(b->manufacturer);
    b->manufacturer = copy;
    LeaveCriticalSection(&b->cs);
    return S_OK;
}

static HRESULT WINAPI boot_get_PlatformId(IBootOptions *iface, PlatformId *value)
{
    if (!value) return E_POINTER;
    *value = impl_from_IBootOptions(iface)->platform;
    return S_OK;
}

static HRESULT WINAPI boot_put_PlatformId(IBootOptions *iface, PlatformId value)
{
    if (value != PlatformX86 && value != PlatformPowerPC && value != PlatformMac && value != PlatformEFI)
        return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IBootOptions, L"newVal", NULL);
    impl_from_IBootOptions(iface)->platform = value;
    return S_OK;
}

static HRESULT WINAPI boot_get_Emulation(IBootOptions *iface, EmulationType *value)
{
    if (!value) return E_POINTER;
    *value = impl_from_IBootOptions(iface)->emulation;
    return S_OK;
}

static ULONG floppy_size(EmulationType e)
{
    switch (e) {
    case Emulation12MFloppy: return 1228800;
    case Emulation144MFloppy: return 1474560;
    case Emulation288MFloppy: return 2949120;
    default: return 0;
    }
}

static HRESULT WINAPI boot_put_Emulation(IBootOptions *iface, EmulationType value)
{
    bootoptions *b = impl_from_IBootOptions(iface);
    HRESULT hr = S_OK;
    if (value < EmulationNone || value > EmulationHardDisk)
        return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IBootOptions, L"newVal", NULL);
    EnterCriticalSection(&b->cs);
    if (b->image && floppy_size(value) && floppy_size(value) != b->image_size)
        hr = fsi_error(IMAPI_E_BOOT_EMULATION_IMAGE_SIZE_MISMATCH, &IID_IBootOptions, NULL, NULL);
    else
        b->emulation = value;
    LeaveCriticalSection(&b->cs);
    return hr;
}

static HRESULT WINAPI boot_get_ImageSize(IBootOptions *iface, ULONG *value)
{
    if (!value) return E_POINTER;
    *value = impl_from_IBootOptions(iface)->image_size;
    return S_OK;
}

static HRESULT WINAPI boot_AssignBootImage(IBootOptions *iface, IStream *value)
{
    bootoptions *b = impl_from_IBootOptions(iface);
    IStream *stream = NULL;
    STATSTG stat;
    ULONGLONG size = 0;

    if (!value) return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IBootOptions, L"newVal", NULL);
    /* Script callers hand over an IDispatch (ADODB.Stream, .NET wrappers): ask it for IStream. */
    if (FAILED(IUnknown_QueryInterface((IUnknown *)value, &IID_IStream, (void **)&stream)))
        return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IBootOptions, L"newVal", NULL);
    if (SUCCEEDED(IStream_Stat(stream, &stat, STATFLAG_NONAME))) size = stat.cbSize.QuadPart;
    else {
        /* A stream that only reads: measure it by reading it through, then rewind if we can. */
        char buf[65536];
        ULONG n;
        LARGE_INTEGER zero = {{0}};
        while (SUCCEEDED(IStream_Read(stream, buf, sizeof(buf), &n)) && n) size += n;
        IStream_Seek(stream, zero, STREAM_SEEK_SET, NULL);
    }
    if (size > 0xffffffffu) {
        IStream_Release(stream);
        return fsi_error(IMAPI_E_BOOT_IMAGE_DATA, &IID_IBootOptions, NULL, NULL);
    }
    EnterCriticalSection(&b->cs);
    if (b->image) IStream_Release(b->image);
    b->image = stream;
    b->image_size = (ULONG)size;
    /* A floppy-sized image switches to that floppy's emulation. */
    if (size == 1228800) b->emulation = Emulation12MFloppy;
    else if (size == 1474560) b->emulation = Emulation144MFloppy;
    else if (size == 2949120) b->emulation = Emulation288MFloppy;
    LeaveCriticalSection(&b->cs);
    return S_OK;
}

static const IBootOptionsVtbl boot_vtbl = {
    boot_QueryInterface,
    boot_AddRef,
    boot_Release,
    boot_GetTypeInfoCount,
    boot_GetTypeInfo,
    boot_GetIDsOfNames,
    boot_Invoke,
    boot_get_BootImage,
    boot_get_Manufacturer,
    boot_put_Manufacturer,
    boot_get_PlatformId,
    boot_put_PlatformId,
    boot_get_Emulation,
    boot_put_Emulation,
    boot_get_ImageSize,
    boot_AssignBootImage,
};

HRESULT bootoptions_create(IUnknown *outer, REFIID riid, void **ppv)
{
    bootoptions *b = calloc(1, sizeof(*b));
    HRESULT hr;
    if (!b) return E_OUTOFMEMORY;
    b->IBootOptions_iface.lpVtbl = &boot_vtbl;
    fsi_error_support_init(&b->sei, (IUnknown *)&b->IBootOptions_iface, boot_error_iids);
    b->refs = 1;
    InitializeCriticalSection(&b->cs);
    b->platform = PlatformX86;
    b->emulation = EmulationNone;
    fsi_lock_module();
    hr = IBootOptions_QueryInterface(&b->IBootOptions_iface, riid, ppv);
    IBootOptions_Release(&b->IBootOptions_iface);
    return hr;
}
