/*
 * BootOptions (IBootOptions): an El Torito boot entry's settings and boot image stream; and the
 * boot entries of an image (fsi_boot_set): each IBootOptions read, through its interface, into the
 * engine's entry with a copy of its image's bytes (docs/behaviour.md, "Boot images").
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "private.h"
#include <shlwapi.h>
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
    BOOL lossy = FALSE;
    int bytes = WideCharToMultiByte(CP_ACP, WC_NO_BEST_FIT_CHARS, value ? value : L"", -1, NULL, 0, NULL, &lossy);
    if (bytes <= 0 || bytes - 1 > FSI_POLICY_BOOT_ID_MAX || lossy)
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
    if (!fsi_policy_platform_ok(value))
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

static HRESULT WINAPI boot_put_Emulation(IBootOptions *iface, EmulationType value)
{
    bootoptions *b = impl_from_IBootOptions(iface);
    HRESULT hr = S_OK;
    if (value < EmulationNone || value > EmulationHardDisk)
        return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IBootOptions, L"newVal", NULL);
    EnterCriticalSection(&b->cs);
    if (b->image && fsi_policy_floppy_size(value) && fsi_policy_floppy_size(value) != b->image_size)
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
        /* A stream that only reads (no Stat, maybe no Seek) can be read once: keep its bytes in a
         * memory stream, which is what BootImage then gives and what the image copies. */
        uint8_t *data;
        size_t len;
        HRESULT hr = fsi_boot_read_stream(stream, &data, &len);
        IStream_Release(stream);
        if (FAILED(hr)) return fsi_error(hr, &IID_IBootOptions, NULL, NULL);
        stream = SHCreateMemStream(data, (UINT)len);
        free(data);
        if (!stream) return E_OUTOFMEMORY;
        size = len;
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
    b->emulation = (EmulationType)fsi_policy_emulation_for_size(size, b->emulation);
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

/* ---- the boot entries of an image --------------------------------------------------------------- */

/* Largest boot image taken: ImageSize is a ULONG. */
#define BOOT_IMAGE_MAX 0xFFFFFFFFu

HRESULT fsi_boot_read_stream(IStream *stream, uint8_t **data, size_t *size)
{
    size_t len = 0, cap = 65536;
    uint8_t *buf = malloc(cap);
    LARGE_INTEGER zero;
    *data = NULL;
    *size = 0;
    if (!buf) return E_OUTOFMEMORY;
    zero.QuadPart = 0;
    IStream_Seek(stream, zero, STREAM_SEEK_SET, NULL);     /* from the start when it can seek */
    for (;;) {
        ULONG n = 0;
        HRESULT hr;
        if (len == cap) {
            uint8_t *grown;
            if (cap >= BOOT_IMAGE_MAX / 2 + 1 || !(grown = realloc(buf, cap * 2))) {
                free(buf);
                return cap >= BOOT_IMAGE_MAX / 2 + 1 ? IMAPI_E_BOOT_IMAGE_DATA : E_OUTOFMEMORY;
            }
            buf = grown;
            cap *= 2;
        }
        hr = IStream_Read(stream, buf + len, (ULONG)(cap - len), &n);
        if (FAILED(hr)) {
            free(buf);
            return IMAPI_E_BOOT_IMAGE_DATA;
        }
        if (!n) break;
        len += n;
    }
    *data = buf;
    *size = len;
    return S_OK;
}

void fsi_boot_set_free(fsi_boot_set *set)
{
    if (!set) return;
    for (size_t i = 0; i < set->n; i++) {
        fsi_source_unref(set->e[i].src);
        if (set->obj[i]) IBootOptions_Release(set->obj[i]);
    }
    free(set);
}

/* A BootOptions object holding the same settings over a memory stream of data (the copy that
 * BootImageOptions keeps). */
static HRESULT copy_object(const fsi_boot_entry *e, BSTR manufacturer, const uint8_t *data, size_t size,
                           IBootOptions **out)
{
    IBootOptions *iface;
    bootoptions *b;
    HRESULT hr = bootoptions_create(NULL, &IID_IBootOptions, (void **)&iface);
    if (FAILED(hr)) return hr;
    b = impl_from_IBootOptions(iface);
    if (!(b->image = SHCreateMemStream(data, (UINT)size)) ||
        !(b->manufacturer = SysAllocString(manufacturer ? manufacturer : L""))) {
        IBootOptions_Release(iface);
        return E_OUTOFMEMORY;
    }
    b->image_size = (ULONG)size;
    b->platform = (PlatformId)e->platform;
    b->emulation = (EmulationType)e->emulation;
    *out = iface;
    return S_OK;
}

HRESULT fsi_boot_set_add(fsi_boot_set *set, IBootOptions *opts, int copy)
{
    size_t i = set->n;
    fsi_boot_entry *e = &set->e[i];
    PlatformId platform = PlatformX86;
    EmulationType emulation = EmulationNone;
    BSTR manufacturer = NULL;
    IStream *stream = NULL;
    uint8_t *data = NULL;
    size_t size = 0;
    HRESULT hr;

    if (!opts) return E_POINTER;
    if (i >= FSI_BOOT_MAX) return IMAPI_E_INVALID_PARAM;
    /* Only through the interface: any implementation of IBootOptions is taken. */
    if (FAILED(hr = IBootOptions_get_PlatformId(opts, &platform)) ||
        FAILED(hr = IBootOptions_get_Emulation(opts, &emulation)) ||
        FAILED(hr = IBootOptions_get_Manufacturer(opts, &manufacturer)))
        goto out;
    /* the settings are refused before the image is read */
    if (!fsi_policy_platform_ok(platform) || (unsigned)emulation > FSI_EMUL_HARD_DISK) {
        hr = IMAPI_E_INVALID_PARAM;
        goto out;
    }
    if (FAILED(hr = IBootOptions_get_BootImage(opts, &stream))) goto out;
    if (!stream) {
        hr = IMAPI_E_BOOT_IMAGE_DATA;           /* no image assigned */
        goto out;
    }
    if (FAILED(hr = fsi_boot_read_stream(stream, &data, &size))) goto out;
    memset(e, 0, sizeof(*e));
    if ((hr = fsi_policy_boot_entry(e, (unsigned)platform, (unsigned)emulation, size, data, size))) goto out;
    /* The ID string: the manufacturer in the ANSI code page, cut to 24 bytes. */
    memset(set->id[i], 0, sizeof(set->id[i]));
    if (manufacturer && *manufacturer) {
        char ansi[256];
        int n = WideCharToMultiByte(CP_ACP, 0, manufacturer, -1, ansi, sizeof(ansi), NULL, NULL);
        if (n > 0) {
            ansi[sizeof(ansi) - 1] = 0;
            memcpy(set->id[i], ansi, strlen(ansi) < FSI_POLICY_BOOT_ID_MAX ? strlen(ansi) : FSI_POLICY_BOOT_ID_MAX);
        }
    }
    e->id = set->id[i];
    if (copy) {
        if (FAILED(hr = copy_object(e, manufacturer, data, size, &set->obj[i]))) goto out;
    } else {
        IBootOptions_AddRef(opts);
        set->obj[i] = opts;
    }
    /* the engine's memory source, owning the copy */
    if (!(e->src = fsi_source_new_memory_owned(data, size))) {
        IBootOptions_Release(set->obj[i]);
        set->obj[i] = NULL;
        hr = E_OUTOFMEMORY;
        goto out;
    }
    data = NULL;
    set->n++;
    hr = S_OK;
out:
    free(data);
    if (stream) IStream_Release(stream);
    SysFreeString(manufacturer);
    return hr;
}
