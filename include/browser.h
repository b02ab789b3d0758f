/* browser.h - whether `pstatsviz FILE` opens a web browser by itself, and
 * opening one.
 *
 * As snakeviz does, the link is opened when this machine has a desktop to
 * show it on: a display (DISPLAY or WAYLAND_DISPLAY), not a session over
 * SSH (SSH_CONNECTION, SSH_TTY), and not inside a container (/.dockerenv,
 * /run/.containerenv, or the `container` variable that podman and
 * systemd-nspawn set), where xdg-open would find no browser or one the
 * user does not see.  The cli module decides with its flags: --open
 * always, --no-browser never. */
#ifndef PV_BROWSER_H
#define PV_BROWSER_H

#include <stdbool.h>

/* What the decision looks at, so that tests can give it another machine:
 * getenv's contract (NULL: unset), and whether a path exists. */
struct pv_browser_probe {
    const char *(*getenv)(const char *name);
    bool (*exists)(const char *path);
};

/* Whether the machine probe describes has a desktop to open a link on.
 * NULL probes this machine.  Cannot fail. */
bool pv_browser_has_desktop(const struct pv_browser_probe *probe);

/* Start `xdg-open url` (found on PATH) and do not wait for it: its output
 * goes to /dev/null, and a missing xdg-open only leaves the printed link.
 * Cannot fail. */
void pv_browser_open(const char *url);

#endif
