/*
 * dashboard.c - GET /dashboard and /dashboard/<file>: the dashboard's
 * static files (docs/dashboard.md), read from one folder.
 *
 * The folder is server.dashboard_dir when set ("" turns the dashboard
 * off), else the first of the source tree's dashboard/ (valetd run from
 * its build tree) and the install prefix's share/valet/dashboard that
 * holds an index.html, the order modules are looked for in.
 *
 * Only files inside that folder are served: a path with an empty, "." or
 * ".." segment, a segment starting with '.', or a backslash is refused
 * before the file system is asked, and the file's real path (symbolic
 * links resolved) must still lie inside the folder's.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"

#ifndef VLT_BUILD_DASHBOARD_DIR
#define VLT_BUILD_DASHBOARD_DIR ""
#endif
#ifndef VLT_INSTALL_DASHBOARD_DIR
#define VLT_INSTALL_DASHBOARD_DIR ""
#endif

/* Larger files are not the dashboard's. */
#define DASHBOARD_FILE_MAX (16 * 1024 * 1024)
#define DASHBOARD_INDEX "index.html"

static const struct content_type {
	const char *ext;
	const char *type;
} content_types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".json", "application/json" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".ico", "image/x-icon" },
	{ ".txt", "text/plain; charset=utf-8" },
};

static const char *content_type_of(const char *name)
{
	const char *dot = strrchr(name, '.');

	for (size_t i = 0; dot != NULL && i < sizeof(content_types) / sizeof(content_types[0]); i++)
		if (strcmp(dot, content_types[i].ext) == 0)
			return content_types[i].type;
	return "application/octet-stream";
}

static bool has_index(const char *dir)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/%s", dir, DASHBOARD_INDEX);

	return n > 0 && (size_t)n < sizeof(path) && access(path, R_OK) == 0;
}

/* The folder served, or NULL with err (VLT_ENOENT) saying why there is none. */
static const char *dashboard_dir(const vlt_config_t *cfg, vlt_err_t *err)
{
	static const char *const builtin[] = { VLT_BUILD_DASHBOARD_DIR, VLT_INSTALL_DASHBOARD_DIR };

	if (cfg->dashboard_dir != NULL) {
		if (cfg->dashboard_dir[0] != '\0')
			return cfg->dashboard_dir;
		vlt_err_set(err, VLT_ENOENT, "the dashboard is turned off (server.dashboard_dir = \"\")");
		return NULL;
	}
	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
		if (builtin[i][0] != '\0' && has_index(builtin[i]))
			return builtin[i];
	vlt_err_set(err, VLT_ENOENT, "no dashboard installed: no %s in %s or %s (server.dashboard_dir)",
		    DASHBOARD_INDEX, VLT_BUILD_DASHBOARD_DIR, VLT_INSTALL_DASHBOARD_DIR);
	return NULL;
}

/* Refuse what could leave the folder or name a hidden file. RET 0 or VLT_EINVAL. */
static int check_rel_path(const char *rel, vlt_err_t *err)
{
	const char *seg = rel;

	if (strchr(rel, '\\') != NULL)
		return vlt_err_set(err, VLT_EINVAL, "dashboard path '%s': a backslash is not served",
				   rel);
	for (;;) {
		const char *slash = strchr(seg, '/');
		size_t len = slash != NULL ? (size_t)(slash - seg) : strlen(seg);

		if (len == 0)
			return vlt_err_set(err, VLT_EINVAL,
					   "dashboard path '%s': an empty segment is not served", rel);
		if (seg[0] == '.')
			return vlt_err_set(err, VLT_EINVAL,
					   "dashboard path '%s': segment '%.*s': names starting with "
					   "'.' are not served", rel, (int)len, seg);
		if (slash == NULL)
			return 0;
		seg = slash + 1;
	}
}

/* Does the real path file lie inside the real folder root? */
static bool inside(const char *root, const char *file)
{
	size_t n = strlen(root);

	return strncmp(root, file, n) == 0 && (file[n] == '/' || (n == 1 && root[0] == '/'));
}

/* Read all of fd (a regular file of size bytes) into a new buffer. */
static int read_all(int fd, size_t size, char **out, vlt_err_t *err)
{
	char *buf = malloc(size + 1);
	size_t got = 0;

	if (buf == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	while (got < size) {
		ssize_t n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			return vlt_err_set(err, VLT_EIO, "dashboard: reading a file: %s",
					   n < 0 ? strerror(errno) : "it shrank while read");
		}
		got += (size_t)n;
	}
	buf[size] = '\0';
	*out = buf;
	return 0;
}

/* Answer the file rel of dir, or VLT_ENOENT naming it. */
static int send_file(const char *dir, const char *rel, vlt_http_resp_t *resp, vlt_err_t *err)
{
	char path[PATH_MAX], real_dir[PATH_MAX], real_file[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/%s", dir, rel);

	if (n < 0 || (size_t)n >= sizeof(path))
		return vlt_err_set(err, VLT_EINVAL, "dashboard path '%s': too long", rel);
	if (realpath(dir, real_dir) == NULL)
		return vlt_err_set(err, VLT_ENOENT, "dashboard folder %s: %s", dir, strerror(errno));
	if (realpath(path, real_file) == NULL || !inside(real_dir, real_file))
		return vlt_err_set(err, VLT_ENOENT, "dashboard: no file '%s'", rel);

	int fd = open(real_file, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	if (fd < 0)
		return vlt_err_set(err, VLT_ENOENT, "dashboard: no file '%s'", rel);
	int rc = 0;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
		rc = vlt_err_set(err, VLT_ENOENT, "dashboard: no file '%s'", rel);
	else if (sb.st_size > DASHBOARD_FILE_MAX)
		rc = vlt_err_set(err, VLT_E2BIG, "dashboard: file '%s' is over %d bytes", rel,
				 DASHBOARD_FILE_MAX);
	else
		rc = read_all(fd, (size_t)sb.st_size, &resp->text, err);
	close(fd);
	if (rc < 0)
		return rc;
	resp->status = 200;
	resp->text_len = (size_t)sb.st_size;
	resp->content_type = content_type_of(rel);
	return 0;
}

int vlt__api_dashboard(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	const vlt_api_t *api = req->app;
	const char *rel = vlt__http_req_param(req, "file");
	size_t plen = strlen(req->path);

	/* "/dashboard": the page's relative links need the folder's own URL */
	if (rel == NULL && (plen == 0 || req->path[plen - 1] != '/')) {
		resp->status = 301;
		resp->location = strdup("dashboard/");
		return resp->location != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
	}
	const char *dir = dashboard_dir(api->cfg, err);
	if (dir == NULL)
		return err->code;
	if (rel == NULL)
		rel = DASHBOARD_INDEX;
	int rc = check_rel_path(rel, err);
	return rc < 0 ? rc : send_file(dir, rel, resp, err);
}
