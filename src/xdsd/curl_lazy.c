/*
 * curl_lazy.c: libcurl, loaded on first use.
 *
 * xdsd calls libcurl only when it talks to another system (a remote
 * registry, other communities, Mitz, ZORG-AB, ...); a node on its
 * defaults never does.  Yet linking libcurl maps it and the eighteen
 * libraries only it pulls in (GnuTLS, Kerberos, LDAP, libssh2, ...),
 * about 3.5 MB of resident pages at idle (docs/benchmarks.md, Idle
 * memory).  So the daemon does not link libcurl: this file defines the
 * libcurl functions the node's libraries call, and the first of them
 * dlopen()s libcurl.so.4 and forwards.  xdsctl and the tests link libcurl
 * itself.
 *
 * curl_global_init() only records its flags; the real one runs once the
 * library is loaded (thread-safe since libcurl 7.84, which configure
 * requires).  When the library cannot be loaded, every call fails the
 * way libcurl fails when it cannot start (NULL, CURLE_FAILED_INIT), and
 * the reason is logged once; `xdsd -n` loads it (curl_lazy_load) to
 * report that before a start.
 */
#include "config.h"

#define CURL_DISABLE_TYPECHECK	/* the real names are defined here */

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>

#include <curl/curl.h>

#include "curl_lazy.h"
#include "log.h"
#include "str.h"

#define CURL_LAZY_SONAME	"libcurl.so.4"

static struct {
	CURLcode	(*global_init)(long);
	void		(*global_cleanup)(void);
	CURL		*(*easy_init)(void);
	void		(*easy_cleanup)(CURL *);
	CURLcode	(*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode	(*easy_getinfo)(CURL *, CURLINFO, ...);
	CURLcode	(*easy_perform)(CURL *);
	const char	*(*easy_strerror)(CURLcode);
	char		*(*easy_escape)(CURL *, const char *, int);
	void		(*free)(void *);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void		(*slist_free_all)(struct curl_slist *);
	CURLM		*(*multi_init)(void);
	CURLMcode	(*multi_cleanup)(CURLM *);
	CURLMcode	(*multi_add_handle)(CURLM *, CURL *);
	CURLMcode	(*multi_remove_handle)(CURLM *, CURL *);
	CURLMcode	(*multi_perform)(CURLM *, int *);
	CURLMcode	(*multi_poll)(CURLM *, struct curl_waitfd *,
			    unsigned int, int, int *);
	CURLMsg		*(*multi_info_read)(CURLM *, int *);
} fn;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static void *lib;
static int loaded, global_flags = CURL_GLOBAL_DEFAULT, global_done;
static char why[256];

/* dlsym into *slot; 0, or -1 with why filled. */
static int
sym(void *slot, const char *name)
{
	void *p = dlsym(lib, name);

	if (p == NULL) {
		str_fmt(why, sizeof why, "%s: no %s", CURL_LAZY_SONAME, name);
		return -1;
	}
	/* POSIX: a function pointer round-trips through void * */
	*(void **)slot = p;
	return 0;
}

static void
load(void)
{
	const char *e;

	if ((lib = dlopen(CURL_LAZY_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		e = dlerror();
		str_fmt(why, sizeof why, "%s", e != NULL ? e :
		    CURL_LAZY_SONAME ": cannot be loaded");
		goto fail;
	}
	if (sym(&fn.global_init, "curl_global_init") != 0 ||
	    sym(&fn.global_cleanup, "curl_global_cleanup") != 0 ||
	    sym(&fn.easy_init, "curl_easy_init") != 0 ||
	    sym(&fn.easy_cleanup, "curl_easy_cleanup") != 0 ||
	    sym(&fn.easy_setopt, "curl_easy_setopt") != 0 ||
	    sym(&fn.easy_getinfo, "curl_easy_getinfo") != 0 ||
	    sym(&fn.easy_perform, "curl_easy_perform") != 0 ||
	    sym(&fn.easy_strerror, "curl_easy_strerror") != 0 ||
	    sym(&fn.easy_escape, "curl_easy_escape") != 0 ||
	    sym(&fn.free, "curl_free") != 0 ||
	    sym(&fn.slist_append, "curl_slist_append") != 0 ||
	    sym(&fn.slist_free_all, "curl_slist_free_all") != 0 ||
	    sym(&fn.multi_init, "curl_multi_init") != 0 ||
	    sym(&fn.multi_cleanup, "curl_multi_cleanup") != 0 ||
	    sym(&fn.multi_add_handle, "curl_multi_add_handle") != 0 ||
	    sym(&fn.multi_remove_handle, "curl_multi_remove_handle") != 0 ||
	    sym(&fn.multi_perform, "curl_multi_perform") != 0 ||
	    sym(&fn.multi_poll, "curl_multi_poll") != 0 ||
	    sym(&fn.multi_info_read, "curl_multi_info_read") != 0)
		goto fail;
	if (fn.global_init(global_flags) != CURLE_OK) {
		str_fmt(why, sizeof why, "curl_global_init failed");
		goto fail;
	}
	global_done = 1;
	loaded = 1;
	log_debug("libcurl loaded for the first outbound request");
	return;
fail:
	log_error("outbound requests fail: %s", why);
	if (lib != NULL)
		dlclose(lib);
	lib = NULL;
}

/* Whether libcurl is there to call, loading it the first time. */
static int
ready(void)
{
	pthread_once(&once, load);
	return loaded;
}

int
curl_lazy_load(char *err, size_t errlen)
{
	if (ready())
		return 0;
	str_lcpy(err, why, errlen);
	return -1;
}

int
curl_lazy_loaded(void)
{
	return loaded;
}

/* ---- the functions the node's libraries call ---- */

CURLcode
curl_global_init(long flags)
{
	global_flags = flags;	/* the real one runs in load() */
	return CURLE_OK;
}

void
curl_global_cleanup(void)
{
	if (loaded && global_done) {
		fn.global_cleanup();
		global_done = 0;
	}
}

CURL *
curl_easy_init(void)
{
	return ready() ? fn.easy_init() : NULL;
}

void
curl_easy_cleanup(CURL *h)
{
	if (h != NULL && ready())
		fn.easy_cleanup(h);
}

/*
 * The option's type is in its number (CURLOPTTYPE_*): the one argument
 * is read as that type and passed on as it.
 */
CURLcode
curl_easy_setopt(CURL *h, CURLoption opt, ...)
{
	va_list ap;
	CURLcode rc;

	if (!ready())
		return CURLE_FAILED_INIT;
	va_start(ap, opt);
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		rc = fn.easy_setopt(h, opt, va_arg(ap, long));
	else if (opt < CURLOPTTYPE_FUNCTIONPOINT)
		rc = fn.easy_setopt(h, opt, va_arg(ap, void *));
	else if (opt < CURLOPTTYPE_OFF_T)
		rc = fn.easy_setopt(h, opt, va_arg(ap, void (*)(void)));
	else if (opt < CURLOPTTYPE_BLOB)
		rc = fn.easy_setopt(h, opt, va_arg(ap, curl_off_t));
	else
		rc = fn.easy_setopt(h, opt, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

/* Every CURLINFO_* takes a pointer to where the answer goes. */
CURLcode
curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
	va_list ap;
	CURLcode rc;

	if (!ready())
		return CURLE_FAILED_INIT;
	va_start(ap, info);
	rc = fn.easy_getinfo(h, info, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

CURLcode
curl_easy_perform(CURL *h)
{
	return ready() ? fn.easy_perform(h) : CURLE_FAILED_INIT;
}

const char *
curl_easy_strerror(CURLcode rc)
{
	return ready() ? fn.easy_strerror(rc) : why;
}

char *
curl_easy_escape(CURL *h, const char *s, int len)
{
	return ready() ? fn.easy_escape(h, s, len) : NULL;
}

void
curl_free(void *p)
{
	if (p != NULL && ready())
		fn.free(p);
}

struct curl_slist *
curl_slist_append(struct curl_slist *l, const char *s)
{
	return ready() ? fn.slist_append(l, s) : NULL;
}

void
curl_slist_free_all(struct curl_slist *l)
{
	if (l != NULL && ready())
		fn.slist_free_all(l);
}

CURLM *
curl_multi_init(void)
{
	return ready() ? fn.multi_init() : NULL;
}

CURLMcode
curl_multi_cleanup(CURLM *m)
{
	return ready() ? fn.multi_cleanup(m) : CURLM_BAD_HANDLE;
}

CURLMcode
curl_multi_add_handle(CURLM *m, CURL *h)
{
	return ready() ? fn.multi_add_handle(m, h) : CURLM_BAD_HANDLE;
}

CURLMcode
curl_multi_remove_handle(CURLM *m, CURL *h)
{
	return ready() ? fn.multi_remove_handle(m, h) : CURLM_BAD_HANDLE;
}

CURLMcode
curl_multi_perform(CURLM *m, int *running)
{
	return ready() ? fn.multi_perform(m, running) : CURLM_BAD_HANDLE;
}

CURLMcode
curl_multi_poll(CURLM *m, struct curl_waitfd *extra, unsigned int n,
    int timeout_ms, int *numfds)
{
	return ready() ? fn.multi_poll(m, extra, n, timeout_ms, numfds) :
	    CURLM_BAD_HANDLE;
}

CURLMsg *
curl_multi_info_read(CURLM *m, int *left)
{
	return ready() ? fn.multi_info_read(m, left) : NULL;
}
