/*
 * Rich errors: every failure sets IErrorInfo with the documented IMAPI2FS message text
 * (imapi2fserror.h), inserts filled in; ISupportErrorInfo for every object.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "private.h"

/* The thread's IErrorInfo for hr: the policy module's text (fsi_message_format: the DLL's message
 * table, and Windows' words for E_OUTOFMEMORY and E_INVALIDARG), else the system's, else
 * "Error 0x...". Returns hr. */
static HRESULT set_error(HRESULT hr, REFIID iid, const WCHAR *i1, const WCHAR *i2, const WCHAR *i3)
{
    const uint16_t *ins[3] = { (const uint16_t *)i1, (const uint16_t *)i2, (const uint16_t *)i3 };
    ICreateErrorInfo *cei;
    IErrorInfo *ei;
    WCHAR buf[2048];

    if (!fsi_message_format(hr, ins, (uint16_t *)buf, ARRAY_SIZE(buf))) {
        if (FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, hr, 0, buf,
                           ARRAY_SIZE(buf), NULL)) {
            size_t n = lstrlenW(buf);
            while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ')) buf[--n] = 0;
        } else
            swprintf(buf, ARRAY_SIZE(buf), L"Error 0x%08lx", (unsigned long)hr);
    }
    TRACE("%#lx %s\n", (unsigned long)hr, debugstr_w(buf));

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

/* The HRESULT and inserts of an engine failure are the policy module's (fsi_policy_engine_error). */
HRESULT fsi_error_from_engine(const fsi_err *err, REFIID iid)
{
    fsi_error_inserts in;
    HRESULT hr = fsi_policy_engine_error(err, &in);
    return set_error(hr, iid, (const WCHAR *)in.ins[0], (const WCHAR *)in.ins[1], (const WCHAR *)in.ins[2]);
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
