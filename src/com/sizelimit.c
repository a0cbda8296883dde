/*
 * MsftFileSystemImage: the checks of an addition (StrictFileSystemCompliance, UseRestrictedCharacterSet)
 * and the FreeMediaBlocks limit (an upper bound kept per add; docs/behaviour.md), UsedBlocks.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fsimage.h"
#include <stdlib.h>

/* Exact size of the image the current tree would give (lock held). */
HRESULT fsimage_used_blocks(fsimage *img, LONG *out)
{
    fsi_plan_opts o;
    fsi_plan *plan;
    fsi_err err;
    WCHAR defname[16];
    fsi_status st;

    fsimage_plan_opts(img, &o, defname);
    if (!o.fs) { *out = 0; return S_OK; }
    st = fsi_plan_build(img->tree, &o, &plan, &err);
    if (st != FSI_OK) return fsi_error_from_engine(&err, &IID_IFileSystemImage);
    *out = (LONG)fsi_plan_total_blocks(plan);
    fsi_plan_unref(plan);
    return S_OK;
}

FSIMAGE_GETTER(UsedBlocks, LONG, fsimage_used_blocks(img, value))

HRESULT fsimage_check_name(fsimage *img, const WCHAR *name, size_t len, const WCHAR *what)
{
    BOOL lossy = FALSE;
    if (!img->restricted || !len) return S_OK;
    /* UseRestrictedCharacterSet: names must be representable in the ANSI code page. */
    if (!WideCharToMultiByte(CP_ACP, WC_NO_BEST_FIT_CHARS, name, (int)len, NULL, 0, NULL, &lossy) || lossy)
        return fsi_error(IMAPI_E_RESTRICTED_NAME_VIOLATION, &IID_IFsiDirectoryItem, what, NULL);
    return S_OK;
}

/* ECMA-119 6.8.2.1 with StrictFileSystemCompliance: 8 levels of directories, 65535 directories. */
static HRESULT check_strict(fsimage *img, fsi_node *parent, fsi_node *add, int whole)
{
    const uint16_t *fs_name;
    HRESULT hr = fsi_policy_check_strict(img->tree, img->fs, img->strict != VARIANT_FALSE, parent, add, whole, &fs_name);
    return hr ? fsi_error(hr, &IID_IFsiDirectoryItem, (const WCHAR *)fs_name, NULL) : S_OK;
}

/* Is the size bound of the current tree good for these settings (lock held)? It is started again
 * when the settings a plan depends on changed, and after a rollback or an import (bound_ok = 0). */
static int bound_fits(fsimage *img, const fsi_plan_opts *o)
{
    return img->bound_ok && img->bound_opts.fs == o->fs && img->bound_opts.iso_level == o->iso_level &&
           img->bound_opts.udf_revision == o->udf_revision &&
           img->bound_opts.udf_redundant_metadata == o->udf_redundant_metadata &&
           img->bound_opts.session_start == o->session_start && img->bound_opts.reuse_end == o->reuse_end &&
           img->bound_opts.base == o->base && img->bound_opts.boot_count == o->boot_count &&
           img->bound_boot == img->boot_changes;
}

/* The size limit (lock held): take units more than the bound, or decide with the exact plan of the
 * tree made by copy (NULL: the tree as it is; else a copy with the addition, freed here). */
static HRESULT check_limit(fsimage *img, uint64_t units, fsi_image *copy, const WCHAR *what, fsimage_grant *g)
{
    fsi_plan_opts o;
    fsi_plan *plan;
    fsi_err err;
    WCHAR defname[16];
    fsi_status st;

    fsimage_layout_opts(img, &o);
    g->counted = 1;
    g->units = units;
    g->exact = 0;
    if (!o.fs) { fsi_image_free(copy); return S_OK; }      /* no output, no size */
    if (!bound_fits(img, &o) || fsi_size_bound_blocks(&img->bound, units) > (uint64_t)img->free_media_blocks)
        fsimage_plan_opts(img, &o, defname);                        /* a plan will be built */
    if (!bound_fits(img, &o)) {
        /* a new start: the exact plan of the tree as it is */
        if ((st = fsi_policy_size_plan(img->tree, &o, &plan, &err)) != FSI_OK) {
            fsi_image_free(copy);
            return fsi_error_from_engine(&err, &IID_IFileSystemImage);
        }
        fsi_size_bound_start(&img->bound, plan);
        fsi_plan_unref(plan);
        img->bound_opts = o;
        img->bound_boot = img->boot_changes;
        img->bound_ok = 1;
    }
    if (fsi_size_bound_blocks(&img->bound, units) <= (uint64_t)img->free_media_blocks) {
        fsi_image_free(copy);
        return S_OK;
    }
    /* the bound cannot tell: the size the image would have, exactly */
    if (!copy) return E_OUTOFMEMORY;
    st = fsi_policy_size_plan(copy, &o, &plan, &err);
    fsi_image_free(copy);
    if (st != FSI_OK) return fsi_error_from_engine(&err, &IID_IFileSystemImage);
    if (fsi_plan_total_blocks(plan) > (uint32_t)img->free_media_blocks) {
        fsi_plan_unref(plan);
        return fsi_error(IMAPI_E_IMAGE_SIZE_LIMIT, &IID_IFsiDirectoryItem, what, NULL);
    }
    fsi_size_bound_start(&g->after, plan);
    fsi_plan_unref(plan);
    g->exact = 1;
    return S_OK;
}

HRESULT fsimage_check_add(fsimage *img, fsi_node *parent, fsi_node *add, int whole, const WCHAR *what,
                          fsimage_grant *g)
{
    fsi_plan_opts o;
    fsi_image *copy = NULL;
    uint64_t units = 0;
    HRESULT hr;

    memset(g, 0, sizeof(*g));
    if (FAILED(hr = check_strict(img, parent, add, whole))) return hr;
    /* no limit, or an addition to a folder that is not in the image (CreateDirectoryItem) */
    if (img->free_media_blocks <= 0 || fsi_node_standing(img->tree, parent) <= 0) return S_OK;
    fsimage_layout_opts(img, &o);
    if (whole) units = fsi_add_bound(&o, add);
    else
        for (size_t i = 0, k = fsi_dir_child_count(add); i < k; i++)
            if (fsi_dir_child(add, i)) units += fsi_add_bound(&o, fsi_dir_child(add, i));
    if (!bound_fits(img, &o) || fsi_size_bound_blocks(&img->bound, units) > (uint64_t)img->free_media_blocks) {
        fsi_status st = fsi_image_clone_with(img->tree, parent, add, whole, &copy);
        if (st != FSI_OK) return fsi_error(fsi_hresult_from_status(st), &IID_IFsiDirectoryItem, what, NULL);
    }
    return check_limit(img, units, copy, what, g);
}

HRESULT fsimage_check_stream(fsimage *img, fsi_node *file, const WCHAR *name, size_t len, uint64_t size,
                             fsi_source *src, fsimage_grant *g)
{
    fsi_plan_opts o;
    fsi_image *copy = NULL;
    uint64_t units;

    memset(g, 0, sizeof(*g));
    if (img->free_media_blocks <= 0 || fsi_node_standing(img->tree, file) <= 0) return S_OK;
    fsimage_layout_opts(img, &o);
    units = fsi_add_stream_bound(&o, name, len, size);
    if (!bound_fits(img, &o) || fsi_size_bound_blocks(&img->bound, units) > (uint64_t)img->free_media_blocks) {
        /* a copy of the tree whose file has the stream */
        size_t plen = fsi_node_path(file, NULL, 0);
        WCHAR *path = malloc((plen + 1) * sizeof(*path));
        fsi_node *twin;
        if (!path || fsi_image_clone(img->tree, &copy) != FSI_OK) { free(path); return E_OUTOFMEMORY; }
        fsi_node_path(file, path, plen);
        if (fsi_dir_walk(fsi_image_root(copy), path, plen, &twin) != FSI_OK ||
            fsi_node_add_stream(twin, name, len, size, size ? src : NULL) != FSI_OK) {
            free(path);
            fsi_image_free(copy);
            return E_OUTOFMEMORY;
        }
        free(path);
    }
    return check_limit(img, units, copy, name, g);
}

void fsimage_added(fsimage *img, const fsimage_grant *g)
{
    if (!g->counted || !img->bound_ok) return;
    if (g->exact) img->bound = g->after;
    else img->bound.added += g->units;
}
