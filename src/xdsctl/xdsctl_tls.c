/*
 * xdsctl_tls.c: `xdsctl tls check`: what a TLS peer presents, and
 * whether this node, with its configuration, would accept it.
 *
 *	xdsctl tls check HOST:PORT [--ca FILE] [--crl FILE]
 *	    [--cert FILE --key FILE] [--json]
 *
 * Connects (with the client certificate, if one is given or configured,
 * so that a peer asking for one answers), takes whatever chain the peer
 * sends, and then judges it as the node's outbound requests do: the
 * chain to the CA file (http.ca), the CRLs (http.crl: every certificate
 * of the chain), the validity dates, the name HOST.  Exit 0 when it
 * would be accepted, 1 when not (or no certificate came), 2 for usage.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <getopt.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "pki.h"
#include "status.h"
#include "str.h"
#include "uzi.h"
#include "xdsctl.h"

#define TLS_CONNECT_TIMEOUT	10	/* seconds */

struct tls_opts {
	const char	*host;
	char		 hostbuf[256];
	int		 port;
	const char	*ca, *crl, *cert, *key;
	int		 json;
};

/* What the peer sent, kept by the verify callback during the handshake
 * (which accepts anything: the judgement comes after). */
struct tls_seen {
	X509		*leaf;
	STACK_OF(X509)	*chain;		/* as sent, leaf first */
};

struct tls_verdict {
	int	accept;
	int	depth;
	char	reason[256];
};

static void
tls_usage(void)
{
	fprintf(stderr, "usage: xdsctl tls check HOST:PORT [--ca FILE] "
	    "[--crl FILE] [--cert FILE --key FILE] [--json]\n");
}

static int
seen_cb(int ok, X509_STORE_CTX *x)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(x,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	struct tls_seen *s = SSL_get_app_data(ssl);
	STACK_OF(X509) *u;

	(void)ok;
	if (s != NULL && s->leaf == NULL &&
	    (s->leaf = X509_STORE_CTX_get0_cert(x)) != NULL) {
		X509_up_ref(s->leaf);
		if ((u = X509_STORE_CTX_get0_untrusted(x)) != NULL)
			s->chain = X509_chain_up_ref(u);
	}
	return 1;
}

static int
tcp_connect(const struct tls_opts *o, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct timeval tv = { TLS_CONNECT_TIMEOUT, 0 };
	char port[16];
	int fd = -1, rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	str_fmt(port, sizeof port, "%d", o->port);
	if ((rc = getaddrinfo(o->host, port, &hints, &res)) != 0) {
		str_fmt(err, errlen, "%s: %s", o->host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol)) == -1)
			continue;
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		str_fmt(err, errlen, "%s:%d: cannot connect", o->host,
		    o->port);
	return fd;
}

/* The handshake: 0 when it completed; what was seen is in *s either
 * way, and why it failed in hs_err. */
static int
handshake(const struct tls_opts *o, int fd, struct tls_seen *s,
    char *proto, size_t protolen, char *cipher, size_t cipherlen,
    char *hs_err, size_t hs_errlen)
{
	SSL_CTX *c = NULL;
	SSL *ssl = NULL;
	unsigned char probe;
	int rc = -1;

	ERR_clear_error();
	hs_err[0] = '\0';
	if ((c = SSL_CTX_new(TLS_client_method())) == NULL ||
	    !SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION))
		goto fail;
	if (o->cert != NULL && *o->cert != '\0' &&
	    (SSL_CTX_use_certificate_chain_file(c, o->cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(c, o->key != NULL ? o->key : "",
	    SSL_FILETYPE_PEM) != 1)) {
		str_fmt(hs_err, hs_errlen, "client certificate %s or key %s "
		    "unusable", o->cert, o->key != NULL ? o->key : "(none)");
		goto out;
	}
	SSL_CTX_set_verify(c, SSL_VERIFY_PEER, seen_cb);
	if ((ssl = SSL_new(c)) == NULL || SSL_set_fd(ssl, fd) != 1)
		goto fail;
	SSL_set_app_data(ssl, s);
	(void)SSL_set_tlsext_host_name(ssl, o->host);
	if (SSL_connect(ssl) != 1)
		goto fail;
	/* TLS 1.3: a server that refuses our certificate says so after
	 * the handshake; a read of nothing shows it (or times out). */
	if (SSL_version(ssl) == TLS1_3_VERSION) {
		struct timeval tv = { 1, 0 };

		(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		if (SSL_peek(ssl, &probe, 1) <= 0 &&
		    SSL_get_error(ssl, 0) == SSL_ERROR_SSL)
			goto fail;
		ERR_clear_error();
	}
	str_lcpy(proto, SSL_get_version(ssl), protolen);
	str_lcpy(cipher, SSL_get_cipher_name(ssl), cipherlen);
	rc = 0;
	goto out;
fail:
	if (ERR_peek_last_error() != 0)
		ERR_error_string_n(ERR_peek_last_error(), hs_err, hs_errlen);
	else
		str_lcpy(hs_err, "the peer closed the connection", hs_errlen);
out:
	ERR_clear_error();
	if (ssl != NULL)
		(void)SSL_shutdown(ssl);
	SSL_free(ssl);
	SSL_CTX_free(c);
	return rc;
}

/* The node's judgement of the chain s for host. */
static void
judge(const struct tls_opts *o, const struct tls_seen *s,
    struct tls_verdict *v)
{
	struct pki_crls *crls = NULL;
	X509_STORE *st = NULL;
	X509_STORE_CTX *x = NULL;
	X509_VERIFY_PARAM *vp;
	char err[512];
	int e;

	memset(v, 0, sizeof v[0]);
	v->depth = -1;
	if ((st = X509_STORE_new()) == NULL ||
	    (x = X509_STORE_CTX_new()) == NULL) {
		str_lcpy(v->reason, "out of memory", sizeof v->reason);
		goto out;
	}
	if (o->ca != NULL && *o->ca != '\0') {
		if (X509_STORE_load_file(st, o->ca) != 1) {
			str_fmt(v->reason, sizeof v->reason, "CA file %s "
			    "cannot be read", o->ca);
			goto out;
		}
	} else
		(void)X509_STORE_set_default_paths(st);
	if (o->crl != NULL && *o->crl != '\0') {
		if (pki_crls_load(o->crl, &crls, err, sizeof err) != XDS_OK) {
			str_fmt(v->reason, sizeof v->reason, "CRLs: %s", err);
			goto out;
		}
		if (pki_crls_apply(crls, st) != XDS_OK) {
			str_lcpy(v->reason, "out of memory", sizeof v->reason);
			goto out;
		}
	}
	if (X509_STORE_CTX_init(x, st, s->leaf, s->chain) != 1) {
		str_lcpy(v->reason, "out of memory", sizeof v->reason);
		goto out;
	}
	(void)X509_STORE_CTX_set_purpose(x, X509_PURPOSE_SSL_SERVER);
	vp = X509_STORE_CTX_get0_param(x);
	if (X509_VERIFY_PARAM_set1_ip_asc(vp, o->host) != 1) {
		ERR_clear_error();
		(void)X509_VERIFY_PARAM_set1_host(vp, o->host, 0);
	}
	if (X509_verify_cert(x) == 1) {
		v->accept = 1;
		goto out;
	}
	e = X509_STORE_CTX_get_error(x);
	v->depth = X509_STORE_CTX_get_error_depth(x);
	str_lcpy(v->reason, X509_verify_cert_error_string(e),
	    sizeof v->reason);
out:
	ERR_clear_error();
	X509_STORE_CTX_free(x);
	X509_STORE_free(st);
	pki_crls_free(crls);
}

static void
key_text(X509 *x, char *out, size_t outlen)
{
	EVP_PKEY *k = X509_get0_pubkey(x);

	if (k == NULL) {
		str_lcpy(out, "?", outlen);
		return;
	}
	str_fmt(out, outlen, "%s %d bits", EVP_PKEY_get0_type_name(k),
	    EVP_PKEY_get_bits(k));
}

static void
serial_text(X509 *x, char *out, size_t outlen)
{
	BIGNUM *bn;
	char *hex;

	str_lcpy(out, "?", outlen);
	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL)) ==
	    NULL)
		return;
	if ((hex = BN_bn2hex(bn)) != NULL)
		str_lcpy(out, hex, outlen);
	OPENSSL_free(hex);
	BN_free(bn);
}

struct san_out {
	int	json;
	int	n;
	char	uzi[PKI_SAN_MAX + 1];
};

static int
san_print(void *arg, const char *kind, const char *value)
{
	struct san_out *so = arg;

	if (strcmp(kind, "UZI") == 0 && so->uzi[0] == '\0')
		str_lcpy(so->uzi, value, sizeof so->uzi);
	if (so->json) {
		printf("%s{\"type\":", so->n ? "," : "");
		ctl_json_str(kind);
		printf(",\"value\":");
		ctl_json_str(value);
		printf("}");
	} else
		printf("san         %s:%s\n", kind, value);
	so->n++;
	return 0;
}

static void
print_uzi(const char *s, int json)
{
	struct uzi_id u;
	char err[128];

	if (uzi_parse(s, strlen(s), &u, err, sizeof err) != XDS_OK) {
		if (json) {
			printf(",\"uzi\":{\"error\":");
			ctl_json_str(err);
			printf("}");
		} else
			printf("uzi         %s\n", err);
		return;
	}
	if (!json) {
		printf("uzi         card type %c, UZI number %s, role %s\n",
		    u.card, u.number, u.role);
		printf("ura         %s\n", u.ura);
		return;
	}
	printf(",\"uzi\":{\"ca_oid\":");
	ctl_json_str(u.ca_oid);
	printf(",\"type\":\"%c\",\"uzi\":", u.card);
	ctl_json_str(u.number);
	printf(",\"ura\":");
	ctl_json_str(u.ura);
	printf(",\"role\":");
	ctl_json_str(u.role);
	printf(",\"agb\":");
	ctl_json_str(u.agb);
	printf("}");
}

static void
print_field(int json, int first, const char *key, const char *value)
{
	if (json) {
		printf("%s\"%s\":", first ? "" : ",", key);
		ctl_json_str(value);
	} else
		printf("%-11s %s\n", key, value);
}

static void
report(const struct tls_opts *o, const struct tls_seen *s,
    const char *proto, const char *cipher, const char *hs_err,
    const struct tls_verdict *v)
{
	struct san_out so;
	char buf[1024], peer[300];
	X509 *c;
	int i, n;

	str_fmt(peer, sizeof peer, "%s:%d", o->host, o->port);
	if (o->json)
		printf("{");
	print_field(o->json, 1, "peer", peer);
	print_field(o->json, 0, "protocol", proto);
	print_field(o->json, 0, "cipher", cipher);
	print_field(o->json, 0, "handshake", hs_err[0] ? hs_err : "ok");
	if (s->leaf != NULL) {
		(void)pki_name(X509_get_subject_name(s->leaf), buf, sizeof buf);
		print_field(o->json, 0, "subject", buf);
		(void)pki_name(X509_get_issuer_name(s->leaf), buf, sizeof buf);
		print_field(o->json, 0, "issuer", buf);
		serial_text(s->leaf, buf, sizeof buf);
		print_field(o->json, 0, "serial", buf);
		pki_time_text(pki_asn1_time(X509_get0_notBefore(s->leaf)), buf,
		    sizeof buf);
		print_field(o->json, 0, "not_before", buf);
		pki_time_text(pki_asn1_time(X509_get0_notAfter(s->leaf)), buf,
		    sizeof buf);
		print_field(o->json, 0, "not_after", buf);
		key_text(s->leaf, buf, sizeof buf);
		print_field(o->json, 0, "key", buf);
		memset(&so, 0, sizeof so);
		so.json = o->json;
		if (o->json)
			printf(",\"san\":[");
		(void)pki_san_each(s->leaf, san_print, &so);
		if (o->json)
			printf("]");
		if (so.uzi[0] != '\0')
			print_uzi(so.uzi, o->json);
		n = s->chain != NULL ? sk_X509_num(s->chain) : 0;
		if (o->json)
			printf(",\"chain\":[");
		for (i = 0; i < n; i++) {
			c = sk_X509_value(s->chain, i);
			(void)pki_name(X509_get_subject_name(c), buf,
			    sizeof buf);
			if (o->json) {
				printf("%s", i ? "," : "");
				ctl_json_str(buf);
			} else
				printf("chain %-5d %s\n", i, buf);
		}
		if (o->json)
			printf("]");
	}
	if (o->json) {
		printf(",\"accept\":%s,\"reason\":", v->accept ? "true" :
		    "false");
		ctl_json_str(v->reason);
		printf(",\"depth\":%d}\n", v->depth);
		return;
	}
	if (v->accept)
		printf("verdict     accept\n");
	else if (v->depth >= 0)
		printf("verdict     reject: %s (certificate %d of the chain)\n",
		    v->reason, v->depth);
	else
		printf("verdict     reject: %s\n", v->reason);
}

static int
tls_check(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ca", required_argument, NULL, 'A' },
		{ "crl", required_argument, NULL, 'R' },
		{ "cert", required_argument, NULL, 'E' },
		{ "key", required_argument, NULL, 'K' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct tls_opts o;
	struct tls_seen s = { NULL, NULL };
	struct tls_verdict v;
	char err[512], proto[32] = "", cipher[64] = "", hs_err[256] = "";
	int ch, fd;

	memset(&o, 0, sizeof o);
	o.ca = ctl->ca != NULL ? ctl->ca : ctl->conf.http_ca;
	o.crl = ctl->conf.http_crl;
	o.cert = ctl->cert != NULL ? ctl->cert : ctl->conf.http_cert;
	o.key = ctl->key != NULL ? ctl->key : ctl->conf.http_key;
	o.json = ctl->json;
	optind = 0;	/* glibc: start again, permuting */
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'A': o.ca = optarg; break;
		case 'R': o.crl = optarg; break;
		case 'E': o.cert = optarg; break;
		case 'K': o.key = optarg; break;
		case 'j': o.json = 1; break;
		default: tls_usage(); return 2;
		}
	}
	if (optind != argc - 1 || conf_split_hostport(argv[optind],
	    o.hostbuf, sizeof o.hostbuf, &o.port) != 0 || o.port == 0) {
		tls_usage();
		return 2;
	}
	o.host = o.hostbuf;
	if ((fd = tcp_connect(&o, err, sizeof err)) == -1) {
		fprintf(stderr, "xdsctl: %s\n", err);
		return 1;
	}
	(void)handshake(&o, fd, &s, proto, sizeof proto, cipher,
	    sizeof cipher, hs_err, sizeof hs_err);
	close(fd);
	if (s.leaf == NULL) {
		fprintf(stderr, "xdsctl: %s: no certificate from the "
		    "peer%s%s\n", argv[optind], hs_err[0] ? ": " : "", hs_err);
		return 1;
	}
	judge(&o, &s, &v);
	report(&o, &s, proto, cipher, hs_err, &v);
	X509_free(s.leaf);
	sk_X509_pop_free(s.chain, X509_free);
	return v.accept ? 0 : 1;
}

int
ctl_tls(struct ctl *ctl, int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "check") == 0)
		return tls_check(ctl, argc, argv);
	tls_usage();
	return 2;
}
