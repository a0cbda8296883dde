/*
 * Snapshot enumerators: IEnumFsiItems, IEnumProgressItems, IEnumConnections and
 * IEnumConnectionPoints, and IEnumVARIANT beside the first two (the _NewEnum of the collections).
 *
 * An enumerator walks an fsi_snapshot: an immutable array of count elements, reference counted
 * and shared by an enumerator and its clones. An element is an object held by the snapshot (a
 * reference taken when it was filled; with its cookie for IEnumConnections), or, for a snapshot
 * made on demand, an object its make function creates each time Next reaches it.
 *
 * Thread safety, one rule for all: the snapshot never changes after it is handed to
 * fsi_enum_create, so it is read without a lock; an enumerator's position is a LONG moved only
 * atomically (a compare-exchange in enum_take, InterlockedExchange in Reset), so that two threads
 * calling Next or Skip on one enumerator never get the same element and never skip one unseen.
 *
 * Next, Skip, Reset and Clone are implemented once (enum_next and the enum_* functions); the typed
 * vtables forward to them. What Next checks differs by interface, as each enumerator here did
 * before they were merged (kinds[] below):
 *  - every Next answers E_POINTER when its array is NULL, and when celt > 1 with pcFetched NULL,
 *    except IEnumVARIANT over items (a directory's children, named streams), which fetches
 *    without pcFetched as IEnumVARIANT allows;
 *  - the progress items' Next sets *pcFetched to 0 before checking (the others leave it as it was
 *    on E_POINTER).
 * Next returns S_FALSE with the count fetched when fewer than celt are left; Skip S_FALSE when it
 * went past the end (the position then at the end); Clone a new enumerator of the same interface
 * at the same position over the same snapshot.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "private.h"
#include <stdlib.h>

struct fsi_snapshot {
    LONG refs;
    ULONG count;
    IUnknown **objs;                /* count references (NULL when made on demand or not filled) */
    DWORD *cookies;                 /* IEnumConnections: the cookie of each connection, else NULL */
    fsi_snapshot_make make;         /* made on demand: a new object for an index */
    void *ctx;
    void (*release)(void *ctx);
};

fsi_snapshot *fsi_snapshot_new(ULONG count, int with_cookies)
{
    fsi_snapshot *s = calloc(1, sizeof(*s));
    if (!s) return NULL;
    s->refs = 1;
    s->count = count;
    if ((count && !(s->objs = calloc(count, sizeof(*s->objs)))) ||
        (count && with_cookies && !(s->cookies = calloc(count, sizeof(*s->cookies))))) {
        free(s->objs);
        free(s);
        return NULL;
    }
    return s;
}

fsi_snapshot *fsi_snapshot_new_lazy(ULONG count, fsi_snapshot_make make, void *ctx, void (*release)(void *ctx))
{
    fsi_snapshot *s = fsi_snapshot_new(0, 0);
    if (!s) return NULL;
    s->count = count;
    s->make = make;
    s->ctx = ctx;
    s->release = release;
    return s;
}

IUnknown **fsi_snapshot_objs(fsi_snapshot *s) { return s->objs; }
DWORD *fsi_snapshot_cookies(fsi_snapshot *s) { return s->cookies; }

static void snapshot_ref(fsi_snapshot *s) { InterlockedIncrement(&s->refs); }

void fsi_snapshot_unref(fsi_snapshot *s)
{
    if (!s || InterlockedDecrement(&s->refs)) return;
    if (s->objs)
        for (ULONG i = 0; i < s->count; i++)
            if (s->objs[i]) IUnknown_Release(s->objs[i]);
    if (s->release) s->release(s->ctx);
    free(s->objs);
    free(s->cookies);
    free(s);
}

/* Element index as a new reference. */
static HRESULT snapshot_get(fsi_snapshot *s, ULONG index, IUnknown **out)
{
    if (s->make) return s->make(s->ctx, index, out);
    *out = s->objs[index];
    IUnknown_AddRef(*out);
    return S_OK;
}

/* ---- the enumerator -------------------------------------------------------------------------- */

#define ENUM_ZERO_FETCHED       0x1     /* Next sets *pcFetched to 0 first */
#define ENUM_VARIANT_ANY_FETCHED 0x2    /* IEnumVARIANT::Next: celt > 1 without pcFetched is fine */

typedef struct fsi_enum {
    IEnumVARIANT IEnumVARIANT_iface;    /* FSI_ENUM_ITEMS and FSI_ENUM_PROGRESS only */
    IEnumFsiItems IEnumFsiItems_iface;
    IEnumProgressItems IEnumProgressItems_iface;
    IEnumConnections IEnumConnections_iface;
    IEnumConnectionPoints IEnumConnectionPoints_iface;
    LONG refs;
    LONG pos;                           /* moved atomically only (see above) */
    enum fsi_enum_kind kind;
    fsi_snapshot *snap;
} fsi_enum;

static const IEnumVARIANTVtbl ev_vtbl;
static const IEnumFsiItemsVtbl efi_vtbl;
static const IEnumProgressItemsVtbl epi_vtbl;
static const IEnumConnectionsVtbl ec_vtbl;
static const IEnumConnectionPointsVtbl ecp_vtbl;

static const struct enum_kind_info {
    const IID *iid;                     /* the typed interface */
    int variant;                        /* IEnumVARIANT too */
    unsigned flags;
} kinds[] = {
    [FSI_ENUM_ITEMS]       = { &IID_IEnumFsiItems, 1, ENUM_VARIANT_ANY_FETCHED },
    [FSI_ENUM_PROGRESS]    = { &IID_IEnumProgressItems, 1, ENUM_ZERO_FETCHED },
    [FSI_ENUM_CONNECTIONS] = { &IID_IEnumConnections, 0, 0 },
    [FSI_ENUM_POINTS]      = { &IID_IEnumConnectionPoints, 0, 0 },
};

/* The typed interface of e. */
static IUnknown *enum_main(fsi_enum *e)
{
    switch (e->kind) {
    case FSI_ENUM_ITEMS: return (IUnknown *)&e->IEnumFsiItems_iface;
    case FSI_ENUM_PROGRESS: return (IUnknown *)&e->IEnumProgressItems_iface;
    case FSI_ENUM_CONNECTIONS: return (IUnknown *)&e->IEnumConnections_iface;
    default: return (IUnknown *)&e->IEnumConnectionPoints_iface;
    }
}

static HRESULT enum_qi(fsi_enum *e, REFIID riid, void **ppv)
{
    TRACE("(%p)->(%s %p)\n", e, debugstr_guid(riid), ppv);
    if (!ppv) return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, kinds[e->kind].iid))
        *ppv = enum_main(e);
    else if (kinds[e->kind].variant && IsEqualIID(riid, &IID_IEnumVARIANT))
        *ppv = &e->IEnumVARIANT_iface;
    else {
        *ppv = NULL;
        return E_NOINTERFACE;
    }
    InterlockedIncrement(&e->refs);
    return S_OK;
}

static ULONG enum_addref(fsi_enum *e)
{
    ULONG refs = InterlockedIncrement(&e->refs);
    TRACE("(%p) ref=%lu\n", e, refs);
    return refs;
}

static ULONG enum_release(fsi_enum *e)
{
    ULONG refs = InterlockedDecrement(&e->refs);
    TRACE("(%p) ref=%lu\n", e, refs);
    if (!refs) {
        fsi_snapshot_unref(e->snap);
        free(e);
        fsi_unlock_module();
    }
    return refs;
}

static HRESULT enum_new(fsi_snapshot *s, enum fsi_enum_kind kind, LONG pos, fsi_enum **out)
{
    fsi_enum *e = calloc(1, sizeof(*e));
    *out = NULL;
    if (!e) return E_OUTOFMEMORY;
    e->IEnumVARIANT_iface.lpVtbl = &ev_vtbl;
    e->IEnumFsiItems_iface.lpVtbl = &efi_vtbl;
    e->IEnumProgressItems_iface.lpVtbl = &epi_vtbl;
    e->IEnumConnections_iface.lpVtbl = &ec_vtbl;
    e->IEnumConnectionPoints_iface.lpVtbl = &ecp_vtbl;
    e->refs = 1;
    e->pos = pos;
    e->kind = kind;
    e->snap = s;
    snapshot_ref(s);
    fsi_lock_module();
    *out = e;
    return S_OK;
}

HRESULT fsi_enum_create(fsi_snapshot *s, enum fsi_enum_kind kind, REFIID riid, void **out)
{
    fsi_enum *e;
    HRESULT hr;
    TRACE("(%p %d %s %p)\n", s, kind, debugstr_guid(riid), out);
    *out = NULL;
    if (!s) return E_OUTOFMEMORY;
    if (FAILED(hr = enum_new(s, kind, 0, &e))) return hr;
    hr = enum_qi(e, riid, out);
    enum_release(e);
    return hr;
}

/* Take up to celt positions: the first taken in *first, how many returned. */
static ULONG enum_take(fsi_enum *e, ULONG celt, ULONG *first)
{
    LONG pos, next;
    ULONG n;
    do {
        pos = e->pos;
        n = (ULONG)pos < e->snap->count ? e->snap->count - (ULONG)pos : 0;
        if (n > celt) n = celt;
        next = pos + (LONG)n;
    } while (InterlockedCompareExchange(&e->pos, next, pos) != pos);
    *first = (ULONG)pos;
    return n;
}

enum enum_out { OUT_IFACE, OUT_VARIANT, OUT_CONNECTDATA };

static void clear_out(enum enum_out how, void *out, ULONG i)
{
    switch (how) {
    case OUT_IFACE:
        IUnknown_Release(((IUnknown **)out)[i]);
        ((IUnknown **)out)[i] = NULL;
        break;
    case OUT_VARIANT:
        VariantClear(&((VARIANT *)out)[i]);
        break;
    case OUT_CONNECTDATA:
        IUnknown_Release(((CONNECTDATA *)out)[i].pUnk);
        ((CONNECTDATA *)out)[i].pUnk = NULL;
        break;
    }
}

/* Next of every interface: out is an array of celt interface pointers, VARIANTs or CONNECTDATAs. */
static HRESULT enum_next(fsi_enum *e, enum enum_out how, ULONG celt, void *out, ULONG *fetched)
{
    unsigned flags = kinds[e->kind].flags;
    ULONG first, n, i;
    HRESULT hr;

    TRACE("(%p)->(%lu %p %p)\n", e, celt, out, fetched);
    if ((flags & ENUM_ZERO_FETCHED) && fetched) *fetched = 0;
    if (!out) return E_POINTER;
    if (celt > 1 && !fetched && !(how == OUT_VARIANT && (flags & ENUM_VARIANT_ANY_FETCHED))) return E_POINTER;
    n = enum_take(e, celt, &first);
    for (i = 0; i < n; i++) {
        IUnknown *obj;
        if (FAILED(hr = snapshot_get(e->snap, first + i, &obj))) {
            while (i--) clear_out(how, out, i);
            return hr;
        }
        switch (how) {
        case OUT_IFACE:
            ((IUnknown **)out)[i] = obj;
            break;
        case OUT_VARIANT:
            V_VT(&((VARIANT *)out)[i]) = VT_DISPATCH;
            V_DISPATCH(&((VARIANT *)out)[i]) = (IDispatch *)obj;
            break;
        case OUT_CONNECTDATA:
            ((CONNECTDATA *)out)[i].pUnk = obj;
            ((CONNECTDATA *)out)[i].dwCookie = e->snap->cookies[first + i];
            break;
        }
    }
    if (fetched) *fetched = n;
    return n == celt ? S_OK : S_FALSE;
}

static HRESULT enum_skip(fsi_enum *e, ULONG celt)
{
    ULONG first;
    TRACE("(%p)->(%lu)\n", e, celt);
    return enum_take(e, celt, &first) == celt ? S_OK : S_FALSE;
}

static HRESULT enum_reset(fsi_enum *e)
{
    TRACE("(%p)\n", e);
    InterlockedExchange(&e->pos, 0);
    return S_OK;
}

/* Clone: *out is the clone's interface that this one was called through (variant or typed). */
static HRESULT enum_clone(fsi_enum *e, int variant, void **out)
{
    fsi_enum *c;
    HRESULT hr;
    TRACE("(%p)->(%p)\n", e, out);
    if (!out) return E_POINTER;
    *out = NULL;
    if (FAILED(hr = enum_new(e->snap, e->kind, InterlockedCompareExchange(&e->pos, 0, 0), &c))) return hr;
    *out = variant ? (void *)&c->IEnumVARIANT_iface : (void *)enum_main(c);
    return S_OK;
}

/* The typed vtables: each method forwards to the one above. */
#define ENUM_FORWARDERS(prefix, Iface, Elem, how)                                                  \
    static inline fsi_enum *impl_from_##Iface(Iface *iface)                                        \
    { return CONTAINING_RECORD(iface, fsi_enum, Iface##_iface); }                                  \
    static HRESULT WINAPI prefix##_QueryInterface(Iface *iface, REFIID riid, void **ppv)           \
    { return enum_qi(impl_from_##Iface(iface), riid, ppv); }                                       \
    static ULONG WINAPI prefix##_AddRef(Iface *iface)                                              \
    { return enum_addref(impl_from_##Iface(iface)); }                                              \
    static ULONG WINAPI prefix##_Release(Iface *iface)                                             \
    { return enum_release(impl_from_##Iface(iface)); }                                             \
    static HRESULT WINAPI prefix##_Next(Iface *iface, ULONG celt, Elem *elems, ULONG *fetched)     \
    { return enum_next(impl_from_##Iface(iface), how, celt, elems, fetched); }                     \
    static HRESULT WINAPI prefix##_Skip(Iface *iface, ULONG celt)                                  \
    { return enum_skip(impl_from_##Iface(iface), celt); }                                          \
    static HRESULT WINAPI prefix##_Reset(Iface *iface)                                             \
    { return enum_reset(impl_from_##Iface(iface)); }                                               \
    static HRESULT WINAPI prefix##_Clone(Iface *iface, Iface **out)                                \
    { return enum_clone(impl_from_##Iface(iface), how == OUT_VARIANT, (void **)out); }             \
    static const Iface##Vtbl prefix##_vtbl = {                                                     \
        prefix##_QueryInterface, prefix##_AddRef, prefix##_Release,                                \
        prefix##_Next, prefix##_Skip, prefix##_Reset, prefix##_Clone,                              \
    };

ENUM_FORWARDERS(ev, IEnumVARIANT, VARIANT, OUT_VARIANT)
ENUM_FORWARDERS(efi, IEnumFsiItems, IFsiItem *, OUT_IFACE)
ENUM_FORWARDERS(epi, IEnumProgressItems, IProgressItem *, OUT_IFACE)
ENUM_FORWARDERS(ec, IEnumConnections, CONNECTDATA, OUT_CONNECTDATA)
ENUM_FORWARDERS(ecp, IEnumConnectionPoints, IConnectionPoint *, OUT_IFACE)
