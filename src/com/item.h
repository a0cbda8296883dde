/*
 * The items of an image (item.c, diritem.c, fileitem.c, addtree.c): what they share.
 *
 * FsiDirectoryItem (diritem.c, IFsiDirectoryItem2) and FsiFileItem (fileitem.c, IFsiFileItem2)
 * each embed an fsiitem, the common part: the node, the image, the binding to the live tree and
 * the reference count. The IFsiItem methods are implemented once on it (item.c); each typed
 * vtable fills its IFsiItem slots with small typed forwarders made by FSI_ITEM_FORWARDERS.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef IMAPI2FS_ITEM_H
#define IMAPI2FS_ITEM_H

#include "private.h"

typedef struct fsiitem {
    IFsiItem *iface;                /* the object's typed interface, as its IFsiItem base */
    void *alloc;                    /* the object (diritem / fileitem), freed with the last reference */
    fsi_error_support sei;
    LONG refs;
    fsimage *img;
    fsi_node *node;                 /* a reference; rebound by item_bind */
    int is_dir;
    LONG epoch;                     /* fsimage_epoch when node was last found good */
    WCHAR *path;                    /* its image path when last seen in the tree; NULL: never */
} fsiitem;

/* The error IID of the item's methods: IID_IFsiDirectoryItem or IID_IFsiFileItem. */
static inline const IID *item_iid(fsiitem *it)
{
    return it->is_dir ? &IID_IFsiDirectoryItem : &IID_IFsiFileItem;
}

/* Binding (item.c). item_bind: lock held; moves the item to the node of its kind at its path when
 * its node has left the tree, else IMAPI_E_ITEM_NOT_FOUND (with IErrorInfo). item_enter: takes the
 * image lock and binds; on failure the lock is not held. */
HRESULT item_bind(fsiitem *it);
HRESULT item_enter(fsiitem *it);

/* The typed objects (diritem.c, fileitem.c): a new object with one reference whose fsiitem is
 * zeroed but for iface, alloc and is_dir; NULL when out of memory. The *_item functions return the
 * fsiitem of an IFsiItem of theirs, or NULL when it is not one. */
fsiitem *diritem_new(void);
fsiitem *fileitem_new(void);
fsiitem *diritem_item(IFsiItem *iface);
fsiitem *fileitem_item(IFsiItem *iface);

/* AddTree and AddTreeWithNamedStreams (addtree.c): mirror the folder (or file) source into it. */
HRESULT fsiitem_add_tree(fsiitem *it, BSTR source, VARIANT_BOOL include_base, int streams);

/* The children of a directory item: a new IEnumVARIANT or IEnumFsiItems (riid) over a snapshot. */
HRESULT item_children_enum(fsiitem *it, REFIID riid, void **out);

/* A property of the item's node, read with the image lock held and the item bound: ITEM_HIDDEN
 * and ITEM_REALTIME into a VARIANT_BOOL, ITEM_DATA_SIZE into a LONGLONG, ITEM_COUNT (children)
 * into a LONG. E_POINTER when value is NULL, item_enter's failure. */
enum item_value { ITEM_HIDDEN, ITEM_REALTIME, ITEM_DATA_SIZE, ITEM_COUNT };
HRESULT item_get_value(fsiitem *it, enum item_value what, void *value);

/* A source over a client's stream of *size bytes (its Stat size), for the item (no lock held):
 * with StageFiles a source over a copy in the stash, *size then the copy's length; what names the
 * data in a staging failure. E_OUTOFMEMORY or fsimage_stage's failure. */
HRESULT item_data_source(fsiitem *it, IStream *data, const WCHAR *what, ULONGLONG *size, fsi_source **out);

/* The IUnknown and IFsiItem methods on the common part (item.c). */
HRESULT item_QueryInterface(fsiitem *it, REFIID riid, void **ppv);
ULONG item_AddRef(fsiitem *it);
ULONG item_Release(fsiitem *it);
HRESULT item_get_Name(fsiitem *it, BSTR *value);
HRESULT item_get_FullPath(fsiitem *it, BSTR *value);
HRESULT item_get_CreationTime(fsiitem *it, DATE *value);
HRESULT item_put_CreationTime(fsiitem *it, DATE value);
HRESULT item_get_LastAccessedTime(fsiitem *it, DATE *value);
HRESULT item_put_LastAccessedTime(fsiitem *it, DATE value);
HRESULT item_get_LastModifiedTime(fsiitem *it, DATE *value);
HRESULT item_put_LastModifiedTime(fsiitem *it, DATE value);
HRESULT item_get_IsHidden(fsiitem *it, VARIANT_BOOL *value);
HRESULT item_put_IsHidden(fsiitem *it, VARIANT_BOOL value);
HRESULT item_FileSystemName(fsiitem *it, FsiFileSystems fs, BSTR *value);
HRESULT item_FileSystemPath(fsiitem *it, FsiFileSystems fs, BSTR *value);

/* The object type (struct type: its Iface_iface, then its fsiitem item), impl_from_Iface (the
 * fsiitem of an Iface) and typed forwarders for the IUnknown, IDispatch and IFsiItem slots of
 * Iface's vtable: prefix_Name and so on, each calling item_Name on the fsiitem.
 * FSI_ITEM_SLOTS(prefix) lists them in vtable order. */
#define FSI_ITEM_TYPE(type, prefix, Iface, iid)                                                    \
    typedef struct type {                                                                          \
        Iface Iface##_iface;                                                                       \
        fsiitem item;                                                                              \
    } type;                                                                                        \
    static inline fsiitem *impl_from_##Iface(Iface *iface)                                         \
    {                                                                                              \
        return &CONTAINING_RECORD(iface, type, Iface##_iface)->item;                               \
    }                                                                                              \
    FSI_ITEM_FORWARDERS(prefix, Iface, iid, impl_from_##Iface)

#define FSI_ITEM_FORWARDERS(prefix, Iface, iid, from)                                              \
    static HRESULT WINAPI prefix##_QueryInterface(Iface *iface, REFIID riid, void **ppv)           \
    { return item_QueryInterface(from(iface), riid, ppv); }                                        \
    static ULONG WINAPI prefix##_AddRef(Iface *iface) { return item_AddRef(from(iface)); }         \
    static ULONG WINAPI prefix##_Release(Iface *iface) { return item_Release(from(iface)); }       \
    FSI_IMPLEMENT_DISPATCH(prefix, Iface, iid)                                                     \
    static HRESULT WINAPI prefix##_get_Name(Iface *iface, BSTR *v)                                 \
    { return item_get_Name(from(iface), v); }                                                      \
    static HRESULT WINAPI prefix##_get_FullPath(Iface *iface, BSTR *v)                             \
    { return item_get_FullPath(from(iface), v); }                                                  \
    static HRESULT WINAPI prefix##_get_CreationTime(Iface *iface, DATE *v)                         \
    { return item_get_CreationTime(from(iface), v); }                                              \
    static HRESULT WINAPI prefix##_put_CreationTime(Iface *iface, DATE v)                          \
    { return item_put_CreationTime(from(iface), v); }                                              \
    static HRESULT WINAPI prefix##_get_LastAccessedTime(Iface *iface, DATE *v)                     \
    { return item_get_LastAccessedTime(from(iface), v); }                                          \
    static HRESULT WINAPI prefix##_put_LastAccessedTime(Iface *iface, DATE v)                      \
    { return item_put_LastAccessedTime(from(iface), v); }                                          \
    static HRESULT WINAPI prefix##_get_LastModifiedTime(Iface *iface, DATE *v)                     \
    { return item_get_LastModifiedTime(from(iface), v); }                                          \
    static HRESULT WINAPI prefix##_put_LastModifiedTime(Iface *iface, DATE v)                      \
    { return item_put_LastModifiedTime(from(iface), v); }                                          \
    static HRESULT WINAPI prefix##_get_IsHidden(Iface *iface, VARIANT_BOOL *v)                     \
    { return item_get_IsHidden(from(iface), v); }                                                  \
    static HRESULT WINAPI prefix##_put_IsHidden(Iface *iface, VARIANT_BOOL v)                      \
    { return item_put_IsHidden(from(iface), v); }                                                  \
    static HRESULT WINAPI prefix##_FileSystemName(Iface *iface, FsiFileSystems fs, BSTR *v)        \
    { return item_FileSystemName(from(iface), fs, v); }                                            \
    static HRESULT WINAPI prefix##_FileSystemPath(Iface *iface, FsiFileSystems fs, BSTR *v)        \
    { return item_FileSystemPath(from(iface), fs, v); }

#define FSI_ITEM_SLOTS(prefix)                                                                     \
    prefix##_QueryInterface, prefix##_AddRef, prefix##_Release,                                    \
    prefix##_GetTypeInfoCount, prefix##_GetTypeInfo, prefix##_GetIDsOfNames, prefix##_Invoke,     \
    prefix##_get_Name, prefix##_get_FullPath,                                                      \
    prefix##_get_CreationTime, prefix##_put_CreationTime,                                          \
    prefix##_get_LastAccessedTime, prefix##_put_LastAccessedTime,                                  \
    prefix##_get_LastModifiedTime, prefix##_put_LastModifiedTime,                                  \
    prefix##_get_IsHidden, prefix##_put_IsHidden, prefix##_FileSystemName, prefix##_FileSystemPath

/* diritem_item and diritem_new (fileitem_...) for the object type (a struct with Iface_iface and an
 * fsiitem item) whose vtable is vtbl; dir: is_dir. */
#define FSI_ITEM_OBJECT(type, Iface, vtbl, dir)                                                    \
    fsiitem *type##_item(IFsiItem *iface)                                                          \
    {                                                                                              \
        if (iface->lpVtbl != (const IFsiItemVtbl *)&vtbl) return NULL;                             \
        return &CONTAINING_RECORD((Iface *)iface, type, Iface##_iface)->item;                      \
    }                                                                                              \
    fsiitem *type##_new(void)                                                                      \
    {                                                                                              \
        type *obj = calloc(1, sizeof(*obj));                                                       \
        if (!obj) return NULL;                                                                     \
        obj->Iface##_iface.lpVtbl = &vtbl;                                                         \
        obj->item.iface = (IFsiItem *)&obj->Iface##_iface;                                         \
        obj->item.alloc = obj;                                                                     \
        obj->item.is_dir = dir;                                                                    \
        return &obj->item;                                                                         \
    }

#endif
