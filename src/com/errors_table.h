/*
 * errors_table.h - the imapi2fs HRESULTs' names and message texts, now in the policy module.
 *
 * The table, fsi_error_lookup and fsi_hresult_from_status moved to src/policy/messages.c
 * (include/fsi/policy.h), shared with both command lines; the DLL links the policy library. This
 * header stays for the DLL's sources that include it.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef IMAPI2FS_ERRORS_TABLE_H
#define IMAPI2FS_ERRORS_TABLE_H

#include "fsi/policy.h"

#endif /* IMAPI2FS_ERRORS_TABLE_H */
