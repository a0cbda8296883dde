/*
 * MsftFileSystemImage: change points (ChangePoint, RollbackToChangePoint, LockInChangePoint).
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fsimage.h"
#include <stdlib.h>

static void free_point(change_point *p)
{
    fsi_image_free(p->tree);
    SysFreeString(p->volume_name);
}

/* Snapshot the tree and settings as change point number img->change_point, which goes in *number
 * (lock held). A snapshot is taken only when ChangePoint is read: a point nobody has seen cannot be
 * asked for. */
static HRESULT take_point(fsimage *img, LONG *number)
{
    change_point p, *grown;
    *number = img->change_point;
    if (img->npoints && img->points[img->npoints - 1].number == img->change_point) return S_OK;
    memset(&p, 0, sizeof(p));
    if (fsi_image_clone(img->tree, &p.tree) != FSI_OK) return E_OUTOFMEMORY;
    if (img->volume_name && !(p.volume_name = SysAllocString(img->volume_name))) {
        free_point(&p);
        return E_OUTOFMEMORY;
    }
    if (!(grown = realloc(img->points, (img->npoints + 1) * sizeof(*grown)))) {
        free_point(&p);
        return E_OUTOFMEMORY;
    }
    img->points = grown;
    p.number = img->change_point;
    p.session_start = img->session_start;
    p.free_media_blocks = img->free_media_blocks;
    p.udf_revision = img->udf_revision;
    p.iso_level = img->iso_level;
    p.strict = img->strict;
    p.restricted = img->restricted;
    p.stage = img->stage;
    p.redundant_udf = img->redundant_udf;
    p.fs = img->fs;
    img->points[img->npoints++] = p;
    return S_OK;
}

void fsimage_free_points(fsimage *img)
{
    for (size_t i = 0; i < img->npoints; i++) free_point(&img->points[i]);
    free(img->points);
    img->points = NULL;
    img->npoints = 0;
}

FSIMAGE_GETTER(ChangePoint, LONG, take_point(img, value))

HRESULT WINAPI fsimage_RollbackToChangePoint(IFileSystemImage3 *iface, LONG cp)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    change_point *p = NULL;
    fsi_image *tree = NULL;
    BSTR name = NULL;
    HRESULT hr = S_OK;

    TRACE("(%p)->(%ld)\n", iface, cp);
    EnterCriticalSection(&img->cs);
    for (size_t i = 0; i < img->npoints; i++)
        if (img->points[i].number == cp) p = &img->points[i];
    if (cp == img->change_point && !p) {
        LeaveCriticalSection(&img->cs);                 /* nothing changed since */
        return S_OK;
    }
    if (!p || cp < img->locked_change_point) {
        LeaveCriticalSection(&img->cs);
        return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFileSystemImage, L"changePoint", NULL);
    }
    /* The point stays (one can roll back to it again); later points are dropped. */
    if (fsi_image_clone(p->tree, &tree) != FSI_OK || (p->volume_name && !(name = SysAllocString(p->volume_name)))) {
        if (tree) fsi_image_free(tree);
        LeaveCriticalSection(&img->cs);
        return E_OUTOFMEMORY;
    }
    fsi_image_free(img->tree);
    img->tree = tree;
    img->epoch++;                                       /* every item rebinds by its path */
    img->bound_ok = 0;                                  /* the tree of the point may be larger */
    SysFreeString(img->volume_name);
    img->volume_name = name;
    img->session_start = p->session_start;
    img->free_media_blocks = p->free_media_blocks;
    img->udf_revision = p->udf_revision;
    img->iso_level = p->iso_level;
    img->strict = p->strict;
    img->restricted = p->restricted;
    img->stage = p->stage;
    img->redundant_udf = p->redundant_udf;
    img->fs = p->fs;
    img->change_point = cp;
    while (img->npoints && img->points[img->npoints - 1].number > cp) free_point(&img->points[--img->npoints]);
    LeaveCriticalSection(&img->cs);
    return hr;
}

HRESULT WINAPI fsimage_LockInChangePoint(IFileSystemImage3 *iface)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    size_t keep = 0;

    TRACE("(%p)->()\n", iface);
    EnterCriticalSection(&img->cs);
    /* Going back past the current point is no longer possible: drop the older snapshots. */
    img->locked_change_point = img->change_point;
    for (size_t i = 0; i < img->npoints; i++) {
        if (img->points[i].number < img->change_point) free_point(&img->points[i]);
        else img->points[keep++] = img->points[i];
    }
    img->npoints = keep;
    LeaveCriticalSection(&img->cs);
    return S_OK;
}
