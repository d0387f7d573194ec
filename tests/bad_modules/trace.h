/*
 * trace.h - shared by the test modules: init and fini append a line to the
 * file named by the module's "trace" setting, so that a test can see which
 * modules ran, in which order, and what settings they read.
 * Included by one module source each; everything is static.
 */
#ifndef VALET_TEST_TRACE_H
#define VALET_TEST_TRACE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <valet/valet.h>

struct trace {
	char *file; /* NULL: no trace */
	char tag[64];
};

static void trace_line(const struct trace *t, const char *line)
{
	FILE *f;

	if (t->file == NULL)
		return;
	f = fopen(t->file, "a");
	if (f == NULL)
		return;
	fprintf(f, "%s\n", line);
	fclose(f);
}

/* Reads trace, number, ratio and flag; writes "init TAG id=N number=... ...". */
static int trace_init(const vlt_core_t *core, const char *tag, void **state, vlt_err_t *err)
{
	struct trace *t = calloc(1, sizeof(*t));
	char line[512];
	int64_t number;
	double ratio;
	bool flag;
	int rc;

	if (t == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	snprintf(t->tag, sizeof(t->tag), "%s", tag);
	rc = core->cfg_str(core, "trace", NULL, &t->file, err);
	if (rc == 0)
		rc = core->cfg_int(core, "number", 7, &number, err);
	if (rc == 0)
		rc = core->cfg_double(core, "ratio", 0.5, &ratio, err);
	if (rc == 0)
		rc = core->cfg_bool(core, "flag", false, &flag, err);
	if (rc < 0) {
		free(t->file);
		free(t);
		return rc;
	}
	snprintf(line, sizeof(line), "init %s id=%u number=%lld ratio=%g flag=%d data_dir=%s",
		 tag, (unsigned)core->self_id, (long long)number, ratio, (int)flag,
		 core->data_dir(core));
	trace_line(t, line);
	vlt_log_notice(core, "hello from %s", tag);
	*state = t;
	return 0;
}

static void trace_fini(void *state)
{
	struct trace *t = state;
	char line[128];

	if (t == NULL)
		return;
	snprintf(line, sizeof(line), "fini %s", t->tag);
	trace_line(t, line);
	free(t->file);
	free(t);
}

#endif /* VALET_TEST_TRACE_H */
