/*
 * fsimage.exe: build a file system image of a folder through the IMAPI2FS COM API.
 *
 *   fsimage [options] SOURCE OUT.iso
 *
 * Uses only what a Windows client of imapi2fs.dll would: CoCreateInstance(MsftFileSystemImage),
 * IFsiDirectoryItem::AddTree, IFileSystemImage::CreateResultImage, the result's IStream and
 * ProgressItems, and a DFileSystemImageEvents sink (IConnectionPointContainer::Advise) whose
 * Update events drive the progress bar.
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

#ifndef COPY_BUFFER
#define COPY_BUFFER (64u << 10)     /* the image stream is read and written this much at a time
                                       (-DCOPY_BUFFER=... builds another size to measure) */
#endif

static int quiet;

static void usage(FILE *f)
{
    fwprintf(f,
        L"usage: fsimage [options] SOURCE OUT.iso\n"
        L"Build an image of the folder SOURCE with the IMAPI2FS COM API.\n"
        L"The defaults below are fsimage's own; a new MsftFileSystemImage has Windows' defaults\n"
        L"(iso9660,joliet,udf, level 1, UDF 1.02, 332800 media blocks), which fsimage overrides.\n\n"
        L"  -f, --fs LIST         file systems: iso9660,joliet,udf (default iso9660,joliet)\n"
        L"  -l, --level N         ISO 9660 interchange level 1, 2 or 3 (default 2)\n"
        L"  -u, --udf REV         UDF revision: 102, 150, 200, 201, 250 or 260 (or 0x102 ...; default 102)\n"
        L"      --no-mirror       UDF 2.50+: no metadata mirror file (CreateRedundantUdfMetadataFiles)\n"
        L"  -V, --volume NAME     volume name (default: generated from the date and time)\n"
        L"  -b, --base            put SOURCE itself in the image (AddTree includeBaseDirectory)\n"
        L"  -m, --media-blocks N  FreeMediaBlocks: capacity in 2048-byte blocks (default 0: no limit)\n"
        L"  -s, --strict          StrictFileSystemCompliance\n"
        L"      --boot SPEC       an El Torito boot entry (repeatable, in catalog order):\n"
        L"                        FILE[,platform=0|1|2|0xEF|x86|efi][,emulation=none|1.2|1.44|2.88|hd]\n"
        L"                        [,manufacturer=NAME]; one entry goes through BootImageOptions,\n"
        L"                        several through BootImageOptionsArray\n"
        L"      --boot-array      use BootImageOptionsArray for a single entry too\n"
        L"      --map             print the progress items on stdout, one line each:\n"
        L"                        first block, last block, block count, description\n"
        L"      --append          OUT.iso exists: import its last session (MultisessionInterfaces over\n"
        L"                        the file, ImportFileSystem) and add SOURCE as a new session after it\n"
        L"      --rewrite         like --append, as on random-write media: rewrite only the modified\n"
        L"                        blocks of OUT.iso (IFileSystemImageResult2::ModifiedBlocks)\n"
        L"      --import FS       with --append/--rewrite: import iso9660, joliet or udf\n"
        L"                        (ImportSpecificFileSystem; default: ImportFileSystem's choice)\n"
        L"  -q, --quiet           no progress on stderr\n"
        L"  -h, --help            this text\n"
        L"      --version         print the version of imapi2fs and of the imapi2fs.dll COM loads\n");
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
static void fail(const wchar_t *step, HRESULT hr)
{
    IErrorInfo *ei = NULL;
    BSTR desc = NULL;
    if (GetErrorInfo(0, &ei) == S_OK && ei) {
        IErrorInfo_GetDescription(ei, &desc);
        IErrorInfo_Release(ei);
    }
    fwprintf(stderr, L"fsimage: %ls: 0x%08lX %ls\n", step, (unsigned long)hr, desc ? desc : L"");
    SysFreeString(desc);
    exit(1);
}

static int parse_fs(const wchar_t *list, FsiFileSystems *out)
{
    wchar_t buf[256], *tok, *ctx;
    unsigned fs = 0;
    wcsncpy(buf, list, 255);
    buf[255] = 0;
    for (tok = wcstok_s(buf, L",+", &ctx); tok; tok = wcstok_s(NULL, L",+", &ctx)) {
        if (!_wcsicmp(tok, L"iso9660") || !_wcsicmp(tok, L"iso")) fs |= FsiFileSystemISO9660;
        else if (!_wcsicmp(tok, L"joliet")) fs |= FsiFileSystemJoliet;
        else if (!_wcsicmp(tok, L"udf")) fs |= FsiFileSystemUDF;
        else return 0;
    }
    *out = (FsiFileSystems)fs;
    return fs != 0;
}

/* ---- the progress bar: a DFileSystemImageEvents sink ------------------------------------------ */

/* IMAPI2FS calls Update(object, currentFile, copiedSectors, totalSectors) through IDispatch::Invoke
 * while file data is copied: at 0, every megabyte and at the end of each file. The file's progress
 * item gives where its blocks start, hence how far into the image the copy is. */
typedef struct progress_sink {
    IDispatch IDispatch_iface;
    LONG refs;
    IProgressItems *items;
    ULONG total;                    /* blocks in the image */
    BSTR file;                      /* the file of the last event and where its blocks start */
    ULONG file_first;
    ULONGLONG last_draw;
    int last_pct;
    int live;                       /* stderr is a terminal: redraw one line */
} progress_sink;

static ULONG session_start;

static void draw(progress_sink *p, ULONG done, const wchar_t *file, int force)
{
    wchar_t line[160], bar[21];
    int pct = p->total ? (int)((ULONGLONG)done * 100 / p->total) : 100, n;
    ULONGLONG now = GetTickCount64();
    if (!p->live || (!force && pct == p->last_pct && now - p->last_draw < 200)) return;
    p->last_pct = pct;
    p->last_draw = now;
    for (int i = 0; i < 20; i++) bar[i] = i < pct / 5 ? '#' : '-';
    bar[20] = 0;
    n = swprintf(line, 160, L"writing image: [%ls] %3d%% (%lu of %lu blocks) ", bar, pct, done, p->total);
    if (n > 0 && file) {
        size_t len = wcslen(file), room = n < 79 ? 79 - n : 0;   /* the end of long paths */
        swprintf(line + n, 160 - n, L"%ls%ls", len > room && room > 3 ? L"..." : L"",
                 len > room ? file + len - (room > 3 ? room - 3 : room) : file);
    }
    fwprintf(stderr, L"\r%-79.79ls", line);
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
    draw(p, p->file_first - session_start + (ULONG)V_I4(&params->rgvarg[1]), file, 0);
    return S_OK;
}

static const IDispatchVtbl sink_vtbl = {
    sink_QueryInterface, sink_AddRef, sink_Release, sink_GetTypeInfoCount, sink_GetTypeInfo,
    sink_GetIDsOfNames, sink_Invoke,
};

/* ---- --map: the progress items ------------------------------------------------------------------ */

/* A line of text on stdout: UTF-16 to a console, UTF-8 to a file or pipe. */
static void out_line(const wchar_t *text)
{
    HANDLE h = GetStdHandle(STD_OUTPUT_HANDLE);
    DWORD mode, n;
    if (GetConsoleMode(h, &mode)) {
        WriteConsoleW(h, text, (DWORD)wcslen(text), &n, NULL);
        WriteConsoleW(h, L"\r\n", 2, &n, NULL);
    } else {
        int len = WideCharToMultiByte(CP_UTF8, 0, text, -1, NULL, 0, NULL, NULL);
        char *u = malloc(len + 1);
        if (!u) return;
        WideCharToMultiByte(CP_UTF8, 0, text, -1, u, len, NULL, NULL);
        u[len - 1] = '\n';
        WriteFile(h, u, len, &n, NULL);
        free(u);
    }
}

static void print_map(IProgressItems *items)
{
    IEnumProgressItems *e;
    IProgressItem *item;
    HRESULT hr;
    fflush(stdout);
    if (FAILED(hr = IProgressItems_get_EnumProgressItems(items, &e))) fail(L"EnumProgressItems", hr);
    while (IEnumProgressItems_Next(e, 1, &item, NULL) == S_OK) {
        ULONG first = 0, last = 0, count = 0;
        BSTR desc = NULL;
        wchar_t *line;
        IProgressItem_get_FirstBlock(item, &first);
        IProgressItem_get_LastBlock(item, &last);
        IProgressItem_get_BlockCount(item, &count);
        IProgressItem_get_Description(item, &desc);
        if ((line = malloc((SysStringLen(desc) + 64) * sizeof(*line)))) {
            swprintf(line, SysStringLen(desc) + 64, L"%10lu %10lu %10lu %ls", first, last, count, desc ? desc : L"");
            out_line(line);
            free(line);
        }
        SysFreeString(desc);
        IProgressItem_Release(item);
    }
    IEnumProgressItems_Release(e);
}

/* ---- --boot: El Torito entries through IBootOptions ------------------------------------------- */

static IBootOptions *make_boot(const wchar_t *spec)
{
    wchar_t buf[1024], *tok, *ctx, *file;
    IBootOptions *boot;
    IStream *stream;
    HRESULT hr;
    PlatformId platform = PlatformX86;
    EmulationType emulation = EmulationNone;
    int have_emulation = 0;
    const wchar_t *manufacturer = NULL;

    wcsncpy(buf, spec, 1023);
    buf[1023] = 0;
    if (!(file = wcstok_s(buf, L",", &ctx))) fail(L"--boot", E_INVALIDARG);
    for (tok = wcstok_s(NULL, L",", &ctx); tok; tok = wcstok_s(NULL, L",", &ctx)) {
        wchar_t *v = wcschr(tok, '=');
        if (!v) { fwprintf(stderr, L"fsimage: bad --boot item '%ls'\n", tok); exit(2); }
        *v++ = 0;
        if (!_wcsicmp(tok, L"platform")) {
            if (!_wcsicmp(v, L"x86")) platform = PlatformX86;
            else if (!_wcsicmp(v, L"efi")) platform = PlatformEFI;
            else if (!_wcsicmp(v, L"ppc") || !_wcsicmp(v, L"powerpc")) platform = PlatformPowerPC;
            else if (!_wcsicmp(v, L"mac")) platform = PlatformMac;
            else platform = (PlatformId)wcstol(v, NULL, 0);
        } else if (!_wcsicmp(tok, L"emulation")) {
            have_emulation = 1;
            if (!_wcsicmp(v, L"none")) emulation = EmulationNone;
            else if (!wcscmp(v, L"1.2")) emulation = Emulation12MFloppy;
            else if (!wcscmp(v, L"1.44")) emulation = Emulation144MFloppy;
            else if (!wcscmp(v, L"2.88")) emulation = Emulation288MFloppy;
            else if (!_wcsicmp(v, L"hd")) emulation = EmulationHardDisk;
            else { fwprintf(stderr, L"fsimage: bad emulation '%ls'\n", v); exit(2); }
        } else if (!_wcsicmp(tok, L"manufacturer")) manufacturer = v;
        else { fwprintf(stderr, L"fsimage: bad --boot item '%ls'\n", tok); exit(2); }
    }
    hr = CoCreateInstance(&CLSID_BootOptions, NULL, CLSCTX_INPROC_SERVER, &IID_IBootOptions, (void **)&boot);
    if (FAILED(hr)) fail(L"CoCreateInstance(BootOptions)", hr);
    hr = SHCreateStreamOnFileEx(file, STGM_READ | STGM_SHARE_DENY_NONE, FILE_ATTRIBUTE_NORMAL, FALSE, NULL, &stream);
    if (FAILED(hr)) fail(L"opening the boot image", hr);
    if (FAILED(hr = IBootOptions_AssignBootImage(boot, stream))) fail(L"AssignBootImage", hr);
    IStream_Release(stream);
    if (FAILED(hr = IBootOptions_put_PlatformId(boot, platform))) fail(L"PlatformId", hr);
    /* AssignBootImage chose a floppy emulation for a floppy-sized image; an explicit one wins */
    if (have_emulation && FAILED(hr = IBootOptions_put_Emulation(boot, emulation))) fail(L"Emulation", hr);
    if (manufacturer) {
        BSTR m = SysAllocString(manufacturer);
        hr = IBootOptions_put_Manufacturer(boot, m);
        SysFreeString(m);
        if (FAILED(hr)) fail(L"Manufacturer", hr);
    }
    return boot;
}

static void set_boot(IFileSystemImage *image, const wchar_t *const *specs, int n, int array)
{
    IBootOptions *boots[IMAPI2FS_BOOT_ENTRY_COUNT_MAX];
    HRESULT hr;
    for (int i = 0; i < n; i++) boots[i] = make_boot(specs[i]);
    if (n == 1 && !array) {
        if (FAILED(hr = IFileSystemImage_put_BootImageOptions(image, boots[0]))) fail(L"BootImageOptions", hr);
    } else {
        SAFEARRAY *sa = SafeArrayCreateVector(VT_VARIANT, 0, (ULONG)n);
        IFileSystemImage2 *image2;
        VARIANT *v;
        if (!sa) fail(L"memory", E_OUTOFMEMORY);
        SafeArrayAccessData(sa, (void **)&v);
        for (int i = 0; i < n; i++) {
            V_VT(&v[i]) = VT_DISPATCH;
            V_DISPATCH(&v[i]) = (IDispatch *)boots[i];
            IBootOptions_AddRef(boots[i]);
        }
        SafeArrayUnaccessData(sa);
        if (FAILED(hr = IFileSystemImage_QueryInterface(image, &IID_IFileSystemImage2, (void **)&image2)))
            fail(L"IFileSystemImage2", hr);
        if (FAILED(hr = IFileSystemImage2_put_BootImageOptionsArray(image2, sa))) fail(L"BootImageOptionsArray", hr);
        IFileSystemImage2_Release(image2);
        SafeArrayDestroy(sa);
    }
    for (int i = 0; i < n; i++) IBootOptions_Release(boots[i]);
}

int wmain(int argc, wchar_t **argv)
{
    const wchar_t *boot_specs[IMAPI2FS_BOOT_ENTRY_COUNT_MAX];
    int nboot = 0, boot_array = 0;
    FsiFileSystems fs = FsiFileSystemISO9660 | FsiFileSystemJoliet;
    const wchar_t *volume = NULL, *source = NULL, *output = NULL;
    LONG level = 2, media_blocks = 0, total_blocks = 0, files = 0, dirs = 0, udf = 0;
    int no_mirror = 0, map = 0;
    int base = 0, strict = 0, append = 0, fs_given = 0;
    FsiFileSystems import_fs = FsiFileSystemNone;
    progress_sink sink = { { (IDispatchVtbl *)&sink_vtbl }, 1, NULL, 0, NULL, 0, 0, -1, 0 };
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

    for (int i = 1; i < argc; i++) {
        const wchar_t *a = argv[i];
        const wchar_t *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (!wcscmp(a, L"-h") || !wcscmp(a, L"--help")) { usage(stdout); return 0; }
        else if (!wcscmp(a, L"--version")) return version();
        else if ((!wcscmp(a, L"-f") || !wcscmp(a, L"--fs")) && next) {
            if (!parse_fs(next, &fs)) { fwprintf(stderr, L"fsimage: bad file system list '%ls'\n", next); return 2; }
            fs_given = 1;
            i++;
        }
        else if ((!wcscmp(a, L"-l") || !wcscmp(a, L"--level")) && next) { level = _wtoi(next); i++; }
        else if ((!wcscmp(a, L"-u") || !wcscmp(a, L"--udf")) && next) {
            /* "250" and "0x250" both mean UDF 2.50. */
            udf = (LONG)wcstol(next[0] == '0' && (next[1] == 'x' || next[1] == 'X') ? next + 2 : next, NULL, 16);
            i++;
        }
        else if (!wcscmp(a, L"--no-mirror")) no_mirror = 1;
        else if (!wcscmp(a, L"--append")) append = 1;
        else if (!wcscmp(a, L"--rewrite")) append = 2;
        else if (!wcscmp(a, L"--import") && next) {
            if (!parse_fs(next, &import_fs) || (import_fs != FsiFileSystemISO9660 && import_fs != FsiFileSystemJoliet &&
                                                import_fs != FsiFileSystemUDF)) {
                fwprintf(stderr, L"fsimage: --import takes one of iso9660, joliet, udf\n");
                return 2;
            }
            i++;
        }
        else if (!wcscmp(a, L"--map")) map = 1;
        else if (!wcscmp(a, L"--boot") && next) {
            if (nboot == IMAPI2FS_BOOT_ENTRY_COUNT_MAX) { fwprintf(stderr, L"fsimage: at most 32 --boot\n"); return 2; }
            boot_specs[nboot++] = next;
            i++;
        }
        else if (!wcscmp(a, L"--boot-array")) boot_array = 1;
        else if ((!wcscmp(a, L"-V") || !wcscmp(a, L"--volume")) && next) { volume = next; i++; }
        else if ((!wcscmp(a, L"-m") || !wcscmp(a, L"--media-blocks")) && next) { media_blocks = _wtoi(next); i++; }
        else if (!wcscmp(a, L"-b") || !wcscmp(a, L"--base")) base = 1;
        else if (!wcscmp(a, L"-s") || !wcscmp(a, L"--strict")) strict = 1;
        else if (!wcscmp(a, L"-q") || !wcscmp(a, L"--quiet")) quiet = 1;
        else if (a[0] == '-' && a[1]) { fwprintf(stderr, L"fsimage: unknown option '%ls'\n", a); usage(stderr); return 2; }
        else if (!source) source = a;
        else if (!output) output = a;
        else { usage(stderr); return 2; }
    }
    if (!source || !output) { usage(stderr); return 2; }

    if (FAILED(hr = CoInitializeEx(NULL, COINIT_MULTITHREADED))) fail(L"CoInitializeEx", hr);
    hr = CoCreateInstance(&CLSID_MsftFileSystemImage, NULL, CLSCTX_INPROC_SERVER, &IID_IFileSystemImage, (void **)&image);
    if (FAILED(hr)) fail(L"CoCreateInstance(MsftFileSystemImage)", hr);
    if (append) {
        /* the previous session, through a multisession object over the image file */
        IStream *old;
        IMultisession *ms;
        SAFEARRAY *sa;
        VARIANT v;
        LONG idx = 0;
        hr = SHCreateStreamOnFileEx(output, STGM_READ | STGM_SHARE_DENY_NONE, FILE_ATTRIBUTE_NORMAL, FALSE, NULL, &old);
        if (FAILED(hr)) fail(L"open the image to append to", hr);
        if (FAILED(hr = imagedisc_create(old, append == 2, &ms))) fail(L"multisession object", hr);
        IStream_Release(old);
        sa = SafeArrayCreateVector(VT_VARIANT, 0, 1);
        V_VT(&v) = VT_DISPATCH;
        V_DISPATCH(&v) = (IDispatch *)ms;
        SafeArrayPutElement(sa, &idx, &v);
        IMultisession_Release(ms);
        hr = IFileSystemImage2_put_MultisessionInterfaces((IFileSystemImage2 *)image, sa);
        SafeArrayDestroy(sa);
        if (FAILED(hr)) fail(L"MultisessionInterfaces", hr);
        if (import_fs) hr = IFileSystemImage_ImportSpecificFileSystem(image, import_fs);
        else hr = IFileSystemImage_ImportFileSystem(image, &import_fs);
        if (FAILED(hr)) fail(L"ImportFileSystem", hr);
        if (!volume) {
            BSTR name = NULL;
            if (SUCCEEDED(IFileSystemImage_get_ImportedVolumeName(image, &name)) && name && *name)
                IFileSystemImage_put_VolumeName(image, name);
            SysFreeString(name);
        }
        if (!quiet) {
            LONG f = 0, d = 0, ss = 0;
            IFileSystemImage_get_FileCount(image, &f);
            IFileSystemImage_get_DirectoryCount(image, &d);
            IFileSystemImage_get_SessionStartBlock(image, &ss);
            fwprintf(stderr, L"imported %ls: %ld files, %ld directories; new session at block %ld\n",
                     import_fs == FsiFileSystemUDF ? L"UDF" : import_fs == FsiFileSystemJoliet ? L"Joliet" : L"ISO 9660",
                     f, d, ss);
        }
    }
    if ((!append || fs_given) && FAILED(hr = IFileSystemImage_put_FileSystemsToCreate(image, fs)))
        fail(L"FileSystemsToCreate", hr);
    if (udf && FAILED(hr = IFileSystemImage_put_UDFRevision(image, udf))) fail(L"UDFRevision", hr);
    if (no_mirror && FAILED(hr = IFileSystemImage3_put_CreateRedundantUdfMetadataFiles((IFileSystemImage3 *)image, VARIANT_FALSE)))
        fail(L"CreateRedundantUdfMetadataFiles", hr);
    if (append) IFileSystemImage_get_FileSystemsToCreate(image, &fs);
    /* fsimage's own default (2), not the DLL's (1): Joliet's file-size ceiling follows it too */
    if ((fs & (FsiFileSystemISO9660 | FsiFileSystemJoliet)) &&
        FAILED(hr = IFileSystemImage_put_ISO9660InterchangeLevel(image, level)))
        fail(L"ISO9660InterchangeLevel", hr);
    if ((!append || media_blocks) && FAILED(hr = IFileSystemImage_put_FreeMediaBlocks(image, media_blocks)))
        fail(L"FreeMediaBlocks", hr);
    if (strict && FAILED(hr = IFileSystemImage_put_StrictFileSystemCompliance(image, VARIANT_TRUE)))
        fail(L"StrictFileSystemCompliance", hr);
    if (volume) {
        BSTR v = SysAllocString(volume);
        hr = IFileSystemImage_put_VolumeName(image, v);
        SysFreeString(v);
        if (FAILED(hr)) fail(L"VolumeName", hr);
    }
    if (nboot || boot_array) set_boot(image, boot_specs, nboot, boot_array);
    if (FAILED(hr = IFileSystemImage_get_Root(image, &root))) fail(L"Root", hr);
    if (!quiet) fwprintf(stderr, L"adding %ls\n", source);
    {
        BSTR s = SysAllocString(source);
        hr = IFsiDirectoryItem_AddTree(root, s, base ? VARIANT_TRUE : VARIANT_FALSE);
        SysFreeString(s);
        if (FAILED(hr)) fail(L"AddTree", hr);
    }
    IFileSystemImage_get_FileCount(image, &files);
    IFileSystemImage_get_DirectoryCount(image, &dirs);
    if (FAILED(hr = IFileSystemImage_CreateResultImage(image, &result))) fail(L"CreateResultImage", hr);
    if (FAILED(hr = IFileSystemImageResult_get_TotalBlocks(result, &total_blocks))) fail(L"TotalBlocks", hr);
    if (FAILED(hr = IFileSystemImageResult_get_ImageStream(result, &stream))) fail(L"ImageStream", hr);
    if (!quiet) fwprintf(stderr, L"%ld files, %ld directories, %ld blocks\n", files, dirs, total_blocks);
    IFileSystemImage_get_SessionStartBlock(image, (LONG *)&session_start);
    if ((map || !quiet) && FAILED(hr = IFileSystemImageResult_get_ProgressItems(result, &sink.items)))
        fail(L"ProgressItems", hr);
    if (map) print_map(sink.items);
    if (!quiet) {
        /* The progress bar: Update events while the stream is read. A live line on a terminal. */
        IConnectionPointContainer *cpc;
        sink.total = (ULONG)total_blocks;
        sink.live = GetFileType(GetStdHandle(STD_ERROR_HANDLE)) == FILE_TYPE_CHAR;
        if (FAILED(hr = IFileSystemImage_QueryInterface(image, &IID_IConnectionPointContainer, (void **)&cpc)))
            fail(L"IConnectionPointContainer", hr);
        if (FAILED(hr = IConnectionPointContainer_FindConnectionPoint(cpc, &IID_DFileSystemImageEvents, &point)))
            fail(L"FindConnectionPoint(DFileSystemImageEvents)", hr);
        IConnectionPointContainer_Release(cpc);
        if (FAILED(hr = IConnectionPoint_Advise(point, (IUnknown *)&sink.IDispatch_iface, &cookie))) fail(L"Advise", hr);
        draw(&sink, 0, NULL, 1);
    }

    /* Not CREATE_ALWAYS: Wine truncates the file to 0 even when it has just created it, and on ext4
     * a file truncated to 0 is flushed to disk when it is closed (auto_da_alloc), which made closing
     * a 2 GiB image wait about half a second. A file that exists is emptied, as CREATE_ALWAYS would. */
    out = CreateFileW(output, GENERIC_WRITE, FILE_SHARE_READ, NULL, append ? OPEN_EXISTING : OPEN_ALWAYS,
                      FILE_ATTRIBUTE_NORMAL, NULL);
    if (out == INVALID_HANDLE_VALUE) fail(L"create output", HRESULT_FROM_WIN32(GetLastError()));
    if (!append) {
        LARGE_INTEGER size;
        if (!GetFileSizeEx(out, &size)) fail(L"create output", HRESULT_FROM_WIN32(GetLastError()));
        if (size.QuadPart && !SetEndOfFile(out)) fail(L"create output", HRESULT_FROM_WIN32(GetLastError()));
    }
    total = (ULONGLONG)total_blocks * 2048;
    /* 64 KiB, page-aligned: each piece is still in the core's cache when WriteFile copies it into
     * the output's page cache. With 512 KiB, writing 2 GiB right after another 2 GiB image was
     * deleted took 1.4-4.5 s instead of 0.5-0.7 s on the benchmark machine (benchmarks.md). */
    if (!(buf = VirtualAlloc(NULL, COPY_BUFFER, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE)))
        fail(L"memory", E_OUTOFMEMORY);
    /* What to write where: a new image or a sequential session whole (a session at the end of the
     * image file, where SessionStartBlock says), a random-write result only its modified ranges. */
    LONG (*ranges)[2] = malloc(sizeof(*ranges));
    LONG nranges = 1;
    if (!ranges) fail(L"memory", E_OUTOFMEMORY);
    ranges[0][0] = 0;
    ranges[0][1] = total_blocks - 1;
    if (append == 2) {
        IFileSystemImageResult2 *r2;
        IBlockRangeList *list;
        SAFEARRAY *sa = NULL;
        if (FAILED(hr = IFileSystemImageResult_QueryInterface(result, &IID_IFileSystemImageResult2, (void **)&r2)) ||
            FAILED(hr = IFileSystemImageResult2_get_ModifiedBlocks(r2, &list)))
            fail(L"ModifiedBlocks", hr);
        IFileSystemImageResult2_Release(r2);
        if (FAILED(hr = IBlockRangeList_get_BlockRanges(list, &sa))) fail(L"BlockRanges", hr);
        nranges = 0;
        if (!(ranges = realloc(ranges, (sa->rgsabound[0].cElements + 1) * sizeof(*ranges))))
            fail(L"memory", E_OUTOFMEMORY);
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
        if (append == 2 && FAILED(hr = IStream_Seek(stream, at, STREAM_SEEK_SET, NULL))) fail(L"seek the image stream", hr);
        if (append == 1) at.QuadPart = (LONGLONG)session_start * 2048;
        if (!SetFilePointerEx(out, at, NULL, FILE_BEGIN)) fail(L"seek the output", HRESULT_FROM_WIN32(GetLastError()));
    while (done < end) {
        ULONG want = end - done < COPY_BUFFER ? (ULONG)(end - done) : COPY_BUFFER, got = 0;
        DWORD written = 0;
        if (FAILED(hr = IStream_Read(stream, buf, want, &got))) {
            if (sink.live) fwprintf(stderr, L"\n");
            fail(L"reading the image stream", hr);
        }
        if (got != want) fail(L"reading the image stream (short read)", E_FAIL);
        if (!WriteFile(out, buf, got, &written, NULL) || written != got)
            fail(L"writing the output", HRESULT_FROM_WIN32(GetLastError()));
        done += got;
    }
    }
    SetEndOfFile(out);
    if (point) {
        IConnectionPoint_Unadvise(point, cookie);
        IConnectionPoint_Release(point);
    }
    if (!quiet)
        fwprintf(stderr, L"%lswriting image: 100%% (%ld of %ld blocks)\n", sink.live ? L"\r                                        "
                 L"                                       \r" : L"", total_blocks, total_blocks);
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
