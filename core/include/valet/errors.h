/*
 * valet/errors.h - one error convention for the core and every module.
 *
 * Actions return int: 0 on success, a negative VLT_E* code on failure.
 * Predicates return bool. Policy verdicts (valet/policy.h) are small
 * non-negative values, so "negative means broken" holds everywhere.
 * Calls that can fail for reasons an operator must read take a vlt_err_t
 * that receives the code and one line naming what is wrong and where.
 */
#ifndef VALET_ERRORS_H
#define VALET_ERRORS_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

/* name, value, message. The core maps each to an HTTP status in one table. */
#define VLT_ERRNO_MAP(XX)                                                      \
	XX(ENOMEM, -ENOMEM, "out of memory")                                   \
	XX(EINVAL, -EINVAL, "invalid request")                                 \
	XX(ENOENT, -ENOENT, "not found")                                       \
	XX(EEXIST, -EEXIST, "already exists")                                  \
	XX(ETIMEDOUT, -ETIMEDOUT, "timed out")                                 \
	XX(EIO, -EIO, "input/output error")                                    \
	XX(E2BIG, -E2BIG, "too large")                                         \
	XX(EABI, -5001, "module ABI mismatch")                                 \
	XX(ECONFIG, -5002, "invalid configuration")                            \
	XX(EBACKEND, -5003, "backend service error")                           \
	XX(ENOPLACE, -5004, "no feasible placement")                           \
	XX(ECONFLICT, -5005, "conflicting update")                             \
	XX(EFORBIDDEN, -5006, "not allowed")                                   \
	XX(EMETHOD, -5007, "method not allowed")                               \
	XX(EINTERNAL, -5008, "internal error")

enum vlt_errno {
	VLT_OK = 0,
#define VLT_ERR_ENUM(name, val, msg) VLT_##name = (val),
	VLT_ERRNO_MAP(VLT_ERR_ENUM)
#undef VLT_ERR_ENUM
};

/* Room for one line naming the fault, e.g. "inv.json: $.hosts[3].ram_mb: ..." */
#define VLT_ERR_MSG_MAX 512

typedef struct vlt_err {
	int code;                  /* same value the call returned */
	char msg[VLT_ERR_MSG_MAX]; /* one line, no trailing newline */
} vlt_err_t;

/* A static string for a code; never NULL. Inline: modules do not link the core. */
static inline const char *vlt_strerror(int code)
{
	switch (code) {
	case VLT_OK:
		return "success";
#define VLT_ERR_CASE(name, val, msg)                                           \
	case VLT_##name:                                                       \
		return msg;
		VLT_ERRNO_MAP(VLT_ERR_CASE)
#undef VLT_ERR_CASE
	default:
		return "unknown error";
	}
}

/*
 * vlt_err_set - fill err (may be NULL) and return code, so that a failure
 * reads `return vlt_err_set(err, VLT_EINVAL, "%s: ...", file);`.
 */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static inline int vlt_err_set(vlt_err_t *err, int code, const char *fmt, ...)
{
	if (err != NULL) {
		va_list ap;
		va_start(ap, fmt);
		err->code = code;
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}

#endif /* VALET_ERRORS_H */
