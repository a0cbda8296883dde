/*
 * errors_table.c - message texts of the imapi2fs HRESULTs (imapi2fserror.h).
 *
 * Part of imapi2fs, an open re-implementation of Microsoft's imapi2fs.dll.
 *
 * The texts are those of the message table of Microsoft's imapi2fs.dll as published in the
 * SDK header (FileSystemImageMsg.h), byte for byte, including trailing blanks and the
 * FormatMessage inserts (%1!ls! ...), without the trailing CR/LF FormatMessage appends.
 * The same texts are compiled into the DLL's message table from imapi2fs_msg.mc.
 *
 * The table is sorted by the HRESULT taken as an unsigned 32-bit value, so that
 * fsi_error_lookup() can use a binary search.
 */
#include "errors_table.h"

#include "imapi2fserror.h"

#define E(sym, txt) { sym, L## #sym, txt }

const struct fsi_error_text fsi_error_table[] = {
    E(IMAPI_S_IMAGE_FEATURE_NOT_SUPPORTED,
      L"Feature is not supported for the current file system revision, image will be created without this feature."),
    E(E_IMAPI_RECORDER_MEDIA_NO_MEDIA,
      L"There is no media in the device."),
    E(E_IMAPI_RECORDER_MEDIA_INCOMPATIBLE,
      L"The media is not compatible or of unknown physical format."),
    E(IMAPI_E_FSI_INTERNAL_ERROR,
      L"Internal file system error occurred."),
    E(IMAPI_E_INVALID_PARAM,
      L"The value specified for parameter '%1!ls!' is not valid."),
    E(IMAPI_E_READONLY,
      L"FileSystemImage object is in read only mode."),
    E(IMAPI_E_NO_OUTPUT,
      L"No output file system specified."),
    E(IMAPI_E_INVALID_VOLUME_NAME,
      L"The specified Volume Identifier is either too long or contains one or more invalid characters."),
    E(IMAPI_E_INVALID_DATE,
      L"Invalid file dates.  %1!ls! time is earlier than %2!ls! time."),
    E(IMAPI_E_FILE_SYSTEM_NOT_EMPTY,
      L"The file system must be empty for this function."),
    E(IMAPI_E_NOT_FILE,
      L"Specified path '%1!ls!' does not identify a file."),
    E(IMAPI_E_NOT_DIR,
      L"Specified path '%1!ls!' does not identify a directory."),
    E(IMAPI_E_DIR_NOT_EMPTY,
      L"The directory '%1!s!' is not empty."),
    E(IMAPI_E_NOT_IN_FILE_SYSTEM,
      L"'%1!ls!' is not part of the file system.  It must be added to complete this operation."),
    E(IMAPI_E_INVALID_PATH,
      L"Path '%1!s!' is badly formed or contains invalid characters."),
    E(IMAPI_E_RESTRICTED_NAME_VIOLATION,
      L"The name '%1!ls!' specified is not legal:  Name of file or directory object created while the UseRestrictedCharacterSet property is set may only contain ANSI characters."),
    E(IMAPI_E_DUP_NAME,
      L"'%1!ls!' name already exists."),
    E(IMAPI_E_NO_UNIQUE_NAME,
      L"Attempt to add '%1!ls!' failed:  cannot create a file-system-specific unique name for the %2!ls! file system."),
    E(IMAPI_E_ITEM_NOT_FOUND,
      L"Cannot find item '%1!ls!' in FileSystemImage hierarchy."),
    E(IMAPI_E_FILE_NOT_FOUND,
      L"The file '%1!s!' not found in FileSystemImage hierarchy."),
    E(IMAPI_E_DIR_NOT_FOUND,
      L"The directory '%1!s!' not found in FileSystemImage hierarchy."),
    E(IMAPI_E_IMAGE_SIZE_LIMIT,
      L"Adding '%1!ls!' would result in a result image having a size larger than the current configured limit."),
    E(IMAPI_E_IMAGE_TOO_BIG,
      L"Value specified for FreeMediaBlocks property is too small for estimated image size based on current data.  "),
    E(IMAPI_E_DATA_STREAM_INCONSISTENCY,
      L"Data stream supplied for file '%1!ls!' is inconsistent:  expected %2!I64d! bytes, found %3!I64d!. "),
    E(IMAPI_E_DATA_STREAM_READ_FAILURE,
      L"Cannot read data from stream supplied for file '%1!ls!'."),
    E(IMAPI_E_DATA_STREAM_CREATE_FAILURE,
      L"The following error was encountered when trying to create data stream for '%1!ls!':  "),
    E(IMAPI_E_DIRECTORY_READ_FAILURE,
      L"The following error was encountered when trying to enumerate files in directory '%1!ls!':  "),
    E(IMAPI_E_TOO_MANY_DIRS,
      L"This file system image has too many directories for the %1!ls! file system."),
    E(IMAPI_E_ISO9660_LEVELS,
      L"ISO9660 is limited to 8 levels of directories."),
    E(IMAPI_E_DATA_TOO_BIG,
      L"Data file is too large for '%1!ls!' file system."),
    E(IMAPI_E_INCOMPATIBLE_PREVIOUS_SESSION,
      L"Operation failed because of incompatible layout of the previous session imported from the medium."),
    E(IMAPI_E_STASHFILE_OPEN_FAILURE,
      L"Cannot initialize %1!ls! stash file."),
    E(IMAPI_E_STASHFILE_SEEK_FAILURE,
      L"Error seeking in '%1!ls!' stash file."),
    E(IMAPI_E_STASHFILE_WRITE_FAILURE,
      L"Error encountered writing to '%1!ls!' stash file."),
    E(IMAPI_E_STASHFILE_READ_FAILURE,
      L"Error encountered reading from '%1!ls!' stash file."),
    E(IMAPI_E_INVALID_WORKING_DIRECTORY,
      L"The working directory '%1!ls!' is not valid."),
    E(IMAPI_E_WORKING_DIRECTORY_SPACE,
      L"Cannot set working directory to '%1!ls!'.  Space available is %2!I64d! bytes, approximately %3!I64d! bytes required. "),
    E(IMAPI_E_STASHFILE_MOVE,
      L"Attempt to move the data stash file to directory '%1!ls!' was not successful."),
    E(IMAPI_E_BOOT_IMAGE_DATA,
      L"The boot object could not be added to the image."),
    E(IMAPI_E_BOOT_OBJECT_CONFLICT,
      L"A boot object can only be included in an initial disc image."),
    E(IMAPI_E_BOOT_EMULATION_IMAGE_SIZE_MISMATCH,
      L"The emulation type requested does not match the boot image size."),
    E(IMAPI_E_EMPTY_DISC,
      L"Optical media is empty."),
    E(IMAPI_E_NO_SUPPORTED_FILE_SYSTEM,
      L"The specified disc does not contain one of the supported file systems."),
    E(IMAPI_E_FILE_SYSTEM_NOT_FOUND,
      L"The specified disc does not contain a '%1!ls!' file system."),
    E(IMAPI_E_FILE_SYSTEM_READ_CONSISTENCY_ERROR,
      L"Consistency error encountered while importing the '%1!ls!' file system."),
    E(IMAPI_E_FILE_SYSTEM_FEATURE_NOT_SUPPORTED,
      L"The '%1!ls!'file system on the selected disc contains a feature not supported for import."),
    E(IMAPI_E_IMPORT_TYPE_COLLISION_FILE_EXISTS_AS_DIRECTORY,
      L"Could not import %2!ls! file system from disc.  The file '%1!ls!' already exists within the image hierarchy as a directory."),
    E(IMAPI_E_IMPORT_SEEK_FAILURE,
      L"Cannot seek to block %1!I64d! on source disc. "),
    E(IMAPI_E_IMPORT_READ_FAILURE,
      L"Import from previous session failed due to an error reading a block on the media (most likely block %1!u!)."),
    E(IMAPI_E_DISC_MISMATCH,
      L"Current disc is not the same one from which file system was imported."),
    E(IMAPI_E_IMPORT_MEDIA_NOT_ALLOWED,
      L"IMAPI does not allow multi-session with the current media type."),
    E(IMAPI_E_UDF_NOT_WRITE_COMPATIBLE,
      L"IMAPI can not do multi-session with the current media because it does not support a compatible UDF revision for write."),
    E(IMAPI_E_INCOMPATIBLE_MULTISESSION_TYPE,
      L"IMAPI does not support the multisession type requested."),
    E(IMAPI_E_NO_COMPATIBLE_MULTISESSION_TYPE,
      L"IMAPI supports none of the multisession type(s) provided on the current media."),
    E(IMAPI_E_MULTISESSION_NOT_SET,
      L"MultisessionInterfaces property must be set prior calling this method."),
    E(IMAPI_E_IMPORT_TYPE_COLLISION_DIRECTORY_EXISTS_AS_FILE,
      L"Could not import %2!ls! file system from disc.  The directory '%1!ls!' already exists within the image hierarchy as a file."),
    E(IMAPI_E_PROPERTY_NOT_ACCESSIBLE,
      L"Property '%1!ls!' is not accessible"),
    E(IMAPI_E_UDF_REVISION_CHANGE_NOT_ALLOWED,
      L"UDF revision cannot be changed because of the previously imported session"),
    E(IMAPI_E_BAD_MULTISESSION_PARAMETER,
      L"One of the multisession parameters cannot be retrieved or has a wrong value."),
    E(IMAPI_E_FILE_SYSTEM_CHANGE_NOT_ALLOWED,
      L"You cannot change the file system to be created, because the file system in the imported session and the one in the new session must match."),
    E(IMAPI_E_IMAGEMANAGER_IMAGE_NOT_ALIGNED,
      L"The image is not 2kb aligned. Only 2048 bytes aligned images are supported."),
    E(IMAPI_E_IMAGEMANAGER_NO_VALID_VD_FOUND,
      L"No valid file system Volume Descriptor was found in the iso image. This image format is not supported and the resulting disc might not be readable."),
    E(IMAPI_E_IMAGEMANAGER_NO_IMAGE,
      L"No image was set (neither path nor stream was given)."),
    E(IMAPI_E_IMAGEMANAGER_IMAGE_TOO_BIG,
      L"Image size exceeds MAXLONG sectors - too big."),
};

const size_t fsi_error_table_count = sizeof(fsi_error_table) / sizeof(fsi_error_table[0]);

const struct fsi_error_text *fsi_error_lookup(HRESULT hr)
{
    size_t lo = 0, hi = fsi_error_table_count;
    ULONG key = (ULONG)hr;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        ULONG v = (ULONG)fsi_error_table[mid].hr;
        if (v == key)
            return &fsi_error_table[mid];
        if (v < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* The engine's status as the DLL's HRESULT (for the DLL and native fsimage alike). */
HRESULT fsi_hresult_from_status(fsi_status st)
{
    switch (st) {
    case FSI_OK: return 0;
    case FSI_E_NOMEM: return (HRESULT)0x8007000E;  /* E_OUTOFMEMORY */
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
    case FSI_E_RANGE: return (HRESULT)0x80030001;  /* STG_E_INVALIDFUNCTION */
    case FSI_E_CORRUPT: return IMAPI_E_FILE_SYSTEM_READ_CONSISTENCY_ERROR;
    case FSI_E_FS_NOT_FOUND: return IMAPI_E_FILE_SYSTEM_NOT_FOUND;
    case FSI_E_FS_FEATURE: return IMAPI_E_FILE_SYSTEM_FEATURE_NOT_SUPPORTED;
    case FSI_E_MEDIUM_READ: return IMAPI_E_IMPORT_READ_FAILURE;
    }
    return IMAPI_E_FSI_INTERNAL_ERROR;
}
