/*
 * debug.c - the "imapi2fs" debug channel (debug.h): WINEDEBUG parsing and the line printer.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "debug.h"

static LONG dbg_flags = -1;         /* bit per class; -1 until WINEDEBUG is read */

static const char *const class_names[] = { "fixme", "err", "warn", "trace" };
#define ALL_CLASSES ((1 << FSI_DBG_FIXME) | (1 << FSI_DBG_ERR) | (1 << FSI_DBG_WARN) | (1 << FSI_DBG_TRACE))

/* One item of WINEDEBUG: [class]{+|-}channel. Applies it to flags when the channel is ours. */
static LONG apply_item(const char *item, size_t len, LONG flags)
{
    size_t i, sign = len;
    int cls = -1;
    for (i = 0; i < len; i++)
        if (item[i] == '+' || item[i] == '-') { sign = i; break; }
    if (sign == len)                                        /* a name alone is "+name", as in Wine */
        return len == 8 && !strncmp(item, "imapi2fs", 8) ? flags | ALL_CLASSES : flags;
    if (!((len - sign - 1 == 8 && !strncmp(item + sign + 1, "imapi2fs", 8)) ||
          (len - sign - 1 == 3 && !strncmp(item + sign + 1, "all", 3))))
        return flags;
    if (sign) {
        for (i = 0; i < ARRAYSIZE(class_names); i++)
            if (strlen(class_names[i]) == sign && !strncmp(item, class_names[i], sign)) cls = (int)i;
        if (cls < 0) return flags;                           /* a class we do not know */
    }
    if (item[sign] == '+') flags |= cls < 0 ? ALL_CLASSES : 1 << cls;
    else flags &= cls < 0 ? 0 : ~(1 << cls);
    return flags;
}

static LONG read_flags(void)
{
    char buf[512];
    DWORD n = GetEnvironmentVariableA("WINEDEBUG", buf, sizeof(buf));
    LONG flags = 0;
    const char *p = buf;
    if (n && n < sizeof(buf)) {
        while (*p) {
            const char *end = strchr(p, ',');
            size_t len = end ? (size_t)(end - p) : strlen(p);
            flags = apply_item(p, len, flags);
            p += len + (end ? 1 : 0);
        }
    }
    InterlockedCompareExchange(&dbg_flags, flags, -1);
    return dbg_flags;
}

int fsi_dbg_on(enum fsi_dbg_class cls)
{
    LONG f = dbg_flags;
    if (f < 0) f = read_flags();
    return (f >> cls) & 1;
}

void fsi_dbg_log(enum fsi_dbg_class cls, const char *func, const char *fmt, ...)
{
    char line[1024];
    int n;
    va_list ap;
    n = snprintf(line, sizeof(line), "%04lx:%s:imapi2fs:%s ", (unsigned long)GetCurrentThreadId(),
                 class_names[cls], func);
    if (n < 0 || n >= (int)sizeof(line)) return;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof(line) - n, fmt, ap);
    va_end(ap);
    fputs(line, stderr);
    fflush(stderr);
}

/* A ring of buffers for the debugstr functions (a line uses a few; 32 threads may trace at once). */
static char *ring_buffer(void)
{
    static char ring[32][512];
    static LONG next;
    return ring[(ULONG)InterlockedIncrement(&next) % ARRAYSIZE(ring)];
}

const char *debugstr_wn(const WCHAR *s, int n)
{
    char *buf, *o;
    int i;
    if (!s) return "(null)";
    if (!((ULONG_PTR)s >> 16)) {
        buf = ring_buffer();
        snprintf(buf, 512, "#%04x", (unsigned)(ULONG_PTR)s);
        return buf;
    }
    buf = o = ring_buffer();
    *o++ = 'L';
    *o++ = '"';
    for (i = 0; (n < 0 ? s[i] != 0 : i < n); i++) {
        WCHAR c = s[i];
        if (i == 200) { memcpy(o, "\"...", 5); return buf; }
        if (c == '"' || c == '\\') { *o++ = '\\'; *o++ = (char)c; }
        else if (c == '\n') { *o++ = '\\'; *o++ = 'n'; }
        else if (c >= 0x20 && c < 0x7f) *o++ = (char)c;
        else o += sprintf(o, "\\%04x", c);
    }
    *o++ = '"';
    *o = 0;
    return buf;
}

const char *debugstr_guid(const GUID *id)
{
    char *buf;
    if (!id) return "(null)";
    buf = ring_buffer();
    snprintf(buf, 512, "{%08lx-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x}", (unsigned long)id->Data1,
             id->Data2, id->Data3, id->Data4[0], id->Data4[1], id->Data4[2], id->Data4[3], id->Data4[4],
             id->Data4[5], id->Data4[6], id->Data4[7]);
    return buf;
}

const char *wine_dbgstr_longlong(ULONGLONG v)
{
    char *buf = ring_buffer();
    if (v >> 32) snprintf(buf, 512, "%lx%08lx", (unsigned long)(v >> 32), (unsigned long)(v & 0xffffffff));
    else snprintf(buf, 512, "%lx", (unsigned long)v);
    return buf;
}
