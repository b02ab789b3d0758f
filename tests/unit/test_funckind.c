/* Unit tests of function kinds: a stats dict of functions with no calls,
 * one row per rule of funckind.h. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "funckind.h"
#include "marshal_writer.h"
#include "profile.h"

struct row {
    const char *name, *file;
    int line;
    pv_funckind kind;
};

static const struct row rows[] = {
    {"tilde_is_builtin", "~", 0, PV_FUNCKIND_BUILTIN},
    {"profile_module_builtin", "", 0, PV_FUNCKIND_BUILTIN},
    {"empty_file_with_a_line_is_user", "", 3, PV_FUNCKIND_USER},
    {"frozen_is_stdlib", "<frozen importlib._bootstrap>", 233, PV_FUNCKIND_STDLIB},
    {"lib_python3_is_stdlib", "/usr/lib/python3.11/json/decoder.py", 1, PV_FUNCKIND_STDLIB},
    {"lib_python2_is_stdlib", "/usr/lib/python2.7/re.py", 1, PV_FUNCKIND_STDLIB},
    {"lib_python3_without_minor_is_stdlib", "/usr/lib/python3/x.py", 1, PV_FUNCKIND_STDLIB},
    {"lib64_is_stdlib", "/usr/lib64/python3.12/os.py", 1, PV_FUNCKIND_STDLIB},
    {"windows_lib_is_stdlib", "C:\\Python37\\Lib\\json\\decoder.py", 1, PV_FUNCKIND_STDLIB},
    {"anaconda_lib_is_stdlib", "C:\\Users\\x\\Anaconda3\\lib\\ntpath.py", 1,
     PV_FUNCKIND_STDLIB},
    {"site_packages_is_site", "/usr/lib/python3.11/site-packages/np/core.py", 1,
     PV_FUNCKIND_SITE},
    {"dist_packages_is_site", "/usr/lib/python3/dist-packages/yaml/x.py", 1, PV_FUNCKIND_SITE},
    {"windows_site_packages_is_site", "E:\\env\\lib\\site-packages\\pandas\\x.py", 1,
     PV_FUNCKIND_SITE},
    {"project_file_is_user", "/home/me/app/main.py", 1, PV_FUNCKIND_USER},
    {"pythonic_dir_is_user", "/home/me/lib/pythonic/x.py", 1, PV_FUNCKIND_USER},
    {"python4_is_user", "/usr/lib/python4.0/x.py", 1, PV_FUNCKIND_USER},
    {"python_dot_without_digits_is_user", "/usr/lib/python3./x.py", 1, PV_FUNCKIND_USER},
    {"string_is_user", "<string>", 1, PV_FUNCKIND_USER},
    /* two functions of one stdlib file: pv_funckind_fill looks once */
    {"second_function_of_a_stdlib_file", "/usr/lib/python3.11/json/decoder.py", 7,
     PV_FUNCKIND_STDLIB},
};
enum { NROWS = sizeof rows / sizeof rows[0] };

/* {(file, line, name): (1, 1, 0.0, 0.0, {})} for every row */
static struct pv_profile *build(void)
{
    static struct w w;
    w.n = 0;
    byte(&w, '{');
    for (int i = 0; i < NROWS; i++) {
        key(&w, rows[i].file, rows[i].line, rows[i].name);
        stats(&w, 1, 1, 0, 0);
        byte(&w, '0');
    }
    byte(&w, '0');
    return profile_of_written(&w);
}

static uint32_t fid(const struct pv_profile *p, const char *name)
{
    for (uint32_t f = 0; f < p->nfuncs; f++)
        if (!strcmp(pv_profile_str(p, p->funcs[f].name, NULL), name))
            return f;
    return UINT32_MAX;
}

int main(void)
{
    struct pv_profile *p = build();
    CHECK(p != NULL, "the_test_profile_parses", "no profile");
    if (!p)
        return check_done();
    for (int i = 0; i < NROWS; i++) {
        pv_funckind k = pv_funckind_of(p, fid(p, rows[i].name));
        CHECK(k == rows[i].kind, rows[i].name, "%s:%d is %s", rows[i].file, rows[i].line,
              pv_funckind_name(k));
    }

    uint8_t *kinds = malloc(p->nfuncs);
    if (kinds) {
        memset(kinds, 0xff, p->nfuncs);
        pv_funckind_fill(p, kinds);
        uint32_t differ = UINT32_MAX;
        for (uint32_t f = 0; f < p->nfuncs && differ == UINT32_MAX; f++)
            if (kinds[f] != (uint8_t)pv_funckind_of(p, f))
                differ = f;
        CHECK(differ == UINT32_MAX, "fill_gives_every_function_its_own_kind", "fid %u: %s",
              differ, differ == UINT32_MAX ? "" : pv_profile_str(p, p->funcs[differ].file, NULL));
        free(kinds);
    }
    pv_profile_destroy(p);

    static const struct {
        pv_funckind k;
        const char *word;
    } names[] = {
        {PV_FUNCKIND_USER, "user"},
        {PV_FUNCKIND_BUILTIN, "builtin"},
        {PV_FUNCKIND_STDLIB, "stdlib"},
        {PV_FUNCKIND_SITE, "site-packages"},
        {(pv_funckind)99, "user"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        CHECK(!strcmp(pv_funckind_name(names[i].k), names[i].word),
              "kind_names_are_the_api_words", "%d is %s, expected %s", (int)names[i].k,
              pv_funckind_name(names[i].k), names[i].word);
    return check_done();
}
