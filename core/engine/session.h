/*
 * session.h - an engine on a static inventory with the configured modules,
 * as `valet simulate`, the benchmarks and the tests use it: the file's
 * configuration (or the built-in defaults), the static source as the only
 * source, and no store (nothing is written). `valet inventory` opens one on
 * the configuration's own sources instead.
 */
#ifndef VALET_CORE_SESSION_H
#define VALET_CORE_SESSION_H

#include <stddef.h>

#include "config.h"
#include "engine.h"
#include "loader.h"

typedef struct vlt_session {
	vlt_config_t cfg;
	vlt_modules_t mods;
	vlt_engine_t *engine;
} vlt_session_t;

/*
 * vlt__session_open - configuration from config_file (NULL: defaults), the
 * static source on `inventory`, further solvers to load (may be NULL), and
 * module settings as "kind.name.key", "value" pairs (NULL-terminated, may
 * be NULL). On failure the session is closed and err says why.
 */
int vlt__session_open(vlt_session_t *s, const char *config_file, const char *inventory,
		      const char *const *solvers, size_t n_solvers, const char *const *settings,
		      vlt_err_t *err);
/*
 * vlt__session_open_sources - the same on the configuration's own sources
 * (the cloud's, say), with inventory (may be NULL) offered to them as
 * valetd's --inventory does, further solvers to load (may be NULL); no store.
 */
int vlt__session_open_sources(vlt_session_t *s, const char *config_file, const char *inventory,
			      const char *const *solvers, size_t n_solvers, vlt_err_t *err);
void vlt__session_close(vlt_session_t *s);

#endif /* VALET_CORE_SESSION_H */
