/*
 * fsimage.exe: build a file system image of a folder through the IMAPI2FS COM API.
 *
 *   fsimage [options] SOURCE OUT.iso
 *
 * Uses only what a Windows client of imapi2fs.dll would: CoCreateInstance(MsftFileSystemImage),
 * IFsiDirectoryItem::AddTree, IFileSystemImage::CreateResultImage, the result's IStream and
 * ProgressItems, and a DFileSystemImageEvents sink (IConnectionPointContainer::Advise) whose
 * Update events drive the progress bar.
 * The command line (options, usage text, --boot SPEC, progress line, messages) is native fsimage's
 * (src/cli/options.c, compiled into both): the wide argv is taken as UTF-8.
 * On failure: exit status 1 and "fsimage: <step>: 0xHRESULT <message>" on stderr.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define COBJMACROS
#include <windows.h>
#include <ole2.h>
#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>
#include <shlwapi.h>
#include "imapi2fs.h"
#include "imapi2fserror.h"
#include "imagedisc.h"
#include "fsi_version.h"        /* FSI_VERSION: the project's version (CMakeLists.txt) */
#include "options.h"            /* src/cli: the command line both front ends share */

#ifndef COPY_BUFFER
#define COPY_BUFFER (64u << 10)     /* the image stream is read and written this much at a time
                                       (-DCOPY_BUFFER=... builds another size to measure) */
#endif

static cli_bar bar;                 /* the progress line */

/* UTF-8 -> a new wide string (exits on failure). */
static wchar_t *wide(const char *u)
{
    int n = MultiByteToWideChar(CP_UTF8, 0, u, -1, NULL, 0);
    wchar_t *w = n > 0 ? malloc(n * sizeof(*w)) : NULL;
    if (!w || !MultiByteToWideChar(CP_UTF8, 0, u, -1, w, n)) {
        fprintf(stderr, "fsimage: memory\n");
        exit(1);
    }
    return w;
}

/* wide -> a new UTF-8 string, or NULL */
static char *utf8(const wchar_t *w)
{
    int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
    char *u = n > 0 ? malloc(n) : NULL;
    if (u && !WideCharToMultiByte(CP_UTF8, 0, w, -1, u, n, NULL, NULL)) {
        free(u);
        u = NULL;
    }
    return u;
}

/* --version: this program's version, then the file and VERSIONINFO of the imapi2fs.dll that COM
 * loads for MsftFileSystemImage (the module holding the class factory: per-user or machine
 * registration, whichever COM prefers). */
static int version(void)
{
    wchar_t path[MAX_PATH];
    IClassFactory *cf = NULL;
    HMODULE module = NULL;
    VS_FIXEDFILEINFO *info = NULL;
    UINT len = 0;
    DWORD size;
    void *data = NULL;
    HRESULT hr;

    wprintf(L"fsimage (imapi2fs) %hs\n", FSI_VERSION);
    if (FAILED(hr = CoInitializeEx(NULL, COINIT_MULTITHREADED))) return 0;
    hr = CoGetClassObject(&CLSID_MsftFileSystemImage, CLSCTX_INPROC_SERVER, NULL, &IID_IClassFactory, (void **)&cf);
    if (FAILED(hr)) {
        wprintf(L"imapi2fs.dll: not loaded (0x%08lX)\n", (unsigned long)hr);
    } else if (!GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                                   (const wchar_t *)cf->lpVtbl, &module) ||
               !GetModuleFileNameW(module, path, MAX_PATH)) {
        wprintf(L"imapi2fs.dll: loaded, module not found\n");
    } else {
        if ((size = GetFileVersionInfoSizeW(path, NULL)) && (data = malloc(size)) &&
            GetFileVersionInfoW(path, 0, size, data) && VerQueryValueW(data, L"\\", (void **)&info, &len) &&
            len >= sizeof(*info))
            wprintf(L"imapi2fs.dll %u.%u.%u.%u %ls\n", HIWORD(info->dwFileVersionMS), LOWORD(info->dwFileVersionMS),
                    HIWORD(info->dwFileVersionLS), LOWORD(info->dwFileVersionLS), path);
        else
            wprintf(L"imapi2fs.dll (no version information) %ls\n", path);
        free(data);
    }
    if (cf) IClassFactory_Release(cf);
    CoUninitialize();
    return 0;
}

/* Print the failure with the object's IErrorInfo text and exit. */
static void fail(const char *step, HRESULT hr)
{
    IErrorInfo *ei = NULL;
    BSTR desc = NULL;
    char *text;
    if (GetErrorInfo(0, &ei) == S_OK && ei) {
        IErrorInfo_GetDescription(ei, &desc);
        IErrorInfo_Release(ei);
    }
    text = utf8(desc ? desc : L"");
    cli_say_failure(&bar, step, (uint32_t)hr, text ? text : "");
    SysFreeString(desc);
    exit(1);
}

/* ---- the progress bar: a DFileSystemImageEvents sink ------------------------------------------ */

/* IMAPI2FS calls Update(object, currentFile, copiedSectors, totalSectors) through IDispatch::Invoke
 * while file data is copied: at 0, every megabyte and at the end of each file. The file's progress
 * item gives where its blocks start, hence how far into the image the copy is. */
typedef struct progress_sink {
    IDispatch IDispatch_iface;
    LONG refs;
    IProgressItems *items;
    BSTR file;                      /* the file of the last event and where its blocks start */
    ULONG file_first;
} progress_sink;

static ULONG session_start;

/* The progress line (options.c) for done blocks, on the terminal. */
static void draw(ULONG done, const wchar_t *file, int force)
{
    char line[640];
    if (cli_bar_line(&bar, done, (const uint16_t *)file, file ? wcslen(file) : 0, force, GetTickCount64(), line,
                     sizeof line)) {
        wchar_t *w = wide(line);
        fputws(w, stderr);
        free(w);
    }
}

static progress_sink *impl_from_IDispatch(IDispatch *iface) { return CONTAINING_RECORD(iface, progress_sink, IDispatch_iface); }

static HRESULT WINAPI sink_QueryInterface(IDispatch *iface, REFIID riid, void **ppv)
{
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch) ||
        IsEqualIID(riid, &IID_DFileSystemImageEvents)) {
        *ppv = iface;
        IDispatch_AddRef(iface);
        return S_OK;
    }
    *ppv = NULL;
    return E_NOINTERFACE;
}

static ULONG WINAPI sink_AddRef(IDispatch *iface) { return InterlockedIncrement(&impl_from_IDispatch(iface)->refs); }
static ULONG WINAPI sink_Release(IDispatch *iface) { return InterlockedDecrement(&impl_from_IDispatch(iface)->refs); }
static HRESULT WINAPI sink_GetTypeInfoCount(IDispatch *iface, UINT *n) { *n = 0; return S_OK; }
static HRESULT WINAPI sink_GetTypeInfo(IDispatch *iface, UINT i, LCID lcid, ITypeInfo **ti) { *ti = NULL; return E_NOTIMPL; }
static HRESULT WINAPI sink_GetIDsOfNames(IDispatch *iface, REFIID riid, LPOLESTR *names, UINT n, LCID lcid, DISPID *ids)
{ return E_NOTIMPL; }

static HRESULT WINAPI sink_Invoke(IDispatch *iface, DISPID id, REFIID riid, LCID lcid, WORD flags, DISPPARAMS *params,
                                  VARIANT *result, EXCEPINFO *excep, UINT *argerr)
{
    progress_sink *p = impl_from_IDispatch(iface);
    BSTR file;
    if (id != DISPID_DFILESYSTEMIMAGEEVENTS_UPDATE) return DISP_E_MEMBERNOTFOUND;
    /* Update(object, currentFile, copiedSectors, totalSectors): arguments in reverse order. */
    if (!params || params->cArgs != 4 || V_VT(&params->rgvarg[2]) != VT_BSTR || V_VT(&params->rgvarg[1]) != VT_I4)
        return DISP_E_BADPARAMCOUNT;
    file = V_BSTR(&params->rgvarg[2]);
    if (!p->file || !file || wcscmp(p->file, file)) {
        IProgressItem *item = NULL;
        SysFreeString(p->file);
        p->file = SysAllocString(file);
        p->file_first = session_start;
        if (p->items && SUCCEEDED(IProgressItems_ProgressItemFromDescription(p->items, file, &item))) {
            IProgressItem_get_FirstBlock(item, &p->file_first);
            IProgressItem_Release(item);
        }
    }
    draw(p->file_first - session_start + (ULONG)V_I4(&params->rgvarg[1]), file, 0);
    return S_OK;
}

static const IDispatchVtbl sink_vtbl = {
    sink_QueryInterface, sink_AddRef, sink_Release, sink_GetTypeInfoCount, sink_GetTypeInfo,
    sink_GetIDsOfNames, sink_Invoke,
};

/* ---- --map: the progress items ------------------------------------------------------------------ */

/* A line of text (UTF-8) on stdout: UTF-16 to a console, UTF-8 to a file or pipe. */
static void out_line(const char *text)
{
    HANDLE h = GetStdHandle(STD_OUTPUT_HANDLE);
    DWORD mode, n;
    if (GetConsoleMode(h, &mode)) {
        wchar_t *w = wide(text);
        WriteConsoleW(h, w, (DWORD)wcslen(w), &n, NULL);
        WriteConsoleW(h, L"\r\n", 2, &n, NULL);
        free(w);
    } else {
        WriteFile(h, text, (DWORD)strlen(text), &n, NULL);
        WriteFile(h, "\n", 1, &n, NULL);
    }
}

static void print_map(IProgressItems *items)
{
    IEnumProgressItems *e;
    IProgressItem *item;
    HRESULT hr;
    fflush(stdout);
    if (FAILED(hr = IProgressItems_get_EnumProgressItems(items, &e))) fail("EnumProgressItems", hr);
    while (IEnumProgressItems_Next(e, 1, &item, NULL) == S_OK) {
        ULONG first = 0, count = 0;
        BSTR desc = NULL;
        char *d, *line;
        IProgressItem_get_FirstBlock(item, &first);
        IProgressItem_get_BlockCount(item, &count);
        IProgressItem_get_Description(item, &desc);
        d = utf8(desc ? desc : L"");
        if (d && (line = malloc(strlen(d) + 40))) {
            cli_map_line(line, strlen(d) + 40, first, count, d);
            out_line(line);
            free(line);
        }
        free(d);
        SysFreeString(desc);
        IProgressItem_Release(item);
    }
    IEnumProgressItems_Release(e);
}

/* ---- --boot: El Torito entries through IBootOptions ------------------------------------------- */

static IBootOptions *make_boot(const char *spec)
{
    char *buf = _strdup(spec);
    cli_boot_spec b;
    IBootOptions *boot;
    IStream *stream;
    wchar_t *file;
    HRESULT hr;
    int r;

    if (!buf) fail("--boot", E_OUTOFMEMORY);
    if ((r = cli_boot_parse(buf, &b)) == 1) fail("--boot", E_INVALIDARG);
    if (r) exit(2);
    hr = CoCreateInstance(&CLSID_BootOptions, NULL, CLSCTX_INPROC_SERVER, &IID_IBootOptions, (void **)&boot);
    if (FAILED(hr)) fail("CoCreateInstance(BootOptions)", hr);
    file = wide(b.file);
    hr = SHCreateStreamOnFileEx(file, STGM_READ | STGM_SHARE_DENY_NONE, FILE_ATTRIBUTE_NORMAL, FALSE, NULL, &stream);
    free(file);
    if (FAILED(hr)) fail("opening the boot image", hr);
    if (FAILED(hr = IBootOptions_AssignBootImage(boot, stream))) fail("AssignBootImage", hr);
    IStream_Release(stream);
    if (FAILED(hr = IBootOptions_put_PlatformId(boot, (PlatformId)b.platform))) fail("PlatformId", hr);
    /* AssignBootImage chose a floppy emulation for a floppy-sized image; an explicit one wins */
    if (b.emulation >= 0 && FAILED(hr = IBootOptions_put_Emulation(boot, (EmulationType)b.emulation)))
        fail("Emulation", hr);
    if (b.manufacturer) {
        wchar_t *w = wide(b.manufacturer);
        BSTR m = SysAllocString(w);
        hr = IBootOptions_put_Manufacturer(boot, m);
        SysFreeString(m);
        free(w);
        if (FAILED(hr)) fail("Manufacturer", hr);
    }
    free(buf);
    return boot;
}

static void set_boot(IFileSystemImage *image, const char *const *specs, int n, int array)
{
    IBootOptions *boots[IMAPI2FS_BOOT_ENTRY_COUNT_MAX];
    HRESULT hr;
    for (int i = 0; i < n; i++) boots[i] = make_boot(specs[i]);
    if (n == 1 && !array) {
        if (FAILED(hr = IFileSystemImage_put_BootImageOptions(image, boots[0]))) fail("BootImageOptions", hr);
    } else {
        SAFEARRAY *sa = SafeArrayCreateVector(VT_VARIANT, 0, (ULONG)n);
        IFileSystemImage2 *image2;
        VARIANT *v;
        if (!sa) fail("memory", E_OUTOFMEMORY);
        SafeArrayAccessData(sa, (void **)&v);
        for (int i = 0; i < n; i++) {
            V_VT(&v[i]) = VT_DISPATCH;
            V_DISPATCH(&v[i]) = (IDispatch *)boots[i];
            IBootOptions_AddRef(boots[i]);
        }
        SafeArrayUnaccessData(sa);
        if (FAILED(hr = IFileSystemImage_QueryInterface(image, &IID_IFileSystemImage2, (void **)&image2)))
            fail("IFileSystemImage2", hr);
        if (FAILED(hr = IFileSystemImage2_put_BootImageOptionsArray(image2, sa))) fail("BootImageOptionsArray", hr);
        IFileSystemImage2_Release(image2);
        SafeArrayDestroy(sa);
    }
    for (int i = 0; i < n; i++) IBootOptions_Release(boots[i]);
}

int wmain(int argc, wchar_t **argv)
{
    cli_options o;
    char **args = calloc(argc + 1, sizeof(*args));
    FsiFileSystems fs, import_fs;
    wchar_t *source, *output;
    LONG total_blocks = 0, files = 0, dirs = 0;
    progress_sink sink = { { (IDispatchVtbl *)&sink_vtbl }, 1, NULL, NULL, 0 };
    IConnectionPoint *point = NULL;
    DWORD cookie = 0;
    IFileSystemImage *image;
    IFsiDirectoryItem *root;
    IFileSystemImageResult *result;
    IStream *stream;
    HANDLE out;
    HRESULT hr;
    char *buf;
    ULONGLONG done = 0, total;

    /* the command line as UTF-8 (options.c) */
    for (int i = 0; args && i < argc; i++)
        if (!(args[i] = utf8(argv[i]))) args = NULL;
    if (!args) fail("memory", E_OUTOFMEMORY);
    switch (cli_parse(argc, args, &o)) {
    case CLI_HELP: cli_usage(stdout); return 0;
    case CLI_VERSION: return version();
    case CLI_BAD: return 2;
    default: break;
    }
    fs = (FsiFileSystems)o.fs;
    import_fs = (FsiFileSystems)o.import_fs;
    source = wide(o.source);
    output = wide(o.output);

    if (FAILED(hr = CoInitializeEx(NULL, COINIT_MULTITHREADED))) fail("CoInitializeEx", hr);
    hr = CoCreateInstance(&CLSID_MsftFileSystemImage, NULL, CLSCTX_INPROC_SERVER, &IID_IFileSystemImage, (void **)&image);
    if (FAILED(hr)) fail("CoCreateInstance(MsftFileSystemImage)", hr);
    if (o.append) {
        /* the previous session, through a multisession object over the image file */
        IStream *old;
        IMultisession *ms;
        SAFEARRAY *sa;
        VARIANT v;
        LONG idx = 0;
        hr = SHCreateStreamOnFileEx(output, STGM_READ | STGM_SHARE_DENY_NONE, FILE_ATTRIBUTE_NORMAL, FALSE, NULL, &old);
        if (FAILED(hr)) fail("open the image to append to", hr);
        if (FAILED(hr = imagedisc_create(old, o.append == 2, &ms))) fail("multisession object", hr);
        IStream_Release(old);
        sa = SafeArrayCreateVector(VT_VARIANT, 0, 1);
        V_VT(&v) = VT_DISPATCH;
        V_DISPATCH(&v) = (IDispatch *)ms;
        SafeArrayPutElement(sa, &idx, &v);
        IMultisession_Release(ms);
        hr = IFileSystemImage2_put_MultisessionInterfaces((IFileSystemImage2 *)image, sa);
        SafeArrayDestroy(sa);
        if (FAILED(hr)) fail("MultisessionInterfaces", hr);
        if (import_fs) hr = IFileSystemImage_ImportSpecificFileSystem(image, import_fs);
        else hr = IFileSystemImage_ImportFileSystem(image, &import_fs);
        if (FAILED(hr)) fail("ImportFileSystem", hr);
        if (!o.volume) {
            BSTR name = NULL;
            if (SUCCEEDED(IFileSystemImage_get_ImportedVolumeName(image, &name)) && name && *name)
                IFileSystemImage_put_VolumeName(image, name);
            SysFreeString(name);
        }
        if (!o.quiet) {
            LONG f = 0, d = 0, ss = 0;
            IFileSystemImage_get_FileCount(image, &f);
            IFileSystemImage_get_DirectoryCount(image, &d);
            IFileSystemImage_get_SessionStartBlock(image, &ss);
            cli_say_imported(import_fs, f, d, ss);
        }
    }
    if ((!o.append || o.fs_given) && FAILED(hr = IFileSystemImage_put_FileSystemsToCreate(image, fs)))
        fail("FileSystemsToCreate", hr);
    if (o.udf && FAILED(hr = IFileSystemImage_put_UDFRevision(image, o.udf))) fail("UDFRevision", hr);
    if (o.no_mirror && FAILED(hr = IFileSystemImage3_put_CreateRedundantUdfMetadataFiles((IFileSystemImage3 *)image, VARIANT_FALSE)))
        fail("CreateRedundantUdfMetadataFiles", hr);
    if (o.append) IFileSystemImage_get_FileSystemsToCreate(image, &fs);
    /* fsimage's own default (2), not the DLL's (1): Joliet's file-size ceiling follows it too */
    if ((fs & (FsiFileSystemISO9660 | FsiFileSystemJoliet)) &&
        FAILED(hr = IFileSystemImage_put_ISO9660InterchangeLevel(image, o.level)))
        fail("ISO9660InterchangeLevel", hr);
    if ((!o.append || o.media_blocks) && FAILED(hr = IFileSystemImage_put_FreeMediaBlocks(image, o.media_blocks)))
        fail("FreeMediaBlocks", hr);
    if (o.strict && FAILED(hr = IFileSystemImage_put_StrictFileSystemCompliance(image, VARIANT_TRUE)))
        fail("StrictFileSystemCompliance", hr);
    if (o.volume) {
        wchar_t *w = wide(o.volume);
        BSTR v = SysAllocString(w);
        free(w);
        hr = IFileSystemImage_put_VolumeName(image, v);
        SysFreeString(v);
        if (FAILED(hr)) fail("VolumeName", hr);
    }
    if (o.nboot || o.boot_array) set_boot(image, o.boot, o.nboot, o.boot_array);
    if (FAILED(hr = IFileSystemImage_get_Root(image, &root))) fail("Root", hr);
    if (!o.quiet) cli_say_adding(o.source);
    {
        BSTR s = SysAllocString(source);
        hr = IFsiDirectoryItem_AddTree(root, s, o.base ? VARIANT_TRUE : VARIANT_FALSE);
        SysFreeString(s);
        if (FAILED(hr)) fail("AddTree", hr);
    }
    IFileSystemImage_get_FileCount(image, &files);
    IFileSystemImage_get_DirectoryCount(image, &dirs);
    if (FAILED(hr = IFileSystemImage_CreateResultImage(image, &result))) fail("CreateResultImage", hr);
    if (FAILED(hr = IFileSystemImageResult_get_TotalBlocks(result, &total_blocks))) fail("TotalBlocks", hr);
    if (FAILED(hr = IFileSystemImageResult_get_ImageStream(result, &stream))) fail("ImageStream", hr);
    if (!o.quiet) cli_say_counts(files, dirs, total_blocks);
    IFileSystemImage_get_SessionStartBlock(image, (LONG *)&session_start);
    if ((o.map || !o.quiet) && FAILED(hr = IFileSystemImageResult_get_ProgressItems(result, &sink.items)))
        fail("ProgressItems", hr);
    if (o.map) print_map(sink.items);
    if (!o.quiet) {
        /* The progress bar: Update events while the stream is read. A live line on a terminal. */
        IConnectionPointContainer *cpc;
        bar.total = (ULONG)total_blocks;
        bar.last_pct = -1;
        bar.live = GetFileType(GetStdHandle(STD_ERROR_HANDLE)) == FILE_TYPE_CHAR;
        if (FAILED(hr = IFileSystemImage_QueryInterface(image, &IID_IConnectionPointContainer, (void **)&cpc)))
            fail("IConnectionPointContainer", hr);
        if (FAILED(hr = IConnectionPointContainer_FindConnectionPoint(cpc, &IID_DFileSystemImageEvents, &point)))
            fail("FindConnectionPoint(DFileSystemImageEvents)", hr);
        IConnectionPointContainer_Release(cpc);
        if (FAILED(hr = IConnectionPoint_Advise(point, (IUnknown *)&sink.IDispatch_iface, &cookie))) fail("Advise", hr);
        draw(0, NULL, 1);
    }

    /* Not CREATE_ALWAYS: Wine truncates the file to 0 even when it has just created it, and on ext4
     * a file truncated to 0 is flushed to disk when it is closed (auto_da_alloc), which made closing
     * a 2 GiB image wait about half a second. A file that exists is emptied, as CREATE_ALWAYS would. */
    out = CreateFileW(output, GENERIC_WRITE, FILE_SHARE_READ, NULL, o.append ? OPEN_EXISTING : OPEN_ALWAYS,
                      FILE_ATTRIBUTE_NORMAL, NULL);
    if (out == INVALID_HANDLE_VALUE) fail("create output", HRESULT_FROM_WIN32(GetLastError()));
    if (!o.append) {
        LARGE_INTEGER size;
        if (!GetFileSizeEx(out, &size)) fail("create output", HRESULT_FROM_WIN32(GetLastError()));
        if (size.QuadPart && !SetEndOfFile(out)) fail("create output", HRESULT_FROM_WIN32(GetLastError()));
    }
    total = (ULONGLONG)total_blocks * 2048;
    /* 64 KiB, page-aligned: each piece is still in the core's cache when WriteFile copies it into
     * the output's page cache. With 512 KiB, writing 2 GiB right after another 2 GiB image was
     * deleted took 1.4-4.5 s instead of 0.5-0.7 s on the benchmark machine (benchmarks.md). */
    if (!(buf = VirtualAlloc(NULL, COPY_BUFFER, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE)))
        fail("memory", E_OUTOFMEMORY);
    /* What to write where: a new image or a sequential session whole (a session at the end of the
     * image file, where SessionStartBlock says), a random-write result only its modified ranges. */
    LONG (*ranges)[2] = malloc(sizeof(*ranges));
    LONG nranges = 1;
    if (!ranges) fail("memory", E_OUTOFMEMORY);
    ranges[0][0] = 0;
    ranges[0][1] = total_blocks - 1;
    if (o.append == 2) {
        IFileSystemImageResult2 *r2;
        IBlockRangeList *list;
        SAFEARRAY *sa = NULL;
        if (FAILED(hr = IFileSystemImageResult_QueryInterface(result, &IID_IFileSystemImageResult2, (void **)&r2)) ||
            FAILED(hr = IFileSystemImageResult2_get_ModifiedBlocks(r2, &list)))
            fail("ModifiedBlocks", hr);
        IFileSystemImageResult2_Release(r2);
        if (FAILED(hr = IBlockRangeList_get_BlockRanges(list, &sa))) fail("BlockRanges", hr);
        nranges = 0;
        if (!(ranges = realloc(ranges, (sa->rgsabound[0].cElements + 1) * sizeof(*ranges))))
            fail("memory", E_OUTOFMEMORY);
        for (LONG k = 0; k < (LONG)sa->rgsabound[0].cElements; k++) {
            VARIANT v;
            IBlockRange *br;
            VariantInit(&v);
            SafeArrayGetElement(sa, &k, &v);
            if (V_VT(&v) == VT_DISPATCH &&
                SUCCEEDED(IDispatch_QueryInterface(V_DISPATCH(&v), &IID_IBlockRange, (void **)&br))) {
                IBlockRange_get_StartLba(br, &ranges[nranges][0]);
                IBlockRange_get_EndLba(br, &ranges[nranges][1]);
                IBlockRange_Release(br);
                nranges++;
            }
            VariantClear(&v);
        }
        SafeArrayDestroy(sa);
        IBlockRangeList_Release(list);
        total = 0;
        for (LONG k = 0; k < nranges; k++) total += (ULONGLONG)(ranges[k][1] - ranges[k][0] + 1) * 2048;
    }
    for (LONG k = 0; k < nranges; k++) {
        LARGE_INTEGER at;
        ULONGLONG end = done + (ULONGLONG)(ranges[k][1] - ranges[k][0] + 1) * 2048;
        at.QuadPart = (LONGLONG)ranges[k][0] * 2048;
        if (o.append == 2 && FAILED(hr = IStream_Seek(stream, at, STREAM_SEEK_SET, NULL))) fail("seek the image stream", hr);
        if (o.append == 1) at.QuadPart = (LONGLONG)session_start * 2048;
        if (!SetFilePointerEx(out, at, NULL, FILE_BEGIN)) fail("seek the output", HRESULT_FROM_WIN32(GetLastError()));
    while (done < end) {
        ULONG want = end - done < COPY_BUFFER ? (ULONG)(end - done) : COPY_BUFFER, got = 0;
        DWORD written = 0;
        if (FAILED(hr = IStream_Read(stream, buf, want, &got))) {
            fail("reading the image stream", hr);
        }
        if (got != want) fail("reading the image stream (short read)", E_FAIL);
        if (!WriteFile(out, buf, got, &written, NULL) || written != got)
            fail("writing the output", HRESULT_FROM_WIN32(GetLastError()));
        done += got;
    }
    }
    SetEndOfFile(out);
    if (point) {
        IConnectionPoint_Unadvise(point, cookie);
        IConnectionPoint_Release(point);
    }
    if (!o.quiet)
        cli_say_done(&bar, total_blocks);
    if (sink.items) IProgressItems_Release(sink.items);
    SysFreeString(sink.file);
    VirtualFree(buf, 0, MEM_RELEASE);
    free(ranges);
    CloseHandle(out);
    IStream_Release(stream);
    IFileSystemImageResult_Release(result);
    IFsiDirectoryItem_Release(root);
    IFileSystemImage_Release(image);
    CoUninitialize();
    return 0;
}
