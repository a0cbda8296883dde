/*
 * Just enough of <windows.h> for src/com/errors_table.c (the IMAPI2FS message texts) to compile in
 * the native build, so that native fsimage prints the same texts as the DLL.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FSI_CLI_COMPAT_WINDOWS_H
#define FSI_CLI_COMPAT_WINDOWS_H
#include <stdint.h>
#include <wchar.h>
typedef int32_t HRESULT;
typedef uint32_t ULONG;
typedef wchar_t WCHAR;
#endif
