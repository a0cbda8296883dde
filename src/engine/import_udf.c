/*
 * UDF import (ECMA-167 3/10, 4/14; OSTA UDF 2.2, 2.3): being written.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fsi_internal.h"

fsi_status fsi_import_udf(fsi_import_ctx *ic)
{
    fsi_err_set(ic->err, FSI_E_FS_NOT_FOUND, FSI_FS_UDF, NULL);
    return FSI_E_FS_NOT_FOUND;
}
