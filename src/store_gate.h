/* store_gate.h - the store's write gate, as store.c uses it: turns to
 * write and to parse.  Inside the store module (include/store.h has the
 * gate's public half: create, destroy, peek).
 *
 * Every function takes g NULL (a connection without a gate, the CLI's) as
 * "no gate": entering cannot fail then, and leaving does nothing. */
#ifndef PV_STORE_GATE_H
#define PV_STORE_GATE_H

#include "store.h"

/* A parse turn, or PV_E_BUSY when max_parsing imports parse already; then
 * *retry_after_s says when to try again. */
pv_code pv_store_gate_parse_enter(struct pv_store_gate *g, unsigned *retry_after_s,
                                  pv_err *err);
/* Give the turn back, saying how long the parse took. */
void pv_store_gate_parse_leave(struct pv_store_gate *g, double elapsed_ms);

/* The write turn, waiting in line for it: PV_E_BUSY when the line is full,
 * or when wait_ms (0: no limit) passes first; then *retry_after_s says
 * when to try again. */
pv_code pv_store_gate_write_enter(struct pv_store_gate *g, unsigned wait_ms,
                                  unsigned *retry_after_s, pv_err *err);
/* Hand the turn to the next in line, if any, saying how long it was held. */
void pv_store_gate_write_leave(struct pv_store_gate *g, double elapsed_ms);

#endif
