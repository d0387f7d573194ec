/*
 * http_tls.h - TLS on valetd's listener (libmicrohttpd with GnuTLS): the
 * certificate and key of server.tls_cert and server.tls_key, and with
 * server.tls_client_ca, clients must present a certificate that CA signed.
 * Used by http.c only.
 */
#ifndef VALET_CORE_HTTP_TLS_H
#define VALET_CORE_HTTP_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include <microhttpd.h>

#include <valet/errors.h>

#include "config.h"

/* The PEM files' contents; all owned (vlt__http_tls_free). Zeroed: no TLS. */
typedef struct vlt_http_tls {
	char *cert;
	char *key; /* wiped before it is freed */
	char *client_ca;
} vlt_http_tls_t;

#define VLT_HTTP_TLS_OPTIONS 4 /* options vlt__http_tls_options may fill, the end included */

/*
 * vlt__http_tls_load - read cfg's TLS files (none: t stays zeroed).
 * RET 0; VLT_ECONFIG naming the setting and the file (a certificate
 *     without a key or the reverse, a file that cannot be read, libmicrohttpd
 *     built without TLS); VLT_ENOMEM. On failure t is freed.
 */
int vlt__http_tls_load(vlt_http_tls_t *t, const vlt_config_t *cfg, vlt_err_t *err);
void vlt__http_tls_free(vlt_http_tls_t *t);
static inline bool vlt__http_tls_on(const vlt_http_tls_t *t)
{
	return t->cert != NULL;
}
/* The daemon options for t into opts (room for VLT_HTTP_TLS_OPTIONS), ended by MHD_OPTION_END. */
void vlt__http_tls_options(const vlt_http_tls_t *t, struct MHD_OptionItem *opts);
/*
 * Does the connection satisfy t: always without a client CA, else only
 * with a client certificate the CA signed (and valid now).
 */
bool vlt__http_tls_client_ok(const vlt_http_tls_t *t, struct MHD_Connection *conn);

#endif /* VALET_CORE_HTTP_TLS_H */
