/*
 * imapi2fs.dll entry points: DllMain, class factories, DllGetClassObject, DllCanUnloadNow.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "private.h"

HINSTANCE fsi_module;
LONG fsi_object_count;

typedef HRESULT (*fsi_constructor)(IUnknown *outer, REFIID riid, void **ppv);

typedef struct class_factory {
    IClassFactory IClassFactory_iface;
    fsi_constructor create;
} class_factory;

static inline class_factory *impl_from_IClassFactory(IClassFactory *iface)
{
    return impl_from(iface, class_factory, IClassFactory_iface);
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
    class_factory *cf = impl_from_IClassFactory(iface);
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

static class_factory fsimage_cf = { { &cf_vtbl }, fsimage_create };
static class_factory bootoptions_cf = { { &cf_vtbl }, bootoptions_create };
static class_factory isoimagemanager_cf = { { &cf_vtbl }, isoimagemanager_create };

HRESULT WINAPI DllGetClassObject(REFCLSID clsid, REFIID riid, void **ppv)
{
    class_factory *cf = NULL;
    TRACE("(%s, %s, %p)\n", debugstr_guid(clsid), debugstr_guid(riid), ppv);
    if (!ppv) return E_POINTER;
    *ppv = NULL;
    if (IsEqualCLSID(clsid, &CLSID_MsftFileSystemImage)) cf = &fsimage_cf;
    else if (IsEqualCLSID(clsid, &CLSID_BootOptions)) cf = &bootoptions_cf;
    else if (IsEqualCLSID(clsid, &CLSID_MsftIsoImageManager)) cf = &isoimagemanager_cf;
    if (!cf) {
        WARN("class %s not available\n", debugstr_guid(clsid));
        return CLASS_E_CLASSNOTAVAILABLE;
    }
    return IClassFactory_QueryInterface(&cf->IClassFactory_iface, riid, ppv);
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
