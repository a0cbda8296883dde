/*
 * errors_table.h - symbolic names and message texts of the imapi2fs HRESULTs.
 *
 * Part of imapi2fs, an open re-implementation of Microsoft's imapi2fs.dll.
 *
 * The COM layer uses this to fill IErrorInfo descriptions (after FormatMessage-style
 * insertion of the %1!ls! ... arguments) without depending on the message table resource.
 */
#ifndef IMAPI2FS_ERRORS_TABLE_H
#define IMAPI2FS_ERRORS_TABLE_H

#include <stddef.h>
#include <windows.h>
#include "fsi/engine.h"

#ifdef __cplusplus
extern "C" {
#endif

struct fsi_error_text {
    HRESULT hr;          /* the code, e.g. IMAPI_E_INVALID_PARAM (0xC0AAB101) */
    const WCHAR *name;   /* its symbolic name, e.g. L"IMAPI_E_INVALID_PARAM" */
    const WCHAR *text;   /* message text exactly as in the DLL's message table, without the
                            trailing CR/LF; may contain FormatMessage inserts (%1!ls! ...) */
};

/* All codes of imapi2fserror.h that the current imapi2fs.dll knows, plus the two imapi2.dll
   recorder codes imapi2fs forwards (E_IMAPI_RECORDER_MEDIA_NO_MEDIA/_INCOMPATIBLE); sorted by
   (ULONG)hr. */
extern const struct fsi_error_text fsi_error_table[];
extern const size_t fsi_error_table_count;

/* Returns the entry of hr, or NULL when hr is not an imapi2fs code. */
const struct fsi_error_text *fsi_error_lookup(HRESULT hr);

/* The HRESULT the DLL returns for an engine status: FSI_E_DUP_NAME is IMAPI_E_DUP_NAME,
 * FSI_E_CORRUPT IMAPI_E_FILE_SYSTEM_READ_CONSISTENCY_ERROR, and so on; IMAPI_E_FSI_INTERNAL_ERROR
 * for none. Shared by the DLL and native fsimage. */
HRESULT fsi_hresult_from_status(fsi_status st);

#ifdef __cplusplus
}
#endif

#endif /* IMAPI2FS_ERRORS_TABLE_H */
