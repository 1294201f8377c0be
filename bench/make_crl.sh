#!/bin/sh
# A CRL of N revoked serials from the CA in DIR (ca.pem, ca.key), written
# to DIR/crl.pem: the CA's index written directly (openssl ca -revoke one
# at a time would take minutes), then openssl ca -gencrl.  The serials
# (i * 7 + 4096) miss those openssl x509 -CAcreateserial hands out.
#
#	make_crl.sh DIR N
set -eu
cd "$1"
printf '[ca]\ndefault_ca=b\n[b]\ndatabase=index\ncrlnumber=crlnum\ncertificate=ca.pem\nprivate_key=ca.key\ndefault_md=sha256\ndefault_crl_days=2\n' >ca.cnf
echo 01 >crlnum
awk -v n="$2" 'BEGIN { for (i = 1; i <= n; i++)
    printf "R\t301231000000Z\t260101000000Z\t%08X\tunknown\t/CN=r%d\n", i * 7 + 4096, i }' >index
openssl ca -config ca.cnf -gencrl -out crl.pem >/dev/null 2>&1
echo "CRL: $(openssl crl -in crl.pem -noout -text | grep -c 'Serial Number') entries, $(wc -c <crl.pem) bytes PEM"
