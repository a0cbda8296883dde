/*
 * Registration against the IDL: the classes imapi2fs.dll registers and serves are exactly the
 * coclasses its type library (compiled from idl/imapi2fs.idl) does not mark noncreatable. For each
 * of those: HKCR\CLSID\{clsid}\InprocServer32 names the DLL, its ProgID and version-independent
 * ProgID lead back to the class, its TypeLib is the library's LIBID, CoCreateInstance gives an
 * object answering the coclass's default interface. For every other coclass: no CLSID key, and
 * the DLL's DllGetClassObject answers CLASS_E_CLASSNOTAVAILABLE.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "client_util.h"

static WCHAR dll[MAX_PATH];

static int reg_string(const WCHAR *key, WCHAR *out, DWORD units)
{
    DWORD size = units * sizeof(WCHAR);
    out[0] = 0;
    return !RegGetValueW(HKEY_CLASSES_ROOT, key, NULL, RRF_RT_REG_SZ, NULL, out, &size);
}

/* The default interface of a coclass, from its implemented types. */
static int default_interface(ITypeInfo *ti, UINT impls, IID *iid)
{
    for (UINT j = 0; j < impls; j++) {
        INT flags;
        HREFTYPE ref;
        ITypeInfo *it;
        TYPEATTR *a;
        if (FAILED(ITypeInfo_GetImplTypeFlags(ti, j, &flags)) || (flags & IMPLTYPEFLAG_FSOURCE) ||
            !(flags & IMPLTYPEFLAG_FDEFAULT))
            continue;
        if (FAILED(ITypeInfo_GetRefTypeOfImplType(ti, j, &ref)) || FAILED(ITypeInfo_GetRefTypeInfo(ti, ref, &it)))
            return 0;
        if (SUCCEEDED(ITypeInfo_GetTypeAttr(it, &a))) {
            *iid = a->guid;
            ITypeInfo_ReleaseTypeAttr(it, a);
        }
        ITypeInfo_Release(it);
        return 1;
    }
    return 0;
}

/* A ProgID's key leads back to clsid. */
static void check_progid(const WCHAR *key, const CLSID *clsid, const WCHAR *name)
{
    WCHAR progid[128];
    CLSID back;
    CHECK(reg_string(key, progid, ARRAYSIZE(progid)), "%ls: no %ls", name, key);
    CHECK(SUCCEEDED(CLSIDFromProgID(progid, &back)) && IsEqualCLSID(&back, clsid),
          "%ls: ProgID %ls does not lead back to the class", name, progid);
}

static void coclasses(void)
{
    HRESULT (WINAPI *get_class)(REFCLSID, REFIID, void **);
    WCHAR libid[40], key[160], value[MAX_PATH];
    HMODULE module = LoadLibraryW(dll);
    ITypeLib *tl = NULL;
    TLIBATTR *la;
    UINT n, creatable = 0;

    CHECK(module != NULL, "LoadLibrary(%ls)", dll);
    get_class = module ? (void *)GetProcAddress(module, "DllGetClassObject") : NULL;
    CHECK(get_class != NULL, "no DllGetClassObject");
    CHECK_HR(LoadTypeLibEx(dll, REGKIND_NONE, &tl), S_OK);
    if (!tl || !get_class) return;
    ITypeLib_GetLibAttr(tl, &la);
    StringFromGUID2(&la->guid, libid, ARRAYSIZE(libid));
    ITypeLib_ReleaseTLibAttr(tl, la);
    n = ITypeLib_GetTypeInfoCount(tl);
    for (UINT i = 0; i < n; i++) {
        ITypeInfo *ti;
        TYPEATTR *a;
        BSTR name = NULL;
        WCHAR clsid[40];
        IUnknown *obj = NULL, *iface = NULL;
        IClassFactory *cf = NULL;
        IID def;
        HKEY k;
        int registered;

        if (FAILED(ITypeLib_GetTypeInfo(tl, i, &ti))) continue;
        ITypeInfo_GetTypeAttr(ti, &a);
        if (a->typekind != TKIND_COCLASS) {
            ITypeInfo_ReleaseTypeAttr(ti, a);
            ITypeInfo_Release(ti);
            continue;
        }
        ITypeInfo_GetDocumentation(ti, MEMBERID_NIL, &name, NULL, NULL, NULL);
        StringFromGUID2(&a->guid, clsid, ARRAYSIZE(clsid));
        swprintf(key, ARRAYSIZE(key), L"CLSID\\%ls\\InprocServer32", clsid);
        registered = !RegOpenKeyExW(HKEY_CLASSES_ROOT, key, 0, KEY_READ, &k);
        if (registered) RegCloseKey(k);
        if (a->wTypeFlags & TYPEFLAG_FCANCREATE) {
            creatable++;
            CHECK(registered, "%ls %ls: creatable in the IDL, not registered", name, clsid);
            CHECK(reg_string(key, value, ARRAYSIZE(value)) && !lstrcmpiW(value, dll),
                  "%ls: InprocServer32 is '%ls'", name, value);
            swprintf(key, ARRAYSIZE(key), L"CLSID\\%ls\\ProgID", clsid);
            check_progid(key, &a->guid, name);
            swprintf(key, ARRAYSIZE(key), L"CLSID\\%ls\\VersionIndependentProgID", clsid);
            check_progid(key, &a->guid, name);
            swprintf(key, ARRAYSIZE(key), L"CLSID\\%ls\\TypeLib", clsid);
            CHECK(reg_string(key, value, ARRAYSIZE(value)) && !lstrcmpiW(value, libid),
                  "%ls: TypeLib is '%ls', the library's %ls", name, value, libid);
            CHECK_HR(CoCreateInstance(&a->guid, NULL, CLSCTX_INPROC_SERVER, &IID_IUnknown, (void **)&obj), S_OK);
            CHECK(default_interface(ti, a->cImplTypes, &def), "%ls: no default interface", name);
            if (obj) {
                CHECK_HR(IUnknown_QueryInterface(obj, &def, (void **)&iface), S_OK);
                if (iface) IUnknown_Release(iface);
                IUnknown_Release(obj);
            }
        } else {
            CHECK(!registered, "%ls %ls: noncreatable in the IDL, registered", name, clsid);
            CHECK_HR(get_class(&a->guid, &IID_IClassFactory, (void **)&cf), CLASS_E_CLASSNOTAVAILABLE);
            if (cf) IClassFactory_Release(cf);
        }
        SysFreeString(name);
        ITypeInfo_ReleaseTypeAttr(ti, a);
        ITypeInfo_Release(ti);
    }
    CHECK(creatable == 3, "%u creatable coclasses in the type library (3: MsftFileSystemImage, BootOptions, "
          "MsftIsoImageManager)", creatable);
    ITypeLib_Release(tl);
}

static const test_case cases[] = {
    { "coclasses", coclasses },
};

int wmain(int argc, WCHAR **argv)
{
    int rc;
    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    /* the registered DLL: the one the other clients create their objects from */
    reg_string(L"CLSID\\{2C941FC5-975B-59BE-A960-9A2A262853A5}\\InprocServer32", dll, ARRAYSIZE(dll));
    rc = RUN_CASES(argc, argv, cases);
    CoUninitialize();
    return rc;
}
