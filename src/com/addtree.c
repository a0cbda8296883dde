/*
 * AddTree and AddTreeWithNamedStreams of FsiDirectoryItem: mirror a folder into a detached
 * subtree (its files as sources opened when the image stream reaches them, or staged copies),
 * then merge it into the directory at once.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "item.h"
#include <stdlib.h>

typedef struct tree_walk {
    fsimage *img;                   /* for UseRestrictedCharacterSet (read without the lock) */
    int streams;                    /* AddTreeWithNamedStreams: the files' alternate data streams too */
    struct { DWORD volume, high, low; } ancestors[256];
    int depth;
    HRESULT hr;
    const WCHAR *failed_path;
} tree_walk;

static int dir_identity(const WCHAR *path, DWORD id[3])
{
    BY_HANDLE_FILE_INFORMATION info;
    HANDLE h = CreateFileW(path, 0, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                           OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
    int ok;
    if (h == INVALID_HANDLE_VALUE) return 0;
    ok = GetFileInformationByHandle(h, &info);
    CloseHandle(h);
    if (!ok) return 0;
    id[0] = info.dwVolumeSerialNumber;
    id[1] = info.nFileIndexHigh;
    id[2] = info.nFileIndexLow;
    return 1;
}

static void set_find_times(fsi_node *node, const WIN32_FIND_DATAW *fd)
{
    fsi_times t;
    t.creation = (int64_t)fd->ftCreationTime.dwHighDateTime << 32 | fd->ftCreationTime.dwLowDateTime;
    t.access = (int64_t)fd->ftLastAccessTime.dwHighDateTime << 32 | fd->ftLastAccessTime.dwLowDateTime;
    t.modification = (int64_t)fd->ftLastWriteTime.dwHighDateTime << 32 | fd->ftLastWriteTime.dwLowDateTime;
    fsi_node_set_times(node, &t);
}

/* FindFirstStreamW / FindNextStreamW (Vista and later; Wine lists the unnamed stream only). */
typedef HANDLE (WINAPI *find_first_stream_fn)(const WCHAR *, STREAM_INFO_LEVELS, void *, DWORD);
typedef BOOL (WINAPI *find_next_stream_fn)(HANDLE, void *);

/* AddTreeWithNamedStreams: the named $DATA streams of the file at path become named streams of
 * node. Streams that cannot be listed or opened, and names a UDF stream cannot have, are left out.
 */
static HRESULT add_streams(tree_walk *w, const WCHAR *path, fsi_node *node)
{
    static find_first_stream_fn first_cached;
    static find_next_stream_fn next_cached;
    static LONG looked;                             /* the two above are set */
    find_first_stream_fn first;
    find_next_stream_fn next;
    WIN32_FIND_STREAM_DATA sd;
    WCHAR *spath;
    HANDLE find;
    size_t plen = lstrlenW(path);
    HRESULT hr = S_OK;

    if (!InterlockedCompareExchange(&looked, 0, 0)) {
        /* threads arriving together all look them up, and store the same values */
        HMODULE k32 = GetModuleHandleW(L"kernel32.dll");
        first = k32 ? (find_first_stream_fn)(void *)GetProcAddress(k32, "FindFirstStreamW") : NULL;
        next = k32 ? (find_next_stream_fn)(void *)GetProcAddress(k32, "FindNextStreamW") : NULL;
        first_cached = first;
        next_cached = next;
        InterlockedExchange(&looked, 1);
    } else {
        first = first_cached;
        next = next_cached;
    }
    if (!first || !next) return S_OK;               /* no streams on this system */
    find = first(path, FindStreamInfoStandard, &sd, 0);
    if (find == INVALID_HANDLE_VALUE) return S_OK;  /* none, or a file system without streams */
    if (!(spath = malloc((plen + ARRAY_SIZE(sd.cStreamName) + 1) * sizeof(WCHAR)))) {
        FindClose(find);
        return E_OUTOFMEMORY;
    }
    do {
        /* ":name:$DATA"; the unnamed data stream is "::$DATA" */
        const WCHAR *name = sd.cStreamName + 1, *end;
        size_t nlen;
        fsi_source *src;
        uint64_t size = (uint64_t)sd.StreamSize.QuadPart;
        if (sd.cStreamName[0] != ':' || !(end = wcschr(name, ':')) || lstrcmpiW(end, L":$DATA")) continue;
        nlen = end - name;
        if (!nlen || fsi_node_find_stream(node, name, nlen) != (size_t)-1) continue;
        memcpy(spath, path, plen * sizeof(WCHAR));
        spath[plen] = ':';
        memcpy(spath + plen + 1, name, nlen * sizeof(WCHAR));
        spath[plen + 1 + nlen] = 0;
        src = NULL;
        if (size && !(src = fsi_source_new_win32_path(spath))) { hr = E_OUTOFMEMORY; break; }
        if (src && fsimage_staging(w->img)) {
            fsi_source *staged;
            hr = fsimage_stage(w->img, src, size, spath, &staged, &size);
            fsi_source_unref(src);
            src = staged;
            if (FAILED(hr)) break;
        }
        fsi_node_add_stream(node, name, nlen, size, size ? src : NULL);
        if (src) fsi_source_unref(src);
    } while (next(find, &sd));
    FindClose(find);
    free(spath);
    return hr;
}

/* Enter the folder at path unless it is unreadable (a dangling link) or one of the folders being
 * walked (a link back to an ancestor: a loop). Returns 0 to skip it. */
static int enter_dir(tree_walk *w, const WCHAR *path)
{
    DWORD id[3];
    if (w->depth >= (int)ARRAY_SIZE(w->ancestors) || !dir_identity(path, id)) return 0;
    for (int i = 0; i < w->depth; i++)
        if (w->ancestors[i].volume == id[0] && w->ancestors[i].high == id[1] && w->ancestors[i].low == id[2])
            return 0;
    w->ancestors[w->depth].volume = id[0];
    w->ancestors[w->depth].high = id[1];
    w->ancestors[w->depth].low = id[2];
    w->depth++;
    return 1;
}

/* A detached file node for the file at path that fd describes: its size, times and a source that
 * opens it when the image stream reaches it (or a staged copy), with its named streams for
 * AddTreeWithNamedStreams. S_FALSE (no node) for a link whose target is gone. */
static HRESULT file_node(tree_walk *w, const WCHAR *path, const WIN32_FIND_DATAW *fd, fsi_node **out)
{
    uint64_t size = (uint64_t)fd->nFileSizeHigh << 32 | fd->nFileSizeLow;
    fsi_source *src = NULL;
    fsi_status st;
    HRESULT hr = S_OK;

    *out = NULL;
    if (fd->dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) {
        /* A link: its target's size; a link whose target is gone cannot be opened and is
         * skipped. (Wine does not list dangling links at all.) */
        HANDLE h = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                               NULL, OPEN_EXISTING, 0, NULL);
        LARGE_INTEGER sz;
        if (h == INVALID_HANDLE_VALUE) return S_FALSE;
        if (GetFileSizeEx(h, &sz)) size = (uint64_t)sz.QuadPart;
        CloseHandle(h);
    }
    if (size && !(src = fsi_source_new_win32_path(path))) return E_OUTOFMEMORY;
    if (src && fsimage_staging(w->img)) {
        fsi_source *staged;
        hr = fsimage_stage(w->img, src, size, path, &staged, &size);
        fsi_source_unref(src);
        src = staged;
        if (FAILED(hr)) return hr;
    }
    st = fsi_node_new_file(fd->cFileName, lstrlenW(fd->cFileName), size, src, out);
    if (src) fsi_source_unref(src);
    if (st != FSI_OK) return fsi_error(fsi_hresult_from_status(st), &IID_IFsiDirectoryItem, path, NULL);
    set_find_times(*out, fd);
    if (w->streams) hr = add_streams(w, path, *out);
    if (FAILED(hr)) {
        fsi_node_unref(*out);
        *out = NULL;
    }
    return hr;
}

/* AddTree given a file: that file, added into the directory (scripts call AddTree on every entry
 * of a folder, files included, and Windows adds them). include_base has no meaning for a file. */
static HRESULT walk_file(tree_walk *w, const WCHAR *path, const WCHAR *source, fsi_node *top)
{
    WIN32_FIND_DATAW fd;
    HANDLE find = FindFirstFileExW(path, FindExInfoBasic, &fd, FindExSearchNameMatch, NULL, 0);
    fsi_node *node;
    fsi_status st;
    HRESULT hr;

    if (find == INVALID_HANDLE_VALUE) return fsi_error(IMAPI_E_DIR_NOT_FOUND, &IID_IFsiDirectoryItem, source, NULL);
    FindClose(find);
    if (FAILED(hr = fsimage_check_name(w->img, fd.cFileName, lstrlenW(fd.cFileName), path))) return hr;
    hr = file_node(w, path, &fd, &node);
    if (hr == S_FALSE) return fsi_error(IMAPI_E_DIR_NOT_FOUND, &IID_IFsiDirectoryItem, source, NULL);
    if (FAILED(hr)) return hr;
    st = fsi_dir_attach(NULL, top, node, 1);
    fsi_node_unref(node);
    if (st != FSI_OK) return fsi_error(fsi_hresult_from_status(st), &IID_IFsiDirectoryItem, source, NULL);
    return S_OK;
}

/* Mirror the folder at path (a buffer of 32768 WCHARs; len its length) into dir. The caller has
 * entered it (enter_dir); it is left on return. */
static HRESULT walk_dir(tree_walk *w, WCHAR *path, size_t len, fsi_node *dir)
{
    WIN32_FIND_DATAW fd;
    HANDLE find;
    HRESULT hr = S_OK;

    if (len + 3 >= 32768) return S_OK;
    lstrcpyW(path + len, L"\\*");
    find = FindFirstFileExW(path, FindExInfoBasic, &fd, FindExSearchNameMatch, NULL, FIND_FIRST_EX_LARGE_FETCH);
    path[len] = 0;
    if (find == INVALID_HANDLE_VALUE) {
        DWORD err = GetLastError();
        if (err == ERROR_FILE_NOT_FOUND || err == ERROR_NO_MORE_FILES) return S_OK;
        return fsi_error(IMAPI_E_DIRECTORY_READ_FAILURE, &IID_IFsiDirectoryItem, path, NULL);
    }
    do {
        size_t nlen = lstrlenW(fd.cFileName);
        fsi_node *node = NULL;
        fsi_status st;

        if (!lstrcmpW(fd.cFileName, L".") || !lstrcmpW(fd.cFileName, L"..")) continue;
        if (len + 1 + nlen + 3 >= 32768) continue;
        path[len] = '\\';
        memcpy(path + len + 1, fd.cFileName, (nlen + 1) * sizeof(WCHAR));
        if (FAILED(hr = fsimage_check_name(w->img, fd.cFileName, nlen, path))) break;

        if (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) {
            if (!enter_dir(w, path)) { path[len] = 0; continue; }
            st = fsi_node_new_dir(fd.cFileName, nlen, &node);
            if (st != FSI_OK) { hr = fsi_error(fsi_hresult_from_status(st), &IID_IFsiDirectoryItem, path, NULL); break; }
            set_find_times(node, &fd);
            hr = walk_dir(w, path, len + 1 + nlen, node);
            w->depth--;
        } else {
            hr = file_node(w, path, &fd, &node);
            if (hr == S_FALSE) { path[len] = 0; continue; }
            if (FAILED(hr)) break;
        }
        path[len] = 0;
        if (SUCCEEDED(hr)) {
            st = fsi_dir_attach(NULL, dir, node, 1);
            if (st != FSI_OK) hr = fsi_error(fsi_hresult_from_status(st), &IID_IFsiDirectoryItem, fd.cFileName, NULL);
        }
        fsi_node_unref(node);
        if (FAILED(hr)) break;
    } while (FindNextFileW(find, &fd));
    FindClose(find);
    path[len] = 0;
    return hr;
}

HRESULT fsiitem_add_tree(fsiitem *it, BSTR source, VARIANT_BOOL include_base, int streams)
{
    WCHAR *path;
    size_t len;
    tree_walk *w;
    fsi_node *top = NULL, *base = NULL;
    DWORD attrs;
    HRESULT hr;
    fsi_status st;

    if (!source || !*source) return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFsiDirectoryItem, L"sourceDirectory", NULL);
    attrs = GetFileAttributesW(source);
    if (attrs == INVALID_FILE_ATTRIBUTES) return fsi_error(IMAPI_E_DIR_NOT_FOUND, &IID_IFsiDirectoryItem, source, NULL);
    if (!(path = malloc(32768 * sizeof(WCHAR)))) return E_OUTOFMEMORY;
    if (!(w = calloc(1, sizeof(*w)))) { free(path); return E_OUTOFMEMORY; }
    w->img = it->img;
    w->streams = streams;
    len = GetFullPathNameW(source, 32768, path, NULL);
    if (!len || len >= 32768) { free(path); free(w); return fsi_error(IMAPI_E_INVALID_PATH, &IID_IFsiDirectoryItem, source, NULL); }
    while (len > 3 && (path[len - 1] == '\\' || path[len - 1] == '/')) path[--len] = 0;

    /* Build the whole subtree detached from the image (no lock needed: nobody else sees it). */
    st = fsi_node_new_dir(L"x", 1, &top);
    hr = st == FSI_OK ? S_OK : E_OUTOFMEMORY;
    if (SUCCEEDED(hr) && !(attrs & FILE_ATTRIBUTE_DIRECTORY)) {
        hr = walk_file(w, path, source, top);
    } else if (SUCCEEDED(hr) && include_base) {
        const WCHAR *name = path + len;
        while (name > path && name[-1] != '\\' && name[-1] != '/') name--;
        st = fsi_node_new_dir(name, lstrlenW(name), &base);
        if (st != FSI_OK) hr = fsi_error(fsi_hresult_from_status(st), &IID_IFsiDirectoryItem, source, NULL);
        else {
            WIN32_FILE_ATTRIBUTE_DATA fad;
            if (GetFileAttributesExW(path, GetFileExInfoStandard, &fad)) {
                fsi_times t;
                t.creation = (int64_t)fad.ftCreationTime.dwHighDateTime << 32 | fad.ftCreationTime.dwLowDateTime;
                t.access = (int64_t)fad.ftLastAccessTime.dwHighDateTime << 32 | fad.ftLastAccessTime.dwLowDateTime;
                t.modification = (int64_t)fad.ftLastWriteTime.dwHighDateTime << 32 | fad.ftLastWriteTime.dwLowDateTime;
                fsi_node_set_times(base, &t);
            }
        }
    }
    if (SUCCEEDED(hr) && (attrs & FILE_ATTRIBUTE_DIRECTORY)) {
        if (!enter_dir(w, path)) hr = fsi_error(IMAPI_E_DIRECTORY_READ_FAILURE, &IID_IFsiDirectoryItem, source, NULL);
        else hr = walk_dir(w, path, len, base ? base : top);
    }
    if (SUCCEEDED(hr) && base) {
        st = fsi_dir_attach(NULL, top, base, 1);
        if (st != FSI_OK) hr = E_OUTOFMEMORY;
    }

    /* Merge it in one step: the source wins on collisions; on failure the image is unchanged. */
    if (SUCCEEDED(hr) && SUCCEEDED(hr = item_enter(it))) {
        fsimage_grant g;
        hr = fsimage_check_add(it->img, it->node, top, 0, source, &g);
        if (SUCCEEDED(hr)) {
            st = fsi_dir_merge(fsimage_tree(it->img), it->node, top);
            if (st != FSI_OK) hr = fsi_error(fsi_hresult_from_status(st), &IID_IFsiDirectoryItem, source, NULL);
            else {
                fsimage_added(it->img, &g);
                fsimage_changed(it->img);
            }
        }
        fsimage_unlock(it->img);
    }
    if (base) fsi_node_unref(base);
    if (top) fsi_node_unref(top);
    free(path);
    free(w);
    return hr;
}
