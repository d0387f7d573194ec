/*
 * test_json.c - JSON with ' for " for the tests (test_json.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "test_json.h"

json_t *test_json(const char *text)
{
	char *s = strdup(text);
	json_error_t jerr;

	assert_non_null(s);
	for (char *c = s; *c != '\0'; c++)
		if (*c == '\'')
			*c = '"';
	json_t *v = json_loads(s, JSON_DECODE_ANY, &jerr);
	if (v == NULL)
		fail_msg("bad test JSON at %d: %s\n%s", jerr.position, jerr.text, s);
	free(s);
	return v;
}
