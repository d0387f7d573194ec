#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <valet/source.h>

#include "session.h"

/* No store: a session writes nothing. The inventory goes under the ABI's key, as valetd's --inventory does. */
static int no_store(vlt_config_t *cfg, const char *inventory)
{
	char flag[4096];

	free(cfg->store);
	cfg->store = NULL;
	if (inventory == NULL)
		return VLT_OK;
	snprintf(flag, sizeof(flag), "--inventory %s", inventory);
	int n = vlt__config_offer(cfg, "source", VLT_SOURCE_INVENTORY_KEY, inventory, flag);
	return n < 0 ? n : VLT_OK;
}

/* Only the static source, and no store: a session reads its inventory and writes nothing. */
static int static_only(vlt_config_t *cfg, const char *inventory)
{
	for (size_t i = 0; i < cfg->n_sources; i++)
		free(cfg->sources[i]);
	free(cfg->sources);
	cfg->n_sources = 0;
	cfg->sources = calloc(1, sizeof(*cfg->sources));
	if (cfg->sources == NULL || (cfg->sources[0] = strdup("static")) == NULL)
		return VLT_ENOMEM;
	cfg->n_sources = 1;
	return no_store(cfg, inventory);
}

int vlt__session_open(vlt_session_t *s, const char *config_file, const char *inventory,
		      const char *const *solvers, size_t n_solvers, const char *const *settings,
		      vlt_err_t *err)
{
	int rc;

	memset(s, 0, sizeof(*s));
	rc = vlt__config_load(&s->cfg, config_file, err);
	if (rc < 0)
		return rc;
	if (static_only(&s->cfg, inventory) < 0) {
		rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; settings != NULL && settings[i] != NULL; i += 2)
		if (vlt__config_add_override(&s->cfg, settings[i], settings[i + 1]) < 0) {
			rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
			goto fail;
		}
	rc = vlt__modules_load(&s->mods, &s->cfg, solvers, n_solvers, err);
	if (rc == VLT_OK)
		rc = vlt__engine_new(&s->engine, &s->mods, err);
	if (rc == VLT_OK)
		return VLT_OK;
fail:
	vlt__session_close(s);
	return rc;
}

int vlt__session_open_sources(vlt_session_t *s, const char *config_file, const char *inventory,
			      const char *const *solvers, size_t n_solvers, vlt_err_t *err)
{
	int rc;

	memset(s, 0, sizeof(*s));
	rc = vlt__config_load(&s->cfg, config_file, err);
	if (rc == VLT_OK && no_store(&s->cfg, inventory) < 0)
		rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
	if (rc == VLT_OK)
		rc = vlt__modules_load(&s->mods, &s->cfg, solvers, n_solvers, err);
	if (rc == VLT_OK)
		rc = vlt__engine_new(&s->engine, &s->mods, err);
	if (rc < 0)
		vlt__session_close(s);
	return rc;
}

void vlt__session_close(vlt_session_t *s)
{
	vlt__engine_free(s->engine);
	vlt__modules_unload(&s->mods);
	vlt__config_free(&s->cfg);
	memset(s, 0, sizeof(*s));
}
