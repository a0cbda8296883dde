/*
 * DllRegisterServer / DllUnregisterServer: the registry entries Windows' imapi2fs.dll has
 * (CLSID with InprocServer32 + ThreadingModel Both, ProgID, VersionIndependentProgID, TypeLib,
 * Version, Programmable, AppID; the ProgIDs; the type library). Unregistration removes exactly
 * what registration wrote.
 * DllInstall(install, L"user") (regsvr32 /n /i:user, regsvr32 /u /n /i:user) writes and removes the
 * same entries under HKCU\Software\Classes, which the user's processes prefer to the machine's.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "private.h"

#define APPID_STR L"{2C941FD1-975B-59BE-A960-9A2A262853A5}"   /* not in the IDL: Windows' AppID */

/* The type library's LIBID as a registry key name, from the IDL's LIBID_IMAPI2FS. */
static const WCHAR *libid_str(void)
{
    static WCHAR str[39];
    if (!str[0]) StringFromGUID2(&LIBID_IMAPI2FS, str, ARRAY_SIZE(str));
    return str;
}

static LONG set_value(HKEY root, const WCHAR *subkey, const WCHAR *name, const WCHAR *value)
{
    HKEY key;
    LONG err = RegCreateKeyExW(root, subkey, 0, NULL, 0, KEY_WRITE, NULL, &key, NULL);
    if (err) return err;
    if (value) err = RegSetValueExW(key, name, 0, REG_SZ, (const BYTE *)value, (lstrlenW(value) + 1) * sizeof(WCHAR));
    RegCloseKey(key);
    return err;
}

static LONG register_progid(HKEY root, const WCHAR *progid, const WCHAR *name, const WCHAR *clsid, const WCHAR *curver)
{
    WCHAR key[256];
    LONG err;
    if ((err = set_value(root, progid, NULL, name))) return err;
    wsprintfW(key, L"%s\\CLSID", progid);
    if ((err = set_value(root, key, NULL, clsid))) return err;
    if (curver) {
        wsprintfW(key, L"%s\\CurVer", progid);
        if ((err = set_value(root, key, NULL, curver))) return err;
    }
    return 0;
}

static LONG register_coclass(HKEY root, const fsi_class *c, const WCHAR *dll)
{
    WCHAR key[256], clsid[39];
    LONG err;

    StringFromGUID2(c->clsid, clsid, ARRAY_SIZE(clsid));

    wsprintfW(key, L"CLSID\\%s", clsid);
    if ((err = set_value(root, key, NULL, c->name))) return err;
    if ((err = set_value(root, key, L"AppID", APPID_STR))) return err;
    wsprintfW(key, L"CLSID\\%s\\InprocServer32", clsid);
    if ((err = set_value(root, key, NULL, dll))) return err;
    if ((err = set_value(root, key, L"ThreadingModel", L"Both"))) return err;
    wsprintfW(key, L"CLSID\\%s\\ProgID", clsid);
    if ((err = set_value(root, key, NULL, c->progid))) return err;
    wsprintfW(key, L"CLSID\\%s\\VersionIndependentProgID", clsid);
    if ((err = set_value(root, key, NULL, c->viprogid))) return err;
    wsprintfW(key, L"CLSID\\%s\\TypeLib", clsid);
    if ((err = set_value(root, key, NULL, libid_str()))) return err;
    wsprintfW(key, L"CLSID\\%s\\Version", clsid);
    if ((err = set_value(root, key, NULL, L"1.0"))) return err;
    if (c->programmable) {
        wsprintfW(key, L"CLSID\\%s\\Programmable", clsid);
        if ((err = set_value(root, key, NULL, NULL))) return err;
    }
    if ((err = register_progid(root, c->progid, c->name, clsid, NULL))) return err;
    if ((err = register_progid(root, c->viprogid, c->name, clsid, c->progid))) return err;
    if (c->alias && (err = register_progid(root, c->alias, c->name, clsid, NULL))) return err;
    return 0;
}

static void unregister_coclass(HKEY root, const fsi_class *c)
{
    WCHAR key[256], clsid[39];
    StringFromGUID2(c->clsid, clsid, ARRAY_SIZE(clsid));
    wsprintfW(key, L"CLSID\\%s", clsid);
    RegDeleteTreeW(root, key);
    RegDeleteTreeW(root, c->progid);
    RegDeleteTreeW(root, c->viprogid);
    if (c->alias) RegDeleteTreeW(root, c->alias);
}

/* ---- the type library's keys, for per-user registration --------------------------------------
 * RegisterTypeLib writes under HKEY_CLASSES_ROOT only, so per-user registration writes the same keys
 * itself under HKCU\Software\Classes: TypeLib\{LIBID}\1.0 (the library's help string), its FLAGS,
 * HELPDIR and 0\win64 (win32) with the DLL's path; and each automation interface as
 * Interface\{IID} (its name) with ProxyStubClsid and ProxyStubClsid32 (the type library marshaler)
 * and TypeLib (the LIBID and "Version"). (Neither RegisterTypeLibForUser nor RegOverridePredefKey
 * does it under Wine 8: the first registers machine-wide, and with the second oleaut32 still writes
 * the interfaces' 32-bit view copy, HKCR\Wow6432Node\Interface, machine-wide, and removes the
 * machine registration's copy on unregistration.) */

#define PSOA_STR L"{00020424-0000-0000-C000-000000000046}"

/* out: "TypeLib\{LIBID}\1.0" followed by tail ("" or "\\FLAGS"...); 128 units are enough. */
static const WCHAR *version_key(WCHAR *out, const WCHAR *tail)
{
    wsprintfW(out, L"TypeLib\\%s\\1.0%s", libid_str(), tail);
    return out;
}
#define SYSKIND_STR (sizeof(void *) == 8 ? L"win64" : L"win32")

/* The interfaces RegisterTypeLib registers: dispinterfaces and [oleautomation] or [dual] ones. */
static BOOL automation_interface(const TYPEATTR *attr)
{
    return attr->typekind == TKIND_DISPATCH ||
           (attr->typekind == TKIND_INTERFACE && (attr->wTypeFlags & (TYPEFLAG_FOLEAUTOMATION | TYPEFLAG_FDUAL)));
}

/* Each automation interface of the library: its IID as a string and its name, to FN (for
 * registration; or with name NULL, for removal). */
static LONG for_each_interface(ITypeLib *tl, HKEY root, LONG (*fn)(HKEY root, const WCHAR *iid, const WCHAR *name))
{
    UINT n = ITypeLib_GetTypeInfoCount(tl);
    LONG err = 0;
    for (UINT i = 0; i < n && !err; i++) {
        ITypeInfo *ti;
        TYPEATTR *attr;
        BSTR name = NULL;
        WCHAR iid[40];
        if (FAILED(ITypeLib_GetTypeInfo(tl, i, &ti))) return ERROR_INVALID_DATA;
        if (SUCCEEDED(ITypeInfo_GetTypeAttr(ti, &attr))) {
            if (automation_interface(attr) && StringFromGUID2(&attr->guid, iid, ARRAY_SIZE(iid)) &&
                SUCCEEDED(ITypeInfo_GetDocumentation(ti, MEMBERID_NIL, &name, NULL, NULL, NULL)))
                err = fn(root, iid, name);
            ITypeInfo_ReleaseTypeAttr(ti, attr);
        }
        SysFreeString(name);
        ITypeInfo_Release(ti);
    }
    return err;
}

static LONG register_interface(HKEY root, const WCHAR *iid, const WCHAR *name)
{
    WCHAR key[128];
    LONG err;
    wsprintfW(key, L"Interface\\%s", iid);
    if ((err = set_value(root, key, NULL, name))) return err;
    wsprintfW(key, L"Interface\\%s\\ProxyStubClsid", iid);
    if ((err = set_value(root, key, NULL, PSOA_STR))) return err;
    wsprintfW(key, L"Interface\\%s\\ProxyStubClsid32", iid);
    if ((err = set_value(root, key, NULL, PSOA_STR))) return err;
    wsprintfW(key, L"Interface\\%s\\TypeLib", iid);
    if ((err = set_value(root, key, NULL, libid_str()))) return err;
    return set_value(root, key, L"Version", L"1.0");
}

static LONG unregister_interface(HKEY root, const WCHAR *iid, const WCHAR *name)
{
    WCHAR key[128];
    wsprintfW(key, L"Interface\\%s", iid);
    RegDeleteTreeW(root, key);
    return 0;
}

static LONG register_typelib_keys(HKEY root, ITypeLib *tl, const WCHAR *dll)
{
    WCHAR key[128], dir[MAX_PATH], flags[16], *slash;
    TLIBATTR *attr;
    BSTR doc = NULL;
    LONG err;

    if (FAILED(ITypeLib_GetLibAttr(tl, &attr))) return ERROR_INVALID_DATA;
    wsprintfW(flags, L"%u", attr->wLibFlags);
    ITypeLib_ReleaseTLibAttr(tl, attr);
    if (FAILED(ITypeLib_GetDocumentation(tl, MEMBERID_NIL, NULL, &doc, NULL, NULL))) return ERROR_INVALID_DATA;
    err = set_value(root, version_key(key, L""), NULL, doc ? doc : L"");
    SysFreeString(doc);
    if (err) return err;
    if ((err = set_value(root, version_key(key, L"\\FLAGS"), NULL, flags))) return err;
    lstrcpynW(dir, dll, ARRAY_SIZE(dir));
    if ((slash = wcsrchr(dir, '\\'))) *slash = 0;
    if ((err = set_value(root, version_key(key, L"\\HELPDIR"), NULL, dir))) return err;
    wsprintfW(key, L"TypeLib\\%s\\1.0\\0\\%s", libid_str(), SYSKIND_STR);
    if ((err = set_value(root, key, NULL, dll))) return err;
    return for_each_interface(tl, root, register_interface);
}

/* Delete KEY under ROOT when it has neither subkeys nor values. */
static void delete_if_empty(HKEY root, const WCHAR *key)
{
    DWORD subkeys = 1, values = 1;
    HKEY k;
    if (RegOpenKeyExW(root, key, 0, KEY_READ, &k)) return;
    if (RegQueryInfoKeyW(k, NULL, NULL, NULL, &subkeys, NULL, NULL, &values, NULL, NULL, NULL, NULL)) subkeys = 1;
    RegCloseKey(k);
    if (!subkeys && !values) RegDeleteKeyW(root, key);
}

/* Removes this DLL's platform (0\win64 or 0\win32); the version, its FLAGS and HELPDIR and the
 * interfaces only when no other platform of the library stays registered (the x86 and x64 DLLs share
 * them), as UnRegisterTypeLib does. */
static void unregister_typelib_keys(HKEY root, ITypeLib *tl)
{
    WCHAR key[128];
    HKEY k;

    wsprintfW(key, L"TypeLib\\%s\\1.0\\0\\%s", libid_str(), SYSKIND_STR);
    RegDeleteKeyW(root, key);
    delete_if_empty(root, version_key(key, L"\\0"));
    if (!RegOpenKeyExW(root, version_key(key, L"\\0"), 0, KEY_READ, &k)) {
        RegCloseKey(k);         /* another platform's registration: keep what it shares */
        return;
    }
    RegDeleteTreeW(root, version_key(key, L""));
    wsprintfW(key, L"TypeLib\\%s", libid_str());
    delete_if_empty(root, key);
    for_each_interface(tl, root, unregister_interface);
}

/* ---- machine (HKEY_CLASSES_ROOT) or user (HKCU\Software\Classes) ------------------------------ */

static HRESULT load_own_typelib(WCHAR *dll, DWORD size, ITypeLib **tl)
{
    if (!GetModuleFileNameW(fsi_module, dll, size)) return HRESULT_FROM_WIN32(GetLastError());
    return LoadTypeLibEx(dll, REGKIND_NONE, tl);
}

static HRESULT register_server(HKEY root)
{
    WCHAR dll[MAX_PATH];
    ITypeLib *tl = NULL;
    HRESULT hr;
    LONG err;

    if (!GetModuleFileNameW(fsi_module, dll, ARRAY_SIZE(dll))) return HRESULT_FROM_WIN32(GetLastError());
    for (size_t i = 0; i < fsi_class_count; i++)
        if ((err = register_coclass(root, &fsi_classes[i], dll))) {
            for (size_t j = 0; j <= i; j++) unregister_coclass(root, &fsi_classes[j]);
            return SELFREG_E_CLASS;
        }
    if (root == HKEY_CLASSES_ROOT) {
        hr = LoadTypeLibEx(dll, REGKIND_REGISTER, &tl);
    } else if (SUCCEEDED(hr = load_own_typelib(dll, ARRAY_SIZE(dll), &tl)) && register_typelib_keys(root, tl, dll)) {
        unregister_typelib_keys(root, tl);
        hr = E_FAIL;
    }
    if (tl) ITypeLib_Release(tl);
    if (FAILED(hr)) {
        for (size_t j = 0; j < fsi_class_count; j++) unregister_coclass(root, &fsi_classes[j]);
        return SELFREG_E_TYPELIB;
    }
    return S_OK;
}

static HRESULT unregister_server(HKEY root)
{
    WCHAR dll[MAX_PATH];
    ITypeLib *tl;

    for (size_t i = 0; i < fsi_class_count; i++) unregister_coclass(root, &fsi_classes[i]);
    if (root == HKEY_CLASSES_ROOT) {
        UnRegisterTypeLib(&LIBID_IMAPI2FS, 1, 0, LOCALE_NEUTRAL, sizeof(void *) == 8 ? SYS_WIN64 : SYS_WIN32);
        /* Wine leaves an empty LIBID key behind when the last version goes. */
        WCHAR key[64];
        wsprintfW(key, L"TypeLib\\%s", libid_str());
        RegDeleteKeyW(root, key);
    } else if (SUCCEEDED(load_own_typelib(dll, ARRAY_SIZE(dll), &tl))) {
        unregister_typelib_keys(root, tl);
        ITypeLib_Release(tl);
    }
    return S_OK;
}

HRESULT WINAPI DllRegisterServer(void)
{
    return register_server(HKEY_CLASSES_ROOT);
}

HRESULT WINAPI DllUnregisterServer(void)
{
    return unregister_server(HKEY_CLASSES_ROOT);
}

/* regsvr32 [/u] /n /i:CMDLINE: "user" registers (removes) under HKCU\Software\Classes; "machine", an
 * empty or no command line do what DllRegisterServer (DllUnregisterServer) does. Per-user removal
 * also deletes the containers it left empty (CLSID, Interface, TypeLib, Software\Classes itself: a
 * new Wine prefix has no HKCU\Software\Classes; on Windows it is the user's classes hive and stays). */
HRESULT WINAPI DllInstall(BOOL install, const WCHAR *cmdline)
{
    HKEY classes;
    HRESULT hr;
    LONG err;

    if (!cmdline || !*cmdline || !lstrcmpiW(cmdline, L"machine"))
        return install ? DllRegisterServer() : DllUnregisterServer();
    if (lstrcmpiW(cmdline, L"user")) return E_INVALIDARG;
    if (install) {
        if ((err = RegCreateKeyExW(HKEY_CURRENT_USER, L"Software\\Classes", 0, NULL, 0, KEY_ALL_ACCESS, NULL,
                                   &classes, NULL)))
            return HRESULT_FROM_WIN32(err);
        hr = register_server(classes);
        RegCloseKey(classes);
        return hr;
    }
    if ((err = RegOpenKeyExW(HKEY_CURRENT_USER, L"Software\\Classes", 0, KEY_ALL_ACCESS, &classes)))
        return err == ERROR_FILE_NOT_FOUND ? S_OK : HRESULT_FROM_WIN32(err);
    hr = unregister_server(classes);
    delete_if_empty(classes, L"CLSID");
    delete_if_empty(classes, L"Interface");
    delete_if_empty(classes, L"TypeLib");
    RegCloseKey(classes);
    delete_if_empty(HKEY_CURRENT_USER, L"Software\\Classes");
    return hr;
}
