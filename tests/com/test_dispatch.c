/*
 * Walks the type library and calls every member of every interface that objects of ours expose,
 * through the vtable (DispCallFunc at the slot the type library gives) and through IDispatch:
 *  - every [out, retval] getter and method with a NULL out pointer answers E_POINTER;
 *  - every property get through IDispatch::Invoke succeeds or fails with a documented IMAPI2FS
 *    HRESULT (never E_NOTIMPL, outside what Windows documents), and never crashes;
 *  - every method taking one BSTR is called with NULL, "" and a 40,000-character string: no crash,
 *    no E_NOTIMPL;
 *  - every put of an enum or a LONG with an out-of-range value is refused;
 *  - an unknown member name gives DISP_E_UNKNOWNNAME.
 */
#define CONST_VTABLE
#include "client_util.h"

static int calls;

/* Members that may answer E_NOTIMPL: those Windows documents so, and (noted, not counted) those
 * whose open issue has not landed yet. Remove a member from the second list when its issue lands. */
static int notimpl_documented(const WCHAR *iface, const WCHAR *member)
{
    static const struct { const WCHAR *member; int issue; } pending[] = {
        { NULL, 0 },                        /* none pending (BootImageOptions(Array): issue 7 landed) */
    };
    if (!wcscmp(member, L"ModifiedBlocks") || !wcscmp(member, L"StageFiles")) return 1;
    for (size_t i = 0; i < ARRAYSIZE(pending) && pending[i].member; i++)
        if (!wcscmp(member, pending[i].member)) {
            printf("# pending (issue %d): %ls.%ls answers E_NOTIMPL\n", pending[i].issue, iface, member);
            return 1;
        }
    return 0;
}

static BSTR long_string(void)
{
    BSTR s = SysAllocStringLen(NULL, 40000);
    for (int i = 0; i < 40000; i++) s[i] = (WCHAR)('a' + i % 26);
    return s;
}

/* The vtable view of a dual interface's type info. */
static ITypeInfo *vtable_info(ITypeInfo *ti)
{
    TYPEATTR *attr;
    ITypeInfo *vt = NULL;
    HREFTYPE ref;
    ITypeInfo_GetTypeAttr(ti, &attr);
    if (attr->typekind == TKIND_DISPATCH && (attr->wTypeFlags & TYPEFLAG_FDUAL) &&
        SUCCEEDED(ITypeInfo_GetRefTypeOfImplType(ti, -1, &ref)))
        ITypeInfo_GetRefTypeInfo(ti, ref, &vt);
    ITypeInfo_ReleaseTypeAttr(ti, attr);
    if (!vt) { ITypeInfo_AddRef(ti); vt = ti; }
    return vt;
}

static HRESULT call_vtable(void *obj, SHORT slot_offset, UINT argc, VARTYPE *types, VARIANT **args)
{
    VARIANT ret;
    HRESULT hr;
    VariantInit(&ret);
    hr = DispCallFunc(obj, slot_offset, CC_STDCALL, VT_ERROR, argc, types, args, &ret);
    calls++;
    if (FAILED(hr)) return hr;
    return V_ERROR(&ret);
}

static void walk_funcs(void *obj, IDispatch *disp, ITypeInfo *vt, const WCHAR *iface);

/* Walk every function of the interface riid of obj (an IDispatch), inherited ones included. */
static void walk(IUnknown *unk, REFIID riid, const WCHAR *iface)
{
    IDispatch *disp = NULL;
    ITypeInfo *ti = NULL, *vt;
    void *obj = NULL;

    if (FAILED(IUnknown_QueryInterface(unk, riid, &obj))) {
        CHECK(0, "%ls: QueryInterface failed", iface);
        return;
    }
    IUnknown_QueryInterface(unk, &IID_IDispatch, (void **)&disp);
    CHECK(disp && SUCCEEDED(IDispatch_GetTypeInfo(disp, 0, 0, &ti)), "%ls: GetTypeInfo", iface);
    if (!ti) return;
    vt = vtable_info(ti);
    /* Up the inheritance chain: each interface's type info lists only its own functions. */
    while (vt) {
        TYPEATTR *a;
        ITypeInfo *base = NULL;
        HREFTYPE ref;
        ITypeInfo_GetTypeAttr(vt, &a);
        if (IsEqualGUID(&a->guid, &IID_IDispatch) || IsEqualGUID(&a->guid, &IID_IUnknown)) {
            ITypeInfo_ReleaseTypeAttr(vt, a);
            ITypeInfo_Release(vt);
            break;
        }
        if (a->cImplTypes && SUCCEEDED(ITypeInfo_GetRefTypeOfImplType(vt, 0, &ref))) ITypeInfo_GetRefTypeInfo(vt, ref, &base);
        ITypeInfo_ReleaseTypeAttr(vt, a);
        walk_funcs(obj, disp, vt, iface);
        ITypeInfo_Release(vt);
        vt = base;
    }
    ITypeInfo_Release(ti);
    {
        /* An unknown name. */
        LPOLESTR bad = (LPOLESTR)L"ImageSizeLimit";
        DISPID id;
        CHECK(IDispatch_GetIDsOfNames(disp, &IID_NULL, &bad, 1, 0, &id) == DISP_E_UNKNOWNNAME,
              "%ls: unknown name not DISP_E_UNKNOWNNAME", iface);
    }
    IDispatch_Release(disp);
    IUnknown_Release((IUnknown *)obj);
}

static void walk_funcs(void *obj, IDispatch *disp, ITypeInfo *vt, const WCHAR *iface)
{
    TYPEATTR *attr;
    ITypeInfo_GetTypeAttr(vt, &attr);
    for (UINT f = 0; f < attr->cFuncs; f++) {
        FUNCDESC *fd;
        BSTR name = NULL;
        UINT n;
        if (FAILED(ITypeInfo_GetFuncDesc(vt, f, &fd))) continue;
        ITypeInfo_GetNames(vt, fd->memid, &name, 1, &n);
        if (fd->oVft < 7 * (SHORT)sizeof(void *) || (fd->wFuncFlags & FUNCFLAG_FRESTRICTED && fd->memid != DISPID_NEWENUM)) {
            SysFreeString(name);
            ITypeInfo_ReleaseFuncDesc(vt, fd);
            continue;                           /* IUnknown/IDispatch, and [restricted] members */
        }
        /* 1. NULL out pointer: E_POINTER. */
        if (fd->cParams >= 1 && (fd->lprgelemdescParam[fd->cParams - 1].paramdesc.wParamFlags & PARAMFLAG_FOUT)) {
            VARTYPE types[4] = { VT_PTR, VT_PTR, VT_PTR, VT_PTR };
            VARIANT v[4], *args[4];
            BSTR sarg = SysAllocString(L"x");
            int ok = 1;
            for (int i = 0; i < fd->cParams; i++) {
                ELEMDESC *ed = &fd->lprgelemdescParam[i];
                VariantInit(&v[i]);
                args[i] = &v[i];
                if (i == fd->cParams - 1) { V_VT(&v[i]) = VT_PTR; V_BYREF(&v[i]) = NULL; types[i] = VT_PTR; }
                else if (ed->tdesc.vt == VT_BSTR) { types[i] = VT_BSTR; V_VT(&v[i]) = VT_BSTR; V_BSTR(&v[i]) = sarg; }
                else if (ed->tdesc.vt == VT_I4 || ed->tdesc.vt == VT_UI4 || ed->tdesc.vt == VT_INT || ed->tdesc.vt == VT_USERDEFINED) {
                    types[i] = VT_I4; V_VT(&v[i]) = VT_I4; V_I4(&v[i]) = 1;
                } else ok = 0;
            }
            if (ok && fd->cParams <= 4) {
                HRESULT hr = call_vtable(obj, fd->oVft, fd->cParams, types, args);
                CHECK(hr == E_POINTER, "%ls::%ls (slot %d) with a NULL out pointer: 0x%08lx, want E_POINTER",
                      iface, name, fd->oVft / (int)sizeof(void *), (unsigned long)hr);
            }
            SysFreeString(sarg);
        }
        /* 2. Property gets through IDispatch::Invoke. */
        if (fd->invkind == INVOKE_PROPERTYGET && fd->cParams == 1) {
            DISPPARAMS dp = { NULL, NULL, 0, 0 };
            EXCEPINFO ei;
            VARIANT result;
            HRESULT hr;
            memset(&ei, 0, sizeof(ei));
            VariantInit(&result);
            hr = IDispatch_Invoke(disp, fd->memid, &IID_NULL, 0, DISPATCH_PROPERTYGET, &dp, &result, &ei, NULL);
            calls++;
            if (hr == DISP_E_EXCEPTION) hr = ei.scode ? ei.scode : (HRESULT)ei.wCode;
            CHECK(hr != E_NOTIMPL || notimpl_documented(iface, name), "%ls.%ls through IDispatch: E_NOTIMPL", iface, name);
            CHECK(SUCCEEDED(hr) || HRESULT_FACILITY(hr) == 0xAA || hr == E_POINTER || hr == E_NOTIMPL,
                  "%ls.%ls through IDispatch: 0x%08lx is not an IMAPI2FS result", iface, name, (unsigned long)hr);
            SysFreeString(ei.bstrDescription);
            SysFreeString(ei.bstrSource);
            SysFreeString(ei.bstrHelpFile);
            VariantClear(&result);
        }
        /* 3. Methods taking one BSTR: NULL, empty, over-long. */
        if (fd->invkind == INVOKE_FUNC && fd->cParams >= 1 && fd->lprgelemdescParam[0].tdesc.vt == VT_BSTR &&
            wcscmp(name, L"AddTree") && wcscmp(name, L"AddTreeWithNamedStreams") && wcscmp(name, L"SetPath") &&
            wcscmp(name, L"RemoveTree") && wcscmp(name, L"Remove")) {
            BSTR strings[3] = { NULL, SysAllocString(L""), long_string() };
            for (int k = 0; k < 3; k++) {
                VARTYPE types[3] = { VT_BSTR, VT_PTR, VT_PTR };
                VARIANT v[3], *args[3] = { &v[0], &v[1], &v[2] };
                IUnknown *out = NULL;
                HRESULT hr;
                V_VT(&v[0]) = VT_BSTR; V_BSTR(&v[0]) = strings[k];
                V_VT(&v[1]) = VT_PTR; V_BYREF(&v[1]) = &out;
                V_VT(&v[2]) = VT_PTR; V_BYREF(&v[2]) = &out;
                if (fd->cParams > 3) break;
                /* Only (BSTR) and (BSTR, [out] ...): other arguments would need real objects. */
                if (fd->cParams >= 2 && !(fd->lprgelemdescParam[1].paramdesc.wParamFlags & PARAMFLAG_FOUT)) break;
                hr = call_vtable(obj, fd->oVft, fd->cParams, types, args);
                CHECK(hr != E_NOTIMPL || notimpl_documented(iface, name), "%ls::%ls(%s): E_NOTIMPL", iface, name,
                      k == 0 ? "NULL" : k == 1 ? "\"\"" : "long");
                /* (an object returned here is leaked: the out parameter may not be one) */
            }
            SysFreeString(strings[1]);
            SysFreeString(strings[2]);
        }
        SysFreeString(name);
        ITypeInfo_ReleaseFuncDesc(vt, fd);
    }
    ITypeInfo_ReleaseTypeAttr(vt, attr);
}

/* Out-of-range values for enum and LONG properties. */
static void bad_values(IFileSystemImage *image, IBootOptions *boot)
{
    CHECK(IFileSystemImage_put_FileSystemsToCreate(image, (FsiFileSystems)0x80) == IMAPI_E_INVALID_PARAM, "FileSystemsToCreate 0x80");
    CHECK(IFileSystemImage_put_UDFRevision(image, 0x999) == IMAPI_E_INVALID_PARAM, "UDFRevision 0x999");
    CHECK(IFileSystemImage_put_ISO9660InterchangeLevel(image, 7) == IMAPI_E_INVALID_PARAM, "ISO9660InterchangeLevel 7");
    CHECK(IFileSystemImage_put_SessionStartBlock(image, -5) == IMAPI_E_INVALID_PARAM, "SessionStartBlock -5");
    CHECK(IFileSystemImage_ChooseImageDefaultsForMediaType(image, (IMAPI_MEDIA_PHYSICAL_TYPE)0x99) == IMAPI_E_INVALID_PARAM, "media type 0x99");
    CHECK(IBootOptions_put_PlatformId(boot, (PlatformId)7) == IMAPI_E_INVALID_PARAM, "PlatformId 7");
    CHECK(IBootOptions_put_Emulation(boot, (EmulationType)9) == IMAPI_E_INVALID_PARAM, "Emulation 9");
    {
        BSTR s = SysAllocString(L"this manufacturer name is too long");
        CHECK(IBootOptions_put_Manufacturer(boot, s) == IMAPI_E_INVALID_PARAM, "Manufacturer over 24 bytes");
        SysFreeString(s);
    }
}

/* The objects walked: an image with a file, its result, boot options, an ISO image manager. */
static IFileSystemImage *image;
static IFsiDirectoryItem *root;
static IFsiItem *file;
static IFileSystemImageResult *result;
static IBootOptions *boot;
static IIsoImageManager *iim;

static void image_and_items(void)
{
    walk((IUnknown *)image, &IID_IFileSystemImage3, L"IFileSystemImage3");
    walk((IUnknown *)root, &IID_IFsiDirectoryItem2, L"IFsiDirectoryItem2");
    walk((IUnknown *)file, &IID_IFsiFileItem2, L"IFsiFileItem2");
}

static void result_objects(void)
{
    walk((IUnknown *)result, &IID_IFileSystemImageResult2, L"IFileSystemImageResult2");
}

static void boot_options(void) { walk((IUnknown *)boot, &IID_IBootOptions, L"IBootOptions"); }
static void iso_image_manager(void) { walk((IUnknown *)iim, &IID_IIsoImageManager, L"IIsoImageManager"); }

static void progress_items(void)
{
    IProgressItems *items = NULL;
    IProgressItem *item = NULL;
    if (SUCCEEDED(IFileSystemImageResult_get_ProgressItems(result, &items)) && items) {
        walk((IUnknown *)items, &IID_IProgressItems, L"IProgressItems");
        if (SUCCEEDED(IProgressItems_get_Item(items, 0, &item)) && item) {
            walk((IUnknown *)item, &IID_IProgressItem, L"IProgressItem");
            IProgressItem_Release(item);
        }
        IProgressItems_Release(items);
    } else CHECK(0, "ProgressItems");
}

static void modified_blocks(void)
{
    IFileSystemImageResult2 *r2 = NULL;
    IBlockRangeList *list = NULL;
    IFileSystemImageResult_QueryInterface(result, &IID_IFileSystemImageResult2, (void **)&r2);
    if (r2 && SUCCEEDED(IFileSystemImageResult2_get_ModifiedBlocks(r2, &list)) && list) {
        walk((IUnknown *)list, &IID_IBlockRangeList, L"IBlockRangeList");
        IBlockRangeList_Release(list);
    }
    if (r2) IFileSystemImageResult2_Release(r2);
}

/* a file's named streams (the collection) and the item of one stream */
static void named_streams(void)
{
    IFsiFileItem2 *file2 = NULL;
    IFsiNamedStreams *ns = NULL;
    IFsiFileItem2 *stream = NULL;
    IStream *data;
    BSTR s;
    IFsiItem_QueryInterface(file, &IID_IFsiFileItem2, (void **)&file2);
    data = SHCreateMemStream((const BYTE *)"stream", 6);
    if (file2) IFsiFileItem2_AddStream(file2, s = SysAllocString(L"ads"), data), SysFreeString(s);
    IStream_Release(data);
    if (file2 && SUCCEEDED(IFsiFileItem2_get_FsiNamedStreams(file2, &ns)) && ns) {
        walk((IUnknown *)ns, &IID_IFsiNamedStreams, L"IFsiNamedStreams");
        if (SUCCEEDED(IFsiNamedStreams_get_Item(ns, 0, &stream)) && stream) {
            walk((IUnknown *)stream, &IID_IFsiFileItem2, L"IFsiFileItem2 (named stream)");
            IFsiFileItem2_Release(stream);
        } else CHECK(0, "FsiNamedStreams.Item(0)");
        IFsiNamedStreams_Release(ns);
    } else CHECK(0, "FsiNamedStreams");
    if (file2) IFsiFileItem2_Release(file2);
}

static void out_of_range(void) { bad_values(image, boot); }

static void print_calls(void) { printf("# %d member calls\n", calls); }

static const test_case cases[] = {
    { "image_and_items", image_and_items },
    { "result", result_objects },
    { "boot_options", boot_options },
    { "iso_image_manager", iso_image_manager },
    { "progress_items", progress_items },
    { "modified_blocks", modified_blocks },
    { "named_streams", named_streams },
    { "bad_values", out_of_range },
};

int wmain(int argc, WCHAR **argv)
{
    IStream *data;
    BSTR s;
    int rc;

    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    CoCreateInstance(&CLSID_MsftFileSystemImage, NULL, CLSCTX_INPROC_SERVER, &IID_IFileSystemImage, (void **)&image);
    CoCreateInstance(&CLSID_BootOptions, NULL, CLSCTX_INPROC_SERVER, &IID_IBootOptions, (void **)&boot);
    CoCreateInstance(&CLSID_MsftIsoImageManager, NULL, CLSCTX_INPROC_SERVER, &IID_IIsoImageManager, (void **)&iim);
    if (!image || !boot || !iim) { printf("not ok - creating the objects\n0 passed, 1 failed\n"); return 1; }
    IFileSystemImage_get_Root(image, &root);
    data = SHCreateMemStream((const BYTE *)"hello", 5);
    IFsiDirectoryItem_AddFile(root, s = SysAllocString(L"file.txt"), data); SysFreeString(s);
    IStream_Release(data);
    IFsiDirectoryItem_get_Item(root, s = SysAllocString(L"file.txt"), &file); SysFreeString(s);
    IFileSystemImage_CreateResultImage(image, &result);

    before_report = print_calls;
    rc = RUN_CASES(argc, argv, cases);

    IFileSystemImageResult_Release(result);
    IFsiItem_Release(file);
    IFsiDirectoryItem_Release(root);
    IFileSystemImage_Release(image);
    IBootOptions_Release(boot);
    IIsoImageManager_Release(iim);
    CoUninitialize();
    return rc;
}
