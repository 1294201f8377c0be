#include "config.h"

#include <string.h>

#include <curl/curl.h>
#include <openssl/rand.h>

#include "buf.h"
#include "soapclient.h"
#include "str.h"
#include "vocab.h"

static size_t
on_data(char *p, size_t sz, size_t n, void *arg)
{
	struct buf *b = arg;

	if (buf_add(b, p, sz * n) != BUF_OK)
		return 0;	/* too big: curl aborts the transfer */
	return sz * n;
}

static void
new_uuid(char out[46])
{
	unsigned char r[16];
	char h[33];

	if (RAND_bytes(r, sizeof r) != 1)
		memset(r, 0, sizeof r);
	r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
	r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
	str_hex(r, sizeof r, h);
	str_fmt(out, 46, "urn:uuid:%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8,
	    h + 12, h + 16, h + 20);
}

int
soapclient_post(const char *url, const char *content_type, const void *body,
    size_t len, const struct soapclient_opts *o, int *http_status,
    char *reply_type, size_t reply_typelen, struct buf *out, char *err,
    size_t errlen)
{
	CURL *c = NULL;
	struct curl_slist *hdr = NULL, *h;
	char ct[768], cerr[CURL_ERROR_SIZE] = "";
	char *rt = NULL;
	long code = 0;
	int rc = -1;
	CURLcode cc;

	if (reply_type != NULL && reply_typelen > 0)
		reply_type[0] = '\0';
	out->b_max = o->max_response ? o->max_response : 64 * 1024 * 1024;
	if (str_fmt(ct, sizeof ct, "Content-Type: %s", content_type) < 0) {
		str_fmt(err, errlen, "Content-Type too long");
		goto out;
	}
	if ((c = curl_easy_init()) == NULL ||
	    (hdr = curl_slist_append(NULL, ct)) == NULL ||
	    (h = curl_slist_append(hdr, "Expect:")) == NULL) {
		str_fmt(err, errlen, "out of memory");
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, o->timeout ? o->timeout : 300L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "xdsnode/" PACKAGE_VERSION);
	if (o->cert)
		curl_easy_setopt(c, CURLOPT_SSLCERT, o->cert);
	if (o->key)
		curl_easy_setopt(c, CURLOPT_SSLKEY, o->key);
	if (o->ca)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->ca);
	if ((cc = curl_easy_perform(c)) != CURLE_OK) {
		str_fmt(err, errlen, "%s: %s", url, cerr[0] ? cerr :
		    curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (reply_type != NULL && reply_typelen > 0 &&
	    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &rt) == CURLE_OK &&
	    rt != NULL && str_lcpy(reply_type, rt, reply_typelen) >=
	    reply_typelen) {
		str_fmt(err, errlen, "%s: Content-Type of the answer too long",
		    url);
		goto out;
	}
	*http_status = (int)code;
	rc = 0;
out:
	curl_slist_free_all(hdr);
	if (c != NULL)
		curl_easy_cleanup(c);
	return rc;
}

int
soapclient_call(const char *url, const char *action, const char *body_xml,
    const struct soapclient_opts *o, int *http_status, struct buf *out,
    char *err, size_t errlen)
{
	struct buf env, ctype;
	char msgid[46];
	int rc = -1;

	buf_init(&env, 256 * 1024 * 1024);
	buf_init(&ctype, 700);
	new_uuid(msgid);
	if (buf_addf(&env, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<soap:Envelope xmlns:soap=\"" NS_SOAP12 "\" xmlns:wsa=\"" NS_WSA
	    "\"><soap:Header><wsa:Action soap:mustUnderstand=\"true\">")
	    != BUF_OK || buf_add_xml(&env, action) != BUF_OK ||
	    buf_addf(&env, "</wsa:Action><wsa:MessageID>%s</wsa:MessageID>"
	    "<wsa:ReplyTo><wsa:Address>" WSA_ANONYMOUS "</wsa:Address>"
	    "</wsa:ReplyTo><wsa:To soap:mustUnderstand=\"true\">", msgid)
	    != BUF_OK || buf_add_xml(&env, url) != BUF_OK ||
	    buf_adds(&env, "</wsa:To></soap:Header><soap:Body>") != BUF_OK ||
	    buf_adds(&env, body_xml) != BUF_OK ||
	    buf_adds(&env, "</soap:Body></soap:Envelope>\n") != BUF_OK ||
	    buf_adds(&ctype, CT_SOAP12 "; charset=UTF-8; action=\"") !=
	    BUF_OK || buf_adds(&ctype, action) != BUF_OK ||
	    buf_adds(&ctype, "\"") != BUF_OK) {
		str_fmt(err, errlen, "request too large");
		goto out;
	}
	rc = soapclient_post(url, buf_str(&ctype), env.b_data, env.b_len, o,
	    http_status, NULL, 0, out, err, errlen);
out:
	buf_free(&env);
	buf_free(&ctype);
	return rc;
}
