/*
 * The DLL's rules around the engine, for every front end (include/fsi/policy.h): the creation time
 * and default volume name, the checks of an addition (strict limits, FreeMediaBlocks), BootOptions'
 * rules, the progress items. The DLL (src/com: fsimage.c, settings.c, sizelimit.c, import.c,
 * bootoptions.c, progress.c) and native fsimage both call them, and must give the same bytes and
 * messages (tests/com/native.test.sh, tests/golden).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fsi/policy.h"

#include <stdlib.h>
#include "imapi2fserror.h"      /* <winerror.h>: compat/winerror.h outside Windows */

/* ---- volume name and time --------------------------------------------------------------------- */

fsi_time fsi_policy_creation_time(fsi_time now)
{
    const char *s = getenv("SOURCE_DATE_EPOCH");
    char *end;
    long long v;
    if (!s || !*s)
        return now;
    v = strtoll(s, &end, 10);
    return (*end || v < 0) ? now : fsi_time_from_unix(v, 0);
}

size_t fsi_policy_default_volume_name(fsi_time t, uint16_t out[16])
{
    /* days since 1970-01-01 to the civil date (proleptic Gregorian), as FileTimeToSystemTime */
    int64_t secs = (t < 0 ? 0 : t) / 10000000 - (FSI_TIME_UNIX_EPOCH / 10000000);
    int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400, sod = secs - days * 86400;
    int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097, yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    int64_t day = doy - (153 * mp + 2) / 5 + 1, month = mp < 10 ? mp + 3 : mp - 9;
    int64_t year = yoe + era * 400 + (month <= 2);
    const int64_t f[6] = { year, month, day, sod / 3600, sod / 60 % 60, sod % 60 };
    const int width[6] = { 4, 2, 2, 2, 2, 2 };
    size_t n = 0;

    for (int i = 0; i < 6; i++) {
        int64_t v = f[i];
        if (i == 3)
            out[n++] = '_';
        for (int k = width[i]; k-- > 0; v /= 10)
            out[n + (size_t)k] = (uint16_t)('0' + v % 10);
        n += (size_t)width[i];
    }
    out[n] = 0;
    return n;
}

int fsi_policy_volume_name_ok(const uint16_t *name, size_t len)
{
    if (len > 32)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (name[i] < 0x20)
            return 0;
    return 1;
}

/* ---- checks when items are added -------------------------------------------------------------- */

/* Directories of the subtree of n (n included) and its depth in directory levels (n: level). */
static void subtree_dirs(const fsi_node *n, unsigned level, uint64_t *dirs, unsigned *deepest)
{
    if (!fsi_node_is_dir(n))
        return;
    (*dirs)++;
    if (level > *deepest)
        *deepest = level;
    for (size_t i = 0, k = fsi_dir_child_count(n); i < k; i++) {
        const fsi_node *c = fsi_dir_child(n, i);
        if (c)
            subtree_dirs(c, level + 1, dirs, deepest);
    }
}

int32_t fsi_policy_check_strict(const fsi_image *img, unsigned fs, int strict, const fsi_node *parent,
                                const fsi_node *add, int whole, const uint16_t **insert)
{
    uint64_t dirs = 0;
    unsigned depth = 0, level = 1;

    *insert = NULL;
    if (!strict || !(fs & (FSI_FS_ISO9660 | FSI_FS_JOLIET)))
        return 0;
    if (whole)
        subtree_dirs(add, 1, &dirs, &depth);
    else
        for (size_t i = 0, k = fsi_dir_child_count(add); i < k; i++)
            if (fsi_dir_child(add, i))
                subtree_dirs(fsi_dir_child(add, i), 1, &dirs, &depth);
    for (const fsi_node *n = parent; n && fsi_node_parent(n); n = fsi_node_parent(n))
        level++;
    if (dirs && level + depth > 8)
        return IMAPI_E_ISO9660_LEVELS;
    if (fsi_image_dir_count(img) + 1 + dirs > 65535) {
        *insert = fsi_policy_fs_name((fs & FSI_FS_ISO9660) ? FSI_FS_ISO9660 : FSI_FS_JOLIET);
        return IMAPI_E_TOO_MANY_DIRS;
    }
    return 0;
}

fsi_status fsi_policy_size_plan(const fsi_image *tree, const fsi_plan_opts *o, fsi_plan **plan, fsi_err *err)
{
    fsi_status st = fsi_plan_build(tree, o, plan, err);
    if (st == FSI_E_DATA_TOO_BIG) {
        fsi_plan_opts o3 = *o;
        o3.iso_level = 3;
        st = fsi_plan_build(tree, &o3, plan, err);
    }
    return st;
}

int32_t fsi_policy_check_limit(const fsi_image *tree, const fsi_plan_opts *o, uint64_t limit,
                               const fsi_node *parent, const fsi_node *add, int whole, fsi_err *err)
{
    fsi_size_bound bound;
    fsi_image *copy = NULL;
    fsi_plan *plan;
    uint64_t units = 0, blocks;
    fsi_status st;

    err->code = FSI_OK;
    if (!o->fs)                                     /* no output, no size */
        return 0;
    if (whole)
        units = fsi_add_bound(o, add);
    else
        for (size_t i = 0, k = fsi_dir_child_count(add); i < k; i++)
            if (fsi_dir_child(add, i))
                units += fsi_add_bound(o, fsi_dir_child(add, i));
    /* (the DLL copies the tree on a fresh start whatever the bound says) */
    if ((st = fsi_image_clone_with(tree, parent, add, whole, &copy)) != FSI_OK)
        return fsi_hresult_from_status(st);
    if ((st = fsi_policy_size_plan(tree, o, &plan, err)) != FSI_OK)
        goto failed;
    fsi_size_bound_start(&bound, plan);
    fsi_plan_unref(plan);
    if (fsi_size_bound_blocks(&bound, units) <= limit) {
        fsi_image_free(copy);
        return 0;
    }
    /* the bound cannot tell: the size the image would have, exactly */
    if ((st = fsi_policy_size_plan(copy, o, &plan, err)) != FSI_OK)
        goto failed;
    fsi_image_free(copy);
    blocks = fsi_plan_total_blocks(plan);
    fsi_plan_unref(plan);
    return blocks > limit ? IMAPI_E_IMAGE_SIZE_LIMIT : 0;
failed:
    fsi_image_free(copy);
    return fsi_hresult_from_status(st);
}

const int fsi_policy_udf_revisions[] = { 0x102, 0x150, 0x200, 0x201, 0x250, 0x260 };
const size_t fsi_policy_udf_revision_count = sizeof fsi_policy_udf_revisions / sizeof fsi_policy_udf_revisions[0];

unsigned fsi_policy_import_fs(unsigned disc_fs)
{
    if (disc_fs & FSI_FS_UDF)
        return FSI_FS_UDF;
    if (disc_fs & FSI_FS_JOLIET)
        return FSI_FS_JOLIET;
    return disc_fs & FSI_FS_ISO9660;                /* 0 when the session holds none of them */
}

/* ---- El Torito entries ------------------------------------------------------------------------ */

uint32_t fsi_policy_floppy_size(unsigned emulation)
{
    switch (emulation) {
    case FSI_EMUL_FLOPPY12: return 1228800;
    case FSI_EMUL_FLOPPY144: return 1474560;
    case FSI_EMUL_FLOPPY288: return 2949120;
    default: return 0;
    }
}

unsigned fsi_policy_emulation_for_size(uint64_t size, unsigned emulation)
{
    for (unsigned e = FSI_EMUL_FLOPPY12; e <= FSI_EMUL_FLOPPY288; e++)
        if (size == fsi_policy_floppy_size(e))
            return e;
    return emulation;
}

int fsi_policy_platform_ok(unsigned platform)
{
    return platform == FSI_BOOT_X86 || platform == FSI_BOOT_POWERPC || platform == FSI_BOOT_MAC ||
           platform == FSI_BOOT_EFI;
}

int32_t fsi_policy_boot_entry(fsi_boot_entry *e, unsigned platform, unsigned emulation, uint64_t size,
                              const void *data, size_t len)
{
    if (!fsi_policy_platform_ok(platform) || emulation > FSI_EMUL_HARD_DISK)
        return IMAPI_E_INVALID_PARAM;
    if (!size)
        return IMAPI_E_BOOT_IMAGE_DATA;
    if (fsi_policy_floppy_size(emulation) && fsi_policy_floppy_size(emulation) != size)
        return IMAPI_E_BOOT_EMULATION_IMAGE_SIZE_MISMATCH;
    e->platform = platform;
    e->emulation = emulation;
    e->load_segment = 0;                            /* the default, 0x7C0 */
    e->sector_count = -1;                           /* the engine's rule (fsi_boot_sector_count) */
    e->system_type = emulation == FSI_EMUL_HARD_DISK ? fsi_boot_system_type(data, len) : 0;
    e->size = size;
    e->src = NULL;
    e->id = NULL;
    return 0;
}

/* ---- progress items --------------------------------------------------------------------------- */

const uint16_t fsi_policy_metadata_desc[] = u"File system metadata";

int fsi_policy_progress_items(const fsi_plan *plan, uint32_t session_start, fsi_policy_item_fn *fn, void *ctx)
{
    uint64_t next = session_start, end = (uint64_t)session_start + fsi_plan_total_blocks(plan);
    const size_t mlen = FSI_POLICY_METADATA_DESC_LEN;
    int r = 0;

    for (size_t i = 0, n = fsi_plan_extent_count(plan); !r && i < n; i++) {
        const fsi_extent_info *x = fsi_plan_extent(plan, i);
        if (!x->block_count || x->first_block < next)
            continue;                               /* empty (or not in order) */
        if (x->first_block > next)
            r = fn(ctx, (uint32_t)next, (uint32_t)(x->first_block - next), fsi_policy_metadata_desc, mlen);
        if (!r)
            r = fn(ctx, x->first_block, x->block_count, x->path, x->path_len);
        next = (uint64_t)x->first_block + x->block_count;
    }
    if (!r && next < end)
        r = fn(ctx, (uint32_t)next, (uint32_t)(end - next), fsi_policy_metadata_desc, mlen);
    return r;
}
