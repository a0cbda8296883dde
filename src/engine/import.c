/*
 * Import of an existing volume's tree (fsi_import, engine.h): the context, and the reader of the
 * file system asked for (import_iso.c for ISO 9660 and Joliet, import_udf.c for UDF), which build
 * the tree through import_ctx.c.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fsi_internal.h"

fsi_status fsi_import(fsi_medium *m, uint64_t session_start, unsigned fs, fsi_image **out, fsi_import_info *info,
                      fsi_import_fn progress, void *ctx, fsi_err *err)
{
    fsi_import_info dummy;
    fsi_err_clear(err);
    if (!out || !m || (fs != FSI_FS_ISO9660 && fs != FSI_FS_JOLIET && fs != FSI_FS_UDF))
        return FSI_E_INVALID_PARAM;
    *out = NULL;
    if (!info)
        info = &dummy;
    memset(info, 0, sizeof *info);
    info->fs = fs;
    fsi_import_ctx ic = { 0 };
    ic.m = m;
    ic.blocks = fsi_medium_blocks(m);
    ic.session_start = session_start;
    ic.fs = fs;
    ic.info = info;
    ic.progress = progress;
    ic.pctx = ctx;
    ic.err = err;
    ic.dirs_total = ic.files_total = -1;
    if (!(ic.img = fsi_image_new()))
        return FSI_E_NOMEM;
    fsi_status st = fs == FSI_FS_UDF ? fsi_import_udf(&ic) : fsi_import_iso(&ic);
    fsi_pool_free(&ic.path);
    if (st) {
        if (err && err->code == FSI_OK)
            fsi_err_set(err, st, fs, NULL);
        fsi_image_free(ic.img);
        return st;
    }
    *out = ic.img;
    return FSI_OK;
}
