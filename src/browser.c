/* browser.c - a desktop to open a link on, and xdg-open (see browser.h). */
#include "browser.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *env_of_process(const char *name)
{
    return getenv(name);
}

static bool path_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* An empty variable counts as unset, as the shells' ${VAR:+...} does. */
static bool is_set(const struct pv_browser_probe *p, const char *name)
{
    const char *v = p->getenv(name);
    return v && *v;
}

bool pv_browser_has_desktop(const struct pv_browser_probe *probe)
{
    static const struct pv_browser_probe this_machine = {env_of_process, path_exists};
    const struct pv_browser_probe *p = probe ? probe : &this_machine;
    if (!is_set(p, "DISPLAY") && !is_set(p, "WAYLAND_DISPLAY"))
        return false;
    /* a forwarded X display over SSH would open the browser remotely, slowly */
    if (is_set(p, "SSH_CONNECTION") || is_set(p, "SSH_TTY"))
        return false;
    return !is_set(p, "container") && !p->exists("/.dockerenv") &&
           !p->exists("/run/.containerenv");
}

void pv_browser_open(const char *url)
{
    /* the child is never waited for: let the kernel reap it */
    struct sigaction ignore = {.sa_handler = SIG_IGN, .sa_flags = SA_NOCLDWAIT};
    sigaction(SIGCHLD, &ignore, NULL);
    pid_t pid = fork();
    if (pid != 0)
        return;
    /* the server blocks SIGINT and SIGTERM for its sigwait: not xdg-open */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) {
        dup2(null, 1);
        dup2(null, 2);
    }
    execlp("xdg-open", "xdg-open", url, (char *)NULL);
    _exit(127);
}
