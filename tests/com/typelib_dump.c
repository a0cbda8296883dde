/*
 * typelib_dump.c - prints a canonical listing of a type library (every type info: kind,
 * name, GUID, flags, help string; every function: DISPID, invoke kind, vtable slot,
 * signature, flags), so that the IMAPI2FS type library can be compared with the listing
 * expected from Microsoft's imapi2fs.dll (tests/com/typelib_expected.txt).
 *
 * Part of imapi2fs, an open re-implementation of Microsoft's imapi2fs.dll.
 *
 * Usage:  typelib_dump <file.tlb | file.dll> [expected.txt]
 *   Without expected.txt the listing goes to stdout (exit code 0).
 *   With expected.txt the listing is compared with that file (CR characters ignored); the
 *   first differing line is reported and the exit code is 1 on any difference.
 *
 * Vtable offsets are printed as slot numbers (oVft / sizeof(void *)) and the SYSKIND only as
 * "native" or not, so the listing is the same for 32- and 64-bit builds.
 */
#define COBJMACROS
#include <windows.h>
#include <ole2.h>
#include <oleauto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <io.h>
#include <fcntl.h>

/* ------------------------------------------------------------------------------------ */
/* output buffer                                                                        */
/* ------------------------------------------------------------------------------------ */

static char *out_buf;
static size_t out_len, out_cap;

static void out(const char *fmt, ...)
{
    va_list ap;
    int n;

    for (;;) {
        size_t room = out_cap - out_len;
        va_start(ap, fmt);
        n = vsnprintf(out_buf ? out_buf + out_len : NULL, out_buf ? room : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if (out_buf && (size_t)n < room) {
            out_len += (size_t)n;
            return;
        }
        out_cap = (out_cap + (size_t)n + 1) * 2;
        out_buf = realloc(out_buf, out_cap);
        if (!out_buf) {
            fprintf(stderr, "out of memory\n");
            exit(2);
        }
    }
}

/* BSTR/WCHAR -> UTF-8 (static rotating buffers; enough for one line) */
static const char *u8(const WCHAR *w)
{
    static char bufs[8][2048];
    static int idx;
    char *b = bufs[idx++ & 7];

    if (!w)
        return "";
    if (!WideCharToMultiByte(CP_UTF8, 0, w, -1, b, sizeof(bufs[0]), NULL, NULL))
        b[0] = 0;
    return b;
}

static const char *guid_str(const GUID *g)
{
    static WCHAR w[4][40];
    static int idx;
    WCHAR *b = w[idx++ & 3];

    StringFromGUID2(g, b, 40);
    return u8(b);
}

/* ------------------------------------------------------------------------------------ */
/* flag and enum names                                                                  */
/* ------------------------------------------------------------------------------------ */

struct flagname { unsigned v; const char *n; };

static void out_flags(unsigned flags, const struct flagname *names)
{
    int first = 1;
    unsigned known = 0;

    out("0x%x(", flags);
    for (; names->n; names++) {
        known |= names->v;
        if (flags & names->v) {
            out("%s%s", first ? "" : "|", names->n);
            first = 0;
        }
    }
    if (flags & ~known)
        out("%s0x%x", first ? "" : "|", flags & ~known);
    out(")");
}

static const struct flagname typeflag_names[] = {
    { TYPEFLAG_FAPPOBJECT, "appobject" },     { TYPEFLAG_FCANCREATE, "cancreate" },
    { TYPEFLAG_FLICENSED, "licensed" },       { TYPEFLAG_FPREDECLID, "predeclid" },
    { TYPEFLAG_FHIDDEN, "hidden" },           { TYPEFLAG_FCONTROL, "control" },
    { TYPEFLAG_FDUAL, "dual" },               { TYPEFLAG_FNONEXTENSIBLE, "nonextensible" },
    { TYPEFLAG_FOLEAUTOMATION, "oleautomation" }, { TYPEFLAG_FRESTRICTED, "restricted" },
    { TYPEFLAG_FAGGREGATABLE, "aggregatable" }, { TYPEFLAG_FREPLACEABLE, "replaceable" },
    { TYPEFLAG_FDISPATCHABLE, "dispatchable" }, { TYPEFLAG_FREVERSEBIND, "reversebind" },
    { TYPEFLAG_FPROXY, "proxy" },             { 0, NULL }
};

static const struct flagname funcflag_names[] = {
    { FUNCFLAG_FRESTRICTED, "restricted" },   { FUNCFLAG_FSOURCE, "source" },
    { FUNCFLAG_FBINDABLE, "bindable" },       { FUNCFLAG_FREQUESTEDIT, "requestedit" },
    { FUNCFLAG_FDISPLAYBIND, "displaybind" }, { FUNCFLAG_FDEFAULTBIND, "defaultbind" },
    { FUNCFLAG_FHIDDEN, "hidden" },           { FUNCFLAG_FUSESGETLASTERROR, "usesgetlasterror" },
    { FUNCFLAG_FDEFAULTCOLLELEM, "defaultcollelem" }, { FUNCFLAG_FUIDEFAULT, "uidefault" },
    { FUNCFLAG_FNONBROWSABLE, "nonbrowsable" }, { FUNCFLAG_FREPLACEABLE, "replaceable" },
    { FUNCFLAG_FIMMEDIATEBIND, "immediatebind" }, { 0, NULL }
};

static const struct flagname implflag_names[] = {
    { IMPLTYPEFLAG_FDEFAULT, "default" },     { IMPLTYPEFLAG_FSOURCE, "source" },
    { IMPLTYPEFLAG_FRESTRICTED, "restricted" }, { IMPLTYPEFLAG_FDEFAULTVTABLE, "defaultvtable" },
    { 0, NULL }
};

static const struct flagname paramflag_names[] = {
    { PARAMFLAG_FIN, "in" },          { PARAMFLAG_FOUT, "out" },
    { PARAMFLAG_FLCID, "lcid" },      { PARAMFLAG_FRETVAL, "retval" },
    { PARAMFLAG_FOPT, "optional" },   { PARAMFLAG_FHASDEFAULT, "hasdefault" },
    { PARAMFLAG_FHASCUSTDATA, "hascustdata" }, { 0, NULL }
};

static const char *tkind_name(TYPEKIND k)
{
    switch (k) {
    case TKIND_ENUM: return "enum";
    case TKIND_RECORD: return "record";
    case TKIND_MODULE: return "module";
    case TKIND_INTERFACE: return "interface";
    case TKIND_DISPATCH: return "dispatch";
    case TKIND_COCLASS: return "coclass";
    case TKIND_ALIAS: return "alias";
    case TKIND_UNION: return "union";
    default: return "?";
    }
}

static const char *invkind_name(INVOKEKIND k)
{
    switch (k) {
    case INVOKE_FUNC: return "func";
    case INVOKE_PROPERTYGET: return "propget";
    case INVOKE_PROPERTYPUT: return "propput";
    case INVOKE_PROPERTYPUTREF: return "propputref";
    default: return "?";
    }
}

static const char *funckind_name(FUNCKIND k)
{
    switch (k) {
    case FUNC_VIRTUAL: return "virtual";
    case FUNC_PUREVIRTUAL: return "purevirtual";
    case FUNC_NONVIRTUAL: return "nonvirtual";
    case FUNC_STATIC: return "static";
    case FUNC_DISPATCH: return "dispatch";
    default: return "?";
    }
}

static const char *vt_name(VARTYPE vt)
{
    switch (vt) {
    case VT_EMPTY: return "EMPTY";       case VT_NULL: return "NULL";
    case VT_I2: return "I2";             case VT_I4: return "I4";
    case VT_R4: return "R4";             case VT_R8: return "R8";
    case VT_CY: return "CY";             case VT_DATE: return "DATE";
    case VT_BSTR: return "BSTR";         case VT_DISPATCH: return "IDispatch";
    case VT_ERROR: return "SCODE";       case VT_BOOL: return "VARIANT_BOOL";
    case VT_VARIANT: return "VARIANT";   case VT_UNKNOWN: return "IUnknown";
    case VT_DECIMAL: return "DECIMAL";   case VT_I1: return "I1";
    case VT_UI1: return "UI1";           case VT_UI2: return "UI2";
    case VT_UI4: return "UI4";           case VT_I8: return "I8";
    case VT_UI8: return "UI8";           case VT_INT: return "INT";
    case VT_UINT: return "UINT";         case VT_VOID: return "void";
    case VT_HRESULT: return "HRESULT";   case VT_LPSTR: return "LPSTR";
    case VT_LPWSTR: return "LPWSTR";     case VT_FILETIME: return "FILETIME";
    case VT_CLSID: return "CLSID";       case VT_INT_PTR: return "INT_PTR";
    case VT_UINT_PTR: return "UINT_PTR";
    default: return NULL;
    }
}

/* ------------------------------------------------------------------------------------ */
/* type descriptions                                                                    */
/* ------------------------------------------------------------------------------------ */

static void out_typedesc(ITypeInfo *ti, const TYPEDESC *td)
{
    const char *n;

    switch (td->vt) {
    case VT_PTR:
        out_typedesc(ti, td->lptdesc);
        out("*");
        return;
    case VT_SAFEARRAY:
        out("SAFEARRAY(");
        out_typedesc(ti, td->lptdesc);
        out(")");
        return;
    case VT_CARRAY: {
        USHORT i;
        out_typedesc(ti, &td->lpadesc->tdescElem);
        for (i = 0; i < td->lpadesc->cDims; i++)
            out("[%lu]", (unsigned long)td->lpadesc->rgbounds[i].cElements);
        return;
    }
    case VT_USERDEFINED: {
        ITypeInfo *ref = NULL;
        BSTR name = NULL;
        if (SUCCEEDED(ITypeInfo_GetRefTypeInfo(ti, td->hreftype, &ref)) && ref &&
            SUCCEEDED(ITypeInfo_GetDocumentation(ref, MEMBERID_NIL, &name, NULL, NULL, NULL))) {
            out("%s", u8(name));
        } else {
            out("<unresolved href 0x%lx>", (unsigned long)td->hreftype);
        }
        SysFreeString(name);
        if (ref)
            ITypeInfo_Release(ref);
        return;
    }
    default:
        n = vt_name(td->vt);
        if (n)
            out("%s", n);
        else
            out("VT_0x%x", td->vt);
        return;
    }
}

static void out_help(ITypeInfo *ti, MEMBERID id)
{
    BSTR doc = NULL;

    if (SUCCEEDED(ITypeInfo_GetDocumentation(ti, id, NULL, &doc, NULL, NULL)) && doc && *doc)
        out(" help=\"%s\"", u8(doc));
    SysFreeString(doc);
}

/* ------------------------------------------------------------------------------------ */
/* functions, variables, implemented interfaces                                         */
/* ------------------------------------------------------------------------------------ */

static void dump_funcs(ITypeInfo *ti, const TYPEATTR *ta, const char *indent)
{
    UINT i;

    for (i = 0; i < ta->cFuncs; i++) {
        FUNCDESC *fd = NULL;
        BSTR names[64];
        UINT cnames = 0, j;
        SHORT p;

        if (FAILED(ITypeInfo_GetFuncDesc(ti, i, &fd))) {
            out("%sfunc[%u] <GetFuncDesc failed>\n", indent, i);
            continue;
        }
        memset(names, 0, sizeof(names));
        ITypeInfo_GetNames(ti, fd->memid, names, 64, &cnames);

        out("%s", indent);
        if (fd->funckind == FUNC_DISPATCH)
            out("dispid=0x%lx", (unsigned long)fd->memid);
        else
            out("slot=%d dispid=0x%lx", (int)(fd->oVft / (SHORT)sizeof(void *)), (unsigned long)fd->memid);
        out(" %s %s %s ", funckind_name(fd->funckind), invkind_name(fd->invkind), cnames ? u8(names[0]) : "?");
        out_typedesc(ti, &fd->elemdescFunc.tdesc);
        out("(");
        for (p = 0; p < fd->cParams; p++) {
            const ELEMDESC *ed = &fd->lprgelemdescParam[p];
            out("%s[", p ? ", " : "");
            out_flags(ed->paramdesc.wParamFlags, paramflag_names);
            out("] ");
            out_typedesc(ti, &ed->tdesc);
            /* names[0] is the function; property puts have no name for the value param */
            out(" %s", (UINT)(p + 1) < cnames ? u8(names[p + 1]) : "_");
        }
        out(")");
        if (fd->cParamsOpt)
            out(" opt=%d", fd->cParamsOpt);
        if (fd->wFuncFlags) {
            out(" flags=");
            out_flags(fd->wFuncFlags, funcflag_names);
        }
        if (fd->callconv != CC_STDCALL)
            out(" callconv=%d", (int)fd->callconv);
        out_help(ti, fd->memid);
        out("\n");

        for (j = 0; j < cnames; j++)
            SysFreeString(names[j]);
        ITypeInfo_ReleaseFuncDesc(ti, fd);
    }
}

static void dump_vars(ITypeInfo *ti, const TYPEATTR *ta, const char *indent)
{
    UINT i;

    for (i = 0; i < ta->cVars; i++) {
        VARDESC *vd = NULL;
        BSTR name = NULL;
        UINT cnames = 0;

        if (FAILED(ITypeInfo_GetVarDesc(ti, i, &vd))) {
            out("%svar[%u] <GetVarDesc failed>\n", indent, i);
            continue;
        }
        ITypeInfo_GetNames(ti, vd->memid, &name, 1, &cnames);
        out("%s%s ", indent, cnames ? u8(name) : "?");
        out_typedesc(ti, &vd->elemdescVar.tdesc);
        if (vd->varkind == VAR_CONST && vd->lpvarValue) {
            VARIANT v;
            VariantInit(&v);
            if (SUCCEEDED(VariantChangeType(&v, vd->lpvarValue, 0, VT_I4)))
                out(" = 0x%lx", (unsigned long)V_I4(&v));
            else
                out(" = <vt %d>", V_VT(vd->lpvarValue));
            VariantClear(&v);
        } else if (vd->varkind == VAR_DISPATCH) {
            out(" dispid=0x%lx", (unsigned long)vd->memid);
        }
        /* record field offsets (VAR_PERINSTANCE) are not printed: they depend on the
           pointer size */
        out_help(ti, vd->memid);
        out("\n");
        SysFreeString(name);
        ITypeInfo_ReleaseVarDesc(ti, vd);
    }
}

static void dump_impls(ITypeInfo *ti, const TYPEATTR *ta, const char *indent, const char *what)
{
    UINT i;

    for (i = 0; i < ta->cImplTypes; i++) {
        HREFTYPE href;
        ITypeInfo *ref = NULL;
        BSTR name = NULL;
        INT implflags = 0;

        out("%s%s ", indent, what);
        if (SUCCEEDED(ITypeInfo_GetRefTypeOfImplType(ti, i, &href)) &&
            SUCCEEDED(ITypeInfo_GetRefTypeInfo(ti, href, &ref)) &&
            SUCCEEDED(ITypeInfo_GetDocumentation(ref, MEMBERID_NIL, &name, NULL, NULL, NULL)))
            out("%s", u8(name));
        else
            out("<unresolved>");
        if (ta->typekind == TKIND_COCLASS &&
            SUCCEEDED(ITypeInfo_GetImplTypeFlags(ti, i, &implflags))) {
            out(" ");
            out_flags((unsigned)implflags, implflag_names);
        }
        out("\n");
        SysFreeString(name);
        if (ref)
            ITypeInfo_Release(ref);
    }
}

static void dump_typeinfo_body(ITypeInfo *ti, const TYPEATTR *ta, const char *indent)
{
    switch (ta->typekind) {
    case TKIND_ALIAS:
        out("%salias of ", indent);
        out_typedesc(ti, &ta->tdescAlias);
        out("\n");
        break;
    case TKIND_COCLASS:
        dump_impls(ti, ta, indent, "implements");
        break;
    case TKIND_INTERFACE:
    case TKIND_DISPATCH:
        dump_impls(ti, ta, indent, "inherits");
        dump_funcs(ti, ta, indent);
        dump_vars(ti, ta, indent);
        break;
    default:
        dump_vars(ti, ta, indent);
        dump_funcs(ti, ta, indent);
        break;
    }
}

static void dump_header(ITypeInfo *ti, const TYPEATTR *ta, const char *prefix)
{
    BSTR name = NULL;

    ITypeInfo_GetDocumentation(ti, MEMBERID_NIL, &name, NULL, NULL, NULL);
    out("%s%s %s %s flags=", prefix, tkind_name(ta->typekind), u8(name), guid_str(&ta->guid));
    out_flags(ta->wTypeFlags, typeflag_names);
    out(" funcs=%u vars=%u impls=%u", ta->cFuncs, ta->cVars, ta->cImplTypes);
    if (ta->typekind == TKIND_INTERFACE || ta->typekind == TKIND_DISPATCH)
        out(" vtblslots=%u", (unsigned)(ta->cbSizeVft / sizeof(void *)));
    if (ta->wMajorVerNum || ta->wMinorVerNum)
        out(" version=%u.%u", ta->wMajorVerNum, ta->wMinorVerNum);
    out_help(ti, MEMBERID_NIL);
    out("\n");
    SysFreeString(name);
}

static void dump_typelib(ITypeLib *tl)
{
    TLIBATTR *la = NULL;
    BSTR name = NULL, doc = NULL, helpfile = NULL;
    UINT count, i;

    ITypeLib_GetDocumentation(tl, -1, &name, &doc, NULL, &helpfile);
    ITypeLib_GetLibAttr(tl, &la);
    out("library %s %s version=%u.%u lcid=%lu syskind=%s flags=0x%x help=\"%s\" helpfile=\"%s\"\n",
        u8(name), guid_str(&la->guid), la->wMajorVerNum, la->wMinorVerNum,
        (unsigned long)la->lcid,
        la->syskind == (sizeof(void *) == 8 ? SYS_WIN64 : SYS_WIN32) ? "native" : "OTHER",
        la->wLibFlags, u8(doc), u8(helpfile));
    ITypeLib_ReleaseTLibAttr(tl, la);
    SysFreeString(name);
    SysFreeString(doc);
    SysFreeString(helpfile);

    count = ITypeLib_GetTypeInfoCount(tl);
    out("typeinfos=%u\n", count);
    for (i = 0; i < count; i++) {
        ITypeInfo *ti = NULL;
        TYPEATTR *ta = NULL;

        if (FAILED(ITypeLib_GetTypeInfo(tl, i, &ti)) || FAILED(ITypeInfo_GetTypeAttr(ti, &ta))) {
            out("\n[%u] <failed>\n", i);
            if (ti)
                ITypeInfo_Release(ti);
            continue;
        }
        out("\n[%u] ", i);
        dump_header(ti, ta, "");
        dump_typeinfo_body(ti, ta, "    ");

        /* the vtable half of a dual interface */
        if (ta->typekind == TKIND_DISPATCH && (ta->wTypeFlags & TYPEFLAG_FDUAL)) {
            HREFTYPE href;
            ITypeInfo *iface = NULL;
            TYPEATTR *ia = NULL;

            if (SUCCEEDED(ITypeInfo_GetRefTypeOfImplType(ti, -1, &href)) &&
                SUCCEEDED(ITypeInfo_GetRefTypeInfo(ti, href, &iface)) &&
                SUCCEEDED(ITypeInfo_GetTypeAttr(iface, &ia))) {
                dump_header(iface, ia, "  dual-vtable: ");
                dump_typeinfo_body(iface, ia, "      ");
                ITypeInfo_ReleaseTypeAttr(iface, ia);
            } else {
                out("  dual-vtable: <GetRefTypeOfImplType(-1) failed>\n");
            }
            if (iface)
                ITypeInfo_Release(iface);
        }
        ITypeInfo_ReleaseTypeAttr(ti, ta);
        ITypeInfo_Release(ti);
    }
}

/* ------------------------------------------------------------------------------------ */
/* comparison                                                                           */
/* ------------------------------------------------------------------------------------ */

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(buf);
        return NULL;
    }
    fclose(f);
    buf[n] = 0;
    *len = (size_t)n;
    return buf;
}

static size_t strip_cr(char *s, size_t n)
{
    size_t i, j = 0;

    for (i = 0; i < n; i++)
        if (s[i] != '\r')
            s[j++] = s[i];
    s[j] = 0;
    return j;
}

static int compare(const char *expected_path)
{
    size_t elen;
    char *exp = read_file(expected_path, &elen);
    const char *a, *b;
    unsigned line = 1;

    if (!exp) {
        fprintf(stderr, "cannot read %s\n", expected_path);
        return 2;
    }
    elen = strip_cr(exp, elen);
    out_len = strip_cr(out_buf, out_len);
    if (elen == out_len && !memcmp(exp, out_buf, elen)) {
        printf("typelib listing matches %s\n", expected_path);
        free(exp);
        return 0;
    }
    /* find the first differing line */
    a = exp;
    b = out_buf;
    for (;;) {
        const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
        size_t la = ea ? (size_t)(ea - a) : strlen(a), lb = eb ? (size_t)(eb - b) : strlen(b);
        if (la != lb || memcmp(a, b, la)) {
            printf("typelib listing differs from %s at line %u:\n", expected_path, line);
            printf("  expected: %.*s\n", (int)la, a);
            printf("  actual:   %.*s\n", (int)lb, b);
            break;
        }
        if (!ea || !eb) {
            printf("typelib listing differs from %s after line %u: %s\n", expected_path, line,
                   ea ? "the actual listing is shorter" : "the actual listing is longer");
            break;
        }
        a = ea + 1;
        b = eb + 1;
        line++;
    }
    free(exp);
    return 1;
}

int main(int argc, char **argv)
{
    WCHAR path[MAX_PATH];
    ITypeLib *tl = NULL;
    HRESULT hr;
    int ret = 0;

    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s <file.tlb|file.dll> [expected.txt]\n", argv[0]);
        return 2;
    }
    _setmode(_fileno(stdout), _O_BINARY);

    MultiByteToWideChar(CP_ACP, 0, argv[1], -1, path, MAX_PATH);
    hr = CoInitialize(NULL);
    if (FAILED(hr)) {
        fprintf(stderr, "CoInitialize failed: 0x%08lx\n", (unsigned long)hr);
        return 2;
    }
    hr = LoadTypeLibEx(path, REGKIND_NONE, &tl);
    if (FAILED(hr)) {
        fprintf(stderr, "LoadTypeLibEx(%s) failed: 0x%08lx\n", argv[1], (unsigned long)hr);
        CoUninitialize();
        return 2;
    }
    dump_typelib(tl);
    ITypeLib_Release(tl);

    if (argc == 3) {
        ret = compare(argv[2]);
    } else {
        fwrite(out_buf, 1, out_len, stdout);
        fflush(stdout);
    }
    free(out_buf);
    CoUninitialize();
    return ret;
}
