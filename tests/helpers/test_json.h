/*
 * test_json.h - JSON written in C strings with ' for ", so that test
 * requests read without escapes: test_json("{'a': ['b']}").
 */
#ifndef VALET_TESTS_TEST_JSON_H
#define VALET_TESTS_TEST_JSON_H

#include <jansson.h>

/* The value text holds (any JSON value); fails the running cmocka test when it is not JSON. RET a new reference. */
json_t *test_json(const char *text);

#endif /* VALET_TESTS_TEST_JSON_H */
