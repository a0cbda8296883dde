/*
 * MsftFileSystemImage: the boot entries (BootImageOptions, BootImageOptionsArray); the entries are
 * read at put time (fsi_boot_set, bootoptions.c).
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fsimage.h"
#include <stdlib.h>

/* A boot object can only go into an initial disc image: IMAPI_E_BOOT_OBJECT_CONFLICT once a
 * previous session was imported. */
static int imported_session(fsimage *img)
{
    return img->imported != FsiFileSystemNone;
}

/* Install set (NULL or empty: not bootable) as the image's entries; the old ones go. */
static void set_boot(fsimage *img, fsi_boot_set *set)
{
    fsi_boot_set *old;
    if (set && !set->n) {
        fsi_boot_set_free(set);
        set = NULL;
    }
    EnterCriticalSection(&img->cs);
    old = img->boot;
    img->boot = set;
    img->boot_changes++;
    LeaveCriticalSection(&img->cs);
    fsi_boot_set_free(old);                 /* may release the caller's objects: no lock held */
}

static HRESULT boot_error(HRESULT hr)
{
    if (hr == E_OUTOFMEMORY || hr == E_POINTER) return hr;
    return fsi_error(hr, &IID_IFileSystemImage, L"newVal", NULL);
}

/* The last put of either property: its (first) entry; NULL when not bootable (lock held). */
static HRESULT first_entry(fsimage *img, IBootOptions **value)
{
    *value = img->boot ? img->boot->obj[0] : NULL;
    if (*value) IBootOptions_AddRef(*value);
    return S_OK;
}

FSIMAGE_GETTER(BootImageOptions, IBootOptions *, first_entry(img, value))

HRESULT WINAPI fsimage_put_BootImageOptions(IFileSystemImage3 *iface, IBootOptions *value)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    fsi_boot_set *set;
    HRESULT hr;

    TRACE("(%p)->(%p)\n", iface, value);
    if (imported_session(img)) return fsi_error(IMAPI_E_BOOT_OBJECT_CONFLICT, &IID_IFileSystemImage, NULL, NULL);
    if (!value) {                           /* NULL: not bootable */
        set_boot(img, NULL);
        return S_OK;
    }
    /* A complete copy: settings and the image's bytes, read now (no lock held: the caller's
     * stream may be slow); the getter gives a BootOptions over the copy. */
    if (!(set = calloc(1, sizeof(*set)))) return E_OUTOFMEMORY;
    if (FAILED(hr = fsi_boot_set_add(set, value, 1))) {
        fsi_boot_set_free(set);
        return boot_error(hr);
    }
    set_boot(img, set);
    return S_OK;
}

HRESULT WINAPI fsimage_get_BootImageOptionsArray(IFileSystemImage3 *iface, SAFEARRAY **value)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    SAFEARRAY *sa;
    VARIANT *v;
    size_t n;

    TRACE("(%p)->(%p)\n", iface, value);
    if (!value) return E_POINTER;
    *value = NULL;
    EnterCriticalSection(&img->cs);
    n = img->boot ? img->boot->n : 0;
    /* VARIANTs of VT_DISPATCH, in catalog order; empty when not bootable. */
    if (!(sa = SafeArrayCreateVector(VT_VARIANT, 0, (ULONG)n))) {
        LeaveCriticalSection(&img->cs);
        return E_OUTOFMEMORY;
    }
    SafeArrayAccessData(sa, (void **)&v);
    for (size_t i = 0; i < n; i++) {
        V_VT(&v[i]) = VT_DISPATCH;
        V_DISPATCH(&v[i]) = (IDispatch *)img->boot->obj[i];
        IDispatch_AddRef(V_DISPATCH(&v[i]));
    }
    SafeArrayUnaccessData(sa);
    LeaveCriticalSection(&img->cs);
    *value = sa;
    return S_OK;
}

/* The IBootOptions in one array element: VT_DISPATCH or VT_UNKNOWN, also by reference or inside a
 * VT_VARIANT | VT_BYREF (script arrays). NULL if it holds none. */
static IBootOptions *element_boot(const VARIANT *v)
{
    IUnknown *unk = NULL;
    IBootOptions *bo = NULL;
    for (int depth = 0; depth < 4 && v && V_VT(v) == (VT_VARIANT | VT_BYREF); depth++) v = V_VARIANTREF(v);
    if (!v) return NULL;
    switch (V_VT(v)) {
    case VT_DISPATCH: unk = (IUnknown *)V_DISPATCH(v); break;
    case VT_UNKNOWN: unk = V_UNKNOWN(v); break;
    case VT_DISPATCH | VT_BYREF: unk = V_DISPATCHREF(v) ? (IUnknown *)*V_DISPATCHREF(v) : NULL; break;
    case VT_UNKNOWN | VT_BYREF: unk = V_UNKNOWNREF(v) ? *V_UNKNOWNREF(v) : NULL; break;
    default: return NULL;
    }
    if (!unk || FAILED(IUnknown_QueryInterface(unk, &IID_IBootOptions, (void **)&bo))) return NULL;
    return bo;
}

HRESULT WINAPI fsimage_put_BootImageOptionsArray(IFileSystemImage3 *iface, SAFEARRAY *value)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    fsi_boot_set *set;
    VARTYPE vt = VT_EMPTY;
    LONG lb = 0, ub = -1;
    HRESULT hr = S_OK;

    TRACE("(%p)->(%p)\n", iface, value);
    if (!value) return E_POINTER;
    if (imported_session(img)) return fsi_error(IMAPI_E_BOOT_OBJECT_CONFLICT, &IID_IFileSystemImage, NULL, NULL);
    /* One dimension of VARIANTs (or of interface pointers, from C clients), up to 32 entries. */
    if (SafeArrayGetDim(value) != 1 || FAILED(SafeArrayGetVartype(value, &vt)) ||
        (vt != VT_VARIANT && vt != VT_DISPATCH && vt != VT_UNKNOWN) ||
        FAILED(SafeArrayGetLBound(value, 1, &lb)) || FAILED(SafeArrayGetUBound(value, 1, &ub)) ||
        (LONGLONG)ub - lb + 1 > IMAPI2FS_BOOT_ENTRY_COUNT_MAX)
        return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFileSystemImage, L"newVal", NULL);
    if (!(set = calloc(1, sizeof(*set)))) return E_OUTOFMEMORY;
    /* References are kept (the getter gives the same objects); their settings and images are
     * read now, in array order, without the image lock. */
    for (LONG i = lb; i <= ub && SUCCEEDED(hr); i++) {
        IBootOptions *bo = NULL;
        if (vt == VT_VARIANT) {
            VARIANT v;
            VariantInit(&v);
            if (SUCCEEDED(SafeArrayGetElement(value, &i, &v))) bo = element_boot(&v);
            VariantClear(&v);
        } else {
            IUnknown *unk = NULL;
            if (SUCCEEDED(SafeArrayGetElement(value, &i, &unk)) && unk) {
                if (FAILED(IUnknown_QueryInterface(unk, &IID_IBootOptions, (void **)&bo))) bo = NULL;
                IUnknown_Release(unk);
            }
        }
        if (!bo) hr = IMAPI_E_INVALID_PARAM;
        else {
            hr = fsi_boot_set_add(set, bo, 0);
            IBootOptions_Release(bo);
        }
    }
    if (FAILED(hr)) {
        fsi_boot_set_free(set);
        return boot_error(hr);
    }
    set_boot(img, set);                     /* an empty array: not bootable */
    return S_OK;
}
