/*
 * DllRegisterServer / DllUnregisterServer: the registry entries Windows' imapi2fs.dll has
 * (CLSID with InprocServer32 + ThreadingModel Both, ProgID, VersionIndependentProgID, TypeLib,
 * Version, Programmable, AppID; the ProgIDs; the type library). Unregistration removes exactly
 * what registration wrote.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "private.h"

#define LIBID_STR L"{2C941FD0-975B-59BE-A960-9A2A262853A5}"
#define APPID_STR L"{2C941FD1-975B-59BE-A960-9A2A262853A5}"

struct coclass_reg {
    const WCHAR *clsid;
    const WCHAR *name;
    const WCHAR *progid;            /* versioned, ".1" */
    const WCHAR *viprogid;          /* version independent */
    const WCHAR *alias;             /* another ProgID for the same class, or NULL */
    BOOL programmable;
};

static const struct coclass_reg coclasses[] = {
    { L"{2C941FC5-975B-59BE-A960-9A2A262853A5}", L"FileSystemImage Class",
      L"IMAPI2FS.MsftFileSystemImage.1", L"IMAPI2FS.MsftFileSystemImage", L"IMAPI2.MsftFileSystemImage", TRUE },
    { L"{2C941FCE-975B-59BE-A960-9A2A262853A5}", L"BootOptions Class",
      L"IMAPI2FS.BootOptions.1", L"IMAPI2FS.BootOptions", NULL, TRUE },
    { L"{CEEE3B62-8F56-4056-869B-EF16917E3EFC}", L"Microsoft IMAPI v2, .ISO Image Manager utility",
      L"IMAPI2FS.MsftIsoImageManager.1", L"IMAPI2FS.MsftIsoImageManager", NULL, FALSE },
};

static LONG set_value(HKEY root, const WCHAR *subkey, const WCHAR *name, const WCHAR *value)
{
    HKEY key;
    LONG err = RegCreateKeyExW(root, subkey, 0, NULL, 0, KEY_WRITE, NULL, &key, NULL);
    if (err) return err;
    if (value) err = RegSetValueExW(key, name, 0, REG_SZ, (const BYTE *)value, (lstrlenW(value) + 1) * sizeof(WCHAR));
    RegCloseKey(key);
    return err;
}

static LONG register_progid(const WCHAR *progid, const WCHAR *name, const WCHAR *clsid, const WCHAR *curver)
{
    WCHAR key[256];
    LONG err;
    if ((err = set_value(HKEY_CLASSES_ROOT, progid, NULL, name))) return err;
    wsprintfW(key, L"%s\\CLSID", progid);
    if ((err = set_value(HKEY_CLASSES_ROOT, key, NULL, clsid))) return err;
    if (curver) {
        wsprintfW(key, L"%s\\CurVer", progid);
        if ((err = set_value(HKEY_CLASSES_ROOT, key, NULL, curver))) return err;
    }
    return 0;
}

static LONG register_coclass(const struct coclass_reg *c, const WCHAR *dll)
{
    WCHAR key[256];
    LONG err;

    wsprintfW(key, L"CLSID\\%s", c->clsid);
    if ((err = set_value(HKEY_CLASSES_ROOT, key, NULL, c->name))) return err;
    if ((err = set_value(HKEY_CLASSES_ROOT, key, L"AppID", APPID_STR))) return err;
    wsprintfW(key, L"CLSID\\%s\\InprocServer32", c->clsid);
    if ((err = set_value(HKEY_CLASSES_ROOT, key, NULL, dll))) return err;
    if ((err = set_value(HKEY_CLASSES_ROOT, key, L"ThreadingModel", L"Both"))) return err;
    wsprintfW(key, L"CLSID\\%s\\ProgID", c->clsid);
    if ((err = set_value(HKEY_CLASSES_ROOT, key, NULL, c->progid))) return err;
    wsprintfW(key, L"CLSID\\%s\\VersionIndependentProgID", c->clsid);
    if ((err = set_value(HKEY_CLASSES_ROOT, key, NULL, c->viprogid))) return err;
    wsprintfW(key, L"CLSID\\%s\\TypeLib", c->clsid);
    if ((err = set_value(HKEY_CLASSES_ROOT, key, NULL, LIBID_STR))) return err;
    wsprintfW(key, L"CLSID\\%s\\Version", c->clsid);
    if ((err = set_value(HKEY_CLASSES_ROOT, key, NULL, L"1.0"))) return err;
    if (c->programmable) {
        wsprintfW(key, L"CLSID\\%s\\Programmable", c->clsid);
        if ((err = set_value(HKEY_CLASSES_ROOT, key, NULL, NULL))) return err;
    }
    if ((err = register_progid(c->progid, c->name, c->clsid, NULL))) return err;
    if ((err = register_progid(c->viprogid, c->name, c->clsid, c->progid))) return err;
    if (c->alias && (err = register_progid(c->alias, c->name, c->clsid, NULL))) return err;
    return 0;
}

static void unregister_coclass(const struct coclass_reg *c)
{
    WCHAR key[256];
    wsprintfW(key, L"CLSID\\%s", c->clsid);
    RegDeleteTreeW(HKEY_CLASSES_ROOT, key);
    RegDeleteTreeW(HKEY_CLASSES_ROOT, c->progid);
    RegDeleteTreeW(HKEY_CLASSES_ROOT, c->viprogid);
    if (c->alias) RegDeleteTreeW(HKEY_CLASSES_ROOT, c->alias);
}

HRESULT WINAPI DllRegisterServer(void)
{
    WCHAR dll[MAX_PATH];
    ITypeLib *tl;
    HRESULT hr;
    LONG err;

    if (!GetModuleFileNameW(fsi_module, dll, ARRAY_SIZE(dll))) return HRESULT_FROM_WIN32(GetLastError());
    for (size_t i = 0; i < ARRAY_SIZE(coclasses); i++)
        if ((err = register_coclass(&coclasses[i], dll))) {
            for (size_t j = 0; j <= i; j++) unregister_coclass(&coclasses[j]);
            return SELFREG_E_CLASS;
        }
    hr = LoadTypeLibEx(dll, REGKIND_REGISTER, &tl);
    if (FAILED(hr)) {
        for (size_t j = 0; j < ARRAY_SIZE(coclasses); j++) unregister_coclass(&coclasses[j]);
        return SELFREG_E_TYPELIB;
    }
    ITypeLib_Release(tl);
    return S_OK;
}

HRESULT WINAPI DllUnregisterServer(void)
{
    for (size_t i = 0; i < ARRAY_SIZE(coclasses); i++) unregister_coclass(&coclasses[i]);
    UnRegisterTypeLib(&LIBID_IMAPI2FS, 1, 0, LOCALE_NEUTRAL, sizeof(void *) == 8 ? SYS_WIN64 : SYS_WIN32);
    /* Wine leaves an empty LIBID key behind when the last version goes. */
    RegDeleteKeyW(HKEY_CLASSES_ROOT, L"TypeLib\\" LIBID_STR);
    return S_OK;
}
