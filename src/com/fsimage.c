/*
 * MsftFileSystemImage: IFileSystemImage3 (with 2 and 1), ISupportErrorInfo.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "private.h"
#include <stdlib.h>
#include <stdio.h>
#include <time.h>

#define DEFAULT_FREE_MEDIA_BLOCKS 332800
#define FS_SUPPORTED (FsiFileSystemISO9660 | FsiFileSystemJoliet | FsiFileSystemUDF)

/* What a change point restores: the tree and the settings (RollbackToChangePoint). */
typedef struct change_point {
    LONG number;
    fsi_image *tree;
    LONG session_start, free_media_blocks, udf_revision, iso_level;
    BSTR volume_name;
    VARIANT_BOOL strict, restricted, stage, redundant_udf;
    FsiFileSystems fs;
} change_point;

struct fsimage {
    IFileSystemImage3 IFileSystemImage3_iface;
    fsi_error_support sei;
    LONG refs;
    CRITICAL_SECTION cs;
    fsi_image *tree;
    LONG session_start;
    LONG free_media_blocks;
    BSTR volume_name;               /* NULL: generated when the result is created */
    BSTR working_dir;
    LONG change_point;
    LONG locked_change_point;       /* LockInChangePoint: no rollback before it */
    change_point *points;           /* snapshots taken when ChangePoint is read, by number */
    fsi_stash *stash;               /* staged file data (created on first use) */
    size_t npoints;
    VARIANT_BOOL strict, restricted, stage, redundant_udf;
    FsiFileSystems fs;
    LONG udf_revision;
    LONG iso_level;
    fsi_events *events;             /* IConnectionPointContainer (events.c) */
    fsi_boot_set *boot;             /* El Torito entries (BootImageOptions(Array)); NULL: none */
    /* multisession (multisession.c, docs/behaviour.md) */
    fsi_msession *ms;               /* MultisessionInterfaces, or NULL */
    fsi_medium *medium;             /* the medium a session was imported from, or NULL */
    FsiFileSystems imported;        /* the file system imported (FsiFileSystemNone: none) */
    FsiFileSystems disc_fs;         /* the file systems of the imported session */
    BSTR imported_name;             /* its volume name */
    uint32_t old_end;               /* random-write: the end of the imported volume (blocks) */
    uint32_t base_vrs_end;          /* random-write: the end of its recognition sequence */
    /* FreeMediaBlocks: an upper bound of the size, kept per add (fsimage_check_add) */
    fsi_size_bound bound;
    int bound_ok;                   /* 0: start again at the exact plan */
    fsi_plan_opts bound_opts;       /* the settings it was started with */
    LONG bound_boot, boot_changes;  /* boot entries put since */
    fsi_time made;                  /* when the object was made: the root's times (docs/behaviour.md) */
    LONG epoch;                     /* moves whenever items may have left the tree (items.c) */
};

static const IID *const fsimage_error_iids[] = {
    &IID_IFileSystemImage, &IID_IFileSystemImage2, &IID_IFileSystemImage3, NULL,
};

static const LONG udf_revisions[] = { 0x102, 0x150, 0x200, 0x201, 0x250, 0x260 };
/* ISO9660InterchangeLevelsSupported lists what Windows lists; the setter also takes 3, our
 * extension (multi-extent files; docs/behaviour.md). */
static const ULONG iso_levels[] = { 1, 2 };

static inline fsimage *impl_from_IFileSystemImage3(IFileSystemImage3 *iface)
{
    return impl_from(iface, fsimage, IFileSystemImage3_iface);
}

/* ---- internals shared with the items ---------------------------------------------------------- */

void fsimage_addref(fsimage *img) { IFileSystemImage3_AddRef(&img->IFileSystemImage3_iface); }
void fsimage_release(fsimage *img) { IFileSystemImage3_Release(&img->IFileSystemImage3_iface); }
void fsimage_lock(fsimage *img) { EnterCriticalSection(&img->cs); }
void fsimage_unlock(fsimage *img) { LeaveCriticalSection(&img->cs); }
fsi_image *fsimage_tree(fsimage *img) { return img->tree; }
fsi_time fsimage_root_time(fsimage *img) { return img->made; }
void fsimage_changed(fsimage *img) { img->change_point++; img->epoch++; }
LONG fsimage_epoch(fsimage *img) { return img->epoch; }
unsigned fsimage_fs(fsimage *img) { return img->fs; }
int fsimage_iso_level(fsimage *img) { return img->iso_level; }
int fsimage_restricted(fsimage *img) { return img->restricted != VARIANT_FALSE; }
int fsimage_staging(fsimage *img) { return img->stage != VARIANT_FALSE; }
LONG fsimage_udf_revision(fsimage *img) { return img->udf_revision; }

/* Update events while a file is staged (DFileSystemImageEvents: 0, every megabyte, the end). */
typedef struct stage_events {
    fsimage *img;
    const WCHAR *what;
    LONG total;
} stage_events;

static void stage_progress(void *ctx, uint64_t copied)
{
    stage_events *e = ctx;
    LONG sectors = (LONG)((copied + 2047) / 2048);
    fsi_events_fire_update(e->img->events, (IDispatch *)&e->img->IFileSystemImage3_iface, e->what,
                           lstrlenW(e->what), sectors < e->total ? sectors : e->total, e->total);
}

HRESULT fsimage_stage(fsimage *img, fsi_source *src, uint64_t size, const WCHAR *what, fsi_source **out, uint64_t *copied)
{
    stage_events events = { img, what, (LONG)((size + 2047) / 2048) };
    ULARGE_INTEGER avail;
    fsi_stash *stash;
    HRESULT hr = S_OK;
    WCHAR dir[MAX_PATH];

    EnterCriticalSection(&img->cs);
    lstrcpynW(dir, img->working_dir, MAX_PATH);
    if (!img->stash) hr = fsi_stash_create(dir, &img->stash);
    if ((stash = img->stash)) fsi_stash_ref(stash);
    LeaveCriticalSection(&img->cs);
    if (FAILED(hr)) return hr;
    /* Refuse up front rather than leave a partial copy (a full disk still fails cleanly later). */
    if (GetDiskFreeSpaceExW(dir, &avail, NULL, NULL) && avail.QuadPart < size) {
        WCHAR have[32], need[32];
        swprintf(have, ARRAY_SIZE(have), L"%I64u", (unsigned long long)avail.QuadPart);
        swprintf(need, ARRAY_SIZE(need), L"%I64u", (unsigned long long)size);
        fsi_stash_unref(stash);
        return fsi_error3(IMAPI_E_WORKING_DIRECTORY_SPACE, &IID_IFsiDirectoryItem, dir, have, need);
    }
    hr = fsi_stash_add(stash, src, what, out, copied,
                       fsi_events_have_sinks(img->events, 0) ? stage_progress : NULL, &events);
    fsi_stash_unref(stash);
    return hr;
}

static int64_t source_date_epoch(void)
{
    const char *s = getenv("SOURCE_DATE_EPOCH");
    char *end;
    long long v;
    if (!s || !*s) return -1;
    v = strtoll(s, &end, 10);
    return (*end || v < 0) ? -1 : v;
}

static fsi_time now_time(void)
{
    int64_t sde = source_date_epoch();
    FILETIME ft;
    if (sde >= 0) return fsi_time_from_unix(sde, 0);
    GetSystemTimeAsFileTime(&ft);
    return ((int64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime;
}

/* The default volume name: the creation date and time, "YYYYMMDD_HHMMSS" (15 characters, the
 * documented maximum), from SOURCE_DATE_EPOCH when set. See docs/behaviour.md. */
static void default_volume_name(fsi_time t, WCHAR out[16])
{
    FILETIME ft;
    SYSTEMTIME st;
    ft.dwLowDateTime = (DWORD)t;
    ft.dwHighDateTime = (DWORD)(t >> 32);
    FileTimeToSystemTime(&ft, &st);
    swprintf(out, 16, L"%04u%02u%02u_%02u%02u%02u", st.wYear, st.wMonth, st.wDay, st.wHour,
             st.wMinute, st.wSecond);
}

/* The settings the layout depends on (not the volume name and time: descriptors of fixed size). */
static void layout_opts(fsimage *img, fsi_plan_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->fs = img->fs;
    o->iso_level = img->iso_level;
    o->udf_revision = img->udf_revision;
    o->udf_redundant_metadata = img->redundant_udf != VARIANT_FALSE;
    o->session_start = img->session_start;
    if (img->medium) {
        /* imported files stay where they are: sequential media, below the new session; random-write
         * media, anywhere in the old volume that is not rewritten (fsi_plan_opts.base) */
        if (img->ms && img->ms->random) {
            o->base = img->medium;
            o->base_vrs_end = img->base_vrs_end;
            o->reuse_end = img->old_end;
        } else {
            o->reuse_end = img->session_start;
        }
    }
    o->strict = img->strict != VARIANT_FALSE;
    if (img->boot) {
        o->boot = img->boot->e;
        o->boot_count = img->boot->n;
    }
}

static void plan_opts(fsimage *img, fsi_plan_opts *o, WCHAR defname[16])
{
    layout_opts(img, o);
    o->creation_time = now_time();
    if (img->volume_name) {
        o->volume_name = img->volume_name;
        o->volume_name_len = SysStringLen(img->volume_name);
    } else {
        default_volume_name(o->creation_time, defname);
        o->volume_name = defname;
        o->volume_name_len = lstrlenW(defname);
    }
}

/* Exact size of the image the current tree would give (lock held). */
static HRESULT used_blocks(fsimage *img, LONG *out)
{
    fsi_plan_opts o;
    fsi_plan *plan;
    fsi_err err;
    WCHAR defname[16];
    fsi_status st;

    plan_opts(img, &o, defname);
    if (!o.fs) { *out = 0; return S_OK; }
    st = fsi_plan_build(img->tree, &o, &plan, &err);
    if (st != FSI_OK) return fsi_error_from_engine(&err, &IID_IFileSystemImage);
    *out = (LONG)fsi_plan_total_blocks(plan);
    fsi_plan_unref(plan);
    return S_OK;
}

HRESULT fsimage_check_name(fsimage *img, const WCHAR *name, size_t len, const WCHAR *what)
{
    BOOL lossy = FALSE;
    if (!img->restricted || !len) return S_OK;
    /* UseRestrictedCharacterSet: names must be representable in the ANSI code page. */
    if (!WideCharToMultiByte(CP_ACP, WC_NO_BEST_FIT_CHARS, name, (int)len, NULL, 0, NULL, &lossy) || lossy)
        return fsi_error(IMAPI_E_RESTRICTED_NAME_VIOLATION, &IID_IFsiDirectoryItem, what, NULL);
    return S_OK;
}

/* Directories of the subtree of n (n included) and its depth in directory levels (n: 1). */
static void subtree_dirs(fsi_node *n, unsigned level, uint64_t *dirs, unsigned *deepest)
{
    if (!fsi_node_is_dir(n)) return;
    (*dirs)++;
    if (level > *deepest) *deepest = level;
    for (size_t i = 0, k = fsi_dir_child_count(n); i < k; i++) {
        fsi_node *c = fsi_dir_child(n, i);
        if (c) subtree_dirs(c, level + 1, dirs, deepest);
    }
}

/* ECMA-119 6.8.2.1 with StrictFileSystemCompliance: 8 levels of directories (the root the first),
 * 65535 directories (16-bit path table parent numbers). */
static HRESULT check_strict(fsimage *img, fsi_node *parent, fsi_node *add, int whole)
{
    uint64_t dirs = 0;
    unsigned depth = 0, level = 1;
    if (!img->strict || !(img->fs & (FsiFileSystemISO9660 | FsiFileSystemJoliet))) return S_OK;
    if (whole) subtree_dirs(add, 1, &dirs, &depth);
    else
        for (size_t i = 0, k = fsi_dir_child_count(add); i < k; i++)
            if (fsi_dir_child(add, i)) subtree_dirs(fsi_dir_child(add, i), 1, &dirs, &depth);
    for (fsi_node *n = parent; n && fsi_node_parent(n); n = fsi_node_parent(n)) level++;
    if (dirs && level + depth > 8) return fsi_error(IMAPI_E_ISO9660_LEVELS, &IID_IFsiDirectoryItem, NULL, NULL);
    if (fsi_image_dir_count(img->tree) + 1 + dirs > 65535)
        return fsi_error(IMAPI_E_TOO_MANY_DIRS, &IID_IFsiDirectoryItem,
                         (img->fs & FsiFileSystemISO9660) ? L"ISO9660" : L"Joliet", NULL);
    return S_OK;
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

/* A plan for the size of tree: a file over the 2 GiB ceiling of levels 1 and 2 is refused by
 * CreateResultImage, as on Windows, but an add is judged by the size of level 3's layout (several
 * extents), so that it fails with IMAPI_E_IMAGE_SIZE_LIMIT when that is what it passes. */
static fsi_status plan_for_size(fsi_image *tree, const fsi_plan_opts *o, fsi_plan **plan, fsi_err *err)
{
    fsi_status st = fsi_plan_build(tree, o, plan, err);
    if (st == FSI_E_DATA_TOO_BIG) {
        fsi_plan_opts o3 = *o;
        o3.iso_level = 3;
        st = fsi_plan_build(tree, &o3, plan, err);
    }
    return st;
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

    layout_opts(img, &o);
    g->counted = 1;
    g->units = units;
    g->exact = 0;
    if (!o.fs) { fsi_image_free(copy); return S_OK; }      /* no output, no size */
    if (!bound_fits(img, &o) || fsi_size_bound_blocks(&img->bound, units) > (uint64_t)img->free_media_blocks)
        plan_opts(img, &o, defname);                        /* a plan will be built */
    if (!bound_fits(img, &o)) {
        /* a new start: the exact plan of the tree as it is */
        if ((st = plan_for_size(img->tree, &o, &plan, &err)) != FSI_OK) {
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
    st = plan_for_size(copy, &o, &plan, &err);
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
    layout_opts(img, &o);
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
    layout_opts(img, &o);
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

/* ---- media types ------------------------------------------------------------------------------ */

/* What ChooseImageDefaultsForMediaType sets per IMAPI_MEDIA_PHYSICAL_TYPE: file systems, UDF
 * revision and FreeMediaBlocks (nominal user capacity of a single-session disc, in 2048-byte
 * blocks; sources in docs/behaviour.md). Windows' own table is not documented. */
static const struct media_defaults {
    FsiFileSystems fs;
    LONG udf_revision;
    LONG blocks;
} media_table[IMAPI_MEDIA_TYPE_MAX + 1] = {
    [IMAPI_MEDIA_TYPE_CDROM]  = { FsiFileSystemISO9660 | FsiFileSystemJoliet, 0x102, 332800 },
    [IMAPI_MEDIA_TYPE_CDR]    = { FsiFileSystemISO9660 | FsiFileSystemJoliet, 0x102, 332800 },
    [IMAPI_MEDIA_TYPE_CDRW]   = { FsiFileSystemISO9660 | FsiFileSystemJoliet, 0x102, 332800 },
    [IMAPI_MEDIA_TYPE_DVDROM] = { FsiFileSystemISO9660 | FsiFileSystemJoliet | FsiFileSystemUDF, 0x102, 2298496 },
    [IMAPI_MEDIA_TYPE_DVDRAM] = { FsiFileSystemUDF, 0x201, 2236704 },
    [IMAPI_MEDIA_TYPE_DVDPLUSR] = { FsiFileSystemISO9660 | FsiFileSystemJoliet | FsiFileSystemUDF, 0x102, 2295104 },
    [IMAPI_MEDIA_TYPE_DVDPLUSRW] = { FsiFileSystemISO9660 | FsiFileSystemJoliet | FsiFileSystemUDF, 0x102, 2295104 },
    [IMAPI_MEDIA_TYPE_DVDPLUSR_DUALLAYER] = { FsiFileSystemISO9660 | FsiFileSystemJoliet | FsiFileSystemUDF, 0x102, 4171712 },
    [IMAPI_MEDIA_TYPE_DVDDASHR] = { FsiFileSystemISO9660 | FsiFileSystemJoliet | FsiFileSystemUDF, 0x102, 2298496 },
    [IMAPI_MEDIA_TYPE_DVDDASHRW] = { FsiFileSystemISO9660 | FsiFileSystemJoliet | FsiFileSystemUDF, 0x102, 2298496 },
    [IMAPI_MEDIA_TYPE_DVDDASHR_DUALLAYER] = { FsiFileSystemISO9660 | FsiFileSystemJoliet | FsiFileSystemUDF, 0x102, 4173824 },
    [IMAPI_MEDIA_TYPE_DISK] = { FsiFileSystemUDF, 0x201, 0 },
    /* seen on Windows: UDF alone (windows-observed.md) */
    [IMAPI_MEDIA_TYPE_DVDPLUSRW_DUALLAYER] = { FsiFileSystemUDF, 0x102, 4171712 },
    [IMAPI_MEDIA_TYPE_HDDVDROM] = { FsiFileSystemUDF, 0x250, 7324208 },
    [IMAPI_MEDIA_TYPE_HDDVDR] = { FsiFileSystemUDF, 0x250, 7324208 },
    [IMAPI_MEDIA_TYPE_HDDVDRAM] = { FsiFileSystemUDF, 0x250, 7324208 },
    [IMAPI_MEDIA_TYPE_BDROM] = { FsiFileSystemUDF, 0x250, 12219392 },
    [IMAPI_MEDIA_TYPE_BDR] = { FsiFileSystemUDF, 0x250, 12219392 },
    [IMAPI_MEDIA_TYPE_BDRE] = { FsiFileSystemUDF, 0x250, 12219392 },
};

/* MMC profile (IMAPI_PROFILE_TYPE) of the recorder's current media -> media type; 0 if none. */
static IMAPI_MEDIA_PHYSICAL_TYPE media_from_profile(LONG profile)
{
    switch (profile) {
    case 0x08: return IMAPI_MEDIA_TYPE_CDROM;
    case 0x09: return IMAPI_MEDIA_TYPE_CDR;
    case 0x0A: return IMAPI_MEDIA_TYPE_CDRW;
    case 0x10: return IMAPI_MEDIA_TYPE_DVDROM;
    case 0x11: return IMAPI_MEDIA_TYPE_DVDDASHR;
    case 0x12: return IMAPI_MEDIA_TYPE_DVDRAM;
    case 0x13: case 0x14: return IMAPI_MEDIA_TYPE_DVDDASHRW;
    case 0x15: case 0x16: return IMAPI_MEDIA_TYPE_DVDDASHR_DUALLAYER;
    case 0x1A: return IMAPI_MEDIA_TYPE_DVDPLUSRW;
    case 0x1B: return IMAPI_MEDIA_TYPE_DVDPLUSR;
    case 0x2A: return IMAPI_MEDIA_TYPE_DVDPLUSRW_DUALLAYER;
    case 0x2B: return IMAPI_MEDIA_TYPE_DVDPLUSR_DUALLAYER;
    case 0x40: return IMAPI_MEDIA_TYPE_BDROM;
    case 0x41: case 0x42: return IMAPI_MEDIA_TYPE_BDR;
    case 0x43: return IMAPI_MEDIA_TYPE_BDRE;
    case 0x50: return IMAPI_MEDIA_TYPE_HDDVDROM;
    case 0x51: return IMAPI_MEDIA_TYPE_HDDVDR;
    case 0x52: return IMAPI_MEDIA_TYPE_HDDVDRAM;
    case 0x01: case 0x02: case 0x03: return IMAPI_MEDIA_TYPE_DISK;
    default: return IMAPI_MEDIA_TYPE_UNKNOWN;
    }
}

/* The recorder's current media type, from IDiscRecorder2::CurrentProfiles (the first profile
 * that names a known medium). E_IMAPI_RECORDER_MEDIA_NO_MEDIA when there is none. */
static HRESULT recorder_media(IDiscRecorder2 *recorder, IMAPI_MEDIA_PHYSICAL_TYPE *type)
{
    SAFEARRAY *sa = NULL;
    LONG lb = 0, ub = -1;
    HRESULT hr = IDiscRecorder2_get_CurrentProfiles(recorder, &sa);
    *type = IMAPI_MEDIA_TYPE_UNKNOWN;
    if (FAILED(hr)) return hr;
    if (sa && SUCCEEDED(SafeArrayGetLBound(sa, 1, &lb)) && SUCCEEDED(SafeArrayGetUBound(sa, 1, &ub))) {
        for (LONG i = lb; i <= ub && !*type; i++) {
            VARIANT v;
            VariantInit(&v);
            if (SUCCEEDED(SafeArrayGetElement(sa, &i, &v)) && SUCCEEDED(VariantChangeType(&v, &v, 0, VT_I4)))
                *type = media_from_profile(V_I4(&v));
            VariantClear(&v);
        }
    }
    if (sa) SafeArrayDestroy(sa);
    if (ub < lb) return E_IMAPI_RECORDER_MEDIA_NO_MEDIA;       /* no current profile: no media */
    return *type ? S_OK : E_IMAPI_RECORDER_MEDIA_INCOMPATIBLE;
}

/* ---- change points ---------------------------------------------------------------------------- */

static void free_point(change_point *p)
{
    fsi_image_free(p->tree);
    SysFreeString(p->volume_name);
}

/* Snapshot the tree and settings as change point number img->change_point (lock held). A
 * snapshot is taken only when ChangePoint is read: a point nobody has seen cannot be asked for. */
static HRESULT take_point(fsimage *img)
{
    change_point p, *grown;
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

/* ---- IUnknown ------------------------------------------------------------------------------- */

static HRESULT WINAPI fsimage_QueryInterface(IFileSystemImage3 *iface, REFIID riid, void **ppv)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    if (!ppv) return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch) ||
        IsEqualIID(riid, &IID_IFileSystemImage) || IsEqualIID(riid, &IID_IFileSystemImage2) ||
        IsEqualIID(riid, &IID_IFileSystemImage3))
        *ppv = &img->IFileSystemImage3_iface;
    else if (IsEqualIID(riid, &IID_ISupportErrorInfo))
        *ppv = &img->sei.ISupportErrorInfo_iface;
    else if (IsEqualIID(riid, &IID_IConnectionPointContainer))
        *ppv = fsi_events_container(img->events);
    else if (IsEqualIID(riid, &IID_IProvideClassInfo) || IsEqualIID(riid, &IID_IProvideClassInfo2))
        *ppv = fsi_events_classinfo(img->events);
    else {
        *ppv = NULL;
        return E_NOINTERFACE;
    }
    IUnknown_AddRef((IUnknown *)*ppv);
    return S_OK;
}

static ULONG WINAPI fsimage_AddRef(IFileSystemImage3 *iface)
{
    return InterlockedIncrement(&impl_from_IFileSystemImage3(iface)->refs);
}

static ULONG WINAPI fsimage_Release(IFileSystemImage3 *iface)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    ULONG refs = InterlockedDecrement(&img->refs);
    if (!refs) {
        fsi_events_detach(img->events);
        fsi_events_unref(img->events);
        fsi_stash_unref(img->stash);
        for (size_t i = 0; i < img->npoints; i++) free_point(&img->points[i]);
        free(img->points);
        fsi_image_free(img->tree);
        fsi_boot_set_free(img->boot);
        fsi_msession_free(img->ms);
        fsi_medium_unref(img->medium);
        SysFreeString(img->imported_name);
        SysFreeString(img->volume_name);
        SysFreeString(img->working_dir);
        DeleteCriticalSection(&img->cs);
        free(img);
        fsi_unlock_module();
    }
    return refs;
}

FSI_IMPLEMENT_DISPATCH(fsimage, IFileSystemImage3, IID_IFileSystemImage3)

/* ---- properties ----------------------------------------------------------------------------- */

static HRESULT WINAPI fsimage_get_Root(IFileSystemImage3 *iface, IFsiDirectoryItem **root)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    if (!root) return E_POINTER;
    return fsiitem_create(img, fsi_image_root(img->tree), &IID_IFsiDirectoryItem, (void **)root);
}

static HRESULT WINAPI fsimage_get_SessionStartBlock(IFileSystemImage3 *iface, LONG *value)
{
    if (!value) return E_POINTER;
    *value = impl_from_IFileSystemImage3(iface)->session_start;
    return S_OK;
}

static HRESULT WINAPI fsimage_put_SessionStartBlock(IFileSystemImage3 *iface, LONG value)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    if (value < 0) return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFileSystemImage, L"value", NULL);
    EnterCriticalSection(&img->cs);
    if (img->imported) {                    /* the session follows the imported one */
        LeaveCriticalSection(&img->cs);
        return fsi_error(IMAPI_E_INCOMPATIBLE_PREVIOUS_SESSION, &IID_IFileSystemImage, NULL, NULL);
    }
    img->session_start = value;
    img->change_point++;
    LeaveCriticalSection(&img->cs);
    return S_OK;
}

static HRESULT WINAPI fsimage_get_FreeMediaBlocks(IFileSystemImage3 *iface, LONG *value)
{
    if (!value) return E_POINTER;
    *value = impl_from_IFileSystemImage3(iface)->free_media_blocks;
    return S_OK;
}

static HRESULT WINAPI fsimage_put_FreeMediaBlocks(IFileSystemImage3 *iface, LONG value)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    HRESULT hr = S_OK;
    LONG used;

    EnterCriticalSection(&img->cs);
    if (value > 0) {
        hr = used_blocks(img, &used);
        if (SUCCEEDED(hr) && used > value) hr = fsi_error(IMAPI_E_IMAGE_TOO_BIG, &IID_IFileSystemImage, NULL, NULL);
    }
    if (SUCCEEDED(hr)) {
        img->free_media_blocks = value;
        img->change_point++;
    }
    LeaveCriticalSection(&img->cs);
    return hr;
}

static HRESULT WINAPI fsimage_SetMaxMediaBlocksFromDevice(IFileSystemImage3 *iface, IDiscRecorder2 *recorder)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    IMAPI_MEDIA_PHYSICAL_TYPE type;
    HRESULT hr;
    if (!recorder) return E_POINTER;
    /* The nominal capacity of the recorder's current media type (0 = unknown maximum). */
    if (FAILED(hr = recorder_media(recorder, &type))) return fsi_error(hr, &IID_IFileSystemImage, NULL, NULL);
    EnterCriticalSection(&img->cs);
    img->free_media_blocks = media_table[type].blocks;
    img->change_point++;
    LeaveCriticalSection(&img->cs);
    return S_OK;
}

static HRESULT WINAPI fsimage_get_UsedBlocks(IFileSystemImage3 *iface, LONG *value)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    HRESULT hr;
    if (!value) return E_POINTER;
    EnterCriticalSection(&img->cs);
    hr = used_blocks(img, value);
    LeaveCriticalSection(&img->cs);
    return hr;
}

static HRESULT WINAPI fsimage_get_VolumeName(IFileSystemImage3 *iface, BSTR *value)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    if (!value) return E_POINTER;
    EnterCriticalSection(&img->cs);
    *value = SysAllocString(img->volume_name ? img->volume_name : L"");
    LeaveCriticalSection(&img->cs);
    return *value ? S_OK : E_OUTOFMEMORY;
}

static HRESULT WINAPI fsimage_put_VolumeName(IFileSystemImage3 *iface, BSTR value)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    UINT len = SysStringLen(value);
    BSTR copy = NULL;

    /* Up to 32 characters (clients pass more than the documented 15); no control characters. */
    if (len > 32) return fsi_error(IMAPI_E_INVALID_VOLUME_NAME, &IID_IFileSystemImage, NULL, NULL);
    for (UINT i = 0; i < len; i++)
        if (value[i] < 0x20) return fsi_error(IMAPI_E_INVALID_VOLUME_NAME, &IID_IFileSystemImage, NULL, NULL);
    if (len && !(copy = SysAllocStringLen(value, len))) return E_OUTOFMEMORY;
    EnterCriticalSection(&img->cs);
    SysFreeString(img->volume_name);
    img->volume_name = copy;
    img->change_point++;
    LeaveCriticalSection(&img->cs);
    return S_OK;
}

static HRESULT WINAPI fsimage_get_ImportedVolumeName(IFileSystemImage3 *iface, BSTR *value)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    if (!value) return E_POINTER;
    /* Nothing imported: an empty name. */
    EnterCriticalSection(&img->cs);
    *value = SysAllocString(img->imported_name ? img->imported_name : L"");
    LeaveCriticalSection(&img->cs);
    return *value ? S_OK : E_OUTOFMEMORY;
}

/* ---- boot entries (El Torito): the entries are read at put time (bootoptions.c) ----------------- */

/* A boot object can only go into an initial disc image: IMAPI_E_BOOT_OBJECT_CONFLICT once a
 * previous session was imported. */
static int imported_session(fsimage *img)
{
    return img->imported != FsiFileSystemNone;
}

/* Install set (NULL or empty: not bootable) as the image's entries; the old ones go. */
static void set_boot(fsimage *img, fsi_boot_set *set)
{
    fsi_boot_set *old;
    if (set && !set->n) {
        fsi_boot_set_free(set);
        set = NULL;
    }
    EnterCriticalSection(&img->cs);
    old = img->boot;
    img->boot = set;
    img->boot_changes++;
    LeaveCriticalSection(&img->cs);
    fsi_boot_set_free(old);                 /* may release the caller's objects: no lock held */
}

static HRESULT boot_error(HRESULT hr)
{
    if (hr == E_OUTOFMEMORY || hr == E_POINTER) return hr;
    return fsi_error(hr, &IID_IFileSystemImage, L"newVal", NULL);
}

static HRESULT WINAPI fsimage_get_BootImageOptions(IFileSystemImage3 *iface, IBootOptions **value)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    if (!value) return E_POINTER;
    EnterCriticalSection(&img->cs);
    /* The last put of either property: its (first) entry; NULL when not bootable. */
    *value = img->boot ? img->boot->obj[0] : NULL;
    if (*value) IBootOptions_AddRef(*value);
    LeaveCriticalSection(&img->cs);
    return S_OK;
}

static HRESULT WINAPI fsimage_put_BootImageOptions(IFileSystemImage3 *iface, IBootOptions *value)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    fsi_boot_set *set;
    HRESULT hr;
    if (imported_session(img)) return fsi_error(IMAPI_E_BOOT_OBJECT_CONFLICT, &IID_IFileSystemImage, NULL, NULL);
    if (!value) {                           /* NULL: not bootable */
        set_boot(img, NULL);
        return S_OK;
    }
    /* A complete copy: settings and the image's bytes, read now (no lock held: the caller's
     * stream may be slow); the getter gives a BootOptions over the copy. */
    if (!(set = calloc(1, sizeof(*set)))) return E_OUTOFMEMORY;
    if (FAILED(hr = fsi_boot_set_add(set, value, 1))) {
        fsi_boot_set_free(set);
        return boot_error(hr);
    }
    set_boot(img, set);
    return S_OK;
}

static HRESULT WINAPI fsimage_get_FileCount(IFileSystemImage3 *iface, LONG *value)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    if (!value) return E_POINTER;
    EnterCriticalSection(&img->cs);
    *value = (LONG)fsi_image_file_count(img->tree);
    LeaveCriticalSection(&img->cs);
    return S_OK;
}

static HRESULT WINAPI fsimage_get_DirectoryCount(IFileSystemImage3 *iface, LONG *value)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    if (!value) return E_POINTER;
    EnterCriticalSection(&img->cs);
    *value = (LONG)fsi_image_dir_count(img->tree) + 1;      /* the root counts, as on Windows */
    LeaveCriticalSection(&img->cs);
    return S_OK;
}

static HRESULT WINAPI fsimage_get_WorkingDirectory(IFileSystemImage3 *iface, BSTR *value)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    if (!value) return E_POINTER;
    EnterCriticalSection(&img->cs);
    *value = SysAllocString(img->working_dir);
    LeaveCriticalSection(&img->cs);
    return *value ? S_OK : E_OUTOFMEMORY;
}

static HRESULT WINAPI fsimage_put_WorkingDirectory(IFileSystemImage3 *iface, BSTR value)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    DWORD attrs;
    BSTR copy;
    HRESULT hr;
    if (!value || !*value) return fsi_error(IMAPI_E_INVALID_WORKING_DIRECTORY, &IID_IFileSystemImage, L"", NULL);
    attrs = GetFileAttributesW(value);
    if (attrs == INVALID_FILE_ATTRIBUTES || !(attrs & FILE_ATTRIBUTE_DIRECTORY))
        return fsi_error(IMAPI_E_INVALID_WORKING_DIRECTORY, &IID_IFileSystemImage, value, NULL);
    if (!(copy = SysAllocString(value))) return E_OUTOFMEMORY;
    EnterCriticalSection(&img->cs);
    /* Existing stash files move with it. */
    if (img->stash && FAILED(hr = fsi_stash_move(img->stash, value))) {
        LeaveCriticalSection(&img->cs);
        SysFreeString(copy);
        return hr;
    }
    SysFreeString(img->working_dir);
    img->working_dir = copy;
    LeaveCriticalSection(&img->cs);
    return S_OK;
}

static HRESULT WINAPI fsimage_get_ChangePoint(IFileSystemImage3 *iface, LONG *value)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    HRESULT hr;
    if (!value) return E_POINTER;
    EnterCriticalSection(&img->cs);
    hr = take_point(img);
    *value = img->change_point;
    LeaveCriticalSection(&img->cs);
    return hr;
}

static HRESULT WINAPI fsimage_get_StrictFileSystemCompliance(IFileSystemImage3 *iface, VARIANT_BOOL *value)
{
    if (!value) return E_POINTER;
    *value = impl_from_IFileSystemImage3(iface)->strict;
    return S_OK;
}

static HRESULT WINAPI fsimage_put_StrictFileSystemCompliance(IFileSystemImage3 *iface, VARIANT_BOOL value)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    HRESULT hr = S_OK;
    EnterCriticalSection(&img->cs);
    /* TRUE may be set only while the image is empty. */
    if (value && !img->strict && (fsi_image_file_count(img->tree) || fsi_image_dir_count(img->tree)))
        hr = fsi_error(IMAPI_E_FILE_SYSTEM_NOT_EMPTY, &IID_IFileSystemImage, NULL, NULL);
    else
        img->strict = value ? VARIANT_TRUE : VARIANT_FALSE;
    LeaveCriticalSection(&img->cs);
    return hr;
}

static HRESULT WINAPI fsimage_get_UseRestrictedCharacterSet(IFileSystemImage3 *iface, VARIANT_BOOL *value)
{
    if (!value) return E_POINTER;
    *value = impl_from_IFileSystemImage3(iface)->restricted;
    return S_OK;
}

static HRESULT WINAPI fsimage_put_UseRestrictedCharacterSet(IFileSystemImage3 *iface, VARIANT_BOOL value)
{
    impl_from_IFileSystemImage3(iface)->restricted = value ? VARIANT_TRUE : VARIANT_FALSE;
    return S_OK;
}

static HRESULT WINAPI fsimage_get_FileSystemsToCreate(IFileSystemImage3 *iface, FsiFileSystems *value)
{
    if (!value) return E_POINTER;
    *value = impl_from_IFileSystemImage3(iface)->fs;
    return S_OK;
}

static HRESULT WINAPI fsimage_put_FileSystemsToCreate(IFileSystemImage3 *iface, FsiFileSystems value)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    if ((unsigned)value & ~(unsigned)(FsiFileSystemISO9660 | FsiFileSystemJoliet | FsiFileSystemUDF))
        return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFileSystemImage, L"newVal", NULL);
    if ((unsigned)value & ~(unsigned)FS_SUPPORTED)
        return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFileSystemImage, L"newVal", NULL);
    EnterCriticalSection(&img->cs);
    if (img->imported && (unsigned)value != ((unsigned)img->disc_fs & FS_SUPPORTED)) {
        /* the new session carries the file systems of the imported one */
        LeaveCriticalSection(&img->cs);
        return fsi_error(IMAPI_E_FILE_SYSTEM_CHANGE_NOT_ALLOWED, &IID_IFileSystemImage, NULL, NULL);
    }
    img->fs = value;
    img->change_point++;
    LeaveCriticalSection(&img->cs);
    return S_OK;
}

static HRESULT WINAPI fsimage_get_FileSystemsSupported(IFileSystemImage3 *iface, FsiFileSystems *value)
{
    if (!value) return E_POINTER;
    *value = FS_SUPPORTED;
    return S_OK;
}

static HRESULT WINAPI fsimage_put_UDFRevision(IFileSystemImage3 *iface, LONG value)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    for (size_t i = 0; i < ARRAY_SIZE(udf_revisions); i++)
        if (udf_revisions[i] == value) {
            if ((img->disc_fs & FsiFileSystemUDF) && value != img->udf_revision)
                return fsi_error(IMAPI_E_UDF_REVISION_CHANGE_NOT_ALLOWED, &IID_IFileSystemImage, NULL, NULL);
            img->udf_revision = value;
            return S_OK;
        }
    return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFileSystemImage, L"newVal", NULL);
}

static HRESULT WINAPI fsimage_get_UDFRevision(IFileSystemImage3 *iface, LONG *value)
{
    if (!value) return E_POINTER;
    *value = impl_from_IFileSystemImage3(iface)->udf_revision;
    return S_OK;
}

/* A SAFEARRAY of VARIANTs of type vt from count values. */
static HRESULT variant_array(VARTYPE vt, const void *values, size_t count, SAFEARRAY **out)
{
    SAFEARRAY *sa = SafeArrayCreateVector(VT_VARIANT, 0, (ULONG)count);
    VARIANT *v;
    if (!sa) return E_OUTOFMEMORY;
    SafeArrayAccessData(sa, (void **)&v);
    for (size_t i = 0; i < count; i++) {
        V_VT(&v[i]) = vt;
        if (vt == VT_I4) V_I4(&v[i]) = ((const LONG *)values)[i];
        else V_UI4(&v[i]) = ((const ULONG *)values)[i];
    }
    SafeArrayUnaccessData(sa);
    *out = sa;
    return S_OK;
}

static HRESULT WINAPI fsimage_get_UDFRevisionsSupported(IFileSystemImage3 *iface, SAFEARRAY **value)
{
    if (!value) return E_POINTER;
    return variant_array(VT_I4, udf_revisions, ARRAY_SIZE(udf_revisions), value);
}

static HRESULT WINAPI fsimage_ChooseImageDefaultsForMediaType(IFileSystemImage3 *iface, IMAPI_MEDIA_PHYSICAL_TYPE value)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    const struct media_defaults *m;
    if ((unsigned)value > IMAPI_MEDIA_TYPE_MAX || !media_table[value].fs)
        return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFileSystemImage, L"value", NULL);
    m = &media_table[value];
    EnterCriticalSection(&img->cs);
    /* Overwrites FileSystemsToCreate and FreeMediaBlocks set before it, as clients report. */
    img->fs = m->fs;
    img->udf_revision = m->udf_revision;
    img->free_media_blocks = m->blocks;
    img->change_point++;
    LeaveCriticalSection(&img->cs);
    return S_OK;
}

static HRESULT WINAPI fsimage_ChooseImageDefaults(IFileSystemImage3 *iface, IDiscRecorder2 *recorder)
{
    IMAPI_MEDIA_PHYSICAL_TYPE type;
    HRESULT hr;
    if (!recorder) return E_POINTER;
    if (FAILED(hr = recorder_media(recorder, &type))) return fsi_error(hr, &IID_IFileSystemImage, NULL, NULL);
    return fsimage_ChooseImageDefaultsForMediaType(iface, type);
}

static HRESULT WINAPI fsimage_put_ISO9660InterchangeLevel(IFileSystemImage3 *iface, LONG value)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    if (value < 1 || value > 3) return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFileSystemImage, L"newVal", NULL);
    EnterCriticalSection(&img->cs);
    img->iso_level = value;
    img->change_point++;
    LeaveCriticalSection(&img->cs);
    return S_OK;
}

static HRESULT WINAPI fsimage_get_ISO9660InterchangeLevel(IFileSystemImage3 *iface, LONG *value)
{
    if (!value) return E_POINTER;
    *value = impl_from_IFileSystemImage3(iface)->iso_level;
    return S_OK;
}

static HRESULT WINAPI fsimage_get_ISO9660InterchangeLevelsSupported(IFileSystemImage3 *iface, SAFEARRAY **value)
{
    if (!value) return E_POINTER;
    return variant_array(VT_UI4, iso_levels, ARRAY_SIZE(iso_levels), value);
}

static void disc_identifier(fsi_medium *m, uint64_t start, WCHAR text[17]);

static HRESULT WINAPI fsimage_CreateResultImage(IFileSystemImage3 *iface, IFileSystemImageResult **result)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    fsi_plan_opts o;
    fsi_plan *plan;
    fsi_err err;
    WCHAR defname[16], disc_id[17] = L"0000000000000000";
    fsi_status st;
    HRESULT hr;

    if (!result) return E_POINTER;
    *result = NULL;
    EnterCriticalSection(&img->cs);
    plan_opts(img, &o, defname);
    if (!o.fs) {
        LeaveCriticalSection(&img->cs);
        return fsi_error(IMAPI_E_NO_OUTPUT, &IID_IFileSystemImage, NULL, NULL);
    }
    st = fsi_plan_build(img->tree, &o, &plan, &err);
    /* A generated name becomes the image's name, as if the caller had set it. */
    if (st == FSI_OK && !img->volume_name) img->volume_name = SysAllocString(defname);
    /* DiscId: zeros for a new image, as on Windows; an appended session names the disc it
     * belongs to: CalculateDiscIdentifier of the medium it was imported from */
    if (st == FSI_OK && img->medium) disc_identifier(img->medium, img->ms && !img->ms->random ? (uint64_t)img->ms->prev_start : 0, disc_id);
    LeaveCriticalSection(&img->cs);
    if (st != FSI_OK) return fsi_error_from_engine(&err, &IID_IFileSystemImage);
    /* a random-write result is the whole volume, from block 0 */
    hr = fsiresult_create(plan, o.base ? 0 : o.session_start, disc_id, img->events,
                          (IDispatch *)&img->IFileSystemImage3_iface, result);
    fsi_plan_unref(plan);
    return hr;
}

static HRESULT WINAPI fsimage_Exists(IFileSystemImage3 *iface, BSTR path, FsiItemType *type)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    fsi_node *node;
    if (!type) return E_POINTER;
    if (!path) return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFileSystemImage, L"fullPath", NULL);
    EnterCriticalSection(&img->cs);
    if (fsi_dir_walk(fsi_image_root(img->tree), path, SysStringLen(path), &node) != FSI_OK)
        *type = FsiItemNotFound;
    else
        *type = fsi_node_is_dir(node) ? FsiItemDirectory : FsiItemFile;
    LeaveCriticalSection(&img->cs);
    return S_OK;
}

/* ---- import and multisession ------------------------------------------------------------------- */

/* The previous session's medium and where its volume descriptors are (lock held). */
static HRESULT session_medium(fsimage *img, fsi_medium **m, uint64_t *start)
{
    HRESULT hr;
    *m = NULL;
    *start = 0;
    if (!img->ms) return fsi_error(IMAPI_E_MULTISESSION_NOT_SET, &IID_IFileSystemImage, NULL, NULL);
    if (!img->ms->random && img->ms->first_session)
        return fsi_error(IMAPI_E_EMPTY_DISC, &IID_IFileSystemImage, NULL, NULL);
    if (FAILED(hr = fsi_msession_medium(img->ms, m))) return fsi_error(hr, &IID_IFileSystemImage, NULL, NULL);
    if (!img->ms->random) *start = (uint64_t)img->ms->prev_start;
    if (!fsi_medium_blocks(*m) || *start >= fsi_medium_blocks(*m)) {
        fsi_medium_unref(*m);
        *m = NULL;
        return fsi_error(IMAPI_E_EMPTY_DISC, &IID_IFileSystemImage, NULL, NULL);
    }
    return S_OK;
}

static int medium_read(void *ctx, uint64_t lba, uint32_t count, void *buf)
{
    return fsi_medium_read(ctx, lba, count, buf) ? -1 : 0;
}

/* The file systems of the session at start (IdentifyFileSystemsOnDisc at that session). */
static unsigned session_fs(fsi_medium *m, uint64_t start)
{
    return fsi_identify_session(medium_read, m, fsi_medium_blocks(m), start);
}

/* The disc identifier of the session at start of m: FNV-1a over its volume recognition area (16
 * blocks) and the medium's size, 16 hex digits. The same disc in the same state gives the same
 * string (not guaranteed unique, as documented). */
static void disc_identifier(fsi_medium *m, uint64_t start, WCHAR text[17])
{
    unsigned char b[2048];
    uint64_t h = UINT64_C(14695981039346656037);
    for (uint64_t k = 16; k < 32 && start + k < fsi_medium_blocks(m); k++) {
        if (fsi_medium_read(m, start + k, 1, b)) break;
        for (size_t i = 0; i < sizeof(b); i++) h = (h ^ b[i]) * UINT64_C(1099511628211);
    }
    h = (h ^ fsi_medium_blocks(m)) * UINT64_C(1099511628211);
    swprintf(text, 17, L"%016I64X", (unsigned long long)h);
}

static HRESULT WINAPI fsimage_CalculateDiscIdentifier(IFileSystemImage3 *iface, BSTR *id)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    uint64_t start;
    fsi_medium *m;
    WCHAR text[17];
    HRESULT hr;

    if (!id) return E_POINTER;
    *id = NULL;
    EnterCriticalSection(&img->cs);
    hr = session_medium(img, &m, &start);
    LeaveCriticalSection(&img->cs);
    if (FAILED(hr)) return hr;
    disc_identifier(m, start, text);
    fsi_medium_unref(m);
    *id = SysAllocString(text);
    return *id ? S_OK : E_OUTOFMEMORY;
}

static HRESULT WINAPI fsimage_IdentifyFileSystemsOnDisc(IFileSystemImage3 *iface, IDiscRecorder2 *recorder, FsiFileSystems *fs)
{
    fsi_disc *disc;
    HRESULT hr;
    if (!recorder || !fs) return E_POINTER;
    *fs = FsiFileSystemNone;
    if (FAILED(hr = fsi_disc_open(recorder, &disc))) return fsi_error(hr, &IID_IFileSystemImage, NULL, NULL);
    if (!fsi_disc_blocks(disc)) hr = fsi_error(IMAPI_E_EMPTY_DISC, &IID_IFileSystemImage, NULL, NULL);
    else *fs = (FsiFileSystems)fsi_identify(fsi_disc_read, disc, fsi_disc_blocks(disc));
    fsi_disc_close(disc);
    return hr;
}

static FsiFileSystems default_import(unsigned fs)
{
    if (fs & FsiFileSystemUDF) return FsiFileSystemUDF;
    if (fs & FsiFileSystemJoliet) return FsiFileSystemJoliet;
    if (fs & FsiFileSystemISO9660) return FsiFileSystemISO9660;
    return FsiFileSystemNone;
}

static HRESULT WINAPI fsimage_GetDefaultFileSystemForImport(IFileSystemImage3 *iface, FsiFileSystems fs, FsiFileSystems *def)
{
    if (!def) return E_POINTER;
    *def = default_import(fs);
    return S_OK;
}

typedef struct import_events { fsimage *img; FsiFileSystems fs; } import_events;

static void import_progress(void *ctx, const uint16_t *path, size_t len, int64_t dirs_done, int64_t dirs_total,
                            int64_t files_done, int64_t files_total)
{
    import_events *e = ctx;
    WCHAR item[1024];
    size_t n = len < ARRAY_SIZE(item) - 1 ? len : ARRAY_SIZE(item) - 1;
    memcpy(item, path, n * sizeof(WCHAR));
    item[n] = 0;
    fsi_events_fire_import(e->img->events, (IDispatch *)&e->img->IFileSystemImage3_iface, e->fs, item,
                           (LONG)dirs_done, (LONG)dirs_total, (LONG)files_done, (LONG)files_total);
}

/* In-memory items win over imported ones: drop from the imported directory idir what the image's
 * directory dir already has (a directory meeting a directory is merged item by item); an item of
 * the other kind is an IMAPI_E_IMPORT_TYPE_COLLISION_* error naming it. */
static HRESULT prune_imported(fsi_image *imp, fsi_node *idir, fsi_node *dir, FsiFileSystems fs)
{
    size_t n = fsi_dir_child_count(idir), ndrop = 0;
    fsi_node **drop = malloc((n ? n : 1) * sizeof(*drop));
    HRESULT hr = S_OK;
    if (!drop) return E_OUTOFMEMORY;
    for (size_t i = 0; i < n && SUCCEEDED(hr); i++) {
        fsi_node *c = fsi_dir_child(idir, i), *e;
        size_t nl;
        const uint16_t *name;
        if (!c) continue;
        name = fsi_node_name(c, &nl);
        if (!(e = fsi_dir_lookup(dir, name, nl))) continue;
        if (fsi_node_is_dir(c) && fsi_node_is_dir(e)) hr = prune_imported(imp, c, e, fs);
        else if (!fsi_node_is_dir(c) && !fsi_node_is_dir(e)) drop[ndrop++] = c;
        else {
            WCHAR path[FSI_ERR_PATH_MAX + 1];
            size_t pl = fsi_node_path(e, path, FSI_ERR_PATH_MAX);
            path[pl < FSI_ERR_PATH_MAX ? pl : FSI_ERR_PATH_MAX] = 0;
            hr = fsi_error3(fsi_node_is_dir(e) ? IMAPI_E_IMPORT_TYPE_COLLISION_FILE_EXISTS_AS_DIRECTORY
                                               : IMAPI_E_IMPORT_TYPE_COLLISION_DIRECTORY_EXISTS_AS_FILE,
                            &IID_IFileSystemImage, path, fsi_fs_name(fs), NULL);
        }
    }
    for (size_t i = 0; SUCCEEDED(hr) && i < ndrop; i++) fsi_node_detach(imp, drop[i]);
    free(drop);
    return hr;
}

/* ImportFileSystem (want = FsiFileSystemNone: the default) and ImportSpecificFileSystem. */
static HRESULT import_fs(fsimage *img, FsiFileSystems want, FsiFileSystems *done)
{
    fsi_medium *m;
    uint64_t start;
    unsigned disc;
    fsi_image *imp = NULL;
    fsi_import_info info;
    fsi_err err;
    fsi_status st;
    import_events ev;
    HRESULT hr;

    *done = FsiFileSystemNone;
    if (want && want != FsiFileSystemISO9660 && want != FsiFileSystemJoliet && want != FsiFileSystemUDF)
        return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFileSystemImage, L"fileSystemToUse", NULL);
    EnterCriticalSection(&img->cs);
    if (img->boot) hr = fsi_error(IMAPI_E_BOOT_OBJECT_CONFLICT, &IID_IFileSystemImage, NULL, NULL);
    else hr = session_medium(img, &m, &start);
    LeaveCriticalSection(&img->cs);
    if (FAILED(hr)) return hr;
    disc = session_fs(m, start);
    if (!disc) hr = fsi_error(IMAPI_E_EMPTY_DISC, &IID_IFileSystemImage, NULL, NULL);
    else if (!(disc & FS_SUPPORTED)) hr = fsi_error(IMAPI_E_NO_SUPPORTED_FILE_SYSTEM, &IID_IFileSystemImage, NULL, NULL);
    else if (want && !(disc & want))
        hr = fsi_error(IMAPI_E_FILE_SYSTEM_NOT_FOUND, &IID_IFileSystemImage, fsi_fs_name(want), NULL);
    if (FAILED(hr)) {
        fsi_medium_unref(m);
        return hr;
    }
    if (!want) want = default_import(disc);
    /* metadata only; UpdateImport events fire without the lock */
    ev.img = img;
    ev.fs = want;
    st = fsi_import(m, start, want, &imp, &info, fsi_events_have_sinks(img->events, 1) ? import_progress : NULL, &ev,
                    &err);
    if (st != FSI_OK) {
        fsi_medium_unref(m);
        return fsi_error_from_engine(&err, &IID_IFileSystemImage);
    }
    EnterCriticalSection(&img->cs);
    hr = prune_imported(imp, fsi_image_root(imp), fsi_image_root(img->tree), want);
    if (SUCCEEDED(hr)) {
        st = fsi_image_merge(img->tree, fsi_image_root(img->tree), imp);
        if (st != FSI_OK) hr = E_OUTOFMEMORY;   /* only allocation failures remain */
    }
    if (SUCCEEDED(hr)) {
        BSTR name = SysAllocStringLen(info.volume_name, (UINT)info.volume_name_len);
        fsi_medium_unref(img->medium);
        img->medium = m;
        m = NULL;
        img->imported = want;
        img->disc_fs = (FsiFileSystems)(disc & FS_SUPPORTED);
        SysFreeString(img->imported_name);
        img->imported_name = name;
        /* the new session carries the same file systems, and UDF the same revision */
        img->fs = img->disc_fs;
        if (disc & FsiFileSystemUDF) {
            LONG rev = want == FsiFileSystemUDF && info.udf_revision ? info.udf_revision
                     : fsi_identify_udf_revision(medium_read, img->medium, fsi_medium_blocks(img->medium), start);
            for (size_t i = 0; i < ARRAY_SIZE(udf_revisions); i++)
                if (udf_revisions[i] == rev) img->udf_revision = rev;
        }
        if (img->ms->random) {
            /* the new session follows the old volume, on a write unit (and 32-block) boundary;
             * the old recognition sequence at 16 is rewritten */
            uint64_t end;
            img->old_end = info.volume_blocks > UINT32_MAX ? UINT32_MAX : (uint32_t)info.volume_blocks;
            img->base_vrs_end = (uint32_t)fsi_recognition_end(medium_read, img->medium, fsi_medium_blocks(img->medium), 0);
            end = fsi_overwrite_session_start(info.volume_blocks, (uint64_t)img->ms->last_written + 1,
                                              img->ms->write_unit > 0 ? (uint32_t)img->ms->write_unit : 0,
                                              img->base_vrs_end);
            img->session_start = (LONG)end;
            img->free_media_blocks = img->ms->total_sectors > (LONG)end ? img->ms->total_sectors - (LONG)end : 0;
        }
        img->change_point++;
        img->epoch++;                   /* imported items may have replaced items in memory */
        img->bound_ok = 0;
        *done = want;
    }
    LeaveCriticalSection(&img->cs);
    fsi_medium_unref(m);
    fsi_image_free(imp);
    return hr;
}

static HRESULT WINAPI fsimage_ImportFileSystem(IFileSystemImage3 *iface, FsiFileSystems *imported)
{
    if (!imported) return E_POINTER;
    return import_fs(impl_from_IFileSystemImage3(iface), FsiFileSystemNone, imported);
}

static HRESULT WINAPI fsimage_ImportSpecificFileSystem(IFileSystemImage3 *iface, FsiFileSystems fs)
{
    FsiFileSystems done;
    if (!fs) return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFileSystemImage, L"fileSystemToUse", NULL);
    return import_fs(impl_from_IFileSystemImage3(iface), fs, &done);
}

static HRESULT WINAPI fsimage_RollbackToChangePoint(IFileSystemImage3 *iface, LONG cp)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    change_point *p = NULL;
    fsi_image *tree = NULL;
    BSTR name = NULL;
    HRESULT hr = S_OK;

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

static HRESULT WINAPI fsimage_LockInChangePoint(IFileSystemImage3 *iface)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    size_t keep = 0;
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

static HRESULT WINAPI fsimage_CreateDirectoryItem(IFileSystemImage3 *iface, BSTR name, IFsiDirectoryItem **item)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    fsi_node *node;
    fsi_status st;
    HRESULT hr;
    if (!item) return E_POINTER;
    *item = NULL;
    if (FAILED(hr = fsimage_check_name(img, name, SysStringLen(name), name))) return hr;
    st = fsi_node_new_dir(name, SysStringLen(name), &node);
    if (st != FSI_OK) return fsi_error(fsi_hresult_from_status(st), &IID_IFileSystemImage, name ? name : L"", NULL);
    hr = fsiitem_create(img, node, &IID_IFsiDirectoryItem, (void **)item);
    fsi_node_unref(node);
    return hr;
}

static HRESULT WINAPI fsimage_CreateFileItem(IFileSystemImage3 *iface, BSTR name, IFsiFileItem **item)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    fsi_node *node;
    fsi_status st;
    HRESULT hr;
    if (!item) return E_POINTER;
    *item = NULL;
    if (FAILED(hr = fsimage_check_name(img, name, SysStringLen(name), name))) return hr;
    st = fsi_node_new_file(name, SysStringLen(name), 0, NULL, &node);
    if (st != FSI_OK) return fsi_error(fsi_hresult_from_status(st), &IID_IFileSystemImage, name ? name : L"", NULL);
    hr = fsiitem_create(img, node, &IID_IFsiFileItem, (void **)item);
    fsi_node_unref(node);
    return hr;
}

/* The volume name as one file system writes it (the engine's mapping). */
static HRESULT volume_name_for(fsimage *img, unsigned fs, BSTR *value)
{
    WCHAR buf[64];
    size_t n;
    if (!value) return E_POINTER;
    EnterCriticalSection(&img->cs);
    n = img->volume_name ? fsi_volume_name(fs, img->volume_name, SysStringLen(img->volume_name), buf, ARRAY_SIZE(buf)) : 0;
    LeaveCriticalSection(&img->cs);
    *value = SysAllocStringLen(buf, (UINT)(n < ARRAY_SIZE(buf) ? n : ARRAY_SIZE(buf)));
    return *value ? S_OK : E_OUTOFMEMORY;
}

static HRESULT WINAPI fsimage_get_VolumeNameUDF(IFileSystemImage3 *iface, BSTR *value)
{
    return volume_name_for(impl_from_IFileSystemImage3(iface), FSI_FS_UDF, value);
}

static HRESULT WINAPI fsimage_get_VolumeNameJoliet(IFileSystemImage3 *iface, BSTR *value)
{
    return volume_name_for(impl_from_IFileSystemImage3(iface), FSI_FS_JOLIET, value);
}

static HRESULT WINAPI fsimage_get_VolumeNameISO9660(IFileSystemImage3 *iface, BSTR *value)
{
    return volume_name_for(impl_from_IFileSystemImage3(iface), FSI_FS_ISO9660, value);
}

static HRESULT WINAPI fsimage_get_StageFiles(IFileSystemImage3 *iface, VARIANT_BOOL *value)
{
    if (!value) return E_POINTER;
    *value = impl_from_IFileSystemImage3(iface)->stage;
    return S_OK;
}

static HRESULT WINAPI fsimage_put_StageFiles(IFileSystemImage3 *iface, VARIANT_BOOL value)
{
    impl_from_IFileSystemImage3(iface)->stage = value ? VARIANT_TRUE : VARIANT_FALSE;
    return S_OK;
}

static HRESULT WINAPI fsimage_get_MultisessionInterfaces(IFileSystemImage3 *iface, SAFEARRAY **value)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    HRESULT hr;
    if (!value) return E_POINTER;
    *value = NULL;
    EnterCriticalSection(&img->cs);
    hr = fsi_msession_array(img->ms, value);            /* empty until set, as on Windows */
    LeaveCriticalSection(&img->cs);
    return hr;
}

/* Choose among the caller's IMultisession objects (multisession.c). Sequential media: the new
 * session starts at the next writable address and FreeMediaBlocks is what is left; random-write
 * media: both are set when the previous session is imported (it decides where the new one goes). */
static HRESULT WINAPI fsimage_put_MultisessionInterfaces(IFileSystemImage3 *iface, SAFEARRAY *value)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    fsi_msession *ms;
    HRESULT hr;
    if (!value) return E_POINTER;
    if (FAILED(hr = fsi_msession_create(value, &ms))) return fsi_error(hr, &IID_IFileSystemImage, NULL, NULL);
    EnterCriticalSection(&img->cs);
    if (img->imported) {
        LeaveCriticalSection(&img->cs);
        fsi_msession_free(ms);
        return fsi_error(IMAPI_E_INCOMPATIBLE_PREVIOUS_SESSION, &IID_IFileSystemImage, NULL, NULL);
    }
    fsi_msession_free(img->ms);
    img->ms = ms;
    if (!ms->random) {
        img->session_start = ms->nwa;
        img->free_media_blocks = ms->free_sectors;
    }
    img->change_point++;
    LeaveCriticalSection(&img->cs);
    return S_OK;
}

static HRESULT WINAPI fsimage_get_BootImageOptionsArray(IFileSystemImage3 *iface, SAFEARRAY **value)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    SAFEARRAY *sa;
    VARIANT *v;
    size_t n;
    if (!value) return E_POINTER;
    *value = NULL;
    EnterCriticalSection(&img->cs);
    n = img->boot ? img->boot->n : 0;
    /* VARIANTs of VT_DISPATCH, in catalog order; empty when not bootable. */
    if (!(sa = SafeArrayCreateVector(VT_VARIANT, 0, (ULONG)n))) {
        LeaveCriticalSection(&img->cs);
        return E_OUTOFMEMORY;
    }
    SafeArrayAccessData(sa, (void **)&v);
    for (size_t i = 0; i < n; i++) {
        V_VT(&v[i]) = VT_DISPATCH;
        V_DISPATCH(&v[i]) = (IDispatch *)img->boot->obj[i];
        IDispatch_AddRef(V_DISPATCH(&v[i]));
    }
    SafeArrayUnaccessData(sa);
    LeaveCriticalSection(&img->cs);
    *value = sa;
    return S_OK;
}

/* The IBootOptions in one array element: VT_DISPATCH or VT_UNKNOWN, also by reference or inside a
 * VT_VARIANT | VT_BYREF (script arrays). NULL if it holds none. */
static IBootOptions *element_boot(const VARIANT *v)
{
    IUnknown *unk = NULL;
    IBootOptions *bo = NULL;
    for (int depth = 0; depth < 4 && v && V_VT(v) == (VT_VARIANT | VT_BYREF); depth++) v = V_VARIANTREF(v);
    if (!v) return NULL;
    switch (V_VT(v)) {
    case VT_DISPATCH: unk = (IUnknown *)V_DISPATCH(v); break;
    case VT_UNKNOWN: unk = V_UNKNOWN(v); break;
    case VT_DISPATCH | VT_BYREF: unk = V_DISPATCHREF(v) ? (IUnknown *)*V_DISPATCHREF(v) : NULL; break;
    case VT_UNKNOWN | VT_BYREF: unk = V_UNKNOWNREF(v) ? *V_UNKNOWNREF(v) : NULL; break;
    default: return NULL;
    }
    if (!unk || FAILED(IUnknown_QueryInterface(unk, &IID_IBootOptions, (void **)&bo))) return NULL;
    return bo;
}

static HRESULT WINAPI fsimage_put_BootImageOptionsArray(IFileSystemImage3 *iface, SAFEARRAY *value)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    fsi_boot_set *set;
    VARTYPE vt = VT_EMPTY;
    LONG lb = 0, ub = -1;
    HRESULT hr = S_OK;

    if (!value) return E_POINTER;
    if (imported_session(img)) return fsi_error(IMAPI_E_BOOT_OBJECT_CONFLICT, &IID_IFileSystemImage, NULL, NULL);
    /* One dimension of VARIANTs (or of interface pointers, from C clients), up to 32 entries. */
    if (SafeArrayGetDim(value) != 1 || FAILED(SafeArrayGetVartype(value, &vt)) ||
        (vt != VT_VARIANT && vt != VT_DISPATCH && vt != VT_UNKNOWN) ||
        FAILED(SafeArrayGetLBound(value, 1, &lb)) || FAILED(SafeArrayGetUBound(value, 1, &ub)) ||
        (LONGLONG)ub - lb + 1 > IMAPI2FS_BOOT_ENTRY_COUNT_MAX)
        return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFileSystemImage, L"newVal", NULL);
    if (!(set = calloc(1, sizeof(*set)))) return E_OUTOFMEMORY;
    /* References are kept (the getter gives the same objects); their settings and images are
     * read now, in array order, without the image lock. */
    for (LONG i = lb; i <= ub && SUCCEEDED(hr); i++) {
        IBootOptions *bo = NULL;
        if (vt == VT_VARIANT) {
            VARIANT v;
            VariantInit(&v);
            if (SUCCEEDED(SafeArrayGetElement(value, &i, &v))) bo = element_boot(&v);
            VariantClear(&v);
        } else {
            IUnknown *unk = NULL;
            if (SUCCEEDED(SafeArrayGetElement(value, &i, &unk)) && unk) {
                if (FAILED(IUnknown_QueryInterface(unk, &IID_IBootOptions, (void **)&bo))) bo = NULL;
                IUnknown_Release(unk);
            }
        }
        if (!bo) hr = IMAPI_E_INVALID_PARAM;
        else {
            hr = fsi_boot_set_add(set, bo, 0);
            IBootOptions_Release(bo);
        }
    }
    if (FAILED(hr)) {
        fsi_boot_set_free(set);
        return boot_error(hr);
    }
    set_boot(img, set);                     /* an empty array: not bootable */
    return S_OK;
}

static HRESULT WINAPI fsimage_get_CreateRedundantUdfMetadataFiles(IFileSystemImage3 *iface, VARIANT_BOOL *value)
{
    if (!value) return E_POINTER;
    *value = impl_from_IFileSystemImage3(iface)->redundant_udf;
    return S_OK;
}

static HRESULT WINAPI fsimage_put_CreateRedundantUdfMetadataFiles(IFileSystemImage3 *iface, VARIANT_BOOL value)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    img->redundant_udf = value ? VARIANT_TRUE : VARIANT_FALSE;
    /* Meaningful only for UDF 2.50 and later. */
    if (!(img->fs & FsiFileSystemUDF) || img->udf_revision < 0x250) return IMAPI_S_IMAGE_FEATURE_NOT_SUPPORTED;
    return S_OK;
}

/* Whether the previous session holds fs in a form that can be imported and appended to. */
static HRESULT WINAPI fsimage_ProbeSpecificFileSystem(IFileSystemImage3 *iface, FsiFileSystems fs, VARIANT_BOOL *appendable)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    fsi_medium *m;
    uint64_t start;
    fsi_image *imp = NULL;
    HRESULT hr;
    fsi_err err;

    if (!appendable) return E_POINTER;
    *appendable = VARIANT_FALSE;
    if (fs != FsiFileSystemISO9660 && fs != FsiFileSystemJoliet && fs != FsiFileSystemUDF)
        return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFileSystemImage, L"fileSystemToProbe", NULL);
    EnterCriticalSection(&img->cs);
    hr = session_medium(img, &m, &start);
    LeaveCriticalSection(&img->cs);
    if (FAILED(hr)) return hr;
    if ((session_fs(m, start) & fs) && fsi_import(m, start, fs, &imp, NULL, NULL, NULL, &err) == FSI_OK)
        *appendable = VARIANT_TRUE;
    fsi_image_free(imp);
    fsi_medium_unref(m);
    return S_OK;
}

static const IFileSystemImage3Vtbl fsimage_vtbl = {
    fsimage_QueryInterface,
    fsimage_AddRef,
    fsimage_Release,
    fsimage_GetTypeInfoCount,
    fsimage_GetTypeInfo,
    fsimage_GetIDsOfNames,
    fsimage_Invoke,
    fsimage_get_Root,
    fsimage_get_SessionStartBlock,
    fsimage_put_SessionStartBlock,
    fsimage_get_FreeMediaBlocks,
    fsimage_put_FreeMediaBlocks,
    fsimage_SetMaxMediaBlocksFromDevice,
    fsimage_get_UsedBlocks,
    fsimage_get_VolumeName,
    fsimage_put_VolumeName,
    fsimage_get_ImportedVolumeName,
    fsimage_get_BootImageOptions,
    fsimage_put_BootImageOptions,
    fsimage_get_FileCount,
    fsimage_get_DirectoryCount,
    fsimage_get_WorkingDirectory,
    fsimage_put_WorkingDirectory,
    fsimage_get_ChangePoint,
    fsimage_get_StrictFileSystemCompliance,
    fsimage_put_StrictFileSystemCompliance,
    fsimage_get_UseRestrictedCharacterSet,
    fsimage_put_UseRestrictedCharacterSet,
    fsimage_get_FileSystemsToCreate,
    fsimage_put_FileSystemsToCreate,
    fsimage_get_FileSystemsSupported,
    fsimage_put_UDFRevision,
    fsimage_get_UDFRevision,
    fsimage_get_UDFRevisionsSupported,
    fsimage_ChooseImageDefaults,
    fsimage_ChooseImageDefaultsForMediaType,
    fsimage_put_ISO9660InterchangeLevel,
    fsimage_get_ISO9660InterchangeLevel,
    fsimage_get_ISO9660InterchangeLevelsSupported,
    fsimage_CreateResultImage,
    fsimage_Exists,
    fsimage_CalculateDiscIdentifier,
    fsimage_IdentifyFileSystemsOnDisc,
    fsimage_GetDefaultFileSystemForImport,
    fsimage_ImportFileSystem,
    fsimage_ImportSpecificFileSystem,
    fsimage_RollbackToChangePoint,
    fsimage_LockInChangePoint,
    fsimage_CreateDirectoryItem,
    fsimage_CreateFileItem,
    fsimage_get_VolumeNameUDF,
    fsimage_get_VolumeNameJoliet,
    fsimage_get_VolumeNameISO9660,
    fsimage_get_StageFiles,
    fsimage_put_StageFiles,
    fsimage_get_MultisessionInterfaces,
    fsimage_put_MultisessionInterfaces,
    fsimage_get_BootImageOptionsArray,
    fsimage_put_BootImageOptionsArray,
    fsimage_get_CreateRedundantUdfMetadataFiles,
    fsimage_put_CreateRedundantUdfMetadataFiles,
    fsimage_ProbeSpecificFileSystem,
};

HRESULT fsimage_create(IUnknown *outer, REFIID riid, void **ppv)
{
    fsimage *img = calloc(1, sizeof(*img));
    WCHAR temp[MAX_PATH + 1];
    HRESULT hr;

    if (!img) return E_OUTOFMEMORY;
    if (!(img->tree = fsi_image_new()) ||
        FAILED(fsi_events_create((IUnknown *)&img->IFileSystemImage3_iface, &img->events))) {
        fsi_image_free(img->tree);
        free(img);
        return E_OUTOFMEMORY;
    }
    {
        /* the root folder is dated when the image object is made (docs/behaviour.md) */
        fsi_times t;
        t.creation = t.access = t.modification = img->made = now_time();
        fsi_node_set_times(fsi_image_root(img->tree), &t);
    }
    img->IFileSystemImage3_iface.lpVtbl = &fsimage_vtbl;
    fsi_error_support_init(&img->sei, (IUnknown *)&img->IFileSystemImage3_iface, fsimage_error_iids);
    img->refs = 1;
    InitializeCriticalSection(&img->cs);
    img->free_media_blocks = DEFAULT_FREE_MEDIA_BLOCKS;
    /* Windows 11's defaults (docs/behaviour.md) */
    img->fs = FsiFileSystemISO9660 | FsiFileSystemJoliet | FsiFileSystemUDF;
    img->udf_revision = 0x102;
    img->iso_level = 1;
    img->strict = VARIANT_FALSE;
    img->restricted = VARIANT_FALSE;
    img->stage = VARIANT_FALSE;
    img->redundant_udf = VARIANT_TRUE;
    if (!GetTempPathW(ARRAY_SIZE(temp), temp)) lstrcpyW(temp, L"C:\\");
    img->working_dir = SysAllocString(temp);
    fsi_lock_module();
    hr = IFileSystemImage3_QueryInterface(&img->IFileSystemImage3_iface, riid, ppv);
    IFileSystemImage3_Release(&img->IFileSystemImage3_iface);
    return hr;
}
