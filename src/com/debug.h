/*
 * debug.h - optional tracing in Wine's style: TRACE / WARN / ERR / FIXME on the "imapi2fs" channel.
 *
 * Off by default. The channel is switched on through WINEDEBUG, read once when the DLL first
 * traces, with Wine's syntax, items separated by commas: "+imapi2fs" or "imapi2fs" (every class),
 * "trace+imapi2fs", "warn+imapi2fs", "err+imapi2fs", "fixme+imapi2fs" (that class), "-imapi2fs"
 * (none), "+all" / "-all". The lines go to stderr as Wine prints its own:
 * "0024:trace:imapi2fs:function text". Under Wine the
 * same variable also drives Wine's channels; on Windows it is an ordinary environment variable.
 * The macros and debugstr_w / debugstr_guid / wine_dbgstr_longlong are Wine's names, so that code
 * moved into Wine's dlls/ tree takes <wine/debug.h> instead of this header unchanged.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef IMAPI2FS_DEBUG_H
#define IMAPI2FS_DEBUG_H

#include <windows.h>

enum fsi_dbg_class { FSI_DBG_FIXME, FSI_DBG_ERR, FSI_DBG_WARN, FSI_DBG_TRACE };

/* Nonzero when lines of class cls are printed (the first call reads WINEDEBUG). */
int fsi_dbg_on(enum fsi_dbg_class cls);
/* Print one line "TID:class:imapi2fs:func " + the formatted text (which ends in "\n"). */
void fsi_dbg_log(enum fsi_dbg_class cls, const char *func, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Short-lived printable copies (a ring of buffers): quoted, escaped, cut at 200 units. */
const char *debugstr_wn(const WCHAR *s, int n);
static inline const char *debugstr_w(const WCHAR *s) { return debugstr_wn(s, -1); }
const char *debugstr_guid(const GUID *id);
const char *wine_dbgstr_longlong(ULONGLONG v);

#define WINE_DEFAULT_DEBUG_CHANNEL(ch) /* one channel here: imapi2fs */
#define FSI_DBG(cls, ...) \
    do { if (fsi_dbg_on(cls)) fsi_dbg_log(cls, __func__, __VA_ARGS__); } while (0)
#define TRACE(...) FSI_DBG(FSI_DBG_TRACE, __VA_ARGS__)
#define WARN(...)  FSI_DBG(FSI_DBG_WARN, __VA_ARGS__)
#define ERR(...)   FSI_DBG(FSI_DBG_ERR, __VA_ARGS__)
#define FIXME(...) FSI_DBG(FSI_DBG_FIXME, __VA_ARGS__)
#define TRACE_ON(ch) fsi_dbg_on(FSI_DBG_TRACE)

#endif /* IMAPI2FS_DEBUG_H */
