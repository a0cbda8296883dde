/*
 * Rich errors: every failure sets IErrorInfo with the documented IMAPI2FS message text
 * (imapi2fserror.h), inserts filled in; ISupportErrorInfo for every object.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "private.h"
#include "errors_table.h"

const WCHAR *fsi_fs_name(unsigned fs)
{
    switch (fs) {
    case FSI_FS_ISO9660: return L"ISO9660";
    case FSI_FS_JOLIET: return L"Joliet";
    case FSI_FS_UDF: return L"UDF";
    case FSI_FS_ISO9660 | FSI_FS_JOLIET: return L"ISO9660/Joliet";  /* as Windows names them together */
    default: return L"";
    }
}

/* Replace FormatMessage inserts "%1!ls!", "%2", "%3" by the given strings; "%%" -> "%". */
static void format_text(const WCHAR *text, const WCHAR *const ins[3], WCHAR *out, size_t cap)
{
    size_t n = 0;
    while (*text && n + 1 < cap) {
        if (text[0] == '%' && text[1] >= '1' && text[1] <= '3') {
            const WCHAR *in = ins[text[1] - '1'];
            text += 2;
            if (*text == '!') {             /* skip the printf-style type spec */
                const WCHAR *end = wcschr(text + 1, '!');
                if (end) text = end + 1;
            }
            if (!in) in = L"";
            while (*in && n + 1 < cap) out[n++] = *in++;
            continue;
        }
        if (text[0] == '%' && text[1] == '%') { out[n++] = '%'; text += 2; continue; }
        out[n++] = *text++;
    }
    /* Trim trailing whitespace/newlines (message tables end lines with CR LF). */
    while (n && (out[n - 1] == ' ' || out[n - 1] == '\n' || out[n - 1] == '\r')) n--;
    out[n] = 0;
}

static HRESULT set_error(HRESULT hr, REFIID iid, const WCHAR *i1, const WCHAR *i2, const WCHAR *i3)
{
    const struct fsi_error_text *e = fsi_error_lookup(hr);
    const WCHAR *ins[3] = { i1, i2, i3 };
    ICreateErrorInfo *cei;
    IErrorInfo *ei;
    WCHAR buf[2048];

    if (e) format_text(e->text, ins, buf, ARRAY_SIZE(buf));
    else if (FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, hr, 0,
                            buf, ARRAY_SIZE(buf), NULL)) {
        size_t n = lstrlenW(buf);
        while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ')) buf[--n] = 0;
    } else
        swprintf(buf, ARRAY_SIZE(buf), L"Error 0x%08lx", (unsigned long)hr);

    if (SUCCEEDED(CreateErrorInfo(&cei))) {
        ICreateErrorInfo_SetGUID(cei, iid);
        ICreateErrorInfo_SetSource(cei, (LPOLESTR)L"IMAPI2FS");
        ICreateErrorInfo_SetDescription(cei, buf);
        if (SUCCEEDED(ICreateErrorInfo_QueryInterface(cei, &IID_IErrorInfo, (void **)&ei))) {
            SetErrorInfo(0, ei);
            IErrorInfo_Release(ei);
        }
        ICreateErrorInfo_Release(cei);
    }
    return hr;
}

HRESULT fsi_error(HRESULT hr, REFIID iid, const WCHAR *insert1, const WCHAR *insert2)
{
    return set_error(hr, iid, insert1, insert2, NULL);
}

HRESULT fsi_error3(HRESULT hr, REFIID iid, const WCHAR *insert1, const WCHAR *insert2, const WCHAR *insert3)
{
    return set_error(hr, iid, insert1, insert2, insert3);
}

HRESULT fsi_error_from_engine(const fsi_err *err, REFIID iid)
{
    HRESULT hr = fsi_hresult_from_status(err->code);
    WCHAR path[FSI_ERR_PATH_MAX + 1], expected[32], found[32];
    size_t n = err->path_len < FSI_ERR_PATH_MAX ? err->path_len : FSI_ERR_PATH_MAX;

    memcpy(path, err->path, n * sizeof(WCHAR));
    path[n] = 0;
    switch (err->code) {
    case FSI_E_NO_UNIQUE_NAME:
        return set_error(hr, iid, path, fsi_fs_name(err->fs), NULL);
    case FSI_E_DATA_TOO_BIG:
    case FSI_E_TOO_MANY_DIRS:
    case FSI_E_CORRUPT:
    case FSI_E_FS_NOT_FOUND:
    case FSI_E_FS_FEATURE:
        return set_error(hr, iid, fsi_fs_name(err->fs), NULL, NULL);
    case FSI_E_MEDIUM_READ:
        swprintf(expected, ARRAY_SIZE(expected), L"%I64u", (unsigned long long)err->expected);
        return set_error(hr, iid, expected, NULL, NULL);
    case FSI_E_INCONSISTENT:
        swprintf(expected, ARRAY_SIZE(expected), L"%I64u", (unsigned long long)err->expected);
        swprintf(found, ARRAY_SIZE(found), L"%I64u", (unsigned long long)err->found);
        return set_error(hr, iid, path, expected, found);
    default:
        return set_error(hr, iid, path, NULL, NULL);
    }
}

/* ---- ISupportErrorInfo ---------------------------------------------------------------------- */

static inline fsi_error_support *impl_from_ISupportErrorInfo(ISupportErrorInfo *iface)
{
    return impl_from(iface, fsi_error_support, ISupportErrorInfo_iface);
}

static HRESULT WINAPI sei_QueryInterface(ISupportErrorInfo *iface, REFIID riid, void **ppv)
{
    return IUnknown_QueryInterface(impl_from_ISupportErrorInfo(iface)->outer, riid, ppv);
}

static ULONG WINAPI sei_AddRef(ISupportErrorInfo *iface)
{
    return IUnknown_AddRef(impl_from_ISupportErrorInfo(iface)->outer);
}

static ULONG WINAPI sei_Release(ISupportErrorInfo *iface)
{
    return IUnknown_Release(impl_from_ISupportErrorInfo(iface)->outer);
}

static HRESULT WINAPI sei_InterfaceSupportsErrorInfo(ISupportErrorInfo *iface, REFIID riid)
{
    fsi_error_support *s = impl_from_ISupportErrorInfo(iface);
    for (const IID *const *p = s->iids; *p; p++)
        if (IsEqualIID(*p, riid)) return S_OK;
    return S_FALSE;
}

static const ISupportErrorInfoVtbl sei_vtbl = {
    sei_QueryInterface, sei_AddRef, sei_Release, sei_InterfaceSupportsErrorInfo,
};

void fsi_error_support_init(fsi_error_support *s, IUnknown *outer, const IID *const *iids)
{
    s->ISupportErrorInfo_iface.lpVtbl = &sei_vtbl;
    s->outer = outer;
    s->iids = iids;
}
