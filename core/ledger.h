/*
 * ledger.h - what committed plans hold: per host, the capacity and
 * bandwidth held and the servers resident; per named group, where its
 * members are; per policy and level, how many residents belong to that
 * policy's groups. Cycles read it and add their tentative assignments on
 * top; a successful cycle is committed into it, a deleted plan released.
 */
#ifndef VALET_CORE_LEDGER_H
#define VALET_CORE_LEDGER_H

#include <valet/errors.h>
#include <valet/model.h>

typedef struct vlt_ledger vlt_ledger_t;

/* OUT: new, owned by the caller. Borrows dc for its whole life. */
int vlt__ledger_new(vlt_ledger_t **l, const vlt_dc_t *dc, uint32_t n_policies, vlt_err_t *err);
void vlt__ledger_free(vlt_ledger_t *l);
const vlt_dc_t *vlt__ledger_dc(const vlt_ledger_t *l);
/* Release everything plan_id holds; a no-op for an unknown plan. */
void vlt__ledger_release(vlt_ledger_t *l, const char *plan_id);

#endif /* VALET_CORE_LEDGER_H */
