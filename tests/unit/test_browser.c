/* Unit tests of the desktop decision (browser.h) on made-up machines: a
 * display and nothing against it opens the browser; SSH, a container or no
 * display keep it closed.  The machine running the tests may itself be a
 * container, so the case that opens is tested here, not by the CLI. */
#include <string.h>

#include "browser.h"
#include "check.h"

/* The machine of the current row: "NAME=value" pairs and existing paths. */
static const char *const *row_env;
static const char *const *row_paths;

static const char *fake_getenv(const char *name)
{
    size_t n = strlen(name);
    for (const char *const *e = row_env; *e; e++)
        if (!strncmp(*e, name, n) && (*e)[n] == '=')
            return *e + n + 1;
    return NULL;
}

static bool fake_exists(const char *path)
{
    for (const char *const *p = row_paths; *p; p++)
        if (!strcmp(*p, path))
            return true;
    return false;
}

#define LIST(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NONE ((const char *const[]){NULL})

static const struct {
    const char *name;
    const char *const *env, *const *paths;
    bool opens;
} ROWS[] = {
    {"x11_desktop_opens", LIST("DISPLAY=:0"), NONE, true},
    {"wayland_desktop_opens", LIST("WAYLAND_DISPLAY=wayland-0"), NONE, true},
    {"no_display_stays_closed", LIST("HOME=/root"), NONE, false},
    {"empty_display_stays_closed", LIST("DISPLAY="), NONE, false},
    {"ssh_connection_stays_closed", LIST("DISPLAY=localhost:10.0", "SSH_CONNECTION=1 2 3 4"),
     NONE, false},
    {"ssh_tty_stays_closed", LIST("DISPLAY=:0", "SSH_TTY=/dev/pts/1"), NONE, false},
    {"empty_ssh_variables_do_not_count", LIST("DISPLAY=:0", "SSH_TTY=", "SSH_CONNECTION="), NONE,
     true},
    {"docker_stays_closed", LIST("DISPLAY=:0"), LIST("/.dockerenv"), false},
    {"podman_file_stays_closed", LIST("DISPLAY=:0"), LIST("/run/.containerenv"), false},
    {"container_variable_stays_closed", LIST("DISPLAY=:0", "container=systemd-nspawn"), NONE,
     false},
    {"other_files_do_not_count", LIST("DISPLAY=:0"), LIST("/etc/hostname"), true},
};

int main(void)
{
    for (size_t i = 0; i < sizeof ROWS / sizeof ROWS[0]; i++) {
        row_env = ROWS[i].env;
        row_paths = ROWS[i].paths;
        struct pv_browser_probe probe = {fake_getenv, fake_exists};
        bool got = pv_browser_has_desktop(&probe);
        CHECK(got == ROWS[i].opens, ROWS[i].name, "got %d", got);
    }
    return check_done();
}
