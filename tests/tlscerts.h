/*
 * tlscerts.h: throwaway certificates for the tests that speak mutual TLS
 * (test_http, test_soap_peer), made with the openssl CLI:
 *
 *	ca.pem, ca.key		the test CA
 *	srv.pem, srv.key	server, CN and subjectAltName 127.0.0.1
 *	cli.pem, cli.key	client, O=Test Hospital, CN=client.example
 *	other.pem, other.key	a second CA that signed nothing
 *
 * EC P-256 keys, valid two days; the openssl output goes to dir/log.
 */
#ifndef XDS_TLSCERTS_H
#define XDS_TLSCERTS_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

/* system(cmd): its exit status, -1 when it did not exit normally. */
static inline int
tls_sh(const char *cmd)
{
	int rc = system(cmd);

	return rc == -1 || !WIFEXITED(rc) ? -1 : WEXITSTATUS(rc);
}

/* The files above in dir, which exists.  0 or -1. */
static inline int
tls_make_certs(const char *dir)
{
	char cmd[4096];
	const char *ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
	    "-nodes";
	int n;

	n = snprintf(cmd, sizeof cmd,
	    "cd '%s' && exec >log 2>&1 && "
	    "printf 'basicConstraints=CA:FALSE\\nsubjectAltName=IP:127.0.0.1\\n"
	    "extendedKeyUsage=serverAuth,clientAuth\\n' >ext && "
	    "for ca in ca other; do openssl req -x509 %s -keyout $ca.key "
	    "-out $ca.pem -days 2 -subj \"/CN=Test $ca\" "
	    "-addext basicConstraints=critical,CA:TRUE "
	    "-addext keyUsage=critical,keyCertSign,cRLSign || exit 1; done && "
	    "openssl req %s -keyout srv.key -out srv.csr "
	    "-subj /CN=127.0.0.1 && "
	    "openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key "
	    "-CAcreateserial -days 2 -extfile ext -out srv.pem && "
	    "openssl req %s -keyout cli.key -out cli.csr "
	    "-subj '/O=Test Hospital/CN=client.example' && "
	    "openssl x509 -req -in cli.csr -CA ca.pem -CAkey ca.key "
	    "-CAcreateserial -days 2 -extfile ext -out cli.pem",
	    dir, ec, ec, ec);
	if (n < 0 || (size_t)n >= sizeof cmd)
		return -1;
	return tls_sh(cmd) == 0 ? 0 : -1;
}

#endif
