/*
 * The DLL's message texts and HRESULTs: the message table, status -> HRESULT, the inserts of an
 * engine failure, FormatMessage's insert rule (include/fsi/policy.h).
 *
 * The texts are those of the message table of Microsoft's imapi2fs.dll as published in the SDK
 * header (FileSystemImageMsg.h), byte for byte, including trailing blanks and the FormatMessage
 * inserts (%1!ls! ...), without the trailing CR/LF FormatMessage appends. The same texts are
 * compiled into the DLL's message table from src/com/imapi2fs_msg.mc. The table is sorted by the
 * HRESULT taken as an unsigned 32-bit value, for a binary search.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fsi/policy.h"

#include "imapi2fserror.h"      /* <winerror.h>: compat/winerror.h outside Windows */

#define E(sym, txt) { (int32_t)sym, u## #sym, txt }

const struct fsi_error_text fsi_error_table[] = {
    E(IMAPI_S_IMAGE_FEATURE_NOT_SUPPORTED,
      u"Feature is not supported for the current file system revision, image will be created without this feature."),
    E(E_IMAPI_RECORDER_MEDIA_NO_MEDIA,
      u"There is no media in the device."),
    E(E_IMAPI_RECORDER_MEDIA_INCOMPATIBLE,
      u"The media is not compatible or of unknown physical format."),
    E(IMAPI_E_FSI_INTERNAL_ERROR,
      u"Internal file system error occurred."),
    E(IMAPI_E_INVALID_PARAM,
      u"The value specified for parameter '%1!ls!' is not valid."),
    E(IMAPI_E_READONLY,
      u"FileSystemImage object is in read only mode."),
    E(IMAPI_E_NO_OUTPUT,
      u"No output file system specified."),
    E(IMAPI_E_INVALID_VOLUME_NAME,
      u"The specified Volume Identifier is either too long or contains one or more invalid characters."),
    E(IMAPI_E_INVALID_DATE,
      u"Invalid file dates.  %1!ls! time is earlier than %2!ls! time."),
    E(IMAPI_E_FILE_SYSTEM_NOT_EMPTY,
      u"The file system must be empty for this function."),
    E(IMAPI_E_NOT_FILE,
      u"Specified path '%1!ls!' does not identify a file."),
    E(IMAPI_E_NOT_DIR,
      u"Specified path '%1!ls!' does not identify a directory."),
    E(IMAPI_E_DIR_NOT_EMPTY,
      u"The directory '%1!s!' is not empty."),
    E(IMAPI_E_NOT_IN_FILE_SYSTEM,
      u"'%1!ls!' is not part of the file system.  It must be added to complete this operation."),
    E(IMAPI_E_INVALID_PATH,
      u"Path '%1!s!' is badly formed or contains invalid characters."),
    E(IMAPI_E_RESTRICTED_NAME_VIOLATION,
      u"The name '%1!ls!' specified is not legal:  Name of file or directory object created while the UseRestrictedCharacterSet property is set may only contain ANSI characters."),
    E(IMAPI_E_DUP_NAME,
      u"'%1!ls!' name already exists."),
    E(IMAPI_E_NO_UNIQUE_NAME,
      u"Attempt to add '%1!ls!' failed:  cannot create a file-system-specific unique name for the %2!ls! file system."),
    E(IMAPI_E_ITEM_NOT_FOUND,
      u"Cannot find item '%1!ls!' in FileSystemImage hierarchy."),
    E(IMAPI_E_FILE_NOT_FOUND,
      u"The file '%1!s!' not found in FileSystemImage hierarchy."),
    E(IMAPI_E_DIR_NOT_FOUND,
      u"The directory '%1!s!' not found in FileSystemImage hierarchy."),
    E(IMAPI_E_IMAGE_SIZE_LIMIT,
      u"Adding '%1!ls!' would result in a result image having a size larger than the current configured limit."),
    E(IMAPI_E_IMAGE_TOO_BIG,
      u"Value specified for FreeMediaBlocks property is too small for estimated image size based on current data.  "),
    E(IMAPI_E_DATA_STREAM_INCONSISTENCY,
      u"Data stream supplied for file '%1!ls!' is inconsistent:  expected %2!I64d! bytes, found %3!I64d!. "),
    E(IMAPI_E_DATA_STREAM_READ_FAILURE,
      u"Cannot read data from stream supplied for file '%1!ls!'."),
    E(IMAPI_E_DATA_STREAM_CREATE_FAILURE,
      u"The following error was encountered when trying to create data stream for '%1!ls!':  "),
    E(IMAPI_E_DIRECTORY_READ_FAILURE,
      u"The following error was encountered when trying to enumerate files in directory '%1!ls!':  "),
    E(IMAPI_E_TOO_MANY_DIRS,
      u"This file system image has too many directories for the %1!ls! file system."),
    E(IMAPI_E_ISO9660_LEVELS,
      u"ISO9660 is limited to 8 levels of directories."),
    E(IMAPI_E_DATA_TOO_BIG,
      u"Data file is too large for '%1!ls!' file system."),
    E(IMAPI_E_INCOMPATIBLE_PREVIOUS_SESSION,
      u"Operation failed because of incompatible layout of the previous session imported from the medium."),
    E(IMAPI_E_STASHFILE_OPEN_FAILURE,
      u"Cannot initialize %1!ls! stash file."),
    E(IMAPI_E_STASHFILE_SEEK_FAILURE,
      u"Error seeking in '%1!ls!' stash file."),
    E(IMAPI_E_STASHFILE_WRITE_FAILURE,
      u"Error encountered writing to '%1!ls!' stash file."),
    E(IMAPI_E_STASHFILE_READ_FAILURE,
      u"Error encountered reading from '%1!ls!' stash file."),
    E(IMAPI_E_INVALID_WORKING_DIRECTORY,
      u"The working directory '%1!ls!' is not valid."),
    E(IMAPI_E_WORKING_DIRECTORY_SPACE,
      u"Cannot set working directory to '%1!ls!'.  Space available is %2!I64d! bytes, approximately %3!I64d! bytes required. "),
    E(IMAPI_E_STASHFILE_MOVE,
      u"Attempt to move the data stash file to directory '%1!ls!' was not successful."),
    E(IMAPI_E_BOOT_IMAGE_DATA,
      u"The boot object could not be added to the image."),
    E(IMAPI_E_BOOT_OBJECT_CONFLICT,
      u"A boot object can only be included in an initial disc image."),
    E(IMAPI_E_BOOT_EMULATION_IMAGE_SIZE_MISMATCH,
      u"The emulation type requested does not match the boot image size."),
    E(IMAPI_E_EMPTY_DISC,
      u"Optical media is empty."),
    E(IMAPI_E_NO_SUPPORTED_FILE_SYSTEM,
      u"The specified disc does not contain one of the supported file systems."),
    E(IMAPI_E_FILE_SYSTEM_NOT_FOUND,
      u"The specified disc does not contain a '%1!ls!' file system."),
    E(IMAPI_E_FILE_SYSTEM_READ_CONSISTENCY_ERROR,
      u"Consistency error encountered while importing the '%1!ls!' file system."),
    E(IMAPI_E_FILE_SYSTEM_FEATURE_NOT_SUPPORTED,
      u"The '%1!ls!'file system on the selected disc contains a feature not supported for import."),
    E(IMAPI_E_IMPORT_TYPE_COLLISION_FILE_EXISTS_AS_DIRECTORY,
      u"Could not import %2!ls! file system from disc.  The file '%1!ls!' already exists within the image hierarchy as a directory."),
    E(IMAPI_E_IMPORT_SEEK_FAILURE,
      u"Cannot seek to block %1!I64d! on source disc. "),
    E(IMAPI_E_IMPORT_READ_FAILURE,
      u"Import from previous session failed due to an error reading a block on the media (most likely block %1!u!)."),
    E(IMAPI_E_DISC_MISMATCH,
      u"Current disc is not the same one from which file system was imported."),
    E(IMAPI_E_IMPORT_MEDIA_NOT_ALLOWED,
      u"IMAPI does not allow multi-session with the current media type."),
    E(IMAPI_E_UDF_NOT_WRITE_COMPATIBLE,
      u"IMAPI can not do multi-session with the current media because it does not support a compatible UDF revision for write."),
    E(IMAPI_E_INCOMPATIBLE_MULTISESSION_TYPE,
      u"IMAPI does not support the multisession type requested."),
    E(IMAPI_E_NO_COMPATIBLE_MULTISESSION_TYPE,
      u"IMAPI supports none of the multisession type(s) provided on the current media."),
    E(IMAPI_E_MULTISESSION_NOT_SET,
      u"MultisessionInterfaces property must be set prior calling this method."),
    E(IMAPI_E_IMPORT_TYPE_COLLISION_DIRECTORY_EXISTS_AS_FILE,
      u"Could not import %2!ls! file system from disc.  The directory '%1!ls!' already exists within the image hierarchy as a file."),
    E(IMAPI_E_PROPERTY_NOT_ACCESSIBLE,
      u"Property '%1!ls!' is not accessible"),
    E(IMAPI_E_UDF_REVISION_CHANGE_NOT_ALLOWED,
      u"UDF revision cannot be changed because of the previously imported session"),
    E(IMAPI_E_BAD_MULTISESSION_PARAMETER,
      u"One of the multisession parameters cannot be retrieved or has a wrong value."),
    E(IMAPI_E_FILE_SYSTEM_CHANGE_NOT_ALLOWED,
      u"You cannot change the file system to be created, because the file system in the imported session and the one in the new session must match."),
    E(IMAPI_E_IMAGEMANAGER_IMAGE_NOT_ALIGNED,
      u"The image is not 2kb aligned. Only 2048 bytes aligned images are supported."),
    E(IMAPI_E_IMAGEMANAGER_NO_VALID_VD_FOUND,
      u"No valid file system Volume Descriptor was found in the iso image. This image format is not supported and the resulting disc might not be readable."),
    E(IMAPI_E_IMAGEMANAGER_NO_IMAGE,
      u"No image was set (neither path nor stream was given)."),
    E(IMAPI_E_IMAGEMANAGER_IMAGE_TOO_BIG,
      u"Image size exceeds MAXLONG sectors - too big."),
};

const size_t fsi_error_table_count = sizeof(fsi_error_table) / sizeof(fsi_error_table[0]);

#define HR_E_OUTOFMEMORY ((int32_t)0x8007000E)
#define HR_E_INVALIDARG  ((int32_t)0x80070057)

const struct fsi_error_text *fsi_error_lookup(int32_t hr)
{
    size_t lo = 0, hi = fsi_error_table_count;
    uint32_t key = (uint32_t)hr;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint32_t v = (uint32_t)fsi_error_table[mid].hr;
        if (v == key)
            return &fsi_error_table[mid];
        if (v < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

int32_t fsi_hresult_from_status(fsi_status st)
{
    switch (st) {
    case FSI_OK: return 0;
    case FSI_E_NOMEM: return HR_E_OUTOFMEMORY;
    case FSI_E_INVALID_PARAM: return IMAPI_E_INVALID_PARAM;
    case FSI_E_INVALID_NAME: return IMAPI_E_INVALID_PATH;
    case FSI_E_DUP_NAME: return IMAPI_E_DUP_NAME;
    case FSI_E_NOT_FOUND: return IMAPI_E_ITEM_NOT_FOUND;
    case FSI_E_NOT_DIR: return IMAPI_E_NOT_DIR;
    case FSI_E_NO_UNIQUE_NAME: return IMAPI_E_NO_UNIQUE_NAME;
    case FSI_E_DATA_TOO_BIG: return IMAPI_E_DATA_TOO_BIG;
    case FSI_E_TOO_MANY_DIRS: return IMAPI_E_TOO_MANY_DIRS;
    case FSI_E_ISO9660_LEVELS: return IMAPI_E_ISO9660_LEVELS;
    case FSI_E_NO_OUTPUT: return IMAPI_E_NO_OUTPUT;
    case FSI_E_IMAGE_TOO_BIG: return IMAPI_E_IMAGE_TOO_BIG;
    case FSI_E_READ: return IMAPI_E_DATA_STREAM_READ_FAILURE;
    case FSI_E_INCONSISTENT: return IMAPI_E_DATA_STREAM_INCONSISTENCY;
    case FSI_E_RANGE: return (int32_t)0x80030001;  /* STG_E_INVALIDFUNCTION */
    case FSI_E_CORRUPT: return IMAPI_E_FILE_SYSTEM_READ_CONSISTENCY_ERROR;
    case FSI_E_FS_NOT_FOUND: return IMAPI_E_FILE_SYSTEM_NOT_FOUND;
    case FSI_E_FS_FEATURE: return IMAPI_E_FILE_SYSTEM_FEATURE_NOT_SUPPORTED;
    case FSI_E_MEDIUM_READ: return IMAPI_E_IMPORT_READ_FAILURE;
    }
    return IMAPI_E_FSI_INTERNAL_ERROR;
}

static const uint16_t *find_bang(const uint16_t *s)
{
    for (; *s; s++)
        if (*s == '!')
            return s;
    return NULL;
}

size_t fsi_message_format(int32_t hr, const uint16_t *const ins[3], uint16_t *out, size_t cap)
{
    const struct fsi_error_text *e = fsi_error_lookup(hr);
    const uint16_t *t = e ? e->text : NULL;
    size_t n = 0;

    if (!cap)
        return 0;
    out[0] = 0;
    if (hr == HR_E_OUTOFMEMORY)             /* not the DLL's: Windows' (FormatMessage) */
        t = u"Not enough memory resources are available to complete this operation.";
    else if (hr == HR_E_INVALIDARG)
        t = u"The parameter is incorrect.";
    if (!t)
        return 0;
    while (*t && n + 1 < cap) {
        if (t[0] == '%' && t[1] >= '1' && t[1] <= '3') {
            const uint16_t *in = ins ? ins[t[1] - '1'] : NULL;
            t += 2;
            if (*t == '!') {                /* the printf-style type after the insert */
                const uint16_t *end = find_bang(t + 1);
                if (end)
                    t = end + 1;
            }
            for (; in && *in && n + 1 < cap; in++)
                out[n++] = *in;
            continue;
        }
        if (t[0] == '%' && t[1] == '%') {
            out[n++] = '%';
            t += 2;
            continue;
        }
        out[n++] = *t++;
    }
    while (n && (out[n - 1] == ' ' || out[n - 1] == '\n' || out[n - 1] == '\r'))
        n--;
    out[n] = 0;
    return n;
}

const uint16_t *fsi_policy_fs_name(unsigned fs)
{
    switch (fs) {
    case FSI_FS_ISO9660: return u"ISO9660";
    case FSI_FS_JOLIET: return u"Joliet";
    case FSI_FS_UDF: return u"UDF";
    case FSI_FS_ISO9660 | FSI_FS_JOLIET: return u"ISO9660/Joliet";
    default: return u"";
    }
}

/* v in decimal, terminated */
static void decimal(uint64_t v, uint16_t out[24])
{
    char d[24];
    size_t n = 0, i = 0;
    do
        d[n++] = (char)('0' + v % 10);
    while ((v /= 10) && n < sizeof d);
    while (n)
        out[i++] = (uint16_t)d[--n];
    out[i] = 0;
}

int32_t fsi_policy_engine_error(const fsi_err *err, fsi_error_inserts *out)
{
    size_t n = err->path_len < FSI_ERR_PATH_MAX ? err->path_len : FSI_ERR_PATH_MAX;

    for (size_t i = 0; i < n; i++)
        out->path[i] = err->path[i];
    out->path[n] = 0;
    out->ins[0] = out->path;
    out->ins[1] = out->ins[2] = NULL;
    switch (err->code) {
    case FSI_E_NO_UNIQUE_NAME:
        out->ins[1] = fsi_policy_fs_name(err->fs);
        break;
    case FSI_E_DATA_TOO_BIG:
    case FSI_E_TOO_MANY_DIRS:
    case FSI_E_CORRUPT:
    case FSI_E_FS_NOT_FOUND:
    case FSI_E_FS_FEATURE:
        out->ins[0] = fsi_policy_fs_name(err->fs);
        break;
    case FSI_E_MEDIUM_READ:
        decimal(err->expected, out->num[0]);
        out->ins[0] = out->num[0];
        break;
    case FSI_E_INCONSISTENT:
        decimal(err->expected, out->num[0]);
        decimal(err->found, out->num[1]);
        out->ins[1] = out->num[0];
        out->ins[2] = out->num[1];
        break;
    default:
        break;
    }
    return fsi_hresult_from_status(err->code);
}
