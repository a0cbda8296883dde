/*
 * El Torito through COM: BootOptions (defaults, AssignBootImage from a memory stream, from an
 * IDispatch object that answers QueryInterface for IStream, from a stream that only reads; floppy
 * sizes switch the emulation; size mismatch; Manufacturer), IFileSystemImage::BootImageOptions
 * (a copy, read at put time) and IFileSystemImage2::BootImageOptionsArray (references, order, 32
 * entries, empty = not bootable, element forms), the last put of either wins, and the image bytes:
 * boot record, catalog, boot images.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "client_util.h"

static unsigned char bios[2048], efi[1474560], hd[8192];

static void fill(void)
{
    for (size_t i = 0; i < sizeof(bios); i++) bios[i] = (unsigned char)(i * 7 + 1);
    for (size_t i = 0; i < sizeof(efi); i++) efi[i] = (unsigned char)(i * 13 + 5);
    memset(hd, 0, sizeof(hd));
    hd[446 + 4] = 0x0E;                     /* FAT16 LBA */
    hd[510] = 0x55;
    hd[511] = 0xAA;
    for (size_t i = 512; i < sizeof(hd); i++) hd[i] = (unsigned char)i;
}

/* ---- a stream that only reads (no Seek, no Stat), e.g. a network or pipe stream ---------------- */

typedef struct ro_stream {
    IStream IStream_iface;
    LONG refs;
    const unsigned char *data;
    size_t size, pos;
    LONG reads;
} ro_stream;

static ro_stream *ro_impl(IStream *s) { return CONTAINING_RECORD(s, ro_stream, IStream_iface); }

static HRESULT WINAPI ro_QueryInterface(IStream *s, REFIID riid, void **ppv)
{
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IStream) || IsEqualIID(riid, &IID_ISequentialStream)) {
        *ppv = s;
        IStream_AddRef(s);
        return S_OK;
    }
    *ppv = NULL;
    return E_NOINTERFACE;
}
static ULONG WINAPI ro_AddRef(IStream *s) { return InterlockedIncrement(&ro_impl(s)->refs); }
static ULONG WINAPI ro_Release(IStream *s)
{
    ULONG r = InterlockedDecrement(&ro_impl(s)->refs);
    if (!r) free(ro_impl(s));
    return r;
}
static HRESULT WINAPI ro_Read(IStream *s, void *buf, ULONG cb, ULONG *got)
{
    ro_stream *r = ro_impl(s);
    size_t n = r->size - r->pos < cb ? r->size - r->pos : cb;
    memcpy(buf, r->data + r->pos, n);
    r->pos += n;
    r->reads++;
    if (got) *got = (ULONG)n;
    return n < cb ? S_FALSE : S_OK;
}
static HRESULT WINAPI ro_Write(IStream *s, const void *b, ULONG cb, ULONG *w) { return STG_E_ACCESSDENIED; }
static HRESULT WINAPI ro_Seek(IStream *s, LARGE_INTEGER m, DWORD o, ULARGE_INTEGER *p) { return E_NOTIMPL; }
static HRESULT WINAPI ro_SetSize(IStream *s, ULARGE_INTEGER n) { return E_NOTIMPL; }
static HRESULT WINAPI ro_CopyTo(IStream *s, IStream *d, ULARGE_INTEGER cb, ULARGE_INTEGER *r, ULARGE_INTEGER *w) { return E_NOTIMPL; }
static HRESULT WINAPI ro_Commit(IStream *s, DWORD f) { return E_NOTIMPL; }
static HRESULT WINAPI ro_Revert(IStream *s) { return E_NOTIMPL; }
static HRESULT WINAPI ro_Lock(IStream *s, ULARGE_INTEGER o, ULARGE_INTEGER cb, DWORD t) { return E_NOTIMPL; }
static HRESULT WINAPI ro_Unlock(IStream *s, ULARGE_INTEGER o, ULARGE_INTEGER cb, DWORD t) { return E_NOTIMPL; }
static HRESULT WINAPI ro_Stat(IStream *s, STATSTG *st, DWORD f) { return E_NOTIMPL; }
static HRESULT WINAPI ro_Clone(IStream *s, IStream **c) { return E_NOTIMPL; }
static const IStreamVtbl ro_vtbl = {
    ro_QueryInterface, ro_AddRef, ro_Release, ro_Read, ro_Write, ro_Seek, ro_SetSize, ro_CopyTo,
    ro_Commit, ro_Revert, ro_Lock, ro_Unlock, ro_Stat, ro_Clone,
};

static ro_stream *ro_new(const void *data, size_t size)
{
    ro_stream *r = calloc(1, sizeof(*r));
    r->IStream_iface.lpVtbl = (IStreamVtbl *)&ro_vtbl;
    r->refs = 1;
    r->data = data;
    r->size = size;
    return r;
}

/* ---- an IDispatch object that answers QueryInterface(IID_IStream), as ADODB.Stream does ------- */

typedef struct disp_stream {
    IDispatch IDispatch_iface;
    LONG refs;
    IStream *inner;
} disp_stream;

static disp_stream *ds_impl(IDispatch *d) { return CONTAINING_RECORD(d, disp_stream, IDispatch_iface); }
static HRESULT WINAPI ds_QueryInterface(IDispatch *d, REFIID riid, void **ppv)
{
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch)) {
        *ppv = d;
        IDispatch_AddRef(d);
        return S_OK;
    }
    if (IsEqualIID(riid, &IID_IStream)) return IStream_QueryInterface(ds_impl(d)->inner, riid, ppv);
    *ppv = NULL;
    return E_NOINTERFACE;
}
static ULONG WINAPI ds_AddRef(IDispatch *d) { return InterlockedIncrement(&ds_impl(d)->refs); }
static ULONG WINAPI ds_Release(IDispatch *d)
{
    disp_stream *x = ds_impl(d);
    ULONG r = InterlockedDecrement(&x->refs);
    if (!r) {
        IStream_Release(x->inner);
        free(x);
    }
    return r;
}
static HRESULT WINAPI ds_GetTypeInfoCount(IDispatch *d, UINT *n) { *n = 0; return S_OK; }
static HRESULT WINAPI ds_GetTypeInfo(IDispatch *d, UINT i, LCID l, ITypeInfo **t) { return E_NOTIMPL; }
static HRESULT WINAPI ds_GetIDsOfNames(IDispatch *d, REFIID r, LPOLESTR *n, UINT c, LCID l, DISPID *id) { return DISP_E_UNKNOWNNAME; }
static HRESULT WINAPI ds_Invoke(IDispatch *d, DISPID id, REFIID r, LCID l, WORD f, DISPPARAMS *p, VARIANT *v, EXCEPINFO *e, UINT *a)
{ return DISP_E_MEMBERNOTFOUND; }
static const IDispatchVtbl ds_vtbl = {
    ds_QueryInterface, ds_AddRef, ds_Release, ds_GetTypeInfoCount, ds_GetTypeInfo, ds_GetIDsOfNames, ds_Invoke,
};

/* ---- helpers --------------------------------------------------------------------------------- */

static IBootOptions *new_boot(const void *data, size_t size, PlatformId platform, const WCHAR *manufacturer)
{
    IBootOptions *b = NULL;
    IStream *s;
    BSTR m;
    CHECK_HR(CoCreateInstance(&CLSID_BootOptions, NULL, CLSCTX_INPROC_SERVER, &IID_IBootOptions, (void **)&b), S_OK);
    if (!b) { report(); exit(1); }
    s = SHCreateMemStream(data, (UINT)size);
    CHECK_HR(IBootOptions_AssignBootImage(b, s), S_OK);
    IStream_Release(s);
    CHECK_HR(IBootOptions_put_PlatformId(b, platform), S_OK);
    CHECK_HR(IBootOptions_put_Emulation(b, EmulationNone), S_OK);
    if (manufacturer) {
        CHECK_HR(IBootOptions_put_Manufacturer(b, m = B(manufacturer)), S_OK);
        SysFreeString(m);
    }
    return b;
}

/* The whole image of a result, read by blocks. */
static unsigned char *image_bytes(IFileSystemImage *image, LONG *blocks)
{
    IFileSystemImageResult *r = NULL;
    IStream *s = NULL;
    unsigned char *buf;
    *blocks = 0;
    CHECK_HR(IFileSystemImage_CreateResultImage(image, &r), S_OK);
    if (!r) return NULL;
    IFileSystemImageResult_get_TotalBlocks(r, blocks);
    IFileSystemImageResult_get_ImageStream(r, &s);
    buf = (unsigned char *)copy_by_blocks(s, *blocks);
    IStream_Release(s);
    IFileSystemImageResult_Release(r);
    return buf;
}

static unsigned rd16(const unsigned char *p) { return p[0] | p[1] << 8; }
static unsigned rd32(const unsigned char *p) { return p[0] | p[1] << 8 | p[2] << 16 | (unsigned)p[3] << 24; }

/* The catalog of an image (NULL when it has no boot record at 17). */
static const unsigned char *catalog(const unsigned char *img, LONG blocks)
{
    const unsigned char *brvd = img + 17 * 2048;
    unsigned at;
    if (blocks < 20 || brvd[0] != 0 || memcmp(brvd + 1, "CD001", 5) || memcmp(brvd + 7, "EL TORITO SPECIFICATION", 23))
        return NULL;
    at = rd32(brvd + 0x47);
    return at < (unsigned)blocks ? img + (size_t)at * 2048 : NULL;
}

static int same_object(void *a, void *b)
{
    IUnknown *x = NULL, *y = NULL;
    int same;
    IUnknown_QueryInterface((IUnknown *)a, &IID_IUnknown, (void **)&x);
    IUnknown_QueryInterface((IUnknown *)b, &IID_IUnknown, (void **)&y);
    same = x && x == y;
    if (x) IUnknown_Release(x);
    if (y) IUnknown_Release(y);
    return same;
}

/* ---- BootOptions alone ------------------------------------------------------------------------ */

static void boot_options(void)
{
    IBootOptions *b = NULL;
    IStream *s, *got = NULL;
    PlatformId p;
    EmulationType e;
    ULONG size = 1;
    BSTR m = NULL;

    CHECK_HR(CoCreateInstance(&CLSID_BootOptions, NULL, CLSCTX_INPROC_SERVER, &IID_IBootOptions, (void **)&b), S_OK);
    CHECK_HR(IBootOptions_get_PlatformId(b, &p), S_OK);
    CHECK(p == PlatformX86, "default PlatformId %d", p);
    CHECK_HR(IBootOptions_get_Emulation(b, &e), S_OK);
    CHECK(e == EmulationNone, "default Emulation %d", e);
    CHECK_HR(IBootOptions_get_ImageSize(b, &size), S_OK);
    CHECK(size == 0, "default ImageSize %lu", size);
    CHECK_HR(IBootOptions_get_BootImage(b, &got), S_OK);
    CHECK(got == NULL, "no BootImage by default");
    CHECK_HR(IBootOptions_get_Manufacturer(b, &m), S_OK);
    CHECK(m && !*m, "default Manufacturer empty");
    SysFreeString(m);

    /* Manufacturer: up to 24 ANSI bytes */
    CHECK_HR(IBootOptions_put_Manufacturer(b, m = B(L"123456789012345678901234")), S_OK);
    SysFreeString(m);
    CHECK_HR(IBootOptions_put_Manufacturer(b, m = B(L"1234567890123456789012345")), IMAPI_E_INVALID_PARAM);
    SysFreeString(m);
    CHECK_HR(IBootOptions_put_Manufacturer(b, m = B(L"Microsoft")), S_OK);
    SysFreeString(m);
    CHECK_HR(IBootOptions_put_PlatformId(b, (PlatformId)3), IMAPI_E_INVALID_PARAM);
    CHECK_HR(IBootOptions_put_PlatformId(b, PlatformEFI), S_OK);
    CHECK_HR(IBootOptions_put_Emulation(b, (EmulationType)5), IMAPI_E_INVALID_PARAM);

    /* a 1.44 MB image switches the emulation; another floppy type then does not fit */
    s = SHCreateMemStream(efi, sizeof(efi));
    CHECK_HR(IBootOptions_AssignBootImage(b, s), S_OK);
    CHECK_HR(IBootOptions_get_Emulation(b, &e), S_OK);
    CHECK(e == Emulation144MFloppy, "a 1.44 MB image switches to Emulation144MFloppy: %d", e);
    CHECK_HR(IBootOptions_get_ImageSize(b, &size), S_OK);
    CHECK(size == sizeof(efi), "ImageSize %lu", size);
    CHECK_HR(IBootOptions_put_Emulation(b, Emulation12MFloppy), IMAPI_E_BOOT_EMULATION_IMAGE_SIZE_MISMATCH);
    check_error_text(L"emulation type", "size mismatch text");
    CHECK_HR(IBootOptions_put_Emulation(b, EmulationNone), S_OK);
    CHECK_HR(IBootOptions_get_BootImage(b, &got), S_OK);
    CHECK(got == s, "BootImage gives the stream assigned");
    if (got) IStream_Release(got);
    IStream_Release(s);

    /* an IDispatch that answers for IStream (ADODB.Stream, .NET wrappers) */
    {
        disp_stream *d = calloc(1, sizeof(*d));
        d->IDispatch_iface.lpVtbl = (IDispatchVtbl *)&ds_vtbl;
        d->refs = 1;
        d->inner = SHCreateMemStream(bios, sizeof(bios));
        CHECK_HR(IBootOptions_AssignBootImage(b, (IStream *)&d->IDispatch_iface), S_OK);
        CHECK_HR(IBootOptions_get_ImageSize(b, &size), S_OK);
        CHECK(size == sizeof(bios), "ImageSize through IDispatch %lu", size);
        CHECK_HR(IBootOptions_get_BootImage(b, &got), S_OK);
        CHECK(got && same_object(got, d->inner), "BootImage is the IStream behind the IDispatch");
        if (got) IStream_Release(got);
        IDispatch_Release(&d->IDispatch_iface);
    }
    /* a stream that only reads: its bytes are kept */
    {
        ro_stream *r = ro_new(hd, sizeof(hd));
        unsigned char back[sizeof(hd) + 1];
        ULONG n = 0;
        CHECK_HR(IBootOptions_AssignBootImage(b, &r->IStream_iface), S_OK);
        CHECK_HR(IBootOptions_get_ImageSize(b, &size), S_OK);
        CHECK(size == sizeof(hd), "ImageSize of a read-only stream %lu", size);
        CHECK_HR(IBootOptions_get_BootImage(b, &got), S_OK);
        if (got) {
            seek_to(got, 0);
            IStream_Read(got, back, sizeof(back), &n);
            CHECK(n == sizeof(hd) && !memcmp(back, hd, sizeof(hd)), "BootImage of a read-only stream: %lu bytes", n);
            IStream_Release(got);
        }
        IStream_Release(&r->IStream_iface);
    }
    CHECK_HR(IBootOptions_AssignBootImage(b, NULL), IMAPI_E_INVALID_PARAM);
    IBootOptions_Release(b);
}

/* ---- BootImageOptions and BootImageOptionsArray ----------------------------------------------- */

static void image_options(void)
{
    IFileSystemImage *image = new_image();
    IFileSystemImage2 *image2 = NULL;
    IBootOptions *b1 = new_boot(bios, sizeof(bios), PlatformX86, L"Microsoft");
    IBootOptions *b2 = new_boot(efi, sizeof(efi), PlatformEFI, L"Microsoft");
    IBootOptions *got = NULL, *empty = NULL;
    SAFEARRAY *sa, *back = NULL;
    VARIANT *v;
    LONG lb, ub, blocks, used0 = 0, used1 = 0;
    unsigned char *img;
    const unsigned char *cat;

    CHECK_HR(IFileSystemImage_QueryInterface(image, &IID_IFileSystemImage2, (void **)&image2), S_OK);
    IFileSystemImage_put_FileSystemsToCreate(image, FsiFileSystemISO9660 | FsiFileSystemJoliet);
    IFileSystemImage_get_UsedBlocks(image, &used0);

    /* nothing set: NULL and an empty array */
    CHECK_HR(IFileSystemImage_get_BootImageOptions(image, &got), S_OK);
    CHECK(got == NULL, "no boot options by default");
    CHECK_HR(IFileSystemImage2_get_BootImageOptionsArray(image2, &back), S_OK);
    CHECK(back && SUCCEEDED(SafeArrayGetUBound(back, 1, &ub)) && ub == -1, "empty array by default");
    if (back) SafeArrayDestroy(back);

    /* BootImageOptions: a copy read at put time */
    CHECK_HR(IFileSystemImage_put_BootImageOptions(image, b1), S_OK);
    CHECK_HR(IFileSystemImage_get_BootImageOptions(image, &got), S_OK);
    CHECK(got && !same_object(got, b1), "BootImageOptions gives a copy");
    if (got) {
        PlatformId p = 9;
        ULONG size = 0;
        BSTR m = NULL;
        IBootOptions_get_PlatformId(got, &p);
        IBootOptions_get_ImageSize(got, &size);
        IBootOptions_get_Manufacturer(got, &m);
        CHECK(p == PlatformX86 && size == sizeof(bios) && m && !wcscmp(m, L"Microsoft"), "the copy's settings");
        SysFreeString(m);
        IBootOptions_Release(got);
    }
    IFileSystemImage_get_UsedBlocks(image, &used1);
    CHECK(used1 == used0 + 3, "UsedBlocks counts boot record, catalog and image: %ld -> %ld", used0, used1);
    /* changing the object afterwards does not change the image */
    {
        unsigned char other[2048];
        IStream *s;
        memset(other, 0xEE, sizeof(other));
        s = SHCreateMemStream(other, sizeof(other));
        IBootOptions_AssignBootImage(b1, s);
        IStream_Release(s);
    }
    img = image_bytes(image, &blocks);
    cat = img ? catalog(img, blocks) : NULL;
    CHECK(cat != NULL, "boot record at 17 with a catalog");
    if (cat) {
        unsigned lba = rd32(cat + 40);
        CHECK(cat[0] == 1 && cat[1] == 0 && !memcmp(cat + 4, "Microsoft", 10) && cat[30] == 0x55 && cat[31] == 0xAA,
              "validation entry");
        CHECK(cat[32] == 0x88 && cat[33] == 0 && rd16(cat + 34) == 0 && rd16(cat + 38) == 4, "default entry");
        CHECK(cat[64] == 0, "one entry only");
        CHECK(lba < (unsigned)blocks && !memcmp(img + (size_t)lba * 2048, bios, sizeof(bios)),
              "the image holds the bytes as they were at put time");
        CHECK(img[18 * 2048] == 2 && img[19 * 2048] == 255, "Joliet SVD at 18, terminator at 19");
    }
    free(img);
    sa = NULL;
    CHECK_HR(IFileSystemImage2_get_BootImageOptionsArray(image2, &sa), S_OK);
    CHECK(sa && SUCCEEDED(SafeArrayGetUBound(sa, 1, &ub)) && ub == 0, "the array after BootImageOptions: one");
    if (sa) SafeArrayDestroy(sa);

    /* BootImageOptionsArray: references, order kept */
    IBootOptions_Release(b1);
    b1 = new_boot(bios, sizeof(bios), PlatformX86, L"Microsoft");
    sa = SafeArrayCreateVector(VT_VARIANT, 0, 2);
    SafeArrayAccessData(sa, (void **)&v);
    V_VT(&v[0]) = VT_DISPATCH;
    V_DISPATCH(&v[0]) = (IDispatch *)b1;
    IBootOptions_AddRef(b1);
    V_VT(&v[1]) = VT_DISPATCH;
    V_DISPATCH(&v[1]) = (IDispatch *)b2;
    IBootOptions_AddRef(b2);
    SafeArrayUnaccessData(sa);
    CHECK_HR(IFileSystemImage2_put_BootImageOptionsArray(image2, sa), S_OK);
    SafeArrayDestroy(sa);
    back = NULL;
    CHECK_HR(IFileSystemImage2_get_BootImageOptionsArray(image2, &back), S_OK);
    if (back) {
        VARTYPE vt = 0;
        SafeArrayGetVartype(back, &vt);
        SafeArrayGetLBound(back, 1, &lb);
        SafeArrayGetUBound(back, 1, &ub);
        CHECK(vt == VT_VARIANT && lb == 0 && ub == 1, "array of 2 VARIANTs: vt %d [%ld, %ld]", vt, lb, ub);
        SafeArrayAccessData(back, (void **)&v);
        CHECK(V_VT(&v[0]) == VT_DISPATCH && same_object(V_DISPATCH(&v[0]), b1) && V_VT(&v[1]) == VT_DISPATCH &&
              same_object(V_DISPATCH(&v[1]), b2), "the array gives the same objects, in order");
        SafeArrayUnaccessData(back);
        SafeArrayDestroy(back);
    }
    CHECK_HR(IFileSystemImage_get_BootImageOptions(image, &got), S_OK);
    CHECK(got && same_object(got, b1), "BootImageOptions after the array: its first entry");
    if (got) IBootOptions_Release(got);
    img = image_bytes(image, &blocks);
    cat = img ? catalog(img, blocks) : NULL;
    CHECK(cat != NULL, "bootable with two entries");
    if (cat) {
        unsigned l0 = rd32(cat + 40), l1 = rd32(cat + 96 + 8);
        CHECK(cat[64] == 0x91 && cat[65] == 0xEF && rd16(cat + 66) == 1 && !memcmp(cat + 68, "Microsoft", 10),
              "final section header for EFI");
        CHECK(cat[96] == 0x88 && cat[97] == 0 && rd16(cat + 102) == 2880, "EFI entry: no emulation, 2880 sectors");
        CHECK(l1 == l0 + 1 && !memcmp(img + (size_t)l0 * 2048, bios, sizeof(bios)) &&
              !memcmp(img + (size_t)l1 * 2048, efi, sizeof(efi)), "both images in entry order");
    }
    free(img);

    /* elements by reference (VT_VARIANT | VT_BYREF, VT_DISPATCH | VT_BYREF) and VT_UNKNOWN */
    {
        VARIANT inner;
        IDispatch *pd = (IDispatch *)b2;
        sa = SafeArrayCreateVector(VT_VARIANT, 0, 3);
        SafeArrayAccessData(sa, (void **)&v);
        V_VT(&inner) = VT_DISPATCH;
        V_DISPATCH(&inner) = (IDispatch *)b1;
        V_VT(&v[0]) = VT_VARIANT | VT_BYREF;
        V_VARIANTREF(&v[0]) = &inner;
        V_VT(&v[1]) = VT_DISPATCH | VT_BYREF;
        V_DISPATCHREF(&v[1]) = &pd;
        V_VT(&v[2]) = VT_UNKNOWN;
        V_UNKNOWN(&v[2]) = (IUnknown *)b1;
        SafeArrayUnaccessData(sa);
        CHECK_HR(IFileSystemImage2_put_BootImageOptionsArray(image2, sa), S_OK);
        SafeArrayAccessData(sa, (void **)&v);
        V_VT(&v[0]) = V_VT(&v[1]) = V_VT(&v[2]) = VT_EMPTY;     /* borrowed: nothing to free */
        SafeArrayUnaccessData(sa);
        SafeArrayDestroy(sa);
        back = NULL;
        IFileSystemImage2_get_BootImageOptionsArray(image2, &back);
        CHECK(back && SUCCEEDED(SafeArrayGetUBound(back, 1, &ub)) && ub == 2, "three entries by reference");
        if (back) SafeArrayDestroy(back);
    }
    /* a SAFEARRAY of VT_DISPATCH (C clients) */
    {
        IDispatch *one = (IDispatch *)b2;
        LONG i = 0;
        sa = SafeArrayCreateVector(VT_DISPATCH, 0, 1);
        SafeArrayPutElement(sa, &i, one);
        CHECK_HR(IFileSystemImage2_put_BootImageOptionsArray(image2, sa), S_OK);
        SafeArrayDestroy(sa);
        CHECK_HR(IFileSystemImage_get_BootImageOptions(image, &got), S_OK);
        CHECK(got && same_object(got, b2), "an array of VT_DISPATCH");
        if (got) IBootOptions_Release(got);
    }
    /* bad elements, 33 entries: refused, the entries stay */
    sa = SafeArrayCreateVector(VT_VARIANT, 0, 1);
    SafeArrayAccessData(sa, (void **)&v);
    V_VT(&v[0]) = VT_I4;
    V_I4(&v[0]) = 5;
    SafeArrayUnaccessData(sa);
    CHECK_HR(IFileSystemImage2_put_BootImageOptionsArray(image2, sa), IMAPI_E_INVALID_PARAM);
    SafeArrayDestroy(sa);
    sa = SafeArrayCreateVector(VT_VARIANT, 0, 33);
    SafeArrayAccessData(sa, (void **)&v);
    for (int i = 0; i < 33; i++) {
        V_VT(&v[i]) = VT_DISPATCH;
        V_DISPATCH(&v[i]) = (IDispatch *)b1;
        IBootOptions_AddRef(b1);
    }
    SafeArrayUnaccessData(sa);
    CHECK_HR(IFileSystemImage2_put_BootImageOptionsArray(image2, sa), IMAPI_E_INVALID_PARAM);
    CHECK_HR(IFileSystemImage_get_BootImageOptions(image, &got), S_OK);
    CHECK(got && same_object(got, b2), "a refused put keeps the entries");
    if (got) IBootOptions_Release(got);
    /* 32 are fine */
    SafeArrayDestroy(sa);
    sa = SafeArrayCreateVector(VT_VARIANT, 0, 32);
    SafeArrayAccessData(sa, (void **)&v);
    for (int i = 0; i < 32; i++) {
        V_VT(&v[i]) = VT_DISPATCH;
        V_DISPATCH(&v[i]) = (IDispatch *)(i % 2 ? b2 : b1);
        IBootOptions_AddRef(i % 2 ? b2 : b1);
    }
    SafeArrayUnaccessData(sa);
    CHECK_HR(IFileSystemImage2_put_BootImageOptionsArray(image2, sa), S_OK);
    SafeArrayDestroy(sa);
    img = image_bytes(image, &blocks);
    cat = img ? catalog(img, blocks) : NULL;
    CHECK(cat && cat[64 * 31] == 0x91 && cat[64 * 30] == 0x90 && cat[64 * 31 + 1] == 0xEF, "32 entries: 31 sections");
    free(img);

    /* an object without an image, an empty image: IMAPI_E_BOOT_IMAGE_DATA */
    CHECK_HR(CoCreateInstance(&CLSID_BootOptions, NULL, CLSCTX_INPROC_SERVER, &IID_IBootOptions, (void **)&empty), S_OK);
    CHECK_HR(IFileSystemImage_put_BootImageOptions(image, empty), IMAPI_E_BOOT_IMAGE_DATA);
    check_error_text(L"boot object could not be added", "boot image data text");
    {
        IStream *s = SHCreateMemStream(NULL, 0);
        IBootOptions_AssignBootImage(empty, s);
        IStream_Release(s);
        CHECK_HR(IFileSystemImage_put_BootImageOptions(image, empty), IMAPI_E_BOOT_IMAGE_DATA);
    }
    IBootOptions_Release(empty);

    /* an empty array: not bootable; NULL BootImageOptions too */
    sa = SafeArrayCreateVector(VT_VARIANT, 0, 0);
    CHECK_HR(IFileSystemImage2_put_BootImageOptionsArray(image2, sa), S_OK);
    SafeArrayDestroy(sa);
    CHECK_HR(IFileSystemImage_get_BootImageOptions(image, &got), S_OK);
    CHECK(got == NULL, "an empty array: no boot options");
    img = image_bytes(image, &blocks);
    CHECK(img && !catalog(img, blocks) && img[17 * 2048] == 2, "an empty array: not bootable, Joliet at 17");
    free(img);
    CHECK_HR(IFileSystemImage_put_BootImageOptions(image, b1), S_OK);
    CHECK_HR(IFileSystemImage_put_BootImageOptions(image, NULL), S_OK);
    CHECK_HR(IFileSystemImage_get_BootImageOptions(image, &got), S_OK);
    CHECK(got == NULL, "NULL BootImageOptions: not bootable");
    CHECK_HR(IFileSystemImage2_put_BootImageOptionsArray(image2, NULL), E_POINTER);

    /* hard disk emulation: the system type from the image's MBR */
    {
        IBootOptions *h = new_boot(hd, sizeof(hd), PlatformX86, NULL);
        CHECK_HR(IBootOptions_put_Emulation(h, EmulationHardDisk), S_OK);
        CHECK_HR(IFileSystemImage_put_BootImageOptions(image, h), S_OK);
        img = image_bytes(image, &blocks);
        cat = img ? catalog(img, blocks) : NULL;
        CHECK(cat && cat[33] == 4 && cat[36] == 0x0E && rd16(cat + 38) == 1, "hard disk entry: media 4, system type 0E");
        free(img);
        /* a floppy emulation that does not fit the image: refused by BootOptions, and by the
         * image when another image was assigned after the emulation was set */
        CHECK_HR(IBootOptions_put_Emulation(h, Emulation144MFloppy), IMAPI_E_BOOT_EMULATION_IMAGE_SIZE_MISMATCH);
        IBootOptions_Release(h);
        h = new_boot(efi, sizeof(efi), PlatformX86, NULL);
        CHECK_HR(IBootOptions_put_Emulation(h, Emulation144MFloppy), S_OK);
        {
            IStream *s = SHCreateMemStream(hd, sizeof(hd));
            EmulationType e = EmulationNone;
            CHECK_HR(IBootOptions_AssignBootImage(h, s), S_OK);
            IStream_Release(s);
            IBootOptions_get_Emulation(h, &e);
            CHECK(e == Emulation144MFloppy, "a non-floppy image keeps the emulation set: %d", e);
        }
        CHECK_HR(IFileSystemImage_put_BootImageOptions(image, h), IMAPI_E_BOOT_EMULATION_IMAGE_SIZE_MISMATCH);
        IBootOptions_Release(h);
    }

    /* UDF alone: a stub PVD, the boot record, the recognition sequence, the catalog at 22 */
    IFileSystemImage_put_FileSystemsToCreate(image, FsiFileSystemUDF);
    CHECK_HR(IFileSystemImage_put_BootImageOptions(image, b2), S_OK);
    img = image_bytes(image, &blocks);
    cat = img ? catalog(img, blocks) : NULL;
    CHECK(cat && cat == img + 22 * 2048 && img[16 * 2048] == 1 && img[18 * 2048] == 255 &&
          !memcmp(img + 19 * 2048 + 1, "BEA01", 5), "UDF alone: PVD 16, boot record 17, terminator 18, BEA01 19, catalog 22");
    CHECK(cat && cat[1] == 0xEF && rd16(cat + 38) == 2880, "UDF alone: the EFI entry is the default");
    free(img);

    IBootOptions_Release(b1);
    IBootOptions_Release(b2);
    IFileSystemImage2_Release(image2);
    IFileSystemImage_Release(image);
}

static const test_case cases[] = {
    { "boot_options", boot_options },
    { "image_options", image_options },
};

int wmain(int argc, WCHAR **argv)
{
    int rc;
    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    fill();
    rc = RUN_CASES(argc, argv, cases);
    CoUninitialize();
    return rc;
}
