/*
 * imapi2fs.dll entry points: DllMain, class factories, DllGetClassObject, DllCanUnloadNow.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "private.h"

HINSTANCE fsi_module;
LONG fsi_object_count;

static inline fsi_class *impl_from_IClassFactory(IClassFactory *iface)
{
    return impl_from(iface, fsi_class, IClassFactory_iface);
}

static HRESULT WINAPI cf_QueryInterface(IClassFactory *iface, REFIID riid, void **ppv)
{
    if (!ppv) return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IClassFactory)) {
        *ppv = iface;
        IClassFactory_AddRef(iface);
        return S_OK;
    }
    *ppv = NULL;
    return E_NOINTERFACE;
}

/* The factories are static: their reference count is the module lock count. */
static ULONG WINAPI cf_AddRef(IClassFactory *iface)
{
    fsi_lock_module();
    return 2;
}

static ULONG WINAPI cf_Release(IClassFactory *iface)
{
    fsi_unlock_module();
    return 1;
}

static HRESULT WINAPI cf_CreateInstance(IClassFactory *iface, IUnknown *outer, REFIID riid, void **ppv)
{
    fsi_class *cf = impl_from_IClassFactory(iface);
    TRACE("(%p)->(%p, %s, %p)\n", iface, outer, debugstr_guid(riid), ppv);
    if (!ppv) return E_POINTER;
    *ppv = NULL;
    if (outer) return CLASS_E_NOAGGREGATION;
    return cf->create(outer, riid, ppv);
}

static HRESULT WINAPI cf_LockServer(IClassFactory *iface, BOOL lock)
{
    if (lock) fsi_lock_module();
    else fsi_unlock_module();
    return S_OK;
}

static const IClassFactoryVtbl cf_vtbl = {
    cf_QueryInterface, cf_AddRef, cf_Release, cf_CreateInstance, cf_LockServer,
};

/* The creatable classes: each one's class factory and registry entries (register.c). The GUIDs
 * are the IDL's (widl's imapi2fs_i.c); the names and ProgIDs are what Windows registers
 * (shared/reference/windows-observed.md). com.test_register checks the table against the type
 * library: every coclass the IDL does not mark noncreatable is here, and nothing else. */
fsi_class fsi_classes[] = {
    { { &cf_vtbl }, &CLSID_MsftFileSystemImage, fsimage_create, L"FileSystemImage Class",
      L"IMAPI2FS.MsftFileSystemImage.1", L"IMAPI2FS.MsftFileSystemImage", L"IMAPI2.MsftFileSystemImage", TRUE },
    { { &cf_vtbl }, &CLSID_BootOptions, bootoptions_create, L"BootOptions Class",
      L"IMAPI2FS.BootOptions.1", L"IMAPI2FS.BootOptions", NULL, TRUE },
    { { &cf_vtbl }, &CLSID_MsftIsoImageManager, isoimagemanager_create,
      L"Microsoft IMAPI v2, .ISO Image Manager utility",
      L"IMAPI2FS.MsftIsoImageManager.1", L"IMAPI2FS.MsftIsoImageManager", NULL, FALSE },
};
const size_t fsi_class_count = ARRAY_SIZE(fsi_classes);

HRESULT WINAPI DllGetClassObject(REFCLSID clsid, REFIID riid, void **ppv)
{
    size_t i;
    TRACE("(%s, %s, %p)\n", debugstr_guid(clsid), debugstr_guid(riid), ppv);
    if (!ppv) return E_POINTER;
    *ppv = NULL;
    for (i = 0; i < fsi_class_count; i++)
        if (IsEqualCLSID(clsid, fsi_classes[i].clsid))
            return IClassFactory_QueryInterface(&fsi_classes[i].IClassFactory_iface, riid, ppv);
    WARN("class %s not available\n", debugstr_guid(clsid));
    return CLASS_E_CLASSNOTAVAILABLE;
}

HRESULT WINAPI DllCanUnloadNow(void)
{
    return fsi_object_count ? S_FALSE : S_OK;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, void *reserved)
{
    switch (reason) {
    case DLL_PROCESS_ATTACH:
        fsi_module = instance;
        DisableThreadLibraryCalls(instance);
        break;
    case DLL_PROCESS_DETACH:
        if (!reserved) fsi_typelib_release();
        break;
    }
    return TRUE;
}
