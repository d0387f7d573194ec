#include "shared_data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool vlt_shared_data_cases(int argc, char **argv)
{
	return argc > 1 && strcmp(argv[1], "--shared-data") == 0;
}

const char *vlt_shared_data(const char *rel)
{
	static char path[4096];
	const char *dir = getenv("VALET_SHARED_DATA");

	/* read at run time, so a build tree can be pointed at data elsewhere */
	if (dir == NULL || *dir == '\0')
		dir = VLT_SHARED_DATA;
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return path;
}
