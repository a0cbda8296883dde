/*
 * ISO 9660 and Joliet import (ECMA-119 8, 9): being written.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fsi_internal.h"

fsi_status fsi_import_iso(fsi_import_ctx *ic)
{
    fsi_err_set(ic->err, FSI_E_FS_NOT_FOUND, ic->fs, NULL);
    return FSI_E_FS_NOT_FOUND;
}
