/*
 * fuzz_config.c - valet.conf's reader (core/base/config.c, on libconfig) on
 * arbitrary bytes, written to a file as valetd would read one.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(path, sizeof(path), "/tmp/valet-fuzz-config-%ld.conf", (long)getpid());
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "w");
	vlt_config_t cfg;
	vlt_err_t err = { 0 };

	if (f == NULL)
		abort();
	fwrite(data, 1, size, f);
	fclose(f);
	if (vlt__config_load(&cfg, path, &err) == 0)
		vlt__config_free(&cfg);
	unlink(path);
	return 0;
}
