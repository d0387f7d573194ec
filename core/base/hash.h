/* hash.h - the one string hash of the core's name tables (FNV-1a, 64 bits). */
#ifndef VALET_CORE_HASH_H
#define VALET_CORE_HASH_H

#include <stdint.h>

static inline uint64_t vlt__hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

#endif /* VALET_CORE_HASH_H */
