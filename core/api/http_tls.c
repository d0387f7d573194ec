/*
 * http_tls.c - the listener's TLS (http_tls.h). libmicrohttpd asks for a
 * client certificate once it is given a trust list, but leaves verifying
 * it to the application: that is vlt__http_tls_client_ok, with GnuTLS.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>

#include "http_tls.h"

#define PEM_MAX (1u << 20) /* a certificate chain is far smaller */

static int read_pem(const char *setting, const char *path, char **out, vlt_err_t *err)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0;

	if (f == NULL)
		return vlt_err_set(err, VLT_ECONFIG, "setting 'server.%s': cannot read %s: %s",
				   setting, path, strerror(errno));
	buf = malloc(PEM_MAX + 1);
	if (buf != NULL)
		n = fread(buf, 1, PEM_MAX + 1, f);
	fclose(f);
	if (buf == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	if (n == 0 || n > PEM_MAX) {
		free(buf);
		return vlt_err_set(err, VLT_ECONFIG, "setting 'server.%s': %s is %s", setting, path,
				   n == 0 ? "empty" : "larger than 1 MiB");
	}
	buf[n] = '\0';
	*out = buf;
	return 0;
}

int vlt__http_tls_load(vlt_http_tls_t *t, const vlt_config_t *cfg, vlt_err_t *err)
{
	int rc = 0;

	memset(t, 0, sizeof(*t));
	if (cfg->tls_cert == NULL && cfg->tls_key == NULL && cfg->tls_client_ca == NULL)
		return 0;
	if (cfg->tls_cert == NULL || cfg->tls_key == NULL)
		return vlt_err_set(err, VLT_ECONFIG,
				   "setting 'server.%s': missing (TLS needs tls_cert and tls_key)",
				   cfg->tls_cert == NULL ? "tls_cert" : "tls_key");
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		return vlt_err_set(err, VLT_ECONFIG,
				   "setting 'server.tls_cert': this libmicrohttpd has no TLS");
	rc = read_pem("tls_cert", cfg->tls_cert, &t->cert, err);
	if (rc == 0)
		rc = read_pem("tls_key", cfg->tls_key, &t->key, err);
	if (rc == 0 && cfg->tls_client_ca != NULL)
		rc = read_pem("tls_client_ca", cfg->tls_client_ca, &t->client_ca, err);
	if (rc < 0)
		vlt__http_tls_free(t);
	return rc;
}

void vlt__http_tls_free(vlt_http_tls_t *t)
{
	if (t->key != NULL)
		memset(t->key, 0, strlen(t->key));
	free(t->cert);
	free(t->key);
	free(t->client_ca);
	memset(t, 0, sizeof(*t));
}

void vlt__http_tls_options(const vlt_http_tls_t *t, struct MHD_OptionItem *opts)
{
	size_t n = 0;

	if (t->cert != NULL) {
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, t->cert };
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, t->key };
	}
	if (t->client_ca != NULL)
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0, t->client_ca };
	opts[n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
}

bool vlt__http_tls_client_ok(const vlt_http_tls_t *t, struct MHD_Connection *conn)
{
	if (t->client_ca == NULL)
		return true;
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci == NULL || ci->tls_session == NULL)
		return false;
	gnutls_session_t session = (gnutls_session_t)ci->tls_session;
	unsigned int n_certs = 0;
	unsigned int status = 0;

	if (gnutls_certificate_get_peers(session, &n_certs) == NULL || n_certs == 0)
		return false; /* no certificate presented */
	return gnutls_certificate_verify_peers2(session, &status) == GNUTLS_E_SUCCESS &&
	       status == 0;
}
